//! Timing models: how long a frame takes, in virtual milliseconds, and how
//! long a general waits for a round. Time is always virtual: a run's clock is
//! an event queue (see `runtime::clock`), never the wall clock.
//!
//! * `sync`: every delay is within a known bound delta. Here every frame
//!   takes exactly delta: the lock-step synchronous rounds of the paper, in
//!   which the distribution within the bound changes nothing.
//! * `partial` (Dwork, Lynch and Stockmeyer's partial synchrony): before the
//!   global stabilisation time GST delays are unbounded and heavy-tailed (a
//!   frame sent before GST still arrives by GST + delta); from GST on every
//!   delay is between 1 and delta.
//! * `async`: no bound at all: every delay is heavy-tailed. No timeout is
//!   right: any timeout treats some loyal general as absent in some run.
//!
//! Heavy-tailed means Pareto with shape 1.5 and scale delta/4 (at least
//! 1 ms): a median of about 0.4 delta, one frame in eight slower than delta,
//! one in 23 slower than 2 delta, and no upper bound.
//!
//! A general's round r ends at its deadline r x timeout (rounds start at 0):
//! it sends its round-r frames when round r-1's deadline passes, and a frame
//! of round r that arrives after round r's deadline is late and counts as
//! absent (A3, section 6 of the paper). The default timeout is delta, the
//! paper's bound with no processing time (a message with k signatures must
//! arrive by T0 + k(mu + tau)), so under `sync` no frame is ever late.

use crate::rng::{Purpose, RunRng, stream};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Virtual time, in milliseconds since the run started.
pub type Millis = u64;

/// Which timing model a run assumes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimingModel {
    /// Every delay within delta (the default).
    #[default]
    Sync,
    /// Unbounded before GST, within delta after it.
    Partial,
    /// Unbounded always.
    Async,
}

impl TimingModel {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimingModel::Sync => "sync",
            TimingModel::Partial => "partial",
            TimingModel::Async => "async",
        }
    }
}

impl fmt::Display for TimingModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimingModel {
    type Err = crate::names::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sync" => Ok(TimingModel::Sync),
            "partial" => Ok(TimingModel::Partial),
            "async" => Ok(TimingModel::Async),
            other => Err(crate::names::UnknownName {
                kind: "timing model",
                got: other.to_string(),
                expected: "sync, partial or async",
            }),
        }
    }
}

/// Default delay bound delta, in virtual ms.
pub const DEFAULT_DELTA: Millis = 10;

/// Longest timeout, delta or GST a run accepts (about 11.6 virtual days):
/// far beyond any useful setting, small enough that no deadline overflows.
pub const MAX_MILLIS: Millis = 1_000_000_000;

/// A run's timing, as validated: every field known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// The model.
    pub model: TimingModel,
    /// The delay bound (sync, and partial after GST), in ms.
    pub delta: Millis,
    /// Global stabilisation time (partial), in ms.
    pub gst: Millis,
    /// How long a general waits for each round, in ms.
    pub timeout: Millis,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            model: TimingModel::Sync,
            delta: DEFAULT_DELTA,
            gst: 0,
            timeout: DEFAULT_DELTA,
        }
    }
}

/// Timing settings that make no sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    /// A zero delta or timeout.
    #[error("{0} must be at least 1 ms")]
    Zero(&'static str),
    /// A setting past [`MAX_MILLIS`].
    #[error("{what} = {value} ms exceeds the largest setting, {MAX_MILLIS} ms")]
    TooLong {
        /// Which setting.
        what: &'static str,
        /// Its value.
        value: Millis,
    },
}

impl Timing {
    /// The timing of `model` with `delta`, `gst` and a timeout (`None`: the
    /// default, delta), checked.
    pub fn new(model: TimingModel, delta: Millis, gst: Millis, timeout: Option<Millis>) -> Result<Timing, TimingError> {
        let timeout = timeout.unwrap_or(delta);
        for (what, value) in [("delta", delta), ("timeout", timeout)] {
            if value == 0 {
                return Err(TimingError::Zero(what));
            }
        }
        for (what, value) in [("delta", delta), ("gst", gst), ("timeout", timeout)] {
            if value > MAX_MILLIS {
                return Err(TimingError::TooLong { what, value });
            }
        }
        Ok(Timing {
            model,
            delta,
            gst,
            timeout,
        })
    }

    /// The deadline of `round` (rounds count from 1): round x timeout.
    pub fn deadline(&self, round: u32) -> Millis {
        Millis::from(round).saturating_mul(self.timeout)
    }
}

/// Draws each frame's delay from a run's timing model and seed.
pub(crate) struct Delays {
    timing: Timing,
    rng: RunRng,
}

impl Delays {
    pub(crate) fn new(timing: Timing, seed: u64) -> Delays {
        Delays {
            timing,
            rng: stream(seed, Purpose::Delay, 0),
        }
    }

    /// The delay of a frame sent at `now`: at least 1 ms, so nothing sent
    /// at an instant arrives at that same instant.
    pub(crate) fn draw(&mut self, now: Millis) -> Millis {
        let Timing { model, delta, gst, .. } = self.timing;
        match model {
            TimingModel::Sync => delta,
            TimingModel::Partial if now >= gst => self.rng.random_range(1..=delta),
            // Sent before GST: heavy-tailed, but in by GST + delta.
            TimingModel::Partial => self.heavy().min(gst + delta - now),
            TimingModel::Async => self.heavy(),
        }
    }

    /// Pareto(shape 1.5, scale delta/4), rounded up, capped far beyond any
    /// deadline so that arithmetic never overflows.
    fn heavy(&mut self) -> Millis {
        let scale = (self.timing.delta as f64 / 4.0).max(1.0);
        // u in (0, 1]: 1 - [0, 1).
        let u = 1.0 - self.rng.random::<f64>();
        let x = scale / u.powf(1.0 / 1.5);
        (x.ceil() as Millis).clamp(1, MAX_MILLIS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_is_exactly_delta_and_defaults_leave_nothing_late() {
        let t = Timing::default();
        let mut d = Delays::new(t, 1);
        assert!((0..100).all(|i| d.draw(i) == t.delta));
        assert!(
            t.timeout >= t.delta,
            "a frame sent at a round's start arrives by its deadline"
        );
    }

    #[test]
    fn partial_is_bounded_after_gst_and_arrives_by_gst_plus_delta() {
        let t = Timing::new(TimingModel::Partial, 10, 1000, None).unwrap();
        let mut d = Delays::new(t, 3);
        let mut over = 0;
        for now in (0..1000).step_by(7) {
            let x = d.draw(now);
            assert!(x >= 1 && now + x <= 1010, "sent at {now}, delay {x}");
            over += usize::from(x > 10);
        }
        assert!(over > 0, "no heavy tail before GST");
        assert!((1000..3000).all(|now| (1..=10).contains(&d.draw(now))));
    }

    #[test]
    fn async_has_a_heavy_tail() {
        let t = Timing::new(TimingModel::Async, 10, 0, None).unwrap();
        let mut d = Delays::new(t, 5);
        let xs: Vec<Millis> = (0..4000).map(|i| d.draw(i)).collect();
        let over = |k: Millis| xs.iter().filter(|&&x| x > k).count() as f64 / xs.len() as f64;
        // Pareto(1.5, 2.5): P(X > 10) = 0.125, P(X > 40) = 0.0156.
        assert!((0.09..0.16).contains(&over(10)), "{}", over(10));
        assert!((0.005..0.03).contains(&over(40)), "{}", over(40));
        assert!(xs.iter().all(|&x| x >= 1));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(
            Timing::new(TimingModel::Sync, 0, 0, None),
            Err(TimingError::Zero("delta"))
        );
        assert_eq!(
            Timing::new(TimingModel::Sync, 5, 0, Some(0)),
            Err(TimingError::Zero("timeout"))
        );
        assert!(matches!(
            Timing::new(TimingModel::Partial, 5, u64::MAX, None),
            Err(TimingError::TooLong { what: "gst", .. })
        ));
        assert_eq!(Timing::default().deadline(3), 30);
    }
}
