//! The phase king algorithm (P. Berman, J. A. Garay and K. J. Perry,
//! "Towards optimal distributed consensus", FOCS 1989), as a pure state
//! machine: Byzantine agreement with oral messages and polynomial traffic,
//! for n > 4f.
//!
//! byzlab runs it as the paper's generals problem: in round 1 the
//! commander (general 0) sends its order to every lieutenant, and each
//! general's preference is what it received (absent: RETREAT, as A3).
//! Then come f + 1 phases (here m + 1, m = f by default) of two rounds
//! each, phase p led by its king, lieutenant p:
//!
//! 1. **Vote** (round 2p): every general sends its preference to every
//!    other one. Each counts the votes it received and its own, and takes
//!    the majority value `maj` (RETREAT on a tie) and how many voted for
//!    it, `mult`.
//! 2. **King** (round 2p + 1): the king sends its own `maj` to everyone.
//!    A general keeps `maj` as its preference if `mult > n/2 + f`, and
//!    otherwise takes the king's value (absent: RETREAT).
//!
//! After the last phase a lieutenant decides its preference. Why it works
//! for n > 4f and at most f traitors: of the f + 1 kings one is loyal, and
//! in its phase every loyal general ends with the same value (one that saw
//! `mult > n/2 + f` for v knows every loyal general saw more than n/2
//! votes for v, so the loyal king's majority is v too). From then on every
//! loyal general votes the same value, at least n - f > n/2 + f votes, so
//! no traitor king can move it (persistence); the same argument from round
//! 1 gives validity when the commander is loyal. Rounds: 2f + 3;
//! messages with no traitor: (n - 1)(1 + (f + 1)(n + 1)).
//!
//! Frames are OM's [`Relays`] of one value: a vote is a value, not a path.

use super::om::Relays;
use super::{Describer, Dispatch, Protocol, Taken, TraceMsg};
use crate::types::{COMMANDER, GeneralId, Round, Value};
use std::sync::Arc;

/// Rounds of phase king with m + 1 phases: the commander's round and two a
/// phase.
pub fn rounds(m: usize) -> Round {
    2 * m as Round + 3
}

/// Messages a run sends with no traitor: n - 1 orders, then per phase
/// n (n - 1) votes and the king's n - 1 values.
pub fn message_count(n: usize, m: usize) -> u64 {
    let n = n as u64;
    (n - 1).saturating_mul(1 + (m as u64 + 1).saturating_mul(n + 1))
}

/// What a round of phase king is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Round 1: the commander's order.
    Order,
    /// The vote of phase p (round 2p).
    Vote(usize),
    /// The king's round of phase p (round 2p + 1); the king is lieutenant p.
    King(usize),
    /// Outside the run.
    Outside,
}

/// The step of `round` in a run of m + 1 phases.
pub fn step(m: usize, round: Round) -> Step {
    let r = round as usize;
    match r {
        1 => Step::Order,
        _ if r < 2 || r > rounds(m) as usize => Step::Outside,
        _ if r.is_multiple_of(2) => Step::Vote(r / 2),
        _ => Step::King(r / 2),
    }
}

/// The king of phase p: lieutenant p (m <= n - 2, so every one exists).
pub fn king_of(phase: usize) -> GeneralId {
    phase as GeneralId
}

/// Who `me` sends to in `round`: the commander to every lieutenant in
/// round 1, everyone to everyone else in a vote, the king to everyone else
/// in its round.
pub fn recipients(n: usize, m: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
    let sends = match step(m, round) {
        Step::Order => me == COMMANDER,
        Step::Vote(_) => true,
        Step::King(p) => me == king_of(p),
        Step::Outside => false,
    };
    if !sends {
        return Vec::new();
    }
    let first = if round == 1 { 1 } else { 0 };
    (first..n as GeneralId).filter(|&g| g != me).collect()
}

/// Why a general refused a whole frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhaseKingReject {
    /// Round outside the run.
    #[error("round {0} is outside the run")]
    BadRound(Round),
    /// A frame of other than one value.
    #[error("a frame carries {0} values, not one")]
    NotOneValue(usize),
    /// The round's sender is someone else (the commander in round 1, the
    /// phase's king in a king round).
    #[error("general {from} does not send in round {round}")]
    WrongSender {
        /// The sender.
        from: GeneralId,
        /// The round.
        round: Round,
    },
    /// A second frame from the same sender in one round.
    #[error("a second frame from general {0} in one round")]
    Repeated(GeneralId),
}

/// One general running phase king with m + 1 phases.
pub struct PhaseKingGeneral {
    n: usize,
    m: usize,
    me: GeneralId,
    /// The commander's order (the commander only).
    order: Value,
    /// The current preference.
    pref: Value,
    /// This phase's votes for ATTACK and in all, its own included.
    attack: usize,
    total: usize,
    /// Who sent in the current round (duplicates refused).
    heard: Vec<bool>,
    heard_round: Round,
    /// The phase's majority and its count, fixed at the king's round.
    tally: Option<(Value, usize)>,
    /// The king's value this phase, if it came.
    king: Option<Value>,
    /// What each finished phase saw, for `--explain`.
    phases: Vec<PhaseSeen>,
}

/// What one phase's step 2 saw at one general (`--explain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PhaseSeen {
    phase: usize,
    maj: Value,
    mult: usize,
    king: Option<Value>,
    after: Value,
}

impl PhaseKingGeneral {
    /// General `me` among `n`; `order` matters only for the commander.
    /// Callers validate `m <= n - 2` first, so every king is a general.
    pub fn new(n: usize, m: usize, me: GeneralId, order: Value) -> PhaseKingGeneral {
        PhaseKingGeneral {
            n,
            m,
            me,
            order,
            pref: if me == COMMANDER { order } else { Value::Retreat },
            attack: 0,
            total: 0,
            heard: vec![false; n],
            heard_round: 0,
            tally: None,
            king: None,
            phases: Vec::new(),
        }
    }

    /// The phase that just ended at this general, as `--explain` tells it.
    fn seen(&self, phase: usize) -> Option<PhaseSeen> {
        let (maj, mult) = self.tally?;
        Some(PhaseSeen {
            phase,
            maj,
            mult,
            king: self.king,
            after: self.after_phase(),
        })
    }

    /// Step 1 (vote): the majority of the votes and how many gave it.
    fn majority(&self) -> (Value, usize) {
        let retreat = self.total - self.attack;
        if self.attack > retreat {
            (Value::Attack, self.attack)
        } else {
            (Value::Retreat, retreat)
        }
    }

    /// Step 2 (king): keep `maj` if more than n/2 + f voted for it,
    /// else the king's value (absent: RETREAT).
    fn after_phase(&self) -> Value {
        match self.tally {
            Some((maj, mult)) if 2 * mult > self.n + 2 * self.m => maj,
            Some(_) => self.king.unwrap_or(Value::Retreat),
            None => self.pref,
        }
    }
}

impl Protocol for PhaseKingGeneral {
    type Msg = Relays;
    type Reject = PhaseKingReject;

    fn id(&self) -> GeneralId {
        self.me
    }

    fn rounds(&self) -> Round {
        rounds(self.m)
    }

    fn recipients(&self, round: Round) -> Vec<GeneralId> {
        recipients(self.n, self.m, self.me, round)
    }

    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Relays>> {
        let value = match step(self.m, round) {
            Step::Order => self.order,
            Step::Vote(p) => {
                // The last phase's step 2, then a fresh count with our own vote.
                if let Some(seen) = self.seen(p.saturating_sub(1)) {
                    self.phases.push(seen);
                }
                self.pref = self.after_phase();
                self.tally = None;
                self.king = None;
                self.attack = usize::from(self.pref == Value::Attack);
                self.total = 1;
                self.pref
            }
            Step::King(p) => {
                let tally = self.majority();
                self.tally = Some(tally);
                // The king follows its own value, as everyone who hears it.
                if self.me == king_of(p) {
                    self.king = Some(tally.0);
                }
                tally.0
            }
            Step::Outside => return Vec::new(),
        };
        let msg = Arc::new(Relays::filled(1, Some(value)));
        self.recipients(round)
            .into_iter()
            .map(|to| Dispatch { to, msg: msg.clone() })
            .collect()
    }

    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Relays) -> Result<Taken, PhaseKingReject> {
        let step = step(self.m, round);
        if step == Step::Outside {
            return Err(PhaseKingReject::BadRound(round));
        }
        if msg.len() != 1 {
            return Err(PhaseKingReject::NotOneValue(msg.len()));
        }
        let sender_ok = match step {
            Step::Order => from == COMMANDER && self.me != COMMANDER,
            Step::King(p) => from == king_of(p),
            _ => true,
        };
        if !sender_ok || usize::from(from) >= self.n {
            return Err(PhaseKingReject::WrongSender { from, round });
        }
        if self.heard_round != round {
            self.heard.iter_mut().for_each(|h| *h = false);
            self.heard_round = round;
        }
        if std::mem::replace(&mut self.heard[usize::from(from)], true) {
            return Err(PhaseKingReject::Repeated(from));
        }
        let value = msg.get(0);
        match step {
            // A3: an order withheld reads as RETREAT.
            Step::Order => self.pref = value.unwrap_or(Value::Retreat),
            Step::Vote(_) => {
                if let Some(v) = value {
                    self.total += 1;
                    self.attack += usize::from(v == Value::Attack);
                }
            }
            Step::King(_) => self.king = value,
            Step::Outside => {}
        }
        Ok(Taken::All)
    }

    /// A lieutenant's preference after the last phase; the commander
    /// obeys its own order.
    fn decide(&self) -> Value {
        if self.me == COMMANDER {
            self.order
        } else {
            self.after_phase()
        }
    }

    fn describer(&self) -> Describer<Relays> {
        Arc::new(move |_, from, _, msg: &Relays| {
            msg.get(0)
                .map(|value| TraceMsg {
                    path: vec![from],
                    value,
                })
                .into_iter()
                .collect()
        })
    }

    /// Its preference and this phase's counts are gone: it votes RETREAT
    /// until a king's value or a clear majority gives it another.
    fn reset(&mut self) {
        self.pref = Value::Retreat;
        self.attack = 0;
        self.total = 0;
        self.tally = None;
        self.king = None;
        self.phases.clear();
    }

    /// Each phase's step 2 as this lieutenant saw it: the majority of the
    /// votes and how many gave it, kept when more than n/2 + m did (no
    /// king can then move a loyal general off it), else the king's value.
    fn explain(&self) -> Option<super::Explanation> {
        if self.me == COMMANDER {
            return None;
        }
        let mut phases = self.phases.clone();
        phases.extend(self.seen(self.m + 1));
        // More than (n + 2m)/2 votes keep the majority.
        let twice = self.n + 2 * self.m;
        let keep = if twice.is_multiple_of(2) {
            format!("{}", twice / 2)
        } else {
            format!("{}.5", twice / 2)
        };
        let lines: Vec<String> = phases
            .iter()
            .map(|s| {
                let king = king_of(s.phase);
                let then = if 2 * s.mult > self.n + 2 * self.m {
                    format!("kept {} (more than {keep})", s.maj)
                } else {
                    match s.king {
                        Some(v) => format!("took king {king}'s {v}"),
                        None => format!("king {king} sent nothing: retreat (A3)"),
                    }
                };
                format!("phase {}: majority {} of {} votes, {then}", s.phase, s.maj, s.mult)
            })
            .collect();
        Some(super::Explanation {
            rule: format!(
                "phase king (Berman, Garay, Perry 1989): each phase keeps the majority of the votes if more than \
                 (n + 2m)/2 = {keep} gave it, else takes the phase's king's value; {}",
                lines.join("; ")
            ),
            decision: self.decide(),
            votes: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs every general of a loyal run by hand, round by round.
    fn loyal_run(n: usize, m: usize, order: Value) -> (Vec<Value>, u64) {
        let mut g: Vec<PhaseKingGeneral> = (0..n as GeneralId)
            .map(|i| PhaseKingGeneral::new(n, m, i, order))
            .collect();
        let mut messages = 0;
        for round in 1..=rounds(m) {
            let sends: Vec<(GeneralId, Vec<Dispatch<Relays>>)> =
                g.iter_mut().map(|x| (x.me, x.on_round(round))).collect();
            for (from, out) in sends {
                for d in out {
                    messages += 1;
                    assert_eq!(g[d.to as usize].on_message(round, from, &d.msg), Ok(Taken::All));
                }
            }
        }
        (g.iter().map(Protocol::decide).collect(), messages)
    }

    #[test]
    fn a_loyal_run_sends_its_formula_and_obeys() {
        for (n, m) in [(5, 1), (9, 2), (13, 3)] {
            for order in Value::ALL {
                let (decisions, messages) = loyal_run(n, m, order);
                assert!(decisions.iter().all(|&d| d == order), "n={n} m={m}");
                assert_eq!(messages, message_count(n, m), "n={n} m={m}");
            }
        }
        assert_eq!(message_count(5, 1), 4 * (1 + 2 * 6));
    }

    #[test]
    fn rounds_are_the_order_then_a_vote_and_a_king_per_phase() {
        assert_eq!(rounds(1), 5);
        let steps: Vec<Step> = (1..=6).map(|r| step(1, r)).collect();
        use Step::*;
        assert_eq!(steps, vec![Order, Vote(1), King(1), Vote(2), King(2), Outside]);
    }

    #[test]
    fn the_king_breaks_a_split_vote_and_a_clear_majority_stands() {
        // n = 5, f = 1: keep maj only with more than 5/2 + 1 votes, i.e. 4.
        let mut g = PhaseKingGeneral::new(5, 1, 3, Value::Attack);
        let _ = g.on_round(2);
        for (from, v) in [(0, Value::Attack), (1, Value::Attack), (2, Value::Retreat)] {
            assert!(g.on_message(2, from, &Relays::filled(1, Some(v))).is_ok());
        }
        let _ = g.on_round(3);
        // 3 ATTACK votes of 4 (its own is RETREAT, A3's default), not the 4
        // needed: the king decides.
        assert!(g.on_message(3, 1, &Relays::filled(1, Some(Value::Retreat))).is_ok());
        assert_eq!(g.decide(), Value::Retreat);
        // Only the king speaks in its round, once.
        assert!(g.on_message(3, 2, &Relays::filled(1, Some(Value::Attack))).is_err());
        assert_eq!(
            g.on_message(3, 1, &Relays::filled(1, Some(Value::Attack))),
            Err(PhaseKingReject::Repeated(1))
        );
    }
}
