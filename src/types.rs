//! Plain values shared by every layer: general ids, orders, algorithms and the
//! outcome of a run.
//!
//! Vocabulary follows Lamport, Shostak and Pease (1982): general 0 is the
//! commander, generals `1..n` are lieutenants, an order is ATTACK or RETREAT,
//! and RETREAT is the default order used wherever a value is missing (A3).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Index of a general; 0 is always the commander.
pub type GeneralId = u16;

/// A synchronous round, counted from 1 (the commander's round).
pub type Round = u32;

/// The commander, general 0 in the paper.
pub const COMMANDER: GeneralId = 0;

/// An order. The paper's default order, used for absent or tied values, is
/// [`Value::Retreat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    /// The default order (paper, OM(m) and A3).
    Retreat = 0,
    /// The other order.
    Attack = 1,
}

impl Value {
    /// Both values, RETREAT first.
    pub const ALL: [Value; 2] = [Value::Retreat, Value::Attack];

    /// The opposite order.
    #[must_use]
    pub fn flip(self) -> Value {
        match self {
            Value::Retreat => Value::Attack,
            Value::Attack => Value::Retreat,
        }
    }

    /// Lower-case name, as used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Value::Retreat => "retreat",
            Value::Attack => "attack",
        }
    }

    /// The byte used on the wire (0 = RETREAT, 1 = ATTACK).
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// The value for a wire byte, `None` for anything but 0 or 1.
    pub fn from_byte(b: u8) -> Option<Value> {
        match b {
            0 => Some(Value::Retreat),
            1 => Some(Value::Attack),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::names::UnknownName;

impl FromStr for Value {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "attack" | "a" => Ok(Value::Attack),
            "retreat" | "r" => Ok(Value::Retreat),
            other => Err(UnknownName {
                kind: "value",
                got: other.to_string(),
                expected: "attack or retreat",
            }),
        }
    }
}

pub use crate::algorithm::Algorithm;

/// A frame on the wire: who it claims to come from, who it is for, and its
/// bytes. On an authenticated link `from` is stamped by the network (A2); on an
/// arbitrary link the adversary may change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Round in which the frame travels.
    pub round: Round,
    /// Sender as the receiver will see it.
    pub from: GeneralId,
    /// Receiver.
    pub to: GeneralId,
    /// Encoded frame (see the `wire` module). Shared, so one encoding can go
    /// to several receivers without a copy; a link that changes it copies.
    pub bytes: Arc<Vec<u8>>,
    /// Ground truth for accounting only, present when the link changed this
    /// frame's bytes or its sender: who really sent it, and what. No general's
    /// behaviour depends on it.
    pub original: Option<Box<Original>>,
    /// Link-layer header, when a `stubborn` or `dedup` layer numbers
    /// frames (boxed: most runs have none, and envelopes are many).
    pub link: Option<Box<LinkHeader>>,
}

/// What link layers add to a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkHeader {
    /// The frame's sequence number from its sender to its receiver.
    pub seq: u64,
    /// This is an acknowledgement of frame `seq`, not a frame for a general.
    pub ack: bool,
}

/// What a frame was before the link altered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Original {
    /// The true sender.
    pub from: GeneralId,
    /// The bytes it sent.
    pub bytes: Arc<Vec<u8>>,
}

/// Declares [`Counters`] from one table: each entry's name is its field, its
/// JSON key and its CSV column, and its doc line is its description, so a new
/// counter is one line here. The second part holds the finite network's
/// counters (queues, windows): runs.csv has their columns only when a plan
/// has a finite network, and each says how two values combine (`sum`, or
/// `max` for a maximum).
macro_rules! counters {
    ($($(#[doc = $doc:literal])+ $name:ident,)+ ; finite: $($(#[doc = $fdoc:literal])+ $fname:ident: $comb:ident,)+) => {
        /// Counters a run accumulates; summed over all generals and the
        /// network. Declared once, in the table in `types.rs`.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct Counters {
            $($(#[doc = $doc])+ pub $name: u64,)+
            $($(#[doc = $fdoc])+ pub $fname: u64,)+
        }

        impl Counters {
            /// Every counter's name, in table order: JSON keys and CSV columns.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)+ $(stringify!($fname)),+];

            /// The finite network's counters: the last of [`Counters::NAMES`].
            pub const FINITE: &'static [&'static str] = &[$(stringify!($fname)),+];

            /// Every counter's description, in table order.
            pub const DOCS: &'static [&'static str] = &[$(concat!($($doc),+),)+ $(concat!($($fdoc),+)),+];

            /// Every counter's value, in table order.
            pub fn values(&self) -> Vec<u64> {
                vec![$(self.$name,)+ $(self.$fname),+]
            }

            /// Sets the counter called `name`; false if there is none.
            pub fn set(&mut self, name: &str, value: u64) -> bool {
                match name {
                    $(stringify!($name) => self.$name = value,)+
                    $(stringify!($fname) => self.$fname = value,)+
                    _ => return false,
                }
                true
            }

            /// Adds `other` into `self` (a maximum stays a maximum).
            pub fn add(&mut self, other: &Counters) {
                $(self.$name += other.$name;)+
                $(self.$fname = $comb(self.$fname, other.$fname);)+
            }
        }
    };
}

counters! {
    /// Logical messages sent by generals (an OM value or an SM signed order).
    messages,
    /// Frames handed to the network.
    frames,
    /// Bytes of all frames handed to the network.
    bytes,
    /// Signatures made (SM).
    signatures_made,
    /// Signature checks actually performed (SM; cache hits excluded).
    signatures_verified,
    /// Signature checks answered from the verify cache (SM).
    verify_cache_hits,
    /// Frames the link stack put on the wire: first sends, retransmissions and acknowledgements.
    frames_sent,
    /// Frames a fair-loss channel lost.
    frames_dropped,
    /// Extra copies a fair-loss channel made.
    frames_duplicated,
    /// Frames a stubborn layer sent again, unacknowledged after its timeout.
    retransmissions,
    /// Acknowledgements a stubborn layer sent.
    acks,
    /// Copies a dedup layer discarded, the frame having been delivered already.
    duplicates_discarded,
    /// Frames a receiver took (decoded and not refused by its protocol).
    frames_accepted,
    /// Frames that arrived after their round's deadline, ignored as absent (A3).
    late_frames,
    /// Frames a receiver discarded: undecodable, oversized, wrong round or wrong shape.
    frames_rejected,
    /// Signed orders dropped by a receiver: malformed chain or bad signature (SM).
    orders_rejected,
    /// Signed orders ignored because their value was already in V (SM).
    orders_ignored,
    /// Frames the link dropped.
    link_dropped,
    /// Frames the link altered (bytes changed or sender claimed falsely).
    link_tampered,
    /// Frames the link added (replays and injections).
    link_injected,
    /// Tampered or spoofed frames from which a receiver took a value the true sender did not send it.
    tampered_accepted,
    /// Accepted SM orders carrying a signature its signer never made (checked against the run's signature ledger).
    forgeries_accepted,
    ; finite:
    /// Frames dropped at a full queue: a `capacity` layer's or the bottleneck's (tail drop).
    queue_drops: sum,
    /// The largest backlog any queue had, in frames.
    max_queue: max,
    /// The longest any frame waited in a queue, in virtual ms.
    queue_delay_max_ms: max,
    /// The largest congestion window of any link of an `aimd` layer, in whole frames.
    cwnd_max: max,
    /// Times an `aimd` layer halved a window, on a retransmission timeout.
    cwnd_halvings: sum,
    /// Background frames a `load` layer sent.
    background_sent: sum,
    /// Background frames that arrived within their round, counted once each.
    background_delivered: sum,
}

/// How two counts of one counter combine: summed.
fn sum(a: u64, b: u64) -> u64 {
    a + b
}

/// How two maxima combine.
fn max(a: u64, b: u64) -> u64 {
    a.max(b)
}

fn complete_graph() -> String {
    "complete".into()
}

/// What a run decided, and whether the interactive consistency conditions held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Algorithm run.
    pub algorithm: Algorithm,
    /// Number of generals.
    pub n: usize,
    /// Traitors the run was configured to tolerate.
    pub f: usize,
    /// Rounds of relaying parameter m of OM(m) / SM(m).
    pub m: usize,
    /// Traitor ids, ascending.
    pub traitors: Vec<GeneralId>,
    /// Whether the commander is loyal.
    pub commander_loyal: bool,
    /// The commander's order (what a loyal commander sends).
    pub value: Value,
    /// With a traitor commander: what it really sent each lieutenant in
    /// round 1 (an empty list: nothing). Absent with a loyal commander.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commander_sent: BTreeMap<GeneralId, Vec<Value>>,
    /// Traitor strategy name.
    pub strategy: String,
    /// Link model name.
    pub link: String,
    /// The bottleneck every frame crossed, as RATE/QUEUE (empty: none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bottleneck: String,
    /// Runtime that executed the run.
    pub runtime: String,
    /// SM's signature scheme, when not ed25519 (`ideal`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signatures: String,
    /// Decision of every loyal lieutenant, keyed by id.
    pub decisions: BTreeMap<GeneralId, Value>,
    /// IC1: all loyal lieutenants decide alike.
    pub agreement: bool,
    /// IC2: with a loyal commander, every loyal lieutenant decides its order
    /// (vacuously true with a traitor commander).
    pub validity: bool,
    /// An asynchronous algorithm: the loyal lieutenants that had not
    /// decided when the run ended (nothing left to happen, or its budget
    /// spent). IC1 and IC2 are checked over those that decided; a
    /// lock-step algorithm always decides at its last deadline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undecided: Vec<GeneralId>,
    /// Who chose each frame's delay within what the timing model allows
    /// (`--scheduler`); absent for `random`, the seeded draws.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scheduler: String,
    /// An asynchronous algorithm: the virtual time after which the run
    /// stopped, decided or not (`--budget`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_ms: Option<u64>,
    /// Rounds run (m + 1; under OM(m, p) on a graph, m + the longest path;
    /// an asynchronous algorithm: the last round in which a loyal
    /// lieutenant decided).
    pub rounds: u32,
    /// The communication graph (section 5): `complete`, `ring`,
    /// `regular:P` or `file:NAME`.
    #[serde(default = "complete_graph")]
    pub graph: String,
    /// The timing model.
    pub timing: crate::timing::TimingModel,
    /// The delay bound delta, in virtual ms.
    pub delta_ms: u64,
    /// Global stabilisation time (partial synchrony), in virtual ms.
    pub gst_ms: u64,
    /// How long each general waited for each round, in virtual ms.
    pub timeout_ms: u64,
    /// Virtual time at which the last loyal lieutenant decided, in ms.
    pub decision_time_ms: u64,
    /// Generals that failed benignly, as `ID:FAULT` (`3:crash@0`); IC1 and
    /// IC2 are checked over the generals that neither failed nor betrayed.
    pub failed: Vec<String>,
    /// All counters of the run (in JSON, one field each).
    #[serde(flatten)]
    pub counters: Counters,
    /// Seed of the run.
    pub seed: u64,
}

/// IC1 and IC2 for a set of loyal decisions (paper, section 1).
pub fn check_conditions(decisions: &BTreeMap<GeneralId, Value>, commander_loyal: bool, order: Value) -> (bool, bool) {
    let mut values = decisions.values();
    let agreement = match values.next() {
        None => true,
        Some(first) => values.all(|v| v == first),
    };
    let validity = !commander_loyal || decisions.values().all(|v| *v == order);
    (agreement, validity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_table() {
        let a = Value::Attack;
        let r = Value::Retreat;
        type Case<'a> = (&'a [Value], bool, Value, (bool, bool));
        let cases: &[Case] = &[
            (&[a, a], true, a, (true, true)),
            (&[a, r], true, a, (false, false)),
            (&[r, r], true, a, (true, false)),
            (&[r, r], false, a, (true, true)),
            (&[a, r], false, a, (false, true)),
            (&[], true, a, (true, true)),
        ];
        for (vals, loyal, order, want) in cases {
            let d: BTreeMap<GeneralId, Value> =
                vals.iter().enumerate().map(|(i, v)| (i as GeneralId + 1, *v)).collect();
            assert_eq!(check_conditions(&d, *loyal, *order), *want, "{vals:?} {loyal}");
        }
    }

    #[test]
    fn counter_table_names_every_field() {
        let mut c = Counters::default();
        for (i, name) in Counters::NAMES.iter().enumerate() {
            assert!(c.set(name, i as u64 + 1), "{name}");
        }
        assert!(!c.set("no_such_counter", 1));
        assert_eq!(c.values(), (1..=Counters::NAMES.len() as u64).collect::<Vec<_>>());
        let json = serde_json::to_value(c).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, Counters::NAMES, "JSON keys are the table, in order");
        assert_eq!(Counters::DOCS.len(), Counters::NAMES.len());
        // Counts add up; maxima stay maxima.
        let maxima = ["max_queue", "queue_delay_max_ms", "cwnd_max"];
        let mut sum = c;
        sum.add(&c);
        let want: Vec<u64> = Counters::NAMES
            .iter()
            .zip(c.values())
            .map(|(name, v)| if maxima.contains(name) { v } else { 2 * v })
            .collect();
        assert_eq!(sum.values(), want);
        assert_eq!(Counters::FINITE, &Counters::NAMES[Counters::NAMES.len() - 7..]);
    }

    #[test]
    fn value_round_trips() {
        for v in Value::ALL {
            assert_eq!(Value::from_byte(v.to_byte()), Some(v));
            assert_eq!(v.as_str().parse::<Value>(), Ok(v));
            assert_eq!(v.flip().flip(), v);
        }
        assert_eq!(Value::from_byte(2), None);
        assert!("maybe".parse::<Value>().is_err());
    }
}
