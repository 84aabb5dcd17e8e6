//! `shrunk`: a strategy kept to some of its deviations, the rest restored
//! to honest. What `byzlab shrink` searches over and what a shrunk witness
//! replays.
//!
//! A *deviation* is one call of a [`Strategy`] hook whose answer differs
//! from the honest one: a value sent other than the honest value or
//! withheld ([`Strategy::value`]), a round's signed orders to one receiver
//! changed, dropped, forged or added to ([`Strategy::orders`]), a frame's
//! bytes rewritten ([`Strategy::frame`]). It is named by where it happens,
//! never by what the strategy drew: the traitor, the hook, the round, the
//! receiver, and which call of that hook for that round and receiver it was
//! (OM asks once per relayed path). [`Masked`] runs the base strategy as it
//! is, every hook called as before so that its own random draws and state
//! stay the same, and answers honestly at every place that is not kept.
//! With [`Keep::All`] and a log it records every deviation the base makes.
//! [`MaskedAdversary`] does the same for an `arbitrary` link's adversary:
//! each frame it altered is a deviation too ([`Hook::Link`]).

use super::{Strategy, TraitorCtx};
use crate::link::adversary::{Adversary, AdversaryCtx};
use crate::link::{Carried, LinkAction};
use crate::protocol::sm::SignedOrder;
use crate::types::Envelope;
use crate::types::{Algorithm, GeneralId, Round, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Which hook a deviation went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    /// An unsigned value (OM, phase king, ...).
    Value,
    /// A round's signed orders to one receiver (SM, Dolev-Strong).
    Orders,
    /// A frame's bytes.
    Frame,
    /// What an `arbitrary` link's adversary did to a frame on the wire
    /// (dropped, bits flipped, sender spoofed, an old frame replayed, ...).
    Link,
}

/// Where a deviation happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    /// The traitor (for a [`Hook::Link`] deviation: the frame's true
    /// sender, loyal or not).
    pub traitor: GeneralId,
    /// The round (1 = the commander's).
    pub round: Round,
    /// The receiver.
    pub to: GeneralId,
    /// The hook.
    pub hook: Hook,
    /// Which call of this hook for this round and receiver (from 0).
    pub call: u32,
}

/// One deviation: its place and what happened there, readably.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deviation {
    /// Where.
    #[serde(flatten)]
    pub place: Place,
    /// What the traitor did, against what an honest general would have
    /// (for people; a replay reads only the place).
    #[serde(default)]
    pub what: String,
    /// For a value: the path it stands for (OM) or the sender (others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<GeneralId>,
    /// For a value: what was sent (`None` = withheld).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<Option<Value>>,
}

impl std::fmt::Display for Deviation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.place;
        if p.hook == Hook::Link {
            return write!(f, "link {} -> {} round {}: {}", p.traitor, p.to, p.round, self.what);
        }
        write!(f, "traitor {} round {} to {}: {}", p.traitor, p.round, p.to, self.what)
    }
}

/// Which deviations a [`Masked`] strategy keeps.
#[derive(Clone, Debug)]
pub enum Keep {
    /// Every one (the base strategy as it is).
    All,
    /// Only these.
    Only(Arc<BTreeSet<Place>>),
}

impl Keep {
    fn keeps(&self, place: &Place) -> bool {
        match self {
            Keep::All => true,
            Keep::Only(set) => set.contains(place),
        }
    }
}

/// Shared list the deviations of a run are written to.
pub type Log = Arc<Mutex<Vec<Deviation>>>;

/// A base strategy, kept to some of its deviations.
pub struct Masked {
    base: Box<dyn Strategy>,
    keep: Keep,
    log: Option<Log>,
    calls: BTreeMap<(Hook, Round, GeneralId), u32>,
}

impl Masked {
    /// `base`, keeping what `keep` says, each kept deviation written to
    /// `log` if given.
    pub fn new(base: Box<dyn Strategy>, keep: Keep, log: Option<Log>) -> Masked {
        Masked {
            base,
            keep,
            log,
            calls: BTreeMap::new(),
        }
    }

    fn place(&mut self, ctx: &TraitorCtx<'_>, hook: Hook, to: GeneralId) -> Place {
        let next = self.calls.entry((hook, ctx.round, to)).or_default();
        let call = *next;
        *next += 1;
        Place {
            traitor: ctx.me,
            round: ctx.round,
            to,
            hook,
            call,
        }
    }

    /// Whether the deviation at `place` stays; if so it is logged.
    fn kept(&self, place: Place, what: impl FnOnce() -> Deviation) -> bool {
        kept(&self.keep, self.log.as_ref(), place, what)
    }
}

/// Whether `keep` keeps the deviation at `place`; if so it goes to `log`.
fn kept(keep: &Keep, log: Option<&Log>, place: Place, what: impl FnOnce() -> Deviation) -> bool {
    if !keep.keeps(&place) {
        return false;
    }
    if let Some(log) = log
        && let Ok(mut log) = log.lock()
    {
        log.push(what());
    }
    true
}

/// A link adversary kept to some of its alterations, the rest undone (the
/// frame delivered as it was sent): what lets `byzlab shrink` count and
/// shrink what an `arbitrary` link did, beside what the traitors did. The
/// base adversary is called on every frame as before, so the link's random
/// draws stay the same; a place is the frame's true sender, receiver,
/// round and which frame of that (sender, receiver, round) the adversary
/// was handed.
pub struct MaskedAdversary {
    base: Box<dyn Adversary>,
    keep: Keep,
    log: Option<Log>,
    calls: BTreeMap<(Round, GeneralId, GeneralId), u32>,
}

impl MaskedAdversary {
    /// `base`, keeping what `keep` says, each kept alteration written to
    /// `log` if given.
    pub fn new(base: Box<dyn Adversary>, keep: Keep, log: Option<Log>) -> MaskedAdversary {
        MaskedAdversary {
            base,
            keep,
            log,
            calls: BTreeMap::new(),
        }
    }
}

/// What an adversary's output did to a frame, for people.
fn alteration(out: &[Carried]) -> String {
    if out.is_empty() {
        return "swallowed the frame".into();
    }
    out.iter()
        .map(|c| match c.action {
            LinkAction::Dropped | LinkAction::Lost | LinkAction::TailDrop => "dropped the frame".to_string(),
            LinkAction::Tampered => "changed the frame's bytes".to_string(),
            LinkAction::Spoofed => format!("delivered it as sent by {}", c.env.from),
            LinkAction::Replayed => format!("replayed an old frame of {}'s", c.env.from),
            LinkAction::Duplicated => "delivered a copy".to_string(),
            LinkAction::Delivered => "delivered it".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Adversary for MaskedAdversary {
    fn name(&self) -> &'static str {
        self.base.name()
    }

    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        let (from, to, round) = (env.from, env.to, env.round);
        let next = self.calls.entry((round, from, to)).or_default();
        let call = *next;
        *next += 1;
        let honest = env.clone();
        let mut got = Vec::new();
        self.base.intercept(ctx, env, &mut got);
        let untouched = got.len() == 1 && got[0].action == LinkAction::Delivered && got[0].env == honest;
        if untouched {
            out.append(&mut got);
            return;
        }
        let place = Place {
            traitor: from,
            round,
            to,
            hook: Hook::Link,
            call,
        };
        let keep = kept(&self.keep, self.log.as_ref(), place, || Deviation {
            place,
            what: alteration(&got),
            path: Vec::new(),
            sent: None,
        });
        if keep {
            out.append(&mut got);
        } else {
            out.push(Carried {
                env: honest,
                action: LinkAction::Delivered,
            });
        }
    }
}

fn value_name(v: Option<Value>) -> &'static str {
    match v {
        Some(Value::Attack) => "attack",
        Some(Value::Retreat) => "retreat",
        None => "nothing",
    }
}

/// An order as `attack:0:2` (value, then its signers).
pub fn order_text(o: &SignedOrder) -> String {
    let mut s = value_name(Some(o.value)).to_string();
    for link in &o.chain {
        s.push_str(&format!(":{}", link.signer));
    }
    s
}

fn orders_text(orders: &[SignedOrder]) -> String {
    if orders.is_empty() {
        return "nothing".into();
    }
    orders.iter().map(order_text).collect::<Vec<_>>().join(", ")
}

impl Strategy for Masked {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, path: &[GeneralId], honest: Value) -> Option<Value> {
        let sent = self.base.value(ctx, to, path, honest);
        let place = self.place(ctx, Hook::Value, to);
        if sent == Some(honest) {
            return sent;
        }
        let kept = self.kept(place, || {
            let via: Vec<String> = path.iter().map(|g| g.to_string()).collect();
            Deviation {
                place,
                what: format!(
                    "sent {} for {} instead of {}",
                    value_name(sent),
                    via.join(":"),
                    value_name(Some(honest))
                ),
                path: path.to_vec(),
                sent: Some(sent),
            }
        });
        if kept { sent } else { Some(honest) }
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let honest = orders.clone();
        self.base.orders(ctx, to, orders);
        let place = self.place(ctx, Hook::Orders, to);
        if *orders == honest {
            return;
        }
        let sent = orders.clone();
        let kept = self.kept(place, || Deviation {
            place,
            what: format!("sent {} instead of {}", orders_text(&sent), orders_text(&honest)),
            path: Vec::new(),
            sent: None,
        });
        if !kept {
            *orders = honest;
        }
    }

    fn observe_order(&mut self, round: Round, from: GeneralId, order: &SignedOrder) {
        self.base.observe_order(round, from, order);
    }

    fn frame(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, bytes: &mut Arc<Vec<u8>>) {
        let honest = bytes.clone();
        self.base.frame(ctx, to, bytes);
        let place = self.place(ctx, Hook::Frame, to);
        if Arc::ptr_eq(&honest, bytes) || honest == *bytes {
            return;
        }
        let len = bytes.len();
        let kept = self.kept(place, || Deviation {
            place,
            what: format!("rewrote the frame: {len} bytes instead of the {} encoded", honest.len()),
            path: Vec::new(),
            sent: None,
        });
        if !kept {
            *bytes = honest;
        }
    }

    fn applies_to(&self, algorithm: Algorithm) -> Result<(), String> {
        self.base.applies_to(algorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{RunSpec, RuntimeKind};
    use crate::traitor::NamedStrategy;

    fn run(keep: Keep, log: Option<Log>) -> crate::types::Outcome {
        let mut spec = RunSpec::new(crate::algorithm::OM, 4, 1).unwrap();
        spec.traitors = Some(vec![0]);
        spec.runtime = RuntimeKind::Direct;
        spec.strategy = NamedStrategy::custom("masked-flip", move || {
            Masked::new(Box::new(crate::traitor::flip::Flip), keep.clone(), log.clone())
        });
        crate::runtime::execute(&spec.validate().unwrap()).unwrap().outcome
    }

    #[test]
    fn all_is_the_base_and_nothing_kept_is_honest() {
        let log: Log = Arc::default();
        let o = run(Keep::All, Some(log.clone()));
        let log = log.lock().unwrap();
        // A flipping commander: three orders, each the opposite of ATTACK.
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log.iter().all(|d| d.sent == Some(Some(Value::Retreat))));
        assert_eq!(
            o.commander_sent
                .values()
                .flatten()
                .filter(|&&v| v == Value::Retreat)
                .count(),
            3
        );
        let honest = run(Keep::Only(Arc::default()), None);
        assert!(honest.commander_sent.values().flatten().all(|&v| v == Value::Attack));
        // Keeping one: only that receiver hears RETREAT.
        let one: BTreeSet<Place> = [log[1].place].into();
        let o = run(Keep::Only(Arc::new(one)), None);
        let lied: Vec<_> = o
            .commander_sent
            .iter()
            .filter(|(_, v)| v.contains(&Value::Retreat))
            .map(|(g, _)| *g)
            .collect();
        assert_eq!(lied, vec![log[1].place.to]);
    }
}
