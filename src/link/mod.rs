//! Link models, chosen in configuration.
//!
//! A link takes each frame a general hands to the network and says what
//! arrives: the frame as sent, nothing, a changed frame, a frame under another
//! sender's name, or extra frames. The algorithms never see which link is in
//! force; they only see what arrives.
//!
//! * [`authenticated`]: A1 and A2 hold, every frame arrives intact and the
//!   network stamps the true sender.
//! * [`arbitrary`]: an adversary on a fraction of the frames may drop them,
//!   change their bytes, claim another sender, or replay old frames. The
//!   adversary is pluggable like a traitor ([`adversary`]).
//! * [`fair_loss`]: each frame is lost with probability `loss` and
//!   duplicated with probability `dup`; a frame sent again and again is
//!   eventually delivered.
//!
//! On a channel other than `authenticated`, layers build what the lecture
//! builds, a stack of objects (one file each, one trait: [`layer`]),
//! written bottom first and joined by `+`, run in that order by the network
//! (`runtime::network`); a frame a layer sends itself goes down through
//! the layers below it only:
//!
//! * [`stubborn`]`[:RTO[/POLICY]]`: retransmission until acknowledged
//!   ([`Retry`]: exponential, fixed, aloha), within the frame's round.
//! * [`dedup`]: at most once delivery, by sequence numbers.
//! * [`auth`]: a keyed tag on every frame, acknowledgements included; what
//!   does not verify is rejected (A2 built, not assumed).
//! * [`capacity`]`:RATE/QUEUE`: each sender's interface sends at most RATE
//!   frames per ms, from a FIFO of QUEUE frames with tail drop.
//! * [`aimd`]`[:INIT[/SSTHRESH]]`: a congestion window per link, opened by
//!   `stubborn`'s acknowledgements and halved by its timeouts.
//! * [`load`]`:B`: background traffic, B frames on the same link for every
//!   frame a general sends (a shared network's load, for congestion).
//! * a user's layer, registered by name (`Registry::with_layer`).
//!
//! Each layer states where it must sit ([`layer::Rule`]); a stack that
//! breaks a rule is refused with the reason, never reordered.
//!
//! Presets: `reliable` = `fair-loss+stubborn+dedup` (the lecture's reliable
//! link) and `secure` = `arbitrary+auth+stubborn+dedup` (its authenticated
//! reliable link: "same as reliable link, but the receiver can authenticate
//! the sender"; `auth` alone turns a changed frame into a lost one, and
//! retransmission makes up for the loss). With a `stubborn` layer and no
//! timeout given, rounds last [`LinkSpec::default_timeout`].

pub mod adversary;
pub mod aimd;
pub mod arbitrary;
pub mod auth;
pub mod authenticated;
pub mod capacity;
pub mod dedup;
pub mod fair_loss;
pub mod layer;
pub mod load;
pub mod stubborn;

use crate::types::{Envelope, GeneralId};
pub use adversary::Adversaries;
pub use layer::{LayerKind, Layers, LinkLayer};
use serde::{Deserialize, Serialize};

/// What the link did to a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkAction {
    /// Arrived as sent.
    Delivered,
    /// Never arrived.
    Dropped,
    /// Arrived with bytes changed.
    Tampered,
    /// Arrived claiming a sender other than the true one.
    Spoofed,
    /// An old frame, delivered again.
    Replayed,
    /// Lost by a fair-loss channel.
    Lost,
    /// An extra copy made by a fair-loss channel.
    Duplicated,
    /// Dropped at a full queue (a `capacity` layer's or the bottleneck's).
    #[serde(rename = "tail-drop")]
    TailDrop,
}

impl LinkAction {
    /// Lower-case name for traces.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAction::Delivered => "delivered",
            LinkAction::Dropped => "dropped",
            LinkAction::Tampered => "tampered",
            LinkAction::Spoofed => "spoofed",
            LinkAction::Replayed => "replayed",
            LinkAction::Lost => "lost",
            LinkAction::Duplicated => "duplicated",
            LinkAction::TailDrop => "tail-drop",
        }
    }
}

/// A frame as the link hands it on (or, for `Dropped`, as it was lost).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    /// The frame that arrives (for `Dropped`, the one that did not).
    pub env: Envelope,
    /// What the link did.
    pub action: LinkAction,
}

/// A link model: every frame sent passes through `carry`.
pub trait Link {
    /// Short name for outcomes.
    fn name(&self) -> String;
    /// Whether this link can ever alter a frame (the network then keeps each
    /// frame's original bytes for accounting while the link runs).
    fn can_alter(&self) -> bool {
        true
    }
    /// Whether every frame arrives exactly as sent, once, from its true
    /// sender: the network then skips `carry` for it (the hot path of
    /// every synchronous, authenticated run).
    fn delivers_as_sent(&self) -> bool {
        false
    }
    /// Decides the fate of `env`, which was sent by `true_sender`, pushing
    /// what happens to `out` (the frame itself, or extra frames, in order).
    fn carry(&mut self, true_sender: GeneralId, env: Envelope, out: &mut Vec<Carried>);
}

/// Which link model a run uses: a channel, alone or with layers on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LinkSpec {
    /// A1 and A2: intact delivery, true sender (takes no layers).
    Authenticated,
    /// An adversary on a fraction of the frames.
    Arbitrary {
        /// Adversary name (see [`adversary::builtins`]).
        adversary: String,
        /// Fraction of frames the adversary acts on, in [0, 1].
        rate: f64,
    },
    /// A channel and the layers built on it, bottom first.
    Stack {
        /// The layers; the first is the channel.
        layers: Vec<Layer>,
    },
}

/// One layer of a link stack, as configured (what experiment files and
/// plan.json carry; [`layer`] has the objects a run builds from it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "LayerRepr", into = "LayerRepr")]
pub enum Layer {
    /// A channel with an adversary on it.
    Arbitrary {
        /// Adversary name.
        adversary: String,
        /// Fraction of frames it acts on.
        rate: f64,
    },
    /// A channel that loses and duplicates frames.
    FairLoss {
        /// Probability a frame is lost.
        loss: f64,
        /// Probability a frame arrives twice.
        dup: f64,
    },
    /// Retransmission until acknowledged.
    Stubborn {
        /// First retransmission timeout, in virtual ms.
        rto: u64,
        /// How the waits grow (left out of files when exponential, the
        /// default, so links written before policies read the same).
        retry: Retry,
    },
    /// At most once delivery.
    Dedup,
    /// Tags that reject changed and spoofed frames.
    Auth,
    /// Any other layer, by its registered name, with its parameters as
    /// written after `NAME:` (`capacity`, `aimd`, a user's layer).
    Named {
        /// The layer's registered name.
        name: String,
        /// Its parameters, as written.
        params: Option<String>,
    },
}

/// How layers are written in files: the typed built-ins as they always
/// were (`{"layer": "stubborn", "rto": 20}`), any other by name and
/// parameter text (`{"layer": "capacity", "params": "0.5/20"}`).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum LayerRepr {
    Typed(Typed),
    Named {
        layer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "layer", rename_all = "kebab-case")]
enum Typed {
    Arbitrary {
        adversary: String,
        rate: f64,
    },
    FairLoss {
        loss: f64,
        dup: f64,
    },
    Stubborn {
        rto: u64,
        #[serde(default, skip_serializing_if = "Retry::is_default")]
        retry: Retry,
    },
    Dedup,
    Auth,
}

impl From<LayerRepr> for Layer {
    fn from(r: LayerRepr) -> Layer {
        match r {
            LayerRepr::Typed(Typed::Arbitrary { adversary, rate }) => Layer::Arbitrary { adversary, rate },
            LayerRepr::Typed(Typed::FairLoss { loss, dup }) => Layer::FairLoss { loss, dup },
            LayerRepr::Typed(Typed::Stubborn { rto, retry }) => Layer::Stubborn { rto, retry },
            LayerRepr::Typed(Typed::Dedup) => Layer::Dedup,
            LayerRepr::Typed(Typed::Auth) => Layer::Auth,
            LayerRepr::Named { layer, params } => Layer::Named { name: layer, params },
        }
    }
}

impl From<Layer> for LayerRepr {
    fn from(l: Layer) -> LayerRepr {
        LayerRepr::Typed(match l {
            Layer::Arbitrary { adversary, rate } => Typed::Arbitrary { adversary, rate },
            Layer::FairLoss { loss, dup } => Typed::FairLoss { loss, dup },
            Layer::Stubborn { rto, retry } => Typed::Stubborn { rto, retry },
            Layer::Dedup => Typed::Dedup,
            Layer::Auth => Typed::Auth,
            Layer::Named { name, params } => return LayerRepr::Named { layer: name, params },
        })
    }
}

/// How a `stubborn` layer waits between the tries of a frame (the
/// lecture's backoff).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retry {
    /// Every `rto`.
    Fixed,
    /// Doubling from `rto`, capped at 16 rto, with up to a quarter more of
    /// seeded jitter (the default).
    #[default]
    Exponential,
    /// After the k-th unacknowledged try, a uniformly random whole number
    /// of `rto` slots in 1..=2^k (k capped at 10): slotted ALOHA's
    /// backoff, "one or two turns later, then one to four, then one to
    /// eight".
    Aloha,
}

impl Retry {
    /// The default policy, exponential.
    pub fn is_default(&self) -> bool {
        *self == Retry::Exponential
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Retry::Fixed => "fixed",
            Retry::Exponential => "exponential",
            Retry::Aloha => "aloha",
        }
    }

    /// The longest wait before try `attempt + 2` (attempt 0: the first
    /// retransmission), in units of rto, times 4 (exponential's jitter is a
    /// quarter).
    fn longest_wait_quarters(self, attempt: u32) -> u64 {
        match self {
            Retry::Fixed => 4,
            Retry::Exponential => 5 * (1u64 << attempt.min(4)),
            Retry::Aloha => 4 * (1u64 << (attempt + 1).min(crate::aloha::MAX_BACKOFF_EXPONENT)),
        }
    }
}

/// `stubborn`'s parameters: `RTO`, `RTO/POLICY` or `POLICY` (rto from
/// the defaults), nothing for both defaults.
fn stubborn(p: Option<&str>, rto: u64) -> Result<Layer, LinkError> {
    let number = |t: &str| t.parse::<u64>().map_err(|_| LinkError::Rto(t.to_string()));
    let policy = |t: &str| match t {
        "fixed" => Ok(Retry::Fixed),
        "exponential" => Ok(Retry::Exponential),
        "aloha" => Ok(Retry::Aloha),
        other => Err(LinkError::Retry(other.to_string())),
    };
    let (rto, retry) = match p {
        None => (rto, Retry::default()),
        Some(t) => match t.split_once('/') {
            Some((r, k)) => (number(r)?, policy(k)?),
            None if t.starts_with(|c: char| c.is_ascii_alphabetic()) => (rto, policy(t)?),
            None => (number(t)?, Retry::default()),
        },
    };
    Ok(Layer::Stubborn { rto, retry })
}

/// `stubborn`'s parameters as its factory reads them (the rto written).
pub(crate) fn parse_stubborn(p: Option<&str>) -> Result<(u64, Retry), String> {
    match stubborn(p, LinkDefaults::default().rto).map_err(|e| e.to_string())? {
        Layer::Stubborn { rto, retry } if rto > 0 && rto <= crate::timing::MAX_MILLIS => Ok((rto, retry)),
        Layer::Stubborn { rto, .. } => Err(LinkError::Rto(rto.to_string()).to_string()),
        _ => unreachable!("stubborn() makes a stubborn layer"),
    }
}

/// For a layer that takes no parameters: an error if it was given some.
pub(crate) fn no_params(name: &str, p: Option<&str>) -> Result<(), String> {
    match p {
        None => Ok(()),
        Some(p) => Err(format!("{name} takes no parameters (got `{name}:{p}`)")),
    }
}

/// A probability as a label shows it: as written for ordinary values
/// (`0.1`), in exponent form below 1e-4 (`1e-300`, not 300 digits).
fn share(p: f64) -> String {
    if p != 0.0 && p.abs() < 1e-4 {
        format!("{p:e}")
    } else {
        format!("{p}")
    }
}

impl Layer {
    fn label(&self) -> String {
        match self {
            Layer::Arbitrary { adversary, rate } => format!("arbitrary({adversary}@{})", share(*rate)),
            Layer::FairLoss { loss, dup } => format!("fair-loss({}/{})", share(*loss), share(*dup)),
            Layer::Stubborn { rto, retry } if retry.is_default() => format!("stubborn({rto})"),
            Layer::Stubborn { rto, retry } => format!("stubborn({rto}/{})", retry.as_str()),
            Layer::Dedup => "dedup".into(),
            Layer::Auth => "auth".into(),
            Layer::Named { name, params: None } => name.clone(),
            Layer::Named { name, params: Some(p) } => format!("{name}({p})"),
        }
    }

    fn is_channel(&self) -> bool {
        matches!(self, Layer::Arbitrary { .. } | Layer::FairLoss { .. })
    }

    /// The layer's name in a link string.
    pub fn name(&self) -> &str {
        match self {
            Layer::Arbitrary { .. } => "arbitrary",
            Layer::FairLoss { .. } => "fair-loss",
            Layer::Stubborn { .. } => "stubborn",
            Layer::Dedup => "dedup",
            Layer::Auth => "auth",
            Layer::Named { name, .. } => name,
        }
    }

    /// Its parameters as its factory reads them.
    pub fn params(&self) -> Option<String> {
        match self {
            Layer::Stubborn { rto, retry } => Some(format!("{rto}/{}", retry.as_str())),
            Layer::Named { params, .. } => params.clone(),
            _ => None,
        }
    }

    /// Builds this layer (never a channel) from `kinds` for a run.
    fn make(
        &self,
        kinds: &Layers,
        seed: u64,
        n: usize,
        watch: Option<(GeneralId, GeneralId)>,
    ) -> Result<Box<dyn LinkLayer>, LinkError> {
        let kind = kinds.get(self.name()).ok_or_else(|| LinkError::UnknownLayer {
            name: self.name().to_string(),
            known: kinds.names(),
        })?;
        let params = self.params();
        (kind.make().make)(&layer::LayerBuild {
            params: params.as_deref(),
            seed,
            n,
            watch,
        })
        .map_err(|why| LinkError::Stack(format!("{}: {why}", self.label())))
    }
}

/// What the network runs for a link: the channel, and the layers above
/// it, bottom first.
pub struct Channel {
    /// The channel every frame (and acknowledgement) crosses.
    pub bottom: Box<dyn Link>,
    /// The layers, bottom first.
    pub layers: Vec<Box<dyn LinkLayer>>,
}

/// Parameters a link string may leave out: the command line's `--loss`,
/// `--dup`, `--rto`, `--adversary` and `--link-rate`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkDefaults {
    /// Loss probability of `fair-loss`.
    pub loss: f64,
    /// Duplication probability of `fair-loss`.
    pub dup: f64,
    /// First retransmission timeout of `stubborn`, in virtual ms.
    pub rto: u64,
    /// Adversary of `arbitrary`.
    pub adversary: String,
    /// Rate of `arbitrary`.
    pub rate: f64,
}

impl Default for LinkDefaults {
    fn default() -> LinkDefaults {
        LinkDefaults {
            loss: 0.1,
            dup: 0.0,
            rto: 20,
            adversary: "chaos".into(),
            rate: 0.25,
        }
    }
}

/// Tries of a frame the default timeout leaves room for when the stack
/// retransmits: with loss 0.5 a frame is then lost for good with
/// probability 2^-20, below 1e-6.
pub const DEFAULT_TRIES: u32 = 20;

impl LinkSpec {
    /// The retransmission timeout of a `stubborn` layer, if the stack has one.
    pub fn stubborn_rto(&self) -> Option<u64> {
        self.stubborn().map(|(rto, _)| rto)
    }

    /// A `stubborn` layer's timeout and policy, if the stack has one.
    pub fn stubborn(&self) -> Option<(u64, Retry)> {
        let LinkSpec::Stack { layers } = self else { return None };
        layers.iter().find_map(|l| match l {
            Layer::Stubborn { rto, retry } => Some((*rto, *retry)),
            _ => None,
        })
    }

    /// Most tries of one frame a `stubborn` layer can make within
    /// `timeout` ms (for the bound on retransmissions checked before a
    /// run): every wait is at least rto, at least 16 rto after the fifth
    /// try of an exponential one.
    pub fn max_tries(&self, timeout: u64) -> u128 {
        let Some((rto, retry)) = self.stubborn() else { return 1 };
        let (timeout, rto) = (u128::from(timeout), u128::from(rto.max(1)));
        match retry {
            Retry::Exponential => 5 + timeout / (16 * rto),
            Retry::Fixed | Retry::Aloha => 1 + timeout / rto,
        }
    }

    /// The round timeout a run over this link gets when none is given:
    /// `None` (the timing default, delta) unless a `stubborn` layer
    /// retransmits; then delta plus the time by which the sender has made
    /// [`DEFAULT_TRIES`] tries even at its policy's longest waits
    /// (exponential: doubling from rto up to 16 rto, each up to a quarter
    /// longer; fixed: rto; aloha: 2^k rto after the k-th try), so that a
    /// reliable link is reliable at its defaults. At rto 20 and delta 10:
    /// 6385 ms exponential, 390 ms fixed, 225,250 ms aloha.
    pub fn default_timeout(&self, delta: u64) -> Option<u64> {
        let (rto, retry) = self.stubborn()?;
        let quarters: u64 = (0..DEFAULT_TRIES - 1).map(|i| retry.longest_wait_quarters(i)).sum();
        Some(delta.saturating_add(rto.saturating_mul(quarters) / 4))
    }

    /// The default arbitrary link: the `chaos` adversary on a quarter of frames.
    pub fn arbitrary_default() -> LinkSpec {
        LinkSpec::Arbitrary {
            adversary: "chaos".into(),
            rate: 0.25,
        }
    }

    /// Name for outcomes: `authenticated`, `arbitrary(NAME@RATE)`, or the
    /// layers joined by `+`, each with its parameters.
    pub fn label(&self) -> String {
        match self {
            LinkSpec::Authenticated => "authenticated".into(),
            LinkSpec::Arbitrary { adversary, rate } => format!("arbitrary({adversary}@{})", share(*rate)),
            LinkSpec::Stack { layers } => layers.iter().map(Layer::label).collect::<Vec<_>>().join("+"),
        }
    }

    /// Whether every frame arrives intact from its true sender (A1, A2):
    /// the only links the paper's theorems speak to.
    pub fn is_authenticated(&self) -> bool {
        *self == LinkSpec::Authenticated
    }

    /// Checks the rates and that the stack makes sense (the adversaries'
    /// names are checked against a table by [`LinkSpec::check_names`]).
    pub fn validate(&self) -> Result<(), LinkError> {
        let rate = |what: &'static str, r: f64| {
            if (0.0..=1.0).contains(&r) {
                Ok(())
            } else {
                Err(LinkError::Probability {
                    what,
                    value: r.to_string(),
                })
            }
        };
        match self {
            LinkSpec::Authenticated => Ok(()),
            LinkSpec::Arbitrary { rate: r, .. } => rate("link rate", *r),
            LinkSpec::Stack { layers } => {
                let Some(first) = layers.first().filter(|l| l.is_channel()) else {
                    return Err(LinkError::Stack(format!(
                        "`{}` does not start with a channel (fair-loss or arbitrary)",
                        self.label()
                    )));
                };
                let _ = first;
                // What is there twice first: `reliable+stubborn` repeats
                // stubborn, whatever order the copies leave.
                for (i, l) in layers.iter().enumerate() {
                    if i > 0 && l.is_channel() {
                        return Err(LinkError::Stack(format!("`{}` has two channels", self.label())));
                    }
                    if layers[..i].iter().any(|p| p.name() == l.name()) {
                        return Err(LinkError::Stack(format!("`{}` repeats {}", self.label(), l.label())));
                    }
                }
                for l in layers {
                    match l {
                        Layer::Arbitrary { rate: r, .. } => rate("link rate", *r)?,
                        Layer::FairLoss { loss, dup } => {
                            rate("loss", *loss)?;
                            rate("dup", *dup)?;
                        }
                        Layer::Stubborn { rto, .. } if *rto == 0 || *rto > crate::timing::MAX_MILLIS => {
                            return Err(LinkError::Rto(rto.to_string()));
                        }
                        // A built-in layer's parameters are checked here; a
                        // registered one's with its table.
                        Layer::Named { name, .. } if layer::builtins().get(name).is_some() => {
                            l.make(&layer::builtins(), 0, 1, None)?;
                        }
                        _ => {}
                    }
                }
                self.check_order(&layer::builtins())
            }
        }
    }

    /// Checks the stack's order against the rules of the layers `kinds`
    /// knows (never reordered: a stack whose order makes no sense is
    /// refused with the rule it breaks).
    fn check_order(&self, kinds: &Layers) -> Result<(), LinkError> {
        let LinkSpec::Stack { layers } = self else {
            return Ok(());
        };
        let names: Vec<&str> = layers[1..].iter().map(Layer::name).collect();
        layer::check_order(kinds, &names).map_err(|why| LinkError::Stack(format!("`{}`: {why}", self.label())))
    }

    /// The adversary this link names, if it has one.
    pub fn adversary(&self) -> Option<&str> {
        match self {
            LinkSpec::Authenticated => None,
            LinkSpec::Arbitrary { adversary, .. } => Some(adversary),
            LinkSpec::Stack { layers } => layers.iter().find_map(|l| match l {
                Layer::Arbitrary { adversary, .. } => Some(adversary.as_str()),
                _ => None,
            }),
        }
    }

    /// Checks the names this link uses against the tables: its adversary
    /// in `adversaries`, every layer in `kinds` (with its parameters and
    /// its order rules).
    pub fn check_names(&self, adversaries: &Adversaries, kinds: &Layers) -> Result<(), LinkError> {
        if let Some(name) = self.adversary() {
            adversaries.find(name)?;
        }
        if let LinkSpec::Stack { layers } = self {
            for l in &layers[1..] {
                l.make(kinds, 0, 1, None)?;
            }
            self.check_order(kinds)?;
        }
        Ok(())
    }

    /// Background frames a `load:B` layer adds per frame (0 without one).
    pub fn background_per_frame(&self) -> u64 {
        let LinkSpec::Stack { layers } = self else { return 0 };
        layers
            .iter()
            .find_map(|l| match l {
                Layer::Named { name, params } if name == "load" => params.as_deref()?.parse().ok(),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Whether a layer of this link is named `name`.
    pub fn has_layer(&self, name: &str) -> bool {
        matches!(self, LinkSpec::Stack { layers } if layers.iter().any(|l| l.name() == name))
    }

    /// Builds the link for a run of `n` generals under `seed`, its
    /// adversary made from `adversaries` and its layers from `kinds`; an
    /// unknown name is an error, never a silent stand-in. `watch` is the
    /// link whose series a layer records (`--cwnd FROM:TO`).
    pub fn build(
        &self,
        adversaries: &Adversaries,
        kinds: &Layers,
        seed: u64,
        n: usize,
        frame_limit: usize,
        watch: Option<(GeneralId, GeneralId)>,
    ) -> Result<Channel, LinkError> {
        self.validate()?;
        let plain = |bottom: Box<dyn Link>| Channel {
            bottom,
            layers: Vec::new(),
        };
        Ok(match self {
            LinkSpec::Authenticated => plain(Box::new(authenticated::Authenticated)),
            LinkSpec::Arbitrary { adversary, rate } => {
                let adv = adversaries.find(adversary)?();
                plain(Box::new(arbitrary::ArbitraryLink::new(
                    adv,
                    *rate,
                    seed,
                    n,
                    frame_limit,
                )))
            }
            LinkSpec::Stack { layers } => {
                let bottom: Box<dyn Link> = match &layers[0] {
                    Layer::Arbitrary { adversary, rate } => Box::new(arbitrary::ArbitraryLink::new(
                        adversaries.find(adversary)?(),
                        *rate,
                        seed,
                        n,
                        frame_limit,
                    )),
                    Layer::FairLoss { loss, dup } => Box::new(fair_loss::FairLoss::new(*loss, *dup, seed)),
                    other => return Err(LinkError::Stack(format!("{} is no channel", other.label()))),
                };
                self.check_order(kinds)?;
                Channel {
                    bottom,
                    layers: layers[1..]
                        .iter()
                        .map(|l| l.make(kinds, seed, n, watch))
                        .collect::<Result<_, _>>()?,
                }
            }
        })
    }

    /// Parses a link in the grammar of experiment files and `--link`,
    /// taking what a layer leaves out from `defaults`:
    ///
    /// * `authenticated` (alone);
    /// * a channel: `arbitrary[:ADVERSARY[@RATE]]` or `fair-loss[:LOSS[/DUP]]`;
    /// * layers on it, bottom first, joined by `+`: `stubborn[:RTO]`,
    ///   `dedup`, `auth`;
    /// * presets: `reliable[:LOSS[/DUP]]` = `fair-loss+stubborn+dedup`,
    ///   `secure[:ADVERSARY[@RATE]]` = `arbitrary+auth+stubborn+dedup`.
    pub fn parse_with(s: &str, defaults: &LinkDefaults) -> Result<LinkSpec, LinkError> {
        let prob = |what: &'static str, t: &str| {
            t.parse::<f64>()
                .ok()
                .filter(|v| (0.0..=1.0).contains(v))
                .ok_or(LinkError::Probability {
                    what,
                    value: t.to_string(),
                })
        };
        let arbitrary = |p: Option<&str>| -> Result<Layer, LinkError> {
            let (adversary, rate) = match p {
                None => (defaults.adversary.clone(), defaults.rate),
                Some(p) => match p.split_once('@') {
                    Some((a, r)) => (a.to_string(), prob("link rate", r)?),
                    None => (p.to_string(), defaults.rate),
                },
            };
            Ok(Layer::Arbitrary { adversary, rate })
        };
        let fair_loss = |p: Option<&str>| -> Result<Layer, LinkError> {
            let (loss, dup) = match p {
                None => (defaults.loss, defaults.dup),
                Some(p) => match p.split_once('/') {
                    Some((l, d)) => (prob("loss", l)?, prob("dup", d)?),
                    None => (prob("loss", p)?, defaults.dup),
                },
            };
            Ok(Layer::FairLoss { loss, dup })
        };
        let mut layers = Vec::new();
        for token in s.split('+').map(str::trim) {
            let (name, params) = match token.split_once(':') {
                Some((n, p)) => (n, Some(p)),
                None => (token, None),
            };
            match (name, params) {
                ("authenticated", None) if s.trim() == "authenticated" => return Ok(LinkSpec::Authenticated),
                ("authenticated", _) => {
                    return Err(LinkError::Stack(
                        "authenticated is a link of its own: it takes no parameters and no layers".into(),
                    ));
                }
                ("arbitrary", p) => layers.push(arbitrary(p)?),
                ("fair-loss", p) => layers.push(fair_loss(p)?),
                ("stubborn", p) => layers.push(stubborn(p, defaults.rto)?),
                ("dedup", None) => layers.push(Layer::Dedup),
                ("auth", None) => layers.push(Layer::Auth),
                ("reliable", p) => layers.extend([
                    fair_loss(p)?,
                    Layer::Stubborn {
                        rto: defaults.rto,
                        retry: Retry::default(),
                    },
                    Layer::Dedup,
                ]),
                ("secure", p) => layers.extend([
                    arbitrary(p)?,
                    Layer::Auth,
                    Layer::Stubborn {
                        rto: defaults.rto,
                        retry: Retry::default(),
                    },
                    Layer::Dedup,
                ]),
                // Any other layer by name (built in, or registered: checked
                // against its table with `check_names`).
                (name, p) if valid_name(name) && !matches!(name, "dedup" | "auth") => layers.push(Layer::Named {
                    name: name.to_string(),
                    params: p.map(str::to_string),
                }),
                _ => return Err(LinkError::Syntax(token.to_string())),
            }
        }
        // One arbitrary channel alone is the classic arbitrary link.
        let spec = match layers.as_slice() {
            [Layer::Arbitrary { adversary, rate }] => LinkSpec::Arbitrary {
                adversary: adversary.clone(),
                rate: *rate,
            },
            _ => LinkSpec::Stack { layers },
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// A name a registered layer may have (as the registry checks names).
fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Link settings that make no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A token that is no layer.
    #[error(
        "`{0}` is not a link layer: authenticated, arbitrary[:ADV[@RATE]], fair-loss[:LOSS[/DUP]], stubborn[:RTO[/fixed|exponential|aloha]], dedup, auth, capacity:RATE/QUEUE, aimd[:INIT[/SSTHRESH]], reliable, secure, or a layer registered by name"
    )]
    Syntax(String),
    /// No layer has this name.
    #[error(
        "`{name}` is not a link layer; layers: {known} (and the channels arbitrary and fair-loss, the presets reliable and secure, or authenticated alone)"
    )]
    UnknownLayer {
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// A retransmission timeout that is no number of ms in range.
    #[error(
        "stubborn's rto `{0}` is not a number of ms from 1 to {max} (`stubborn:RTO`, or --rto)",
        max = crate::timing::MAX_MILLIS
    )]
    Rto(String),
    /// A retransmission policy that is none of the three.
    #[error("stubborn's policy `{0}` is not fixed, exponential or aloha (`stubborn:RTO/POLICY`)")]
    Retry(String),
    /// A probability that is not a number in [0, 1].
    #[error("{what} `{value}` is outside [0, 1] or not a number")]
    Probability {
        /// Which one.
        what: &'static str,
        /// As given.
        value: String,
    },
    /// A stack that does not make sense.
    #[error("{0}")]
    Stack(String),
    /// No adversary has this name.
    #[error("unknown link adversary `{name}`; built in: {known}")]
    UnknownAdversary {
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
}

impl std::str::FromStr for LinkSpec {
    type Err = LinkError;
    fn from_str(s: &str) -> Result<LinkSpec, LinkError> {
        LinkSpec::parse_with(s, &LinkDefaults::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_grammar_table() {
        let arb = |a: &str, rate: f64| LinkSpec::Arbitrary {
            adversary: a.into(),
            rate,
        };
        let good = [
            ("authenticated", LinkSpec::Authenticated),
            ("arbitrary", arb("chaos", 0.25)),
            ("arbitrary:spoof", arb("spoof", 0.25)),
            ("arbitrary:drop@0.5", arb("drop", 0.5)),
        ];
        for (text, want) in good {
            assert_eq!(text.parse::<LinkSpec>(), Ok(want), "{text}");
        }
        let stack = |layers: Vec<Layer>| LinkSpec::Stack { layers };
        assert_eq!(
            "reliable:0.5/0.2".parse::<LinkSpec>(),
            Ok(stack(vec![
                Layer::FairLoss { loss: 0.5, dup: 0.2 },
                Layer::Stubborn {
                    rto: 20,
                    retry: Retry::default()
                },
                Layer::Dedup
            ]))
        );
        assert_eq!(
            "reliable:0.5/0.2".parse::<LinkSpec>(),
            "fair-loss:0.5/0.2+stubborn+dedup".parse::<LinkSpec>()
        );
        assert_eq!(
            "secure:tamper@0.5".parse::<LinkSpec>(),
            Ok(stack(vec![
                Layer::Arbitrary {
                    adversary: "tamper".into(),
                    rate: 0.5
                },
                Layer::Auth,
                Layer::Stubborn {
                    rto: 20,
                    retry: Retry::default()
                },
                Layer::Dedup
            ]))
        );
        // Room for 20 tries at the largest jitter: waits 1+2+4+8+16x15 = 255
        // rto, a quarter more, plus delta.
        assert_eq!(
            "reliable".parse::<LinkSpec>().unwrap().default_timeout(10),
            Some(10 + 255 * 20 * 5 / 4)
        );
        assert_eq!(
            "fair-loss+stubborn:4".parse::<LinkSpec>().unwrap().default_timeout(7),
            Some(7 + 255 * 5)
        );
        assert_eq!("arbitrary+auth".parse::<LinkSpec>().unwrap().default_timeout(10), None);
        assert_eq!(LinkSpec::Authenticated.default_timeout(10), None);
        assert_eq!(
            "fair-loss:0.5/0.2+stubborn:7+dedup"
                .parse::<LinkSpec>()
                .unwrap()
                .label(),
            "fair-loss(0.5/0.2)+stubborn(7)+dedup"
        );
        let bad = [
            ("fair-loss+pigeon", "is not a link layer"),
            ("pigeon", "does not start with a channel"),
            ("fair-loss+no way", "is not a link layer"),
            ("arbitrary:drop@2", "`2` is outside [0, 1]"),
            ("arbitrary:drop@x", "`x`"),
            ("authenticated:drop", "link of its own"),
            ("dedup", "does not start with a channel"),
            ("stubborn+dedup", "does not start with a channel"),
            ("fair-loss+dedup+stubborn", "dedup goes above stubborn"),
            ("fair-loss+arbitrary", "two channels"),
            ("fair-loss+auth+auth", "repeats auth"),
            ("fair-loss:2", "loss `2`"),
            ("authenticated+auth", "link of its own"),
        ];
        for (text, want) in bad {
            let e = text
                .parse::<LinkSpec>()
                .and_then(|l| l.check_names(&Adversaries::builtin(), &layer::builtins()))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
        let e = "arbitrary:gremlin"
            .parse::<LinkSpec>()
            .and_then(|l| l.check_names(&Adversaries::builtin(), &layer::builtins()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown link adversary `gremlin`"), "{e}");
    }

    #[test]
    fn unknown_adversary_is_an_error_not_a_fallback() {
        let spec = LinkSpec::Arbitrary {
            adversary: "gremlin".into(),
            rate: 1.0,
        };
        let builtin = Adversaries::builtin();
        assert!(matches!(
            spec.build(&builtin, &layer::builtins(), 1, 4, 64, None),
            Err(LinkError::UnknownAdversary { .. })
        ));
        assert!(matches!(
            spec.check_names(&builtin, &layer::builtins()),
            Err(LinkError::UnknownAdversary { .. })
        ));
        // Parsing checks the grammar; the name is checked against a table.
        assert!("arbitrary:gremlin@0.5".parse::<LinkSpec>().is_ok());
    }

    /// Issue 22, item 4: `stubborn:RTO/POLICY`, with exponential the
    /// default (written and labelled as before), and each policy's room
    /// for 20 tries in the default timeout.
    #[test]
    fn stubborn_takes_a_policy() {
        let stub = |text: &str| text.parse::<LinkSpec>().unwrap().stubborn();
        assert_eq!(stub("reliable"), Some((20, Retry::Exponential)));
        assert_eq!(stub("fair-loss+stubborn:30/fixed"), Some((30, Retry::Fixed)));
        assert_eq!(stub("fair-loss+stubborn:aloha"), Some((20, Retry::Aloha)));
        assert_eq!(stub("fair-loss+stubborn:7/exponential"), Some((7, Retry::Exponential)));
        let label = |text: &str| text.parse::<LinkSpec>().unwrap().label();
        assert_eq!(
            label("fair-loss+stubborn:20/exponential"),
            "fair-loss(0.1/0)+stubborn(20)"
        );
        assert_eq!(
            label("fair-loss+stubborn:20/aloha+dedup"),
            "fair-loss(0.1/0)+stubborn(20/aloha)+dedup"
        );
        // Files written before policies read the same, and write the same.
        let old = LinkSpec::Stack {
            layers: vec![Layer::Stubborn {
                rto: 20,
                retry: Retry::Exponential,
            }],
        };
        let json = serde_json::to_string(&old).unwrap();
        assert!(!json.contains("retry"), "{json}");
        let aloha = "fair-loss+stubborn:20/aloha".parse::<LinkSpec>().unwrap();
        let back: LinkSpec = serde_json::from_str(&serde_json::to_string(&aloha).unwrap()).unwrap();
        assert_eq!(back, aloha);
        // 19 waits: 19 rto fixed; 2+4+...+1024 and 9 x 1024 rto aloha.
        let timeout = |text: &str| text.parse::<LinkSpec>().unwrap().default_timeout(10);
        assert_eq!(timeout("fair-loss+stubborn:20/fixed"), Some(10 + 19 * 20));
        assert_eq!(
            timeout("fair-loss+stubborn:20/aloha"),
            Some(10 + (2046 + 9 * 1024) * 20)
        );
        assert_eq!(timeout("fair-loss+stubborn:20"), Some(6385));
        for bad in ["fair-loss+stubborn:20/sometimes", "fair-loss+stubborn:often"] {
            let e = bad.parse::<LinkSpec>().unwrap_err().to_string();
            assert!(e.contains("is not fixed, exponential or aloha"), "{bad}: {e}");
        }
    }
}
