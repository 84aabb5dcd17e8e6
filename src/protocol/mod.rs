//! The paper's algorithms as pure state machines behind one trait.
//!
//! A [`Protocol`] is stepped by its host: at the start of each round it is
//! asked what it sends ([`Protocol::on_round`]) and it answers with data, the
//! sends; each message that arrives is handed to [`Protocol::on_message`],
//! which changes state and says what it took; at the end [`Protocol::decide`]
//! gives the decision. No actix, IO, clock or randomness in here, and nothing
//! here knows how a message becomes bytes: a [`Message`] describes itself
//! through the format-neutral [`codec`] traits, which `wire` implements.
//! `protocol` uses only `types` and `crypto`.
//!
//! Adding an algorithm means a new module here that implements [`Protocol`]
//! (and [`Message`] for its message type, or reuses one), plus its
//! registration, an [`crate::algorithm::Agreement`] (one file in
//! `algorithm/`, one line in its list of built-ins).

pub mod codec;
pub mod dolev_strong;
pub mod heartbeat;
pub mod majority;
pub mod mmr;
pub mod om;
pub mod om_graph;
pub mod phase_king;
pub mod ping;
pub mod rbc;
pub mod sm;

use crate::crypto::SignatureLedger;
use crate::types::{COMMANDER, Counters, GeneralId, Round, Value};
use std::fmt::Debug;
use std::sync::Arc;

pub use codec::{Sink, Source};

/// What one general sends another in one round: the content of one frame.
pub trait Message: Clone + Debug + Default + PartialEq + Send + Sync + 'static {
    /// Tag that tells this message type apart from the others on the wire.
    const KIND: u32;

    /// Whether the ground-truth audit must see every accepted message of this
    /// type, not only those the link altered (SM: every accepted chain is
    /// checked against the signature ledger).
    const AUDIT_ALWAYS: bool = false;

    /// Logical messages in it: what a run's `messages` counter counts (an OM
    /// value, an SM signed order). A message of count 0 is never sent.
    fn count(&self) -> u64;

    /// Writes the message through a format-neutral sink.
    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error>;

    /// Reads a message written by [`Message::write`]. Hostile input must give
    /// an error, never a panic, and allocate no more than the input can hold.
    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error>;

    /// Accounting against the run's ground truth, never protocol behaviour:
    /// of the items a receiver `took` from this message, whether any was not
    /// in what its true sender sent (`altered` is true when the link changed
    /// the frame or its sender; `sent` is then the original, if it decodes),
    /// and how many carry a signature nobody made (checked in `ledger`).
    ///
    /// The default, right for unsigned messages: an altered message that was
    /// taken at all counts as tampered and accepted.
    fn audit(&self, taken: &Taken, altered: bool, sent: Option<&Self>, ledger: &SignatureLedger) -> Findings {
        let _ = (sent, ledger);
        Findings {
            tampered_accepted: altered && !taken.is_nothing(),
            forgeries_accepted: 0,
        }
    }
}

/// What an audit found in one accepted message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// The receiver took an item its true sender did not send it.
    pub tampered_accepted: bool,
    /// Accepted items carrying a signature its signer never made.
    pub forgeries_accepted: u64,
}

/// What a receiver took from a message it did not refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Taken {
    /// Every item (OM stores every value of a frame).
    All,
    /// The items at these positions (SM: the orders it accepted into V).
    Items(Vec<usize>),
}

impl Taken {
    /// Nothing was taken (every item ignored or rejected).
    pub fn is_nothing(&self) -> bool {
        matches!(self, Taken::Items(v) if v.is_empty())
    }

    /// Whether the item at `index` was taken.
    pub fn contains(&self, index: usize) -> bool {
        match self {
            Taken::All => true,
            Taken::Items(v) => v.contains(&index),
        }
    }
}

/// One send: the receiver and the message. Shared, so that a general sending
/// the same message to several receivers builds (and encodes) it once.
#[derive(Clone, Debug, PartialEq)]
pub struct Dispatch<M> {
    /// Receiver.
    pub to: GeneralId,
    /// What it gets.
    pub msg: Arc<M>,
}

/// One logical message as a trace shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TraceMsg {
    /// OM: the path `0:...:sender`; SM: the chain's signers.
    pub path: Vec<GeneralId>,
    /// The value.
    pub value: Value,
}

/// Describes a message for a trace: given the round, the sender, the
/// receiver and the message, its logical messages. Cloned into each frame
/// of a traced run, so that a frame is described only when it goes on the
/// wire, and a round's frames in flight do not hold their descriptions at
/// once. The receiver describes with its own describer what it took (the
/// trace's receiver verdicts), so a describer must not assume the sender is
/// the general that made it.
pub type Describer<M> = Arc<dyn Fn(Round, GeneralId, GeneralId, &M) -> Vec<TraceMsg> + Send + Sync>;

/// Why a general decided what it decided, in its algorithm's own terms
/// (`byzlab run --explain`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Explanation {
    /// The rule it applied, in the paper's words.
    pub rule: String,
    /// What it decided.
    pub decision: Value,
    /// What the rule saw: OM, the votes of step 3 (each resolved from the
    /// votes below it); SM, the set V, each value with the chain of the
    /// order that brought it.
    pub votes: Vec<Vote>,
}

/// One value a decision rule saw.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Vote {
    /// OM: the path `0:j1:...`, the last its sender; SM: the chain's signers.
    pub path: Vec<GeneralId>,
    /// OM: the value received for this path (`None`: nothing arrived, read
    /// as RETREAT); SM: the value.
    pub received: Option<Value>,
    /// The value that counted: OM, the majority of `received` and of the
    /// votes below (OM(m - k) step 3); SM, the value.
    pub value: Value,
    /// OM: the votes this one was resolved from (empty at the tree's last level).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub below: Vec<Vote>,
}

/// One general running an agreement algorithm.
pub trait Protocol: 'static {
    /// What it sends another general in one round.
    type Msg: Message;
    /// Why it refused a whole message.
    type Reject: std::error::Error;

    /// This general's id.
    fn id(&self) -> GeneralId;

    /// Rounds the algorithm runs (m + 1 for OM(m) and SM(m), 2m + 3 for
    /// phase king).
    fn rounds(&self) -> Round;

    /// Every general this one may send to in `round`, ascending: the honest
    /// receivers, and the only ones a traitor's strategy may address.
    fn recipients(&self, round: Round) -> Vec<GeneralId>;

    /// The start of `round`: what this general sends, receivers ascending.
    /// A receiver that gets nothing has no entry.
    #[must_use]
    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Self::Msg>>;

    /// `msg` arrived from `from` in `round`: take what is valid.
    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Self::Msg) -> Result<Taken, Self::Reject>;

    /// The decision, once no more messages will come.
    fn decide(&self) -> Value;

    /// What tells, for traces, the logical messages inside a message this
    /// general sends (to `to` in `round`).
    fn describer(&self) -> Describer<Self::Msg>;

    /// Counters the state machine keeps itself (signatures, rejected orders).
    fn counters(&self) -> Counters {
        Counters::default()
    }

    /// Crash-recovery: the general comes back with its memory lost. What it
    /// had received is gone; it takes part again from the next frame on.
    fn reset(&mut self);

    /// The items of the last message [`Protocol::on_message`] took only in
    /// part that it did not take, by position, each with why (`ignored:
    /// ...` or `rejected: ...`): the trace's receiver verdicts. Asked only
    /// when a run is traced. An algorithm that takes every item of a
    /// message it accepts need not say anything.
    fn refusals(&self) -> Vec<(usize, String)> {
        Vec::new()
    }

    /// SM: the set V, in arrival order (Dolev-Strong: the values it
    /// extracted); `None` for algorithms without one.
    fn values(&self) -> Option<Vec<Value>> {
        None
    }

    /// Why it decided what it decided (`--explain`); `None` for an
    /// algorithm that does not say.
    fn explain(&self) -> Option<Explanation> {
        None
    }

    /// An asynchronous protocol (one whose registration says
    /// [`crate::algorithm::Agreement::asynchronous`]): what it sends in
    /// reaction to the messages it took since it was last asked, receivers
    /// ascending, at most one message per receiver. The host asks after
    /// every message it hands over; no round deadline ever passes. A
    /// lock-step protocol sends only at the start of a round (the default:
    /// nothing).
    #[must_use]
    fn outbox(&mut self) -> Vec<Dispatch<Self::Msg>> {
        Vec::new()
    }

    /// An asynchronous protocol: its decision once it has reached one,
    /// `None` until then (and for ever, if it never does). A lock-step
    /// protocol decides at its last deadline, when [`Protocol::decide`]
    /// is asked (the default: `None`, never asked).
    fn decided(&self) -> Option<Value> {
        None
    }

    /// An asynchronous protocol: the round (its own count) in which it
    /// decided, for the run's report.
    fn decided_round(&self) -> Option<Round> {
        None
    }
}

/// Who a general sends to in `round`, ascending, in both of the paper's
/// algorithms: the commander to every lieutenant in round 1 (step 1), a
/// lieutenant to every other lieutenant in rounds 2..=m+1 (step 2), nobody
/// otherwise.
pub fn recipients(n: usize, m: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
    let sends = if me == COMMANDER {
        round == 1
    } else {
        round >= 2 && round as usize <= m + 1
    };
    if !sends {
        return Vec::new();
    }
    (1..n as GeneralId).filter(|&g| g != me).collect()
}
