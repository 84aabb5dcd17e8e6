//! Arbitrary links: A1 and A2 no longer hold. On each frame, with probability
//! `rate` drawn from the run's seeded link generator, an [`Adversary`] decides
//! what arrives. The link remembers recent frames so the adversary can replay
//! them.

use super::adversary::{Adversary, AdversaryCtx};
use super::{Carried, Link, LinkAction};
use crate::rng::{Purpose, RunRng, stream};
use crate::types::{Envelope, GeneralId};
use rand::RngExt;

/// How many past frames the link keeps for replay.
const HISTORY: usize = 64;

/// A link with an adversary on it.
pub struct ArbitraryLink {
    adversary: Box<dyn Adversary>,
    rate: f64,
    rng: RunRng,
    n: usize,
    frame_limit: usize,
    history: Vec<Envelope>,
}

impl ArbitraryLink {
    /// An adversary acting on a `rate` fraction of frames among `n`
    /// generals, whose receivers decode frames of up to `frame_limit` bytes.
    pub fn new(adversary: Box<dyn Adversary>, rate: f64, seed: u64, n: usize, frame_limit: usize) -> ArbitraryLink {
        ArbitraryLink {
            adversary,
            rate,
            rng: stream(seed, Purpose::Link, 0),
            n,
            frame_limit,
            history: Vec::new(),
        }
    }
}

impl Link for ArbitraryLink {
    fn name(&self) -> String {
        format!("arbitrary({}@{})", self.adversary.name(), self.rate)
    }

    fn carry(&mut self, true_sender: GeneralId, mut env: Envelope, out: &mut Vec<Carried>) {
        env.from = true_sender;
        if self.history.len() < HISTORY {
            self.history.push(env.clone());
        } else {
            let slot = (env.round as usize * 31 + env.to as usize) % HISTORY;
            self.history[slot] = env.clone();
        }
        if self.rate > 0.0 && self.rng.random_bool(self.rate) {
            let mut ctx = AdversaryCtx {
                rng: &mut self.rng,
                n: self.n,
                frame_limit: self.frame_limit,
                history: &self.history,
            };
            self.adversary.intercept(&mut ctx, env, out);
        } else {
            out.push(Carried {
                env,
                action: LinkAction::Delivered,
            });
        }
    }
}
