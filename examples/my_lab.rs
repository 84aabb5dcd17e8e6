//! A lab of your own: the whole `byzlab` command line with a strategy and a
//! link adversary of yours registered, so that `run`, `sweep`, `replay`,
//! `merge` and `strategies` all know them, in flags and in experiment files.
//!
//!     cargo run --release --example my_lab -- strategies
//!     cargo run --release --example my_lab -- sweep experiments/my-lab.toml --out /tmp/my-lab
//!
//! In a crate of your own, this file is your `src/main.rs` (with `byzlab` as
//! a dependency).

use byzlab::link::adversary::{Adversary, AdversaryCtx};
use byzlab::link::{Carried, LinkAction};
use byzlab::protocol::sm::SignedOrder;
use byzlab::registry::Registry;
use byzlab::traitor::{Strategy, TraitorCtx};
use byzlab::types::{Envelope, GeneralId, Value};
use std::process::ExitCode;

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
        .with_strategy("even-liar", "lies to even-numbered lieutenants in round 2", || EvenLiar)
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
