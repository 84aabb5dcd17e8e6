//! Schedulers: who chooses each frame's delay, within what the run's timing
//! model allows (`--scheduler`).
//!
//! The timing model says which delays are possible (`timing`): exactly
//! delta under `sync`; under `partial`, at most delta for a frame sent after
//! GST and arrival by GST + delta for one sent before; under `async`, any
//! finite delay. A scheduler picks one in that window for every frame:
//!
//! * `random` (the default): the seeded draw of the timing model (Pareto
//!   before GST and under async, uniform in 1..=delta after GST). Every run
//!   byzlab made before schedulers existed is a `random` run.
//! * `adversarial`: the asynchronous model's enemy, which sees who sends to
//!   whom (never a message's content or a coin) and chooses delays to keep
//!   the loyal generals apart. It splits the generals into two halves by id
//!   (`0..ceil(n/2)` and the rest), delivers every frame within a half as
//!   early as allowed, and holds every frame between halves as long as
//!   allowed: each half sees its own majority first, and a protocol that
//!   waits a fixed time for the other half (a round timeout) decides
//!   without it. Under async "as long as allowed" is a finite hold,
//!   [`ASYNC_HOLD`] times the longer of delta and the round timeout, so
//!   that a protocol that waits for messages rather than for a clock still
//!   gets them.
//!
//! A user's crate registers its own with
//! [`crate::registry::Registry::with_scheduler`], like a strategy.

use crate::names::{Entry, Table};
use crate::timing::{Millis, Timing, TimingModel};
use crate::types::{GeneralId, Round};
use std::sync::Arc;

/// The default scheduler's name.
pub const RANDOM: &str = "random";
/// The built-in adversary's name.
pub const ADVERSARIAL: &str = "adversarial";

/// Under async, the longest hold of a frame: this many times the longer of
/// delta and the round timeout (far beyond any round deadline, finite).
pub const ASYNC_HOLD: Millis = 100;

/// A frame whose delay is being chosen: what a scheduler may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// When it leaves its sender (after any queue), virtual ms.
    pub now: Millis,
    /// Its sender.
    pub from: GeneralId,
    /// Its receiver.
    pub to: GeneralId,
    /// The round it travels in.
    pub round: Round,
    /// Generals in the run.
    pub n: usize,
}

/// The delays the timing model allows a frame, in virtual ms, both ends
/// included: `earliest <= latest`, both at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The shortest delay allowed.
    pub earliest: Millis,
    /// The longest.
    pub latest: Millis,
}

impl Window {
    /// What `timing` allows a frame sent at `now`.
    pub fn allowed(timing: &Timing, now: Millis) -> Window {
        let Timing { model, delta, gst, .. } = *timing;
        match model {
            TimingModel::Sync => Window {
                earliest: delta,
                latest: delta,
            },
            TimingModel::Partial if now >= gst => Window {
                earliest: 1,
                latest: delta,
            },
            TimingModel::Partial => Window {
                earliest: 1,
                latest: (gst + delta - now).max(1),
            },
            TimingModel::Async => Window {
                earliest: 1,
                latest: delta
                    .max(timing.timeout)
                    .saturating_mul(ASYNC_HOLD)
                    .min(crate::timing::MAX_MILLIS),
            },
        }
    }

    /// `delay` brought into the window.
    pub fn clamp(self, delay: Millis) -> Millis {
        delay.clamp(self.earliest, self.latest)
    }
}

/// Chooses each frame's delay. `drawn` is the timing model's seeded draw
/// for the frame (what `random` returns); whatever is returned is brought
/// into `window`.
pub trait Scheduler: Send {
    /// The delay of `frame`.
    fn delay(&mut self, frame: &Pending, window: Window, drawn: Millis) -> Millis;
}

/// The seeded draws of the timing model.
pub struct Random;

impl Scheduler for Random {
    fn delay(&mut self, _: &Pending, _: Window, drawn: Millis) -> Millis {
        drawn
    }
}

/// Holds frames between two halves of the generals as long as allowed,
/// delivers frames within a half as early as allowed.
pub struct Adversarial;

impl Adversarial {
    /// Which half `g` is in among `n`: ids below ceil(n/2) are the first.
    pub fn half(g: GeneralId, n: usize) -> bool {
        usize::from(g) < n.div_ceil(2)
    }
}

impl Scheduler for Adversarial {
    fn delay(&mut self, frame: &Pending, window: Window, _: Millis) -> Millis {
        if Adversarial::half(frame.from, frame.n) == Adversarial::half(frame.to, frame.n) {
            window.earliest
        } else {
            window.latest
        }
    }
}

/// Makes a run's scheduler, given n.
pub type SchedulerFactory = Arc<dyn Fn(usize) -> Box<dyn Scheduler> + Send + Sync>;

/// Schedulers by name, built-ins first.
pub type Schedulers = Table<SchedulerFactory>;

/// The built-in schedulers.
pub fn builtin() -> Schedulers {
    let random: SchedulerFactory = Arc::new(|_| Box::new(Random));
    let adversarial: SchedulerFactory = Arc::new(|_| Box::new(Adversarial));
    Table::new(vec![
        Entry::new(RANDOM, "the timing model's seeded delays (the default)", true, random),
        Entry::new(
            ADVERSARIAL,
            "holds frames between two halves of the generals as long as the timing model allows, delivers within a half at once",
            true,
            adversarial,
        ),
    ])
}

/// A scheduler chosen by name, ready for a run.
#[derive(Clone)]
pub struct NamedScheduler {
    /// Its name, as reported.
    pub name: String,
    /// Makes one for each run.
    pub factory: SchedulerFactory,
}

impl std::fmt::Debug for NamedScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Default for NamedScheduler {
    fn default() -> NamedScheduler {
        NamedScheduler {
            name: RANDOM.into(),
            factory: Arc::new(|_| Box::new(Random)),
        }
    }
}

/// A scheduler name nobody registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheduler `{got}` (expected {expected})")]
pub struct UnknownScheduler {
    /// The name given.
    pub got: String,
    /// The names registered.
    pub expected: String,
}

/// The scheduler named `name` in `table`.
pub fn resolve(table: &Schedulers, name: &str) -> Result<NamedScheduler, UnknownScheduler> {
    table
        .get(name)
        .map(|e| NamedScheduler {
            name: e.name.clone(),
            factory: e.make().clone(),
        })
        .ok_or_else(|| UnknownScheduler {
            got: name.into(),
            expected: table.names(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(from: GeneralId, to: GeneralId) -> Pending {
        Pending {
            now: 0,
            from,
            to,
            round: 1,
            n: 4,
        }
    }

    #[test]
    fn each_model_allows_what_the_timing_module_says() {
        let sync = Timing::default();
        assert_eq!(
            Window::allowed(&sync, 5),
            Window {
                earliest: 10,
                latest: 10
            }
        );
        let partial = Timing::new(TimingModel::Partial, 10, 100, None).unwrap();
        assert_eq!(
            Window::allowed(&partial, 30),
            Window {
                earliest: 1,
                latest: 80
            }
        );
        assert_eq!(
            Window::allowed(&partial, 100),
            Window {
                earliest: 1,
                latest: 10
            }
        );
        let asynchronous = Timing::new(TimingModel::Async, 10, 0, Some(40)).unwrap();
        assert_eq!(Window::allowed(&asynchronous, 0).latest, 4000);
    }

    #[test]
    fn the_adversary_holds_only_what_crosses_the_halves() {
        let w = Window {
            earliest: 1,
            latest: 500,
        };
        let mut a = Adversarial;
        assert_eq!(a.delay(&frame(0, 1), w, 7), 1, "0 and 1 are one half among 4");
        assert_eq!(a.delay(&frame(2, 3), w, 7), 1);
        assert_eq!(a.delay(&frame(0, 2), w, 7), 500);
        assert_eq!(a.delay(&frame(3, 1), w, 7), 500);
        assert_eq!(Random.delay(&frame(0, 2), w, 7), 7);
    }

    #[test]
    fn names_resolve_and_unknown_ones_are_refused() {
        let table = builtin();
        assert_eq!(resolve(&table, "adversarial").unwrap().name, "adversarial");
        let err = resolve(&table, "nasty").unwrap_err();
        assert!(err.to_string().contains("random, adversarial"), "{err}");
    }
}
