//! `enumerated` under SM: one point of an exhaustive search over what a
//! coalition of traitors can do to SM(m).
//!
//! What a traitor can do under SM is finite (section 4, A4): forward an
//! order it holds validly signed, add its own signature, withhold, or send
//! a forgery, which every loyal general rejects and which so changes
//! nothing. What the loyal lieutenants end up deciding depends only on
//! *which values reach which loyal lieutenant in which round*:
//!
//! 1. A loyal lieutenant decides `choice(V)`, V the values it accepted;
//!    a forged or malformed order never enters V.
//! 2. A loyal lieutenant that accepts v in round r <= m relays it to every
//!    lieutenant not in its chain (step 2(B)), so every loyal lieutenant has
//!    v by round r + 1; one that accepts v in round m + 1 keeps it to itself.
//! 3. A chain of r signatures that reaches a loyal lieutenant without a loyal
//!    signer needs r distinct traitors, the commander first (a chain with a
//!    loyal signer in it brings nothing new: by 2, that signer has already
//!    spread v). Under a loyal commander only its order exists at all, and
//!    every loyal lieutenant has it from round 1: nothing traitors do changes
//!    a decision.
//!
//! So the whole space of coalition behaviours, as far as decisions go, is:
//! for each loyal lieutenant and each value, the round 1..=min(k, m+1) in
//! which the coalition first hands it that value (k the traitors, the
//! commander among them), or never. The experiment runner enumerates those
//! assignments up to a permutation of the loyal lieutenants (they play
//! symmetric roles, so the multiset of per-lieutenant choices determines the
//! verdict) for every traitor placement; a loyal commander's placements need
//! one run each. tests/it/signatures.rs checks this space against a brute
//! force over every subset of orders each traitor could send each receiver
//! in each round, on small instances: the same decisions come out.
//!
//! This strategy replays one assignment. The coalition's chain runs through
//! the commander and then the traitor lieutenants in ascending order: the
//! j-th of them (the commander is the 0th) receives the chain of j
//! signatures in round j and, in round j + 1, signs it and hands it to every
//! loyal lieutenant that is to get the value in that round, and to the next
//! traitor if a later round still needs the chain. Under OM it is honest
//! (OM's search is [`super::enumerated`]).

use super::{Strategy, TraitorCtx};
use crate::protocol::sm::SignedOrder;
use crate::types::{COMMANDER, GeneralId, Round, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Prefix that tells an SM search point from an OM one in
/// `StrategyRef::Enumerated`'s text.
pub const PREFIX: &str = "sm:";

/// For each loyal lieutenant: the round it first gets ATTACK and RETREAT
/// from the coalition (0 = never).
pub type Deliveries = BTreeMap<GeneralId, [Round; 2]>;

/// Replays one assignment.
pub struct EnumeratedSm {
    plan: Arc<Deliveries>,
    /// Well-formed orders this traitor received, with their round.
    held: Vec<(Round, SignedOrder)>,
}

impl EnumeratedSm {
    /// A traitor following `plan`.
    pub fn new(plan: Arc<Deliveries>) -> EnumeratedSm {
        EnumeratedSm { plan, held: Vec::new() }
    }
}

fn index(v: Value) -> usize {
    usize::from(v == Value::Retreat)
}

impl Strategy for EnumeratedSm {
    fn observe_order(&mut self, round: Round, _: GeneralId, order: &SignedOrder) {
        // Chains of the round's length only (the rest no receiver takes).
        if order.chain.len() == round as usize {
            self.held.push((round, order.clone()));
        }
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        orders.clear();
        let coalition: Vec<GeneralId> = ctx.coalition.traitors.clone();
        if coalition.first() != Some(&COMMANDER) {
            return; // a loyal commander's order is the only one; nothing to do
        }
        let Some(j) = coalition.iter().position(|&t| t == ctx.me) else {
            return;
        };
        // The j-th traitor signs in round j + 1, and only then.
        if ctx.round as usize != j + 1 {
            return;
        }
        for v in [Value::Attack, Value::Retreat] {
            let to_loyal = self.plan.get(&to).is_some_and(|d| d[index(v)] == ctx.round);
            let latest = self.plan.values().map(|d| d[index(v)]).max().unwrap_or(0);
            let to_next = coalition.get(j + 1) == Some(&to) && latest > ctx.round;
            if !(to_loyal || to_next) {
                continue;
            }
            let prefix = if j == 0 {
                Vec::new()
            } else {
                // The coalition's chain of j signatures, from round j (not a
                // loyal relay: its signer might be the receiver).
                let ours = self.held.iter().find(|(r, o)| {
                    *r as usize == j && o.value == v && o.chain.iter().all(|l| coalition.contains(&l.signer))
                });
                match ours {
                    Some((_, o)) => o.chain.clone(),
                    None => continue,
                }
            };
            if let Some(o) = ctx.sign(v, &prefix) {
                orders.push(o);
            }
        }
    }
}

/// Encodes an assignment as `sm:1=13;2=00` (lieutenant=ATTACK round,
/// RETREAT round; rounds below 10).
pub fn encode(plan: &Deliveries) -> String {
    let parts: Vec<String> = plan.iter().map(|(l, [a, r])| format!("{l}={a}{r}")).collect();
    format!("{PREFIX}{}", parts.join(";"))
}

/// Parses [`encode`]'s form.
pub fn decode(text: &str) -> Result<Deliveries, String> {
    let body = text
        .strip_prefix(PREFIX)
        .ok_or_else(|| format!("`{text}` does not start with {PREFIX}"))?;
    let mut out = Deliveries::new();
    for part in body.split(';').filter(|p| !p.is_empty()) {
        let (l, d) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not lieutenant=rounds"))?;
        let l: GeneralId = l.parse().map_err(|_| format!("`{l}` is not a general id"))?;
        let digits: Vec<Round> = d.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 2 || d.len() != 2 {
            return Err(format!("`{d}` is not two round digits"));
        }
        out.insert(l, [digits[0], digits[1]]);
    }
    Ok(out)
}

/// The assignment readably: one line per loyal lieutenant.
pub fn describe(plan: &Deliveries) -> Vec<String> {
    let when = |r: Round| {
        if r == 0 {
            "never".to_string()
        } else {
            format!("in round {r}")
        }
    };
    plan.iter()
        .map(|(l, [a, r])| format!("lieutenant {l} is handed attack {}, retreat {}", when(*a), when(*r)))
        .collect()
}

/// Every assignment for `loyal` lieutenants with rounds 0..=`latest`, up to
/// a permutation of the lieutenants: the multisets of per-lieutenant
/// (ATTACK round, RETREAT round) pairs, each given to the lieutenants in
/// ascending order. C(p + L - 1, L) of them for p = (latest + 1)^2 pairs.
pub fn assignments(loyal: &[GeneralId], latest: Round) -> Vec<Deliveries> {
    let pairs: Vec<[Round; 2]> = (0..=latest).flat_map(|a| (0..=latest).map(move |r| [a, r])).collect();
    let mut out = Vec::new();
    let mut pick = Vec::with_capacity(loyal.len());
    fn go(pairs: &[[Round; 2]], loyal: &[GeneralId], start: usize, pick: &mut Vec<usize>, out: &mut Vec<Deliveries>) {
        if pick.len() == loyal.len() {
            out.push(loyal.iter().zip(pick.iter()).map(|(&l, &i)| (l, pairs[i])).collect());
            return;
        }
        for i in start..pairs.len() {
            pick.push(i);
            go(pairs, loyal, i, pick, out);
            pick.pop();
        }
    }
    go(&pairs, loyal, 0, &mut pick, &mut out);
    out
}

/// How many assignments [`assignments`] gives, without building them.
pub fn count(loyal: usize, latest: Round) -> u64 {
    let p = (u64::from(latest) + 1).pow(2);
    // C(p + L - 1, L)
    (0..loyal as u64).fold(1u64, |acc, i| acc.saturating_mul(p + i) / (i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_are_multisets() {
        let a = assignments(&[1, 2], 1);
        // pairs (0,0) (0,1) (1,0) (1,1): C(4 + 1, 2) = 10 multisets of two
        assert_eq!(a.len(), 10);
        assert_eq!(count(2, 1), 10);
        assert_eq!(count(3, 3), 816);
        assert_eq!(assignments(&[1, 2, 4], 3).len(), 816);
        let text = encode(&a[3]);
        assert_eq!(decode(&text).unwrap(), a[3]);
        assert!(decode("sm:1=1").is_err() && decode("1=11").is_err());
    }
}
