//! Link adversaries for [`super::arbitrary`]: what an attacker who owns the
//! wire does to a frame. Like traitors, the trait's default is harmless and
//! adversaries are found by name.
//!
//! * `drop`: the frame is lost.
//! * `tamper`: one random bit of the frame flips.
//! * `spoof`: the frame arrives claiming another general sent it.
//! * `replay`: the frame arrives, and so does an old frame from the link's
//!   memory, under its original sender's name.
//! * `chaos`: one of the four above, at random.
//! * `passive`: the adversary watches and does nothing.

use super::{Carried, LinkAction};
use crate::names::{Entry, Table};
use crate::rng::RunRng;
use crate::types::{Envelope, GeneralId};
use rand::RngExt;
use std::sync::Arc;

/// What an adversary may use: the link's seeded generator, the number of
/// generals and frames seen earlier.
pub struct AdversaryCtx<'a> {
    /// Seeded generator of the link.
    pub rng: &'a mut RunRng,
    /// Number of generals.
    pub n: usize,
    /// The largest frame a receiver decodes (longer ones are refused unread).
    pub frame_limit: usize,
    /// Recent frames, with their true senders.
    pub history: &'a [Envelope],
}

/// An attacker on the wire. The default delivers the frame untouched.
pub trait Adversary {
    /// Name for outcomes.
    fn name(&self) -> &'static str;
    /// Decides what arrives in place of `env`.
    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        let _ = ctx;
        out.push(Carried {
            env,
            action: LinkAction::Delivered,
        });
    }
}

/// Watches only.
pub struct Passive;
impl Adversary for Passive {
    fn name(&self) -> &'static str {
        "passive"
    }
}

/// Loses the frame (`drop`; not called `Drop`, which names the prelude's trait).
pub struct Lose;
impl Adversary for Lose {
    fn name(&self) -> &'static str {
        "drop"
    }
    fn intercept(&mut self, _: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        out.push(Carried {
            env,
            action: LinkAction::Dropped,
        });
    }
}

/// Flips one random bit.
pub struct Tamper;
impl Adversary for Tamper {
    fn name(&self) -> &'static str {
        "tamper"
    }
    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, mut env: Envelope, out: &mut Vec<Carried>) {
        if !env.bytes.is_empty() {
            let i = ctx.rng.random_range(0..env.bytes.len());
            std::sync::Arc::make_mut(&mut env.bytes)[i] ^= 1 << ctx.rng.random_range(0..8u32);
        }
        out.push(Carried {
            env,
            action: LinkAction::Tampered,
        });
    }
}

/// Claims another sender.
pub struct Spoof;
impl Adversary for Spoof {
    fn name(&self) -> &'static str {
        "spoof"
    }
    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, mut env: Envelope, out: &mut Vec<Carried>) {
        // Any general but the receiver and the true sender.
        let others: Vec<GeneralId> = (0..ctx.n as GeneralId)
            .filter(|&g| g != env.to && g != env.from)
            .collect();
        if let Some(&claim) = others.get(ctx.rng.random_range(0..others.len().max(1))) {
            env.from = claim;
            out.push(Carried {
                env,
                action: LinkAction::Spoofed,
            });
        } else {
            out.push(Carried {
                env,
                action: LinkAction::Delivered,
            });
        }
    }
}

/// Delivers, then replays an old frame to the same receiver.
pub struct Replay;
impl Adversary for Replay {
    fn name(&self) -> &'static str {
        "replay"
    }
    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        let old = match ctx.history.len() {
            0 => None,
            len => Some(ctx.history[ctx.rng.random_range(0..len)].clone()),
        };
        let to = env.to;
        let round = env.round;
        out.push(Carried {
            env,
            action: LinkAction::Delivered,
        });
        if let Some(mut old) = old {
            old.to = to;
            old.round = round;
            out.push(Carried {
                env: old,
                action: LinkAction::Replayed,
            });
        }
    }
}

/// One of drop, tamper, spoof or replay, at random.
pub struct Chaos;
impl Adversary for Chaos {
    fn name(&self) -> &'static str {
        "chaos"
    }
    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        match ctx.rng.random_range(0..4u8) {
            0 => Lose.intercept(ctx, env, out),
            1 => Tamper.intercept(ctx, env, out),
            2 => Spoof.intercept(ctx, env, out),
            _ => Replay.intercept(ctx, env, out),
        }
    }
}

/// Floods the receiver: delivers the frame, then [`Flood::COPIES`] exact
/// copies of it and as many garbage frames, each the start of the frame
/// followed by random bytes, from empty up to one byte past the receivers'
/// decode limit: nearly all reach the decoder, some the size check. A
/// loyal general must take the frame once, refuse the garbage, and stay
/// within its memory bound.
pub struct Flood;

impl Flood {
    /// Copies and garbage frames per frame.
    pub const COPIES: usize = 4;
}

impl Adversary for Flood {
    fn name(&self) -> &'static str {
        "flood"
    }
    fn intercept(&mut self, ctx: &mut AdversaryCtx<'_>, env: Envelope, out: &mut Vec<Carried>) {
        out.push(Carried {
            env: env.clone(),
            action: LinkAction::Delivered,
        });
        for _ in 0..Flood::COPIES {
            out.push(Carried {
                env: env.clone(),
                action: LinkAction::Replayed,
            });
        }
        let len = env.bytes.len();
        for _ in 0..Flood::COPIES {
            let size = ctx.rng.random_range(0..=ctx.frame_limit + 1);
            let keep = ctx.rng.random_range(0..=len.min(size));
            let mut bytes = env.bytes[..keep].to_vec();
            bytes.resize(size, 0);
            rand::Rng::fill_bytes(ctx.rng, &mut bytes[keep..]);
            let mut garbage = env.clone();
            garbage.bytes = std::sync::Arc::new(bytes);
            out.push(Carried {
                env: garbage,
                action: LinkAction::Tampered,
            });
        }
    }
}

/// Makes a built-in adversary.
pub type MakeAdversary = fn() -> Box<dyn Adversary>;

static BUILTINS: &[(&str, &str, MakeAdversary)] = &[
    (
        "chaos",
        "drop, tamper, spoof or replay, at random (the default)",
        || Box::new(Chaos),
    ),
    ("drop", "loses the frame", || Box::new(Lose)),
    ("tamper", "flips one random bit of the frame", || Box::new(Tamper)),
    ("spoof", "delivers the frame under another general's name", || {
        Box::new(Spoof)
    }),
    ("replay", "delivers the frame and replays an old one", || {
        Box::new(Replay)
    }),
    ("passive", "does nothing", || Box::new(Passive)),
    (
        "flood",
        "delivers the frame, 4 copies of it and 4 garbage frames up to the decode limit",
        || Box::new(Flood),
    ),
];

/// Makes a fresh adversary for one link; shared across threads in sweeps.
pub type AdversaryFactory = Arc<dyn Fn() -> Box<dyn Adversary> + Send + Sync>;

/// Link adversaries by name: the built-in ones and any a user's crate
/// registered (see the `registry` module). A run carries its table
/// ([`crate::run::RunSpec::adversaries`]), so its link is built from it.
pub type Adversaries = Table<AdversaryFactory>;

impl Table<AdversaryFactory> {
    /// The built-in adversaries.
    pub fn builtin() -> Adversaries {
        Table::new(
            BUILTINS
                .iter()
                .map(|&(name, about, make)| Entry::new(name, about, true, Arc::new(make) as AdversaryFactory))
                .collect(),
        )
    }

    /// Every adversary of the table kept to the alterations `keep` names,
    /// the rest undone, each kept one written to `log` if given
    /// ([`crate::traitor::shrunk::MaskedAdversary`]).
    pub fn masked(&self, keep: crate::traitor::shrunk::Keep, log: Option<crate::traitor::shrunk::Log>) -> Adversaries {
        Table::new(
            self.entries()
                .iter()
                .map(|e| {
                    let (base, keep, log) = (e.make().clone(), keep.clone(), log.clone());
                    let make: AdversaryFactory = Arc::new(move || {
                        Box::new(crate::traitor::shrunk::MaskedAdversary::new(
                            base(),
                            keep.clone(),
                            log.clone(),
                        ))
                    });
                    Entry::new(&e.name, &e.about, e.builtin, make)
                })
                .collect(),
        )
    }

    /// The adversary named `name`; an unknown name is an error that lists
    /// the known ones, never a silent stand-in.
    pub fn find(&self, name: &str) -> Result<AdversaryFactory, super::LinkError> {
        self.get(name)
            .map(|e| e.make().clone())
            .ok_or_else(|| super::LinkError::UnknownAdversary {
                name: name.to_string(),
                known: self.names(),
            })
    }
}
