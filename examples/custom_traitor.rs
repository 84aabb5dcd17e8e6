//! A new traitor strategy in a few lines of Rust: `whisper` lies only to the
//! highest-numbered lieutenant and is honest with everyone else. Run it with
//! `cargo run --example custom_traitor`.

use byzlab::run::{RunSpec, RuntimeKind};
use byzlab::traitor::{NamedStrategy, Strategy, TraitorCtx};
use byzlab::types::{GeneralId, Value};

/// Lies to the last general only; every other hook keeps its honest default.
struct Whisper;

impl Strategy for Whisper {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, _path: &[GeneralId], honest: Value) -> Option<Value> {
        let last = (ctx.n - 1) as GeneralId;
        Some(if to == last { honest.flip() } else { honest })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for n in [3, 4] {
        let mut spec = RunSpec::new(byzlab::algorithm::OM, n, 1)?;
        spec.traitors = Some(vec![1]); // lieutenant 1 whispers
        spec.strategy = NamedStrategy::custom("whisper", || Whisper);
        spec.runtime = RuntimeKind::Actix;
        let o = byzlab::runtime::execute(&spec.validate()?)?.outcome;
        println!(
            "OM(1) n={n}: decisions {:?}, IC1 {}, IC2 {}",
            o.decisions, o.agreement, o.validity
        );
    }
    Ok(())
}
