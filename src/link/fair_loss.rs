//! Fair-loss channels: each frame is lost with probability `loss` and, if
//! not, arrives twice with probability `dup` (each copy with its own delay,
//! so copies may overtake other frames). Losses are independent, so a frame
//! sent again and again is eventually delivered: the fair-loss property
//! that a stubborn layer turns into reliable delivery.

use super::{Carried, Link, LinkAction};
use crate::rng::{Purpose, RunRng, stream};
use crate::types::{Envelope, GeneralId};
use rand::RngExt;

/// A lossy, duplicating channel.
pub struct FairLoss {
    loss: f64,
    dup: f64,
    rng: RunRng,
}

impl FairLoss {
    /// A channel losing `loss` and duplicating `dup` of the frames, seeded.
    pub fn new(loss: f64, dup: f64, seed: u64) -> FairLoss {
        FairLoss {
            loss,
            dup,
            rng: stream(seed, Purpose::Link, 2),
        }
    }
}

impl Link for FairLoss {
    fn name(&self) -> String {
        format!("fair-loss({}/{})", self.loss, self.dup)
    }

    fn can_alter(&self) -> bool {
        false
    }

    fn carry(&mut self, true_sender: GeneralId, mut env: Envelope, out: &mut Vec<Carried>) {
        env.from = true_sender;
        if self.loss > 0.0 && self.rng.random_bool(self.loss) {
            out.push(Carried {
                env,
                action: LinkAction::Lost,
            });
            return;
        }
        if self.dup > 0.0 && self.rng.random_bool(self.dup) {
            out.push(Carried {
                env: env.clone(),
                action: LinkAction::Delivered,
            });
            out.push(Carried {
                env,
                action: LinkAction::Duplicated,
            });
            return;
        }
        out.push(Carried {
            env,
            action: LinkAction::Delivered,
        });
    }
}
