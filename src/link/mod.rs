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

pub mod adversary;
pub mod arbitrary;
pub mod authenticated;

use crate::types::{Envelope, GeneralId};
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

/// Which link model a run uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LinkSpec {
    /// A1 and A2: intact delivery, true sender.
    Authenticated,
    /// An adversary on a fraction of the frames.
    Arbitrary {
        /// Adversary name (see [`adversary::builtins`]).
        adversary: String,
        /// Fraction of frames the adversary acts on, in [0, 1].
        rate: f64,
    },
}

impl LinkSpec {
    /// The default arbitrary link: the `chaos` adversary on a quarter of frames.
    pub fn arbitrary_default() -> LinkSpec {
        LinkSpec::Arbitrary {
            adversary: "chaos".into(),
            rate: 0.25,
        }
    }

    /// Name for outcomes: `authenticated` or `arbitrary(NAME@RATE)`.
    pub fn label(&self) -> String {
        match self {
            LinkSpec::Authenticated => "authenticated".into(),
            LinkSpec::Arbitrary { adversary, rate } => format!("arbitrary({adversary}@{rate})"),
        }
    }

    /// Checks the adversary name and rate.
    pub fn validate(&self) -> Result<(), LinkError> {
        match self {
            LinkSpec::Authenticated => Ok(()),
            LinkSpec::Arbitrary { adversary, rate } => {
                if !(0.0..=1.0).contains(rate) || rate.is_nan() {
                    return Err(LinkError::Rate(rate.to_string()));
                }
                adversary::find(adversary).map(|_| ())
            }
        }
    }

    /// Builds the link for a run of `n` generals under `seed`; an unknown
    /// adversary is an error, never a silent stand-in.
    pub fn build(&self, seed: u64, n: usize) -> Result<Box<dyn Link>, LinkError> {
        Ok(match self {
            LinkSpec::Authenticated => Box::new(authenticated::Authenticated),
            LinkSpec::Arbitrary { adversary, rate } => {
                let adv = adversary::find(adversary)?();
                Box::new(arbitrary::ArbitraryLink::new(adv, *rate, seed, n))
            }
        })
    }
}

/// Link settings that make no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link in the grammar of `LinkSpec`'s `FromStr`.
    #[error("`{0}` is not authenticated, arbitrary, or arbitrary:ADVERSARY[@RATE]")]
    Syntax(String),
    /// A rate that is not a number in [0, 1].
    #[error("link rate `{0}` is outside [0, 1] or not a number")]
    Rate(String),
    /// No adversary has this name.
    #[error("unknown link adversary `{name}`; built in: {known}")]
    UnknownAdversary {
        /// The name given.
        name: String,
        /// The names that exist.
        known: String,
    },
}

/// The link grammar of experiment files: `authenticated`, `arbitrary` (the
/// `chaos` adversary on a quarter of the frames), `arbitrary:ADVERSARY` (on a
/// quarter) or `arbitrary:ADVERSARY@RATE`.
impl std::str::FromStr for LinkSpec {
    type Err = LinkError;
    fn from_str(s: &str) -> Result<LinkSpec, LinkError> {
        let spec = match s.split_once(':') {
            None if s == "authenticated" => LinkSpec::Authenticated,
            None if s == "arbitrary" => LinkSpec::arbitrary_default(),
            Some(("arbitrary", rest)) => {
                let (adversary, rate) = match rest.split_once('@') {
                    Some((a, r)) => (a, r.parse::<f64>().map_err(|_| LinkError::Rate(r.to_string()))?),
                    None => (rest, 0.25),
                };
                LinkSpec::Arbitrary {
                    adversary: adversary.to_string(),
                    rate,
                }
            }
            _ => return Err(LinkError::Syntax(s.to_string())),
        };
        spec.validate()?;
        Ok(spec)
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
        let bad = [
            ("pigeon", "is not authenticated"),
            ("arbitrary:gremlin", "unknown link adversary `gremlin`"),
            ("arbitrary:drop@2", "`2` is outside [0, 1]"),
            ("arbitrary:drop@x", "`x`"),
            ("authenticated:drop", "is not authenticated"),
        ];
        for (text, want) in bad {
            let e = text.parse::<LinkSpec>().unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_adversary_is_an_error_not_a_fallback() {
        let spec = LinkSpec::Arbitrary {
            adversary: "gremlin".into(),
            rate: 1.0,
        };
        assert!(matches!(spec.build(1, 4), Err(LinkError::UnknownAdversary { .. })));
    }
}
