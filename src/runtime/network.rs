//! The network both runtimes share, and the run's virtual clock: it passes
//! every frame through the run's link model, gives it a delay from the
//! timing model and schedules its arrival, keeps the generals' timers,
//! counts what the link did, records the trace, and hands what generals took
//! from frames to the run's audit (an observer: nothing a general does
//! depends on it). The actix runtime wraps it in an actor; the direct runner
//! calls it in place.

use super::audit::Audit;
use super::clock::{Clock, Event};
use super::process::Effects;
use crate::link::{Carried, Link, LinkAction};
use crate::timing::{Delays, Millis, Timing};
use crate::types::{Counters, Envelope, GeneralId, Original, Round, Value};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One line of a run's message trace. Lines come in the order frames were
/// sent; `t` is when each arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// The round the frame travelled in.
    pub round: Round,
    /// Virtual time of delivery in ms (of sending, for a dropped frame).
    pub t: Millis,
    /// It arrived after its round's deadline, and counted as absent.
    pub late: bool,
    /// Who really sent it (whatever the link claims).
    pub from: GeneralId,
    /// Who it was for.
    pub to: GeneralId,
    /// OM path or SM chain signers (empty for a replayed frame).
    pub path: Vec<GeneralId>,
    /// The value (none for a replayed frame).
    pub value: Option<Value>,
    /// What the link did.
    pub link: LinkAction,
    /// For a spoofed or replayed frame: the sender it claims.
    pub claimed: Option<GeneralId>,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "-".to_string()
        } else {
            self.path.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(":")
        };
        let value = self.value.map_or("-", Value::as_str);
        write!(
            f,
            "round={} from={} to={} path={} value={} link={}",
            self.round,
            self.from,
            self.to,
            path,
            value,
            self.link.as_str()
        )?;
        if let Some(c) = self.claimed {
            write!(f, " claimed={c}")?;
        }
        write!(f, " t={}", self.t)?;
        if self.late {
            f.write_str(" late")?;
        }
        Ok(())
    }
}

/// Frames in, link model and delays applied, arrivals scheduled.
pub(crate) struct Network {
    link: Box<dyn Link>,
    audit: Box<dyn Audit>,
    clock: Clock,
    delays: Delays,
    /// The rounds' deadlines, for marking late frames in the trace.
    deadlines: Option<Timing>,
    trace: Option<Vec<TraceEntry>>,
    counters: Counters,
    scratch: Vec<Carried>,
}

impl Network {
    /// A network over `link` with delays from `timing`; `rounds` says
    /// whether frames belong to agreement rounds (and so can be late).
    pub(crate) fn new(
        link: Box<dyn Link>,
        audit: Box<dyn Audit>,
        timing: Timing,
        seed: u64,
        rounds: bool,
        trace: bool,
    ) -> Network {
        Network {
            link,
            audit,
            clock: Clock::default(),
            delays: Delays::new(timing, seed),
            deadlines: rounds.then_some(timing),
            trace: trace.then(Vec::new),
            counters: Counters::default(),
            scratch: Vec::new(),
        }
    }

    /// The events of the next instant, if anything is left to happen.
    pub(crate) fn next_instant(&mut self) -> Option<(Millis, Vec<(GeneralId, Event)>)> {
        self.clock.next_instant()
    }

    /// Hands an instant's emptied event vector back for reuse.
    pub(crate) fn recycle(&mut self, events: Vec<(GeneralId, Event)>) {
        self.clock.recycle(events);
    }

    /// Applies what general `from` did at `now`: its timers, its frames,
    /// its audits. Runtimes call this general by general, in id order.
    pub(crate) fn apply(&mut self, now: Millis, from: GeneralId, fx: Effects) {
        for (at, tag) in fx.timers {
            self.clock.schedule(at, from, Event::Timer(tag));
        }
        for (env, taken) in fx.audits {
            self.audit.audit(&env, &taken);
        }
        let can_alter = self.link.can_alter();
        let as_sent = self.link.delivers_as_sent();
        for out in fx.sends {
            let env = Envelope {
                round: out.round,
                from,
                to: out.to,
                bytes: out.bytes,
                original: None,
            };
            if as_sent {
                self.arrive(now, from, env, LinkAction::Delivered, &out.trace);
                continue;
            }
            // Kept only while the link runs, to record what an altered frame was.
            let sent = can_alter.then(|| env.bytes.clone());
            self.link.carry(from, env, &mut self.scratch);
            let mut carried = std::mem::take(&mut self.scratch);
            for Carried { mut env, action } in carried.drain(..) {
                if matches!(action, LinkAction::Tampered | LinkAction::Spoofed) {
                    env.original = Some(Box::new(Original {
                        from,
                        bytes: sent.clone().unwrap_or_default(),
                    }));
                }
                self.arrive(now, from, env, action, &out.trace);
            }
            self.scratch = carried;
        }
    }

    /// Counts, delays, traces and schedules what the link made of one frame
    /// sent by `from` at `now`.
    fn arrive(
        &mut self,
        now: Millis,
        from: GeneralId,
        env: Envelope,
        action: LinkAction,
        messages: &[crate::protocol::TraceMsg],
    ) {
        match action {
            LinkAction::Delivered => {}
            LinkAction::Dropped => self.counters.link_dropped += 1,
            LinkAction::Tampered | LinkAction::Spoofed => self.counters.link_tampered += 1,
            LinkAction::Replayed => self.counters.link_injected += 1,
        }
        let at = match action {
            LinkAction::Dropped => now,
            _ => now.saturating_add(self.delays.draw(now)),
        };
        if let Some(trace) = &mut self.trace {
            let late = self.deadlines.is_some_and(|t| at > t.deadline(env.round));
            let claimed = (env.from != from || action == LinkAction::Replayed).then_some(env.from);
            let entry = |path: Vec<GeneralId>, value: Option<Value>| TraceEntry {
                round: env.round,
                t: at,
                late: late && action != LinkAction::Dropped,
                from: if action == LinkAction::Replayed { env.from } else { from },
                to: env.to,
                path,
                value,
                link: action,
                claimed,
            };
            if action == LinkAction::Replayed {
                trace.push(entry(Vec::new(), None));
            } else {
                trace.extend(messages.iter().map(|m| entry(m.path.clone(), Some(m.value))));
            }
        }
        if action != LinkAction::Dropped {
            let to = env.to;
            self.clock.schedule(at, to, Event::Deliver(env));
        }
    }

    /// Counters (the link's and the audit's) and trace at the end of the run.
    pub(crate) fn finish(self) -> (Counters, Vec<TraceEntry>) {
        let mut counters = self.counters;
        counters.add(&self.audit.counters());
        (counters, self.trace.unwrap_or_default())
    }
}
