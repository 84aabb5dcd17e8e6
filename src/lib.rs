//! # byzlab
//!
//! A Byzantine agreement testbed. Generals run the algorithms of Lamport,
//! Shostak and Pease, "The Byzantine Generals Problem" (ACM TOPLAS 4(3),
//! 1982), as actix actors or in a deterministic in-process runner:
//!
//! * **OM(m)**, oral messages ([`protocol::om`]): agreement iff n > 3m with
//!   at most m traitors;
//! * **SM(m)**, signed messages ([`protocol::sm`]): ed25519 over SHA-256,
//!   agreement for any n >= m + 2.
//!
//! Links ([`link`]) and traitors ([`traitor`]) are configuration and traits,
//! never branches inside an algorithm. Every run is seeded and reproducible.
//!
//! ```
//! use byzlab::{algorithm::OM, run::RunSpec, runtime, types::Value};
//!
//! // OM(1) with four generals, one traitor lieutenant that lies (Fig. 3).
//! let mut spec = RunSpec::new(OM, 4, 1).unwrap();
//! spec.traitors = Some(vec![3]);
//! spec.strategy = byzlab::traitor::resolve("flip").unwrap();
//! spec.value = Value::Attack;
//! spec.runtime = byzlab::run::RuntimeKind::Direct;
//! let plan = spec.validate().unwrap();
//! let report = runtime::execute(&plan).unwrap();
//! assert!(report.outcome.agreement && report.outcome.validity);
//! assert_eq!(report.outcome.decisions[&1], Value::Attack);
//! assert_eq!(report.outcome.counters.messages, 9);
//! // The same run under actix: a plan is varied through its spec.
//! let actix = plan.vary(|s| s.runtime = byzlab::run::RuntimeKind::Actix).unwrap();
//! assert_eq!(runtime::execute(&actix).unwrap().outcome.decisions, report.outcome.decisions);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod algorithm;
pub mod aloha;
pub mod cli;
pub(crate) mod crypto;
pub mod detector;
pub mod experiment;
pub mod files;
pub mod finite;
pub mod folder;
// The fuzzers' entry points and the perf harness are public only for the
// fuzz crate, the tests and `byzlab perf`; they are not the documented API.
pub mod explore;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod html;
pub mod link;
pub mod memory;
pub mod models;
pub mod names;
#[doc(hidden)]
pub mod perf;
pub mod prelude;
pub mod protocol;
pub mod registry;
pub mod rng;
pub mod run;
pub mod runtime;
pub mod scenarios;
pub mod scheduler;
pub mod service;
pub mod timing;
pub mod traitor;
pub mod types;
pub(crate) mod wire;
