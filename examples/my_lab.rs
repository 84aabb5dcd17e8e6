//! A lab of your own: the whole `byzlab` command line with an algorithm, a
//! strategy and a link adversary of yours registered, so that `run`,
//! `sweep`, `replay`, `merge` and `strategies` all know them, in flags and
//! in experiment files.
//!
//!     cargo run --release --example my_lab -- strategies
//!     cargo run --release --example my_lab -- sweep experiments/my-lab.toml --out /tmp/my-lab
//!
//! In a crate of your own, this file is your `src/main.rs` (with `byzlab` as
//! a dependency).

use byzlab::algorithm::{Agreement, Theory};
use byzlab::link::adversary::{Adversary, AdversaryCtx};
use byzlab::link::{Carried, LinkAction};
use byzlab::protocol::sm::SignedOrder;
use byzlab::protocol::{Describer, Dispatch, Message, Protocol, Sink, Source, Taken, TraceMsg};
use byzlab::registry::Registry;
use byzlab::run::RunPlan;
use byzlab::runtime::{Exposed, Generals, build_generals};
use byzlab::traitor::{Strategy, TraitorCtx};
use byzlab::types::{COMMANDER, Envelope, GeneralId, Round, Value};
use std::process::ExitCode;
use std::sync::Arc;

/// The lab's own algorithm, `obey`: one round, the commander sends its order
/// and every lieutenant obeys what it got (absent: RETREAT). It is OM(0),
/// written from scratch as a user would write an algorithm: its message,
/// its state machine, its registration with its own theory. A traitor
/// commander that tells two loyal lieutenants different orders breaks it,
/// so it fails at f = 1 wherever two loyal lieutenants remain.
pub struct Obey;

/// Its one message: the order, or nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Order(Option<Value>);

impl Message for Order {
    // Distinct from byzlab's own kinds (0 and 1).
    const KIND: u32 = 100;

    fn count(&self) -> u64 {
        u64::from(self.0.is_some())
    }

    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error> {
        out.u32(self.0.map_or(2, |v| u32::from(v.to_byte())))
    }

    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error> {
        match input.u32()? {
            2 => Ok(Order(None)),
            b => u8::try_from(b)
                .ok()
                .and_then(Value::from_byte)
                .map(|v| Order(Some(v)))
                .ok_or_else(|| input.invalid(format!("{b} is not an order"))),
        }
    }
}

/// Why an `obey` general refuses a frame.
#[derive(Debug, thiserror::Error)]
#[error("only the commander's order in round 1 is taken")]
pub struct NotTheOrder;

/// One general running `obey`.
pub struct ObeyGeneral {
    n: usize,
    me: GeneralId,
    order: Value,
    got: Option<Value>,
}

impl Protocol for ObeyGeneral {
    type Msg = Order;
    type Reject = NotTheOrder;

    fn id(&self) -> GeneralId {
        self.me
    }

    fn rounds(&self) -> Round {
        1
    }

    fn recipients(&self, round: Round) -> Vec<GeneralId> {
        if self.me == COMMANDER && round == 1 {
            (1..self.n as GeneralId).collect()
        } else {
            Vec::new()
        }
    }

    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Order>> {
        let msg = Arc::new(Order(Some(self.order)));
        self.recipients(round)
            .into_iter()
            .map(|to| Dispatch { to, msg: msg.clone() })
            .collect()
    }

    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Order) -> Result<Taken, NotTheOrder> {
        if round != 1 || from != COMMANDER || self.me == COMMANDER || self.got.is_some() {
            return Err(NotTheOrder);
        }
        self.got = msg.0;
        Ok(Taken::All)
    }

    fn decide(&self) -> Value {
        if self.me == COMMANDER {
            self.order
        } else {
            self.got.unwrap_or(Value::Retreat)
        }
    }

    fn describer(&self) -> Describer<Order> {
        Arc::new(|_, _, _, msg: &Order| {
            msg.0
                .map(|value| TraceMsg {
                    path: vec![COMMANDER],
                    value,
                })
                .into_iter()
                .collect()
        })
    }

    fn reset(&mut self) {
        self.got = None;
    }
}

/// A traitor's strategy picks the order it sends each lieutenant.
impl Exposed for ObeyGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Order) {
        let honest = msg.0.unwrap_or(Value::Retreat);
        msg.0 = strategy.value(ctx, to, &[COMMANDER], honest);
    }
}

impl Agreement for Obey {
    fn name(&self) -> &'static str {
        "obey"
    }

    fn about(&self) -> &'static str {
        "the lab's one-round algorithm: every lieutenant obeys the commander's order (OM(0))"
    }

    fn bound(&self) -> &'static str {
        "no traitor commander (any f breaks it with two loyal lieutenants)"
    }

    fn rounds(&self, _: usize, _: usize) -> Round {
        1
    }

    fn recipients(&self, n: usize, _: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
        if me == COMMANDER && round == 1 {
            (1..n as GeneralId).collect()
        } else {
            Vec::new()
        }
    }

    /// A loyal commander's order reaches every lieutenant and nobody else
    /// speaks; a traitor commander splits any two loyal lieutenants.
    fn placement(&self, n: usize, _: usize, k: usize, commander_traitor: bool) -> Theory {
        if k == 0 || !commander_traitor || n - k < 2 {
            Theory::Holds
        } else {
            Theory::Fails
        }
    }

    fn messages(&self, n: usize, _: usize) -> Option<u64> {
        Some(n as u64 - 1)
    }

    fn formula(&self, _: usize) -> Option<String> {
        Some("obey formula: n-1".into())
    }

    fn frame_limit(&self, _: &RunPlan) -> usize {
        64
    }

    fn build(&self, plan: &RunPlan, trace: bool) -> Generals {
        let (n, order) = (plan.n(), plan.value());
        build_generals(plan, trace, self.frame_limit(plan), |me| ObeyGeneral {
            n,
            me,
            order,
            got: None,
        })
    }

    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String> {
        byzlab::algorithm::refusal::<Order>(bytes, limit)
    }
}

/// Lies to even-numbered lieutenants in round 2 and to no one else: under
/// OM it relays them the opposite of what it got; under SM, where it cannot
/// sign a loyal general's order, it withholds what it should relay to them.
pub struct EvenLiar;

impl Strategy for EvenLiar {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        Some(if ctx.round == 2 && to.is_multiple_of(2) {
            honest.flip()
        } else {
            honest
        })
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        if ctx.round == 2 && to.is_multiple_of(2) {
            orders.clear();
        }
    }
}

/// A wire that loses every frame it acts on that is bound for an
/// odd-numbered general, and lets the rest through.
pub struct DropToOdd;

impl Adversary for DropToOdd {
    fn name(&self) -> &'static str {
        "drop-to-odd"
    }

    fn intercept(&mut self, _: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        let action = if !env.to.is_multiple_of(2) {
            LinkAction::Dropped
        } else {
            LinkAction::Delivered
        };
        out.push(Carried { env, action });
    }
}

/// The built-ins plus this lab's additions.
pub fn registry() -> Registry {
    Registry::builtin()
        .with_algorithm(Obey)
        .and_then(|r| r.with_strategy("even-liar", "lies to even-numbered lieutenants in round 2", || EvenLiar))
        .and_then(|r| {
            r.with_adversary("drop-to-odd", "loses frames bound for odd-numbered generals", || {
                DropToOdd
            })
        })
        .expect("the lab's names are new and valid")
}

#[allow(dead_code)] // a test includes this file for `registry()` alone
fn main() -> ExitCode {
    byzlab::cli::main_with(registry())
}
