//! The link stack: layers as objects, composed in the order written,
//! bottom first (the lecture's layering: each layer builds a better link
//! out of the one below it).
//!
//! A frame a general sends goes down through every layer, top to bottom,
//! then onto the channel; a frame that arrives goes up through every layer,
//! bottom to top, then to the general. A layer may pass a frame on, keep
//! it (a window holding it back), drop it, or send frames of its own (an
//! acknowledgement, a retransmission, a frame it held): those go down
//! through every layer *below* it, never through itself or those above, so
//! `auth` below `stubborn` tags and checks acknowledgements too. A layer
//! may set timers of its own and tell the layers above it what happened to
//! a frame below ([`Signal`]: acknowledged, timed out, given up), which is
//! how `aimd` learns of `stubborn`'s acknowledgements.
//!
//! The network runs the stack (`runtime::network`); a layer never sees a
//! general or the clock, only [`Cx`]. Its counters are its own, added into
//! the run's at the end ([`LinkLayer::report`]).
//!
//! One header is shared by the layers ([`crate::types::LinkHeader`]): the
//! highest layer that numbers frames (`dedup` or `stubborn`) gives a frame
//! its sequence number, and the layers below it use that number.

use crate::runtime::Described;
use crate::timing::{Millis, Timing};
use crate::types::{Counters, Envelope, GeneralId, Round};

/// A frame on its way through the stack.
#[derive(Clone)]
pub struct Frame {
    /// The frame.
    pub env: Envelope,
    /// Which transmission this is (0: the first; a `stubborn` layer's
    /// retransmissions count up).
    pub attempt: u32,
    /// Virtual ms the frame waits in a sender's queue before it goes on the
    /// wire (a `capacity` layer's queueing delay; 0 for most frames).
    pub hold: Millis,
    /// Its logical messages, for the trace (`None` untraced, and for a
    /// layer's own frames).
    pub(crate) trace: Option<Described>,
}

impl Frame {
    /// A layer's own frame (an acknowledgement): first try, not traced.
    pub fn own(env: Envelope) -> Frame {
        Frame {
            env,
            attempt: 0,
            hold: 0,
            trace: None,
        }
    }
}

/// A timer a layer set: which link it is about, and the layer's own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerTimer {
    /// Sender of the link the timer is about.
    pub from: GeneralId,
    /// Receiver.
    pub to: GeneralId,
    /// The layer's key (a sequence number, for `stubborn`).
    pub key: u64,
}

/// What a layer tells the layers above it about a frame it carries for
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Frame `seq` from `from` to `to` was acknowledged (the first time).
    Acked {
        /// Sender.
        from: GeneralId,
        /// Receiver.
        to: GeneralId,
        /// Sequence number.
        seq: u64,
    },
    /// Frame `seq` went unacknowledged for a retransmission timeout.
    Timeout {
        /// Sender.
        from: GeneralId,
        /// Receiver.
        to: GeneralId,
        /// Sequence number.
        seq: u64,
    },
    /// The layer stopped resending frame `seq` (its round is over).
    GaveUp {
        /// Sender.
        from: GeneralId,
        /// Receiver.
        to: GeneralId,
        /// Sequence number.
        seq: u64,
    },
}

/// A series a layer records over virtual time (an `aimd` window).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Series {
    /// What it is, e.g. `cwnd 0->1`.
    pub name: String,
    /// (virtual ms, value), in time order.
    pub points: Vec<(Millis, f64)>,
}

/// What a layer did at one step, for the network to carry out in order:
/// timers first, then signals to the layers above, then its own frames.
#[derive(Default)]
pub(crate) struct Effects {
    pub(crate) timers: Vec<(Millis, LayerTimer)>,
    pub(crate) signals: Vec<Signal>,
    pub(crate) sends: Vec<Frame>,
    pub(crate) discards: Vec<Frame>,
}

impl Effects {
    pub(crate) fn is_empty(&self) -> bool {
        self.timers.is_empty() && self.signals.is_empty() && self.sends.is_empty() && self.discards.is_empty()
    }
}

/// What a layer may use at a step: the time, the rounds' deadlines, and
/// the network's hands (timers, frames of its own, signals upward).
pub struct Cx<'a> {
    /// Virtual time now, in ms.
    pub now: Millis,
    pub(crate) deadlines: Option<Timing>,
    pub(crate) fx: &'a mut Effects,
}

impl Cx<'_> {
    /// The deadline of `round` (frames after it are late, A3), or
    /// `Millis::MAX` outside agreement rounds.
    pub fn deadline(&self, round: Round) -> Millis {
        self.deadlines.map_or(Millis::MAX, |t| t.deadline(round))
    }

    /// Sends `frame` down through the layers below this one (an
    /// acknowledgement, a retransmission, a frame it held back).
    pub fn send(&mut self, frame: Frame) {
        self.fx.sends.push(frame);
    }

    /// Calls this layer's [`LinkLayer::timer`] at `at` with `timer`.
    pub fn set_timer(&mut self, at: Millis, timer: LayerTimer) {
        self.fx.timers.push((at, timer));
    }

    /// Tells the layers above this one.
    pub fn signal(&mut self, signal: Signal) {
        self.fx.signals.push(signal);
    }

    /// Drops `frame` for good, shown in the trace as a tail drop (a full
    /// queue).
    pub fn discard(&mut self, frame: Frame) {
        self.fx.discards.push(frame);
    }
}

/// One layer of a link stack. Every method has a harmless default: a layer
/// that only watches passes frames on.
pub trait LinkLayer: Send {
    /// A frame going down, from the general or a layer above. Return it to
    /// pass it on to the layer below; `None` when the layer keeps it (held
    /// back, to be sent later with [`Cx::send`]) or drops it.
    fn down(&mut self, cx: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        let _ = cx;
        Some(frame)
    }
    /// A frame coming up from the layer below. Return it to pass it on to
    /// the layer above (the top layer's goes to the general); `None` when
    /// the layer consumes it (its own acknowledgement) or rejects it.
    fn up(&mut self, cx: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        let _ = cx;
        Some(frame)
    }
    /// A timer this layer set fires.
    fn timer(&mut self, cx: &mut Cx<'_>, timer: LayerTimer) {
        let _ = (cx, timer);
    }
    /// A layer below tells what happened to a frame.
    fn signal(&mut self, cx: &mut Cx<'_>, signal: Signal) {
        let _ = (cx, signal);
    }
    /// At the end of the run: adds the counters this layer owns, and any
    /// series it recorded.
    fn report(&self, counters: &mut Counters, series: &mut Vec<Series>) {
        let _ = (counters, series);
    }
}

/// What a layer is built from for one run.
#[derive(Clone, Copy, Debug)]
pub struct LayerBuild<'a> {
    /// The layer's parameters as written after `NAME:` (`None`: none).
    pub params: Option<&'a str>,
    /// The run's seed (a layer draws from its own stream of it).
    pub seed: u64,
    /// Number of generals.
    pub n: usize,
    /// The link whose series to record (`--cwnd FROM:TO`), if any.
    pub watch: Option<(GeneralId, GeneralId)>,
}

/// Where a layer must sit relative to another, with the reason a stack
/// that breaks it is refused.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// If both are in the stack, this layer goes above `0`.
    Above(&'static str, &'static str),
    /// If both are in the stack, this layer goes below `0`.
    Below(&'static str, &'static str),
    /// `0` must be in the stack, below this layer.
    Needs(&'static str, &'static str),
}

/// Builds a layer from its parameters (an error says what is wrong with
/// them, in one sentence).
pub type LayerFactory = std::sync::Arc<dyn Fn(&LayerBuild<'_>) -> Result<Box<dyn LinkLayer>, String> + Send + Sync>;

/// A kind of layer, as registered: its grammar, its order rules and its
/// factory.
#[derive(Clone)]
pub struct LayerKind {
    /// Its grammar in a link string, e.g. `capacity:RATE/QUEUE`.
    pub syntax: String,
    /// Where it must sit.
    pub rules: Vec<Rule>,
    /// Builds it for a run.
    pub make: LayerFactory,
}

/// Layer kinds by name: the built-in layers and whatever a user registers
/// (`Registry::with_layer`).
pub type Layers = crate::names::Table<LayerKind>;

/// The built-in layers.
pub fn builtins() -> Layers {
    use crate::names::Entry;
    let entry = |name: &str, about: &str, kind: LayerKind| Entry::new(name, about, true, kind);
    Layers::new(vec![
        entry("stubborn", super::stubborn::ABOUT, super::stubborn::kind()),
        entry("dedup", super::dedup::ABOUT, super::dedup::kind()),
        entry("auth", super::auth::ABOUT, super::auth::kind()),
        entry("capacity", super::capacity::ABOUT, super::capacity::kind()),
        entry("aimd", super::aimd::ABOUT, super::aimd::kind()),
        entry("load", super::load::ABOUT, super::load::kind()),
    ])
}

/// Checks the order of a stack's layers (names, bottom first, the channel
/// left out) against every layer's rules: the first rule broken, as a
/// sentence.
pub fn check_order(layers: &Layers, names: &[&str]) -> Result<(), String> {
    let at = |name: &str| names.iter().position(|n| *n == name);
    for (i, name) in names.iter().enumerate() {
        let Some(entry) = layers.get(name) else { continue };
        for rule in &entry.make().rules {
            match *rule {
                Rule::Above(other, why) if at(other).is_some_and(|j| j > i) => {
                    return Err(format!("{name} goes above {other}, {why}"));
                }
                Rule::Below(other, why) if at(other).is_some_and(|j| j < i) => {
                    return Err(format!("{name} goes below {other}, {why}"));
                }
                Rule::Needs(other, why) if at(other).is_none_or(|j| j >= i) => {
                    return Err(format!("{name} needs {other} below it, {why}"));
                }
                _ => {}
            }
        }
    }
    Ok(())
}
