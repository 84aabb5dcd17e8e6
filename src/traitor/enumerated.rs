//! `enumerated`: one point of an exhaustive search over traitor behaviour.
//!
//! Under OM every value a traitor sends is a free choice among ATTACK,
//! RETREAT and silence. For a small instance (say OM(1) with n <= 4) the
//! experiment runner enumerates every combination of those choices over every
//! traitor message, so that "holds" means holds against *every* traitor, not
//! only against the strategies someone thought of. This strategy replays one
//! combination: traitor t's k-th message in emission order (rounds ascending,
//! receivers ascending, paths in canonical order) gets choice `digits[t][k]`,
//! 0 = RETREAT, 1 = ATTACK, 2 = silence. Under SM it is honest (the search is
//! defined for OM only).

use super::{Strategy, TraitorCtx};
use crate::protocol::om;
use crate::types::{COMMANDER, GeneralId, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Choices per traitor, one digit (0, 1, 2) per message it sends.
pub type Choices = BTreeMap<GeneralId, Vec<u8>>;

/// Replays one combination of choices.
pub struct Enumerated {
    choices: Arc<Choices>,
    next: usize,
}

impl Enumerated {
    /// A traitor following `choices`.
    pub fn new(choices: Arc<Choices>) -> Enumerated {
        Enumerated { choices, next: 0 }
    }
}

impl Strategy for Enumerated {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, _: GeneralId, _: &[GeneralId], honest: Value) -> Option<Value> {
        let digit = self.choices.get(&ctx.me).and_then(|d| d.get(self.next)).copied();
        self.next += 1;
        match digit {
            Some(0) => Some(Value::Retreat),
            Some(1) => Some(Value::Attack),
            Some(_) => None,
            None => Some(honest),
        }
    }
}

/// Messages traitor `t` sends in OM(m) among n generals: the choices one
/// combination has to fix for it.
pub fn om_slots(n: usize, m: usize, t: GeneralId) -> u64 {
    if t == COMMANDER {
        return n as u64 - 1;
    }
    (2..=m as u32 + 1).map(|r| (n as u64 - 2) * om::frame_len(n, r)).sum()
}

/// Encodes choices as `1=0120;3=21` (traitor=digits).
pub fn encode(choices: &Choices) -> String {
    choices
        .iter()
        .map(|(t, d)| format!("{t}={}", d.iter().map(|x| char::from(b'0' + x)).collect::<String>()))
        .collect::<Vec<_>>()
        .join(";")
}

/// The choices of one search point, readably: for each traitor of OM(m)
/// among n generals, one line per (round, receiver) with every path it
/// relays and what it sent (`0:1=attack 0:3=silent`), in sending order.
/// Digits past the traitor's messages are ignored; missing ones read as
/// honest.
pub fn describe(n: usize, m: usize, choices: &Choices) -> Vec<String> {
    let name = |d: Option<&u8>| match d {
        Some(0) => "retreat",
        Some(1) => "attack",
        Some(_) => "silent",
        None => "honest",
    };
    let mut out = Vec::new();
    for (&t, digits) in choices {
        let mut k = 0;
        let rounds = if t == COMMANDER { 1..=1 } else { 2..=m as u32 + 1 };
        for round in rounds {
            for to in crate::protocol::recipients(n, m, t, round) {
                let mut sent = Vec::new();
                om::for_each_relay(n, round, t, to, |path, _, _| {
                    let path: Vec<String> = path.iter().map(|g| g.to_string()).collect();
                    sent.push(format!("{}={}", path.join(":"), name(digits.get(k))));
                    k += 1;
                });
                out.push(format!("traitor {t}, round {round}, to {to}: {}", sent.join(" ")));
            }
        }
    }
    out
}

/// Choices text that is not in [`encode`]'s form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChoicesError {
    /// A part without `=`.
    #[error("`{0}` is not traitor=digits")]
    NotAPair(String),
    /// A traitor that is no general id.
    #[error("`{0}` is not a general id")]
    BadId(String),
    /// A digit that is not 0, 1 or 2.
    #[error("`{0}` has a digit other than 0, 1, 2")]
    BadDigit(String),
}

/// Parses [`encode`]'s form.
pub fn decode(text: &str) -> Result<Choices, ChoicesError> {
    let mut out = Choices::new();
    for part in text.split(';').filter(|p| !p.is_empty()) {
        let (t, digits) = part
            .split_once('=')
            .ok_or_else(|| ChoicesError::NotAPair(part.into()))?;
        let t: GeneralId = t.parse().map_err(|_| ChoicesError::BadId(t.into()))?;
        let d = digits
            .bytes()
            .map(|b| match b {
                b'0'..=b'2' => Ok(b - b'0'),
                _ => Err(ChoicesError::BadDigit(digits.into())),
            })
            .collect::<Result<Vec<u8>, _>>()?;
        out.insert(t, d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_choices_follow_the_sending_order() {
        // OM(1), n = 4, traitor 2: round 2 to 1 then to 3, path 0:2 each.
        let choices = decode("2=12").unwrap();
        assert_eq!(
            describe(4, 1, &choices),
            [
                "traitor 2, round 2, to 1: 0:2=attack",
                "traitor 2, round 2, to 3: 0:2=silent"
            ]
        );
        let commander = decode("0=01").unwrap();
        assert_eq!(
            describe(4, 1, &commander),
            [
                "traitor 0, round 1, to 1: 0=retreat",
                "traitor 0, round 1, to 2: 0=attack",
                "traitor 0, round 1, to 3: 0=honest"
            ]
        );
    }

    #[test]
    fn slots_count_the_traitors_messages() {
        assert_eq!(om_slots(4, 1, 0), 3);
        assert_eq!(om_slots(4, 1, 2), 2);
        assert_eq!(om_slots(3, 1, 1), 1);
        // OM(2), n = 5: round 2 sends 1 value to 3 others, round 3 sends 2 to 3
        assert_eq!(om_slots(5, 2, 1), 3 + 6);
    }

    /// "Exhaustive" means a digit for every message a traitor sends: the
    /// slots the search enumerates must be exactly the `value` calls a run
    /// makes, for every traitor position, n and m (if fewer, some messages
    /// would never be searched; if more, digits would be wasted).
    #[test]
    fn slots_equal_the_real_om_value_calls() {
        use crate::run::{RunSpec, RuntimeKind};
        use crate::traitor::NamedStrategy;
        use std::sync::Mutex;

        struct Count(Arc<Mutex<BTreeMap<GeneralId, u64>>>);
        impl Strategy for Count {
            fn value(
                &mut self,
                ctx: &mut TraitorCtx<'_>,
                _: GeneralId,
                _: &[GeneralId],
                honest: Value,
            ) -> Option<Value> {
                if let Ok(mut calls) = self.0.lock() {
                    *calls.entry(ctx.me).or_default() += 1;
                }
                Some(honest)
            }
        }
        for (n, m) in [(3, 1), (4, 1), (5, 2), (6, 2), (7, 3)] {
            for traitors in [vec![0], vec![1], vec![0, n as GeneralId - 1], vec![1, 2]] {
                let calls = Arc::new(Mutex::new(BTreeMap::new()));
                let shared = calls.clone();
                let mut spec = RunSpec::new(crate::algorithm::OM, n, 2).unwrap();
                spec.m = Some(m);
                spec.traitors = Some(traitors.clone());
                spec.strategy = NamedStrategy::custom("count", move || Count(shared.clone()));
                spec.runtime = RuntimeKind::Direct;
                crate::runtime::execute(&spec.validate().unwrap()).unwrap();
                let calls = calls.lock().unwrap();
                for &t in &traitors {
                    assert_eq!(
                        calls.get(&t).copied().unwrap_or(0),
                        om_slots(n, m, t),
                        "n={n} m={m} t={t}"
                    );
                }
            }
        }
    }

    #[test]
    fn choices_round_trip() {
        let mut c = Choices::new();
        c.insert(1, vec![0, 1, 2]);
        c.insert(3, vec![2]);
        assert_eq!(encode(&c), "1=012;3=2");
        assert_eq!(decode(&encode(&c)), Ok(c));
        assert!(decode("1=013").is_err());
        assert!(decode("x=0").is_err());
    }
}
