//! What a runtime drives: a process that reacts to the events of virtual
//! time (its own timers, frames arriving) with effects (frames to send,
//! timers to set), as data. A general running an agreement protocol is one
//! ([`Agreement`]); a node of the heartbeat failure detector is another.

use super::GeneralReport;
use super::clock::Event;
use super::node::{General, OutFrame};
use crate::protocol::Taken;
use crate::timing::{Millis, Timing};
use crate::types::{Envelope, Round};

/// What a process does in reaction to one instant's events.
#[derive(Default)]
#[must_use]
pub(crate) struct Effects {
    /// Frames to send now.
    pub(crate) sends: Vec<OutFrame>,
    /// Timers to set: when, and a tag handed back when it fires.
    pub(crate) timers: Vec<(Millis, u64)>,
    /// What it took from frames, for the run's audit.
    pub(crate) audits: Vec<(Envelope, Taken)>,
}

/// A process in virtual time.
pub(crate) trait Process: Unpin + 'static {
    /// Its final state.
    type Report: Send + 'static;
    /// It starts, at time 0: typically it sets its first timer.
    fn start(&mut self, fx: &mut Effects);
    /// An event of instant `now` reaches it.
    fn on_event(&mut self, now: Millis, event: Event, fx: &mut Effects);
    /// Its final state.
    fn report(&self) -> Self::Report;
}

/// A general running an agreement protocol on its own clock: round r starts
/// when round r-1's deadline passes (round 1 at time 0), when it sends its
/// round-r frames; a frame of round r that arrives after round r's deadline
/// is late and ignored, as absent (A3); it decides when its last deadline
/// passes.
pub(crate) struct Agreement {
    general: Box<dyn General>,
    timing: Timing,
    rounds: Round,
    decided_at: Option<Millis>,
    late: u64,
}

impl Agreement {
    pub(crate) fn new(general: Box<dyn General>, timing: Timing, rounds: Round) -> Agreement {
        Agreement {
            general,
            timing,
            rounds,
            decided_at: None,
            late: 0,
        }
    }
}

impl Process for Agreement {
    type Report = GeneralReport;

    fn start(&mut self, fx: &mut Effects) {
        fx.timers.push((0, 1));
    }

    fn on_event(&mut self, now: Millis, event: Event, fx: &mut Effects) {
        match event {
            // The timer tagged r fires when round r starts; r = rounds + 1 is
            // the last deadline.
            Event::Timer(tag) => {
                let round = Round::try_from(tag).unwrap_or(Round::MAX);
                if round <= self.rounds {
                    let sends = self.general.on_round(round);
                    if fx.sends.is_empty() {
                        fx.sends = sends;
                    } else {
                        fx.sends.extend(sends);
                    }
                    fx.timers.push((self.timing.deadline(round), tag + 1));
                } else {
                    self.decided_at = Some(now);
                }
            }
            Event::Deliver(env) => {
                if now > self.timing.deadline(env.round) {
                    self.late += 1;
                } else if let Some(taken) = self.general.accept(&env) {
                    fx.audits.push((env, taken));
                }
            }
        }
    }

    fn report(&self) -> GeneralReport {
        let mut r = self.general.report();
        r.counters.late_frames += self.late;
        r.decided_at = self.decided_at;
        r
    }
}
