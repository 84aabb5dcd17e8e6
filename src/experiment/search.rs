//! The exhaustive searches: every traitor behaviour of a cell, as the runs
//! to list. OM(m) on the complete graph: every value (or silence) of every
//! message a traitor sends, for every placement (`traitor::enumerated`
//! replays one point); SM(m): every round in which the coalition first
//! hands each loyal lieutenant each value, which is all it can do to their
//! decisions (`traitor::enumerated_sm` says why, and replays one point).
//! `plan` decides where a search applies and whether it fits; these
//! functions only enumerate.

use crate::traitor::StrategyRef;
use crate::traitor::enumerated::{self, Choices, om_slots};
use crate::types::{COMMANDER, GeneralId, Value};

/// One run to list: placement, strategy (a point of the search), order,
/// seed.
pub type Run = (Vec<GeneralId>, StrategyRef, Value, u64);

/// OM(m)'s search among `n` generals over these placements: for each
/// placement, order and link seed, every assignment of a value or silence
/// (three choices) to each message its traitors send; `None` when their
/// count does not pass `fits`.
pub fn om(
    all: &[Vec<GeneralId>],
    n: usize,
    m: usize,
    values: &[Value],
    link_seeds: u64,
    fits: impl Fn(u64) -> bool,
) -> Option<Vec<Run>> {
    let mut count: u64 = 0;
    for p in all {
        let slots: u64 = p.iter().map(|&t| om_slots(n, m, t)).sum();
        let combos = if slots >= 40 {
            u64::MAX
        } else {
            3u64.saturating_pow(slots as u32)
        };
        count = count.saturating_add(combos.saturating_mul(values.len() as u64 * link_seeds));
    }
    if !fits(count) {
        return None;
    }
    let mut out = Vec::with_capacity(count as usize);
    for p in all {
        let sizes: Vec<usize> = p.iter().map(|&t| om_slots(n, m, t) as usize).collect();
        let slots: usize = sizes.iter().sum();
        let combos = 3u64.pow(slots as u32);
        for &value in values {
            for c in 0..combos {
                let mut digits = Vec::with_capacity(slots);
                let mut x = c;
                for _ in 0..slots {
                    digits.push((x % 3) as u8);
                    x /= 3;
                }
                let mut choices = Choices::new();
                let mut rest = &digits[..];
                for (&t, &size) in p.iter().zip(&sizes) {
                    choices.insert(t, rest[..size].to_vec());
                    rest = &rest[size..];
                }
                let strategy = StrategyRef::Enumerated {
                    choices: enumerated::encode(&choices),
                };
                for s in 0..link_seeds {
                    out.push((p.clone(), strategy.clone(), value, s));
                }
            }
        }
    }
    Some(out)
}

/// SM(m)'s search among `n` generals over these placements: with a
/// traitor commander, every assignment of first-delivery rounds to the
/// loyal lieutenants up to their permutation; a loyal commander's
/// placements (and the placement without traitors) one run per order,
/// since nothing traitors do changes a decision there. `None` when the
/// count does not pass `fits`.
pub fn sm(
    all: &[Vec<GeneralId>],
    n: usize,
    m: usize,
    values: &[Value],
    fits: impl Fn(u64) -> bool,
) -> Option<Vec<Run>> {
    use crate::traitor::enumerated_sm::{self, Deliveries};
    let latest = |p: &[GeneralId]| p.len().min(m + 1) as crate::types::Round;
    let mut count: u64 = 0;
    for p in all {
        count = count.saturating_add(if p.contains(&COMMANDER) {
            enumerated_sm::count(n - p.len(), latest(p))
        } else {
            values.len() as u64
        });
    }
    if !fits(count) {
        return None;
    }
    let mut out = Vec::new();
    for p in all {
        if p.contains(&COMMANDER) {
            let loyal: Vec<GeneralId> = (1..n as GeneralId).filter(|g| !p.contains(g)).collect();
            // The order is the coalition's to choose: the run's value is moot.
            let value = values[0];
            for a in enumerated_sm::assignments(&loyal, latest(p)) {
                let strategy = StrategyRef::Enumerated {
                    choices: enumerated_sm::encode(&a),
                };
                out.push((p.clone(), strategy, value, 0));
            }
        } else {
            let none = StrategyRef::Enumerated {
                choices: enumerated_sm::encode(&Deliveries::new()),
            };
            for &value in values {
                out.push((p.clone(), none.clone(), value, 0));
            }
        }
    }
    Some(out)
}
