//! What a lab needs to write a traitor strategy, a link adversary or an
//! algorithm, in one import:
//!
//! ```
//! use byzlab::prelude::*;
//!
//! /// A traitor that relays the opposite of every value, and signs nothing new.
//! struct Contrarian;
//!
//! impl Strategy for Contrarian {
//!     fn value(&mut self, _: &mut TraitorCtx<'_>, _: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
//!         Some(honest.flip())
//!     }
//!     fn orders(&mut self, _: &mut TraitorCtx<'_>, _: GeneralId, orders: &mut Vec<SignedOrder>) {
//!         orders.clear();
//!     }
//! }
//!
//! let lab = Registry::builtin().with_strategy("contrarian", "the opposite", || Contrarian).unwrap();
//! let mut spec = RunSpec::new(OM, 4, 1).unwrap();
//! spec.traitors = Some(vec![3]);
//! spec.strategy = lab.strategies().resolve("contrarian").unwrap();
//! spec.runtime = RuntimeKind::Direct;
//! let report = byzlab::runtime::execute(&spec.validate().unwrap()).unwrap();
//! assert!(report.outcome.agreement && report.outcome.validity);
//! ```

pub use crate::algorithm::{Agreement, Algorithm, OM, SM, Theory};
pub use crate::link::adversary::{Adversary, AdversaryCtx};
pub use crate::link::{Carried, LinkAction, LinkSpec};
pub use crate::protocol::sm::{ChainLink, Orders, SignedOrder};
pub use crate::protocol::{Describer, Dispatch, Explanation, Message, Protocol, Sink, Source, Taken, TraceMsg, Vote};
pub use crate::registry::Registry;
pub use crate::run::{RunPlan, RunSpec, RuntimeKind};
pub use crate::runtime::{Exposed, Generals, RunReport, build_generals};
pub use crate::traitor::{NamedStrategy, Strategy, TraitorCtx};
pub use crate::types::{COMMANDER, Envelope, GeneralId, Round, Value};
