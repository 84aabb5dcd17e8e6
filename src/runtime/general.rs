//! What a runtime sees of a general, whatever its algorithm: the frames it
//! sends at the start of a round, what it does with a frame that arrives,
//! its report, and its reset after a crash. `node.rs` implements it for
//! every protocol state machine.

use super::GeneralReport;
use crate::protocol::{Taken, TraceMsg};
use crate::types::{Envelope, GeneralId, Round};
use std::sync::Arc;

/// A frame leaving a general.
#[derive(Clone)]
pub(crate) struct OutFrame {
    /// The round the frame belongs to (0 outside agreement rounds).
    pub(crate) round: Round,
    pub(crate) to: GeneralId,
    pub(crate) bytes: Arc<Vec<u8>>,
    /// Its logical messages, told when the frame goes on the wire of a
    /// traced run (`None` untraced).
    pub(crate) trace: Option<Described>,
}

/// The logical messages of one frame, described when asked.
pub type Described = Arc<dyn Fn() -> Vec<TraceMsg> + Send + Sync>;

/// A general as a runtime drives it, whatever its algorithm.
pub(crate) trait General {
    /// The start of `round`: the frames it sends, receivers ascending.
    fn on_round(&mut self, round: Round) -> Vec<OutFrame>;
    /// A frame arrived. Returns what the protocol took when the audit must
    /// see it (see `runtime::audit`); anything refused is counted here.
    fn accept(&mut self, env: &Envelope) -> Option<Taken>;
    /// An asynchronous protocol: the frames it sends in reaction to what
    /// it took since last asked (see `Protocol::outbox`).
    fn drain(&mut self) -> Vec<OutFrame>;
    /// An asynchronous protocol has decided (see `Protocol::decided`).
    fn decided(&self) -> bool;
    /// The general's final state.
    fn report(&self) -> GeneralReport;
    /// It comes back from a crash with its memory lost.
    fn reset(&mut self);
    /// In a traced run: what it did with the frame it was last handed by
    /// `accept` (taken, ignored or rejected and why), once.
    fn verdict(&mut self) -> Option<String> {
        None
    }
    /// Whether it says what it did with each frame (a trace that shows
    /// verdicts).
    fn judging(&self) -> bool {
        false
    }
    /// Makes it say (or not) what it did with each frame.
    fn set_judging(&mut self, on: bool) {
        let _ = on;
    }
}
