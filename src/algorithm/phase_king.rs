//! `phase-king`: Berman, Garay and Perry's phase king (FOCS 1989),
//! registered; the state machine is `protocol::phase_king`.
//!
//! Its theory: with n > 4m and at most m traitors every placement holds
//! (one of the m + 1 kings is loyal, and persistence keeps what it set);
//! byzlab claims nothing below that (n <= 4m is open: the proof needs
//! n > 4f, and whether a given placement breaks is for the sweep to find).

use super::{Agreement, Marker, Theory};
use crate::crypto::Signatures;
use crate::protocol::om::Relays;
use crate::protocol::phase_king::{self, PhaseKingGeneral};
use crate::run::RunPlan;
use crate::runtime::{Exposed, Generals, build_generals};
use crate::traitor::{Strategy, TraitorCtx};
use crate::types::{GeneralId, Round, Value};

/// Phase king's registration.
pub struct PhaseKing;

impl Agreement for PhaseKing {
    fn name(&self) -> &'static str {
        "phase-king"
    }

    fn about(&self) -> &'static str {
        "phase king (Berman, Garay, Perry 1989): oral messages, m + 1 phases of a vote and a king, O(n^2 m) messages"
    }

    fn bound(&self) -> &'static str {
        "n > 4m, at most m traitors"
    }

    fn label(&self, m: &str) -> String {
        format!("PhaseKing({m})")
    }

    fn rounds(&self, _: usize, m: usize) -> Round {
        phase_king::rounds(m)
    }

    fn recipients(&self, n: usize, m: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
        phase_king::recipients(n, m, me, round)
    }

    fn placement(&self, n: usize, m: usize, k: usize, _: bool) -> Theory {
        if k == 0 || (n > 4 * m && k <= m) {
            Theory::Holds
        } else {
            Theory::Open
        }
    }

    fn first_holding_n(&self, _: usize, m: usize, _: bool) -> Option<usize> {
        Some(m.saturating_mul(4).saturating_add(1))
    }

    fn bound_line(&self, _: bool) -> Option<&'static str> {
        Some("n = 4m+1")
    }

    fn table_bound(&self, f: usize) -> Option<(usize, &'static str)> {
        Some((f.saturating_mul(4).saturating_add(1), "n = 4f+1 for phase king"))
    }

    fn messages(&self, n: usize, m: usize) -> Option<u64> {
        Some(phase_king::message_count(n, m))
    }

    fn formula(&self, m: usize) -> Option<String> {
        Some(format!("PhaseKing({m}) formula: (n-1)(1+(m+1)(n+1))"))
    }

    fn marker(&self) -> Marker {
        Marker::Cross
    }

    /// About 60 ns a vote, as OM's values plus the per-frame cost (a frame
    /// carries one value).
    fn cost(&self, _: Signatures, n: usize, m: usize) -> u64 {
        60u64.saturating_mul(phase_king::message_count(n, m))
    }

    /// One value in a frame, with room for the header.
    fn frame_limit(&self, _: &RunPlan) -> usize {
        64
    }

    fn build(&self, plan: &RunPlan, trace: bool) -> Generals {
        let (n, m, value) = (plan.n(), plan.m(), plan.value());
        let limit = self.frame_limit(plan);
        build_generals(plan, trace, limit, |id| PhaseKingGeneral::new(n, m, id, value))
    }

    fn refusal(&self, bytes: &[u8], limit: usize) -> Option<String> {
        super::refusal::<Relays>(bytes, limit)
    }
}

/// Every value a phase king general sends (an order, a vote, a king's
/// value) goes to the strategy's `value` hook with the sender alone as its
/// path; `None` withholds it.
impl Exposed for PhaseKingGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Relays) {
        if msg.is_empty() {
            *msg = Relays::filled(1, None);
        }
        let honest = msg.get(0).unwrap_or(Value::Retreat);
        let me = ctx.me;
        let sent = strategy.value(ctx, to, &[me], honest);
        msg.set(0, sent);
    }
}
