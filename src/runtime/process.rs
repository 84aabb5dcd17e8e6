//! What a runtime drives: a process that reacts to the events of virtual
//! time (its own timers, frames arriving) with effects (frames to send,
//! timers to set), as data. A general running an agreement protocol is one
//! ([`Agreement`]); a node of the heartbeat failure detector is another.

use super::GeneralReport;
use super::clock::Event;
use super::network::Judged;
use super::node::{General, OutFrame};
use crate::protocol::Taken;
use crate::rng::RunRng;
use crate::run::NodeFault;
use crate::timing::{Millis, Timing};
use crate::types::{Envelope, Round};
use rand::RngExt;

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
    /// In a traced run: what it did with each frame handed to it.
    pub(crate) verdicts: Vec<super::network::Judged>,
}

/// A process in virtual time.
pub(crate) trait Process: Unpin + 'static {
    /// Its final state.
    type Report: Send + Unpin + 'static;
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
/// passes. A benign fault, if it has one, silences it (crash), takes it
/// away for a while and wipes its memory (recover), or loses some of what
/// it sends (omission).
pub(crate) struct Agreement {
    general: Box<dyn General>,
    timing: Timing,
    rounds: Round,
    fault: Option<NodeFault>,
    /// Draws the frames an omitting general loses.
    rng: RunRng,
    /// A recovering general has come back (and forgotten).
    recovered: bool,
    decided_at: Option<Millis>,
    late: u64,
    /// An asynchronous protocol: no deadlines; it sends as it takes
    /// messages and decides when it can.
    asynchronous: bool,
    /// Its general says what it did with each frame (asked once, not per
    /// frame: the hot path pays one flag).
    judge: bool,
}

impl Agreement {
    pub(crate) fn new(
        general: Box<dyn General>,
        timing: Timing,
        rounds: Round,
        fault: Option<NodeFault>,
        rng: RunRng,
    ) -> Agreement {
        Agreement {
            judge: general.judging(),
            general,
            timing,
            rounds,
            fault,
            rng,
            recovered: false,
            decided_at: None,
            late: 0,
            asynchronous: false,
        }
    }

    /// The same general running an asynchronous protocol: round 1 starts
    /// at time 0 (the commander sends its order); from then on it reacts to
    /// each frame with what the protocol's outbox holds, and decides when
    /// the protocol says so, if ever.
    pub(crate) fn asynchronous(mut self) -> Agreement {
        self.asynchronous = true;
        self
    }

    /// What the general sends now, less what an omitting general loses.
    fn send(&mut self, sends: Vec<super::node::OutFrame>, fx: &mut Effects) {
        let mut sends = sends;
        if let Some(NodeFault::Omission { p }) = self.fault {
            sends.retain(|_| !self.rng.random_bool(p));
        }
        if fx.sends.is_empty() {
            fx.sends = sends;
        } else {
            fx.sends.extend(sends);
        }
    }

    /// An asynchronous general's events: no deadline, nothing late.
    fn on_async_event(&mut self, now: Millis, event: Event, down: bool, fx: &mut Effects) {
        if down {
            return;
        }
        match event {
            Event::Timer(1) => {
                let sends = self.general.on_round(1);
                self.send(sends, fx);
            }
            Event::Timer(_) | Event::Layer { .. } => {}
            Event::Deliver(env) => {
                let judged = self.judge.then(|| Judged::of(now, &env));
                if let Some(taken) = self.general.accept(&env) {
                    fx.audits.push((env, taken));
                }
                if let Some(j) = judged
                    && let Some(text) = self.general.verdict()
                {
                    fx.verdicts.push(j.saying(text));
                }
                let sends = self.general.drain();
                self.send(sends, fx);
            }
        }
        if self.decided_at.is_none() && self.general.decided() {
            self.decided_at = Some(now);
        }
    }

    /// Whether the general is down at `now` (and, on its way back up from a
    /// crash-recovery, forgets what it held).
    fn down(&mut self, now: Millis) -> bool {
        match self.fault {
            Some(NodeFault::Crash { at }) => now >= at,
            Some(NodeFault::Recover { down, up }) => {
                if now >= up && !self.recovered {
                    self.recovered = true;
                    self.general.reset();
                }
                (down..up).contains(&now)
            }
            _ => false,
        }
    }
}

impl Process for Agreement {
    type Report = GeneralReport;

    fn start(&mut self, fx: &mut Effects) {
        fx.timers.push((0, 1));
    }

    fn on_event(&mut self, now: Millis, event: Event, fx: &mut Effects) {
        let down = self.fault.is_some() && self.down(now);
        if self.asynchronous {
            return self.on_async_event(now, event, down, fx);
        }
        match event {
            // The timer tagged r fires when round r starts; r = rounds + 1 is
            // the last deadline. A crashed general's clock stops; one that is
            // down for a while keeps time but does nothing.
            Event::Timer(tag) => {
                if matches!(self.fault, Some(NodeFault::Crash { .. })) && down {
                    return;
                }
                let round = Round::try_from(tag).unwrap_or(Round::MAX);
                if round <= self.rounds {
                    if !down {
                        let sends = self.general.on_round(round);
                        self.send(sends, fx);
                    }
                    fx.timers.push((self.timing.deadline(round), tag + 1));
                } else if !down {
                    self.decided_at = Some(now);
                }
            }
            Event::Layer { .. } => {}
            Event::Deliver(_) if down => {}
            Event::Deliver(env) => {
                let judged = self.judge.then(|| Judged::of(now, &env));
                let deadline = self.timing.deadline(env.round);
                if now > deadline {
                    self.late += 1;
                    if let Some(j) = judged {
                        fx.verdicts.push(j.saying(format!(
                            "late: after round {}'s deadline at t={deadline}, read as absent",
                            env.round
                        )));
                    }
                    return;
                }
                if let Some(taken) = self.general.accept(&env) {
                    fx.audits.push((env, taken));
                }
                if let Some(j) = judged
                    && let Some(text) = self.general.verdict()
                {
                    fx.verdicts.push(j.saying(text));
                }
            }
        }
    }

    fn report(&self) -> GeneralReport {
        let mut r = self.general.report();
        r.counters.late_frames += self.late;
        r.decided_at = self.decided_at;
        r.failed = self.fault.is_some();
        r
    }
}
