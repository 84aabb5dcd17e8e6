//! The network both runtimes share, and the run's virtual clock: it passes
//! every frame through the run's link model, gives it a delay from the
//! timing model and schedules its arrival, keeps the generals' timers,
//! counts what the link did, records the trace, and hands what generals took
//! from frames to the run's audit (an observer: nothing a general does
//! depends on it). The actix runtime wraps it in an actor; the direct runner
//! calls it in place.

use super::audit::Audit;
use super::clock::{Clock, Event};
use super::general::Described;
use super::process::Effects;
use crate::link::capacity::{Fifo, Queue, QueueStats};
use crate::link::layer::{Cx, Effects as LayerEffects, Frame, LayerTimer, Series};
use crate::link::{Carried, Channel, Link, LinkAction, LinkLayer};
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
    /// Virtual time it was sent, in ms.
    #[serde(default)]
    pub sent: Millis,
    /// It arrived after its round's deadline, and counted as absent.
    pub late: bool,
    /// Which transmission of the frame this is (0: the first; more: a
    /// stubborn layer's retransmissions).
    #[serde(default)]
    pub attempt: u32,
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
        if self.attempt > 0 {
            write!(f, " attempt={}", self.attempt)?;
        }
        if self.late {
            f.write_str(" late")?;
        }
        Ok(())
    }
}

/// What a receiver did with one frame handed to it (a traced run): a line
/// of the trace written when it did it, after the frame's own lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judged {
    /// Virtual time it was handed the frame, in ms.
    pub t: Millis,
    /// The round the frame travelled in.
    pub round: Round,
    /// The sender the frame names (a spoofed frame's claimed sender).
    pub from: GeneralId,
    /// The receiver.
    pub to: GeneralId,
    /// What it did: `took 0:1=attack`, `attack:0:2 ignored: ...`,
    /// `retreat:0:3 rejected: ...`, `refused the frame: ...`, `late: ...`.
    pub verdict: String,
}

impl Judged {
    /// The verdict on `env`, handed over at `now`, still to be said.
    pub(crate) fn of(now: Millis, env: &Envelope) -> Judged {
        Judged {
            t: now,
            round: env.round,
            from: env.from,
            to: env.to,
            verdict: String::new(),
        }
    }

    /// With what the receiver did.
    pub(crate) fn saying(mut self, verdict: String) -> Judged {
        self.verdict = verdict;
        self
    }
}

impl fmt::Display for Judged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  verdict round={} from={} to={} t={}: {}",
            self.round, self.from, self.to, self.t, self.verdict
        )
    }
}

/// Where a run's trace goes, a line at a time as frames travel: kept whole
/// (a `Vec`, for a caller that wants the lines back), printed as it comes,
/// or summarised (a diagram's sketch), so a long trace need not fit in
/// memory.
pub trait TraceSink: Send {
    /// One line, in the order frames were put on the link.
    fn push(&mut self, entry: TraceEntry);
    /// What a receiver did with a frame, when it did it (ignored unless
    /// the sink shows it).
    fn verdict(&mut self, judged: &Judged) {
        let _ = judged;
    }
    /// Whether it shows verdicts: only then do receivers say them (saying
    /// what a frame of OM(5) among 20 carried costs more than the run).
    fn wants_verdicts(&self) -> bool {
        false
    }
    /// The lines kept whole, for the run's report (none, unless a `Vec`).
    fn into_kept(self: Box<Self>) -> Vec<TraceEntry> {
        Vec::new()
    }
}

impl TraceSink for Vec<TraceEntry> {
    fn push(&mut self, entry: TraceEntry) {
        Vec::push(self, entry);
    }

    fn into_kept(self: Box<Self>) -> Vec<TraceEntry> {
        *self
    }
}

/// Every line to each of several sinks (a printed trace and a diagram's
/// sketch of one run).
pub struct Tee(pub Vec<Box<dyn TraceSink>>);

impl TraceSink for Tee {
    fn push(&mut self, entry: TraceEntry) {
        if let Some((last, rest)) = self.0.split_last_mut() {
            for sink in rest {
                sink.push(entry.clone());
            }
            last.push(entry);
        }
    }

    fn verdict(&mut self, judged: &Judged) {
        for sink in &mut self.0 {
            sink.verdict(judged);
        }
    }

    fn wants_verdicts(&self) -> bool {
        self.0.iter().any(|s| s.wants_verdicts())
    }
}

/// Frames in, link stack and delays applied, arrivals scheduled.
pub(crate) struct Network {
    /// The channel every frame (and acknowledgement) crosses.
    bottom: Box<dyn Link>,
    /// The layers above it, bottom first (see `link::layer`).
    layers: Vec<Box<dyn LinkLayer>>,
    /// Emptied effect lists, reused (a layer's step fills one).
    spare: Vec<LayerEffects>,
    /// The one router queue every frame crosses (`--bottleneck`).
    bottleneck: Option<(Fifo, QueueStats)>,
    audit: Box<dyn Audit>,
    clock: Clock,
    delays: Delays,
    /// The rounds' deadlines, for late marks and for giving up resending.
    deadlines: Option<Timing>,
    trace: Option<Box<dyn TraceSink>>,
    counters: Counters,
    scratch: Vec<Carried>,
    /// The channel delivers every frame as sent (asked once, not per frame).
    as_sent: bool,
    /// Chooses each frame's delay within what the timing model allows;
    /// `None`: the model's seeded draw (`random`).
    scheduler: Option<Box<dyn crate::scheduler::Scheduler>>,
    timing: Timing,
    /// Generals in the run (for the scheduler).
    n: usize,
    /// Nothing happens after this virtual time (an asynchronous run's budget).
    horizon: Option<Millis>,
}

impl Network {
    /// A network over `channel` with delays from `timing`, every frame
    /// crossing `bottleneck` if there is one; `rounds` says whether frames
    /// belong to agreement rounds (and so can be late).
    pub(crate) fn new(
        channel: Channel,
        bottleneck: Option<Queue>,
        audit: Box<dyn Audit>,
        timing: Timing,
        seed: u64,
        rounds: bool,
        trace: Option<Box<dyn TraceSink>>,
    ) -> Network {
        let Channel { bottom, layers } = channel;
        let as_sent = bottom.delivers_as_sent();
        Network {
            bottom,
            layers,
            spare: Vec::new(),
            bottleneck: bottleneck.map(|q| (Fifo::new(q), QueueStats::default())),
            audit,
            clock: Clock::default(),
            delays: Delays::new(timing, seed),
            deadlines: rounds.then_some(timing),
            trace,
            counters: Counters::default(),
            scratch: Vec::new(),
            as_sent,
            scheduler: None,
            timing,
            n: 0,
            horizon: None,
        }
    }

    /// The network with `scheduler` choosing delays among `n` generals
    /// (the `random` one is the seeded draw itself and is not consulted).
    pub(crate) fn scheduled(mut self, scheduler: Option<Box<dyn crate::scheduler::Scheduler>>, n: usize) -> Network {
        self.scheduler = scheduler;
        self.n = n;
        self
    }

    /// The network stopping after `horizon` (`None`: when nothing is left).
    pub(crate) fn until(mut self, horizon: Option<Millis>) -> Network {
        self.horizon = horizon;
        self
    }

    /// The delay of a frame `from` -> `to` of `round` leaving at `now`.
    fn delay(&mut self, now: Millis, from: GeneralId, to: GeneralId, round: Round) -> Millis {
        let drawn = self.delays.draw(now);
        let Some(scheduler) = &mut self.scheduler else {
            return drawn;
        };
        let window = crate::scheduler::Window::allowed(&self.timing, now);
        let frame = crate::scheduler::Pending {
            now,
            from,
            to,
            round,
            n: self.n,
        };
        window.clamp(scheduler.delay(&frame, window, drawn))
    }

    /// The events of the next instant that reach a general, if anything is
    /// left to happen. The link layers' own work (acknowledgements,
    /// retransmissions, dropping duplicates, checking tags) happens here, in
    /// the instant's order, before the generals see anything.
    pub(crate) fn next_instant(&mut self) -> Option<(Millis, Vec<(GeneralId, Event)>)> {
        loop {
            let (now, mut events) = self.clock.next_instant()?;
            if self.horizon.is_some_and(|h| now > h) {
                self.clock.recycle(events);
                return None;
            }
            if self.layers.is_empty() {
                return Some((now, events));
            }
            let mut out = Vec::with_capacity(events.len());
            for (to, event) in events.drain(..) {
                match event {
                    Event::Deliver(env) => {
                        if let Some(env) = self.receive(now, env) {
                            out.push((to, Event::Deliver(env)));
                        }
                    }
                    Event::Layer { layer, timer } => self.layer_timer(now, layer, timer),
                    timer @ Event::Timer(_) => out.push((to, timer)),
                }
            }
            self.clock.recycle(events);
            if !out.is_empty() {
                return Some((now, out));
            }
        }
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
        if let Some(trace) = &mut self.trace {
            for j in &fx.verdicts {
                trace.verdict(j);
            }
        }
        let top = self.layers.len();
        for out in fx.sends {
            let env = Envelope {
                round: out.round,
                from,
                to: out.to,
                bytes: out.bytes,
                original: None,
                link: None,
            };
            let frame = Frame {
                env,
                attempt: 0,
                hold: 0,
                trace: out.trace,
            };
            if top == 0 {
                self.wire(now, frame);
            } else {
                self.down(now, top, frame);
            }
        }
    }

    /// Runs one step of layer `i` with a context for `now`, then carries
    /// out what it did.
    fn step<T>(&mut self, now: Millis, i: usize, f: impl FnOnce(&mut dyn LinkLayer, &mut Cx<'_>) -> T) -> T {
        let mut fx = self.spare.pop().unwrap_or_default();
        let mut cx = Cx {
            now,
            deadlines: self.deadlines,
            fx: &mut fx,
        };
        let out = f(self.layers[i].as_mut(), &mut cx);
        if !fx.is_empty() {
            self.carry_out(now, i, &mut fx);
        }
        self.spare.push(fx);
        out
    }

    /// What layer `i` did, in order: its timers set, its signals to every
    /// layer above it, its own frames down through the layers below it,
    /// its discards traced.
    fn carry_out(&mut self, now: Millis, i: usize, fx: &mut LayerEffects) {
        for (at, timer) in fx.timers.drain(..) {
            self.clock.schedule(at, timer.from, Event::Layer { layer: i, timer });
        }
        for signal in std::mem::take(&mut fx.signals) {
            for j in i + 1..self.layers.len() {
                self.step(now, j, |l, cx| l.signal(cx, signal));
            }
        }
        for frame in std::mem::take(&mut fx.sends) {
            self.down(now, i, frame);
        }
        for frame in std::mem::take(&mut fx.discards) {
            let from = frame.env.from;
            self.arrive(
                now,
                from,
                frame.env,
                LinkAction::TailDrop,
                frame.trace.as_ref(),
                frame.attempt,
                0,
            );
        }
    }

    /// A frame going down through layers `level - 1` to 0, then onto the
    /// channel (unless a layer keeps or drops it).
    fn down(&mut self, now: Millis, level: usize, mut frame: Frame) {
        for i in (0..level).rev() {
            match self.step(now, i, |l, cx| l.down(cx, frame)) {
                Some(f) => frame = f,
                None => return,
            }
        }
        self.wire(now, frame);
    }

    /// A timer layer `i` set fires.
    fn layer_timer(&mut self, now: Millis, i: usize, timer: LayerTimer) {
        self.step(now, i, |l, cx| l.timer(cx, timer));
    }

    /// Puts one frame on the channel.
    fn wire(&mut self, now: Millis, frame: Frame) {
        let Frame {
            env,
            attempt,
            hold,
            trace,
        } = frame;
        let (from, messages) = (env.from, trace.as_ref());
        self.counters.frames_sent += 1;
        if self.as_sent {
            self.arrive(now, from, env, LinkAction::Delivered, messages, attempt, hold);
            return;
        }
        // Kept only while the link runs, to record what an altered frame was.
        let sent = self.bottom.can_alter().then(|| env.bytes.clone());
        self.bottom.carry(from, env, &mut self.scratch);
        let mut carried = std::mem::take(&mut self.scratch);
        for Carried { mut env, action } in carried.drain(..) {
            if matches!(action, LinkAction::Tampered | LinkAction::Spoofed) {
                env.original = Some(Box::new(Original {
                    from,
                    bytes: sent.clone().unwrap_or_default(),
                }));
            }
            self.arrive(now, from, env, action, messages, attempt, hold);
        }
        self.scratch = carried;
    }

    /// Counts, delays, traces and schedules what the channel made of one
    /// frame sent by `from` at `now` after waiting `hold` ms at its sender:
    /// it crosses the bottleneck, if any (waiting its turn, or dropped at
    /// a full queue), then takes a delay from the timing model.
    #[allow(clippy::too_many_arguments)]
    fn arrive(
        &mut self,
        now: Millis,
        from: GeneralId,
        env: Envelope,
        mut action: LinkAction,
        messages: Option<&Described>,
        attempt: u32,
        hold: Millis,
    ) {
        let mut leaves = now.saturating_add(hold);
        if let Some((fifo, stats)) = &mut self.bottleneck
            && !matches!(action, LinkAction::Dropped | LinkAction::Lost | LinkAction::TailDrop)
        {
            match fifo.admit(leaves, env.bytes.len(), stats) {
                Some(t) => leaves = t,
                None => action = LinkAction::TailDrop,
            }
        }
        match action {
            LinkAction::Delivered => {}
            LinkAction::Dropped => self.counters.link_dropped += 1,
            LinkAction::Tampered | LinkAction::Spoofed => self.counters.link_tampered += 1,
            LinkAction::Replayed => self.counters.link_injected += 1,
            LinkAction::Lost => self.counters.frames_dropped += 1,
            LinkAction::Duplicated => self.counters.frames_duplicated += 1,
            // Counted by the queue that dropped it.
            LinkAction::TailDrop => {}
        }
        let lost = matches!(action, LinkAction::Dropped | LinkAction::Lost | LinkAction::TailDrop);
        let at = if lost {
            now
        } else {
            leaves.saturating_add(self.delay(leaves, from, env.to, env.round))
        };
        if let Some(trace) = &mut self.trace
            && !env.link.as_ref().is_some_and(|h| h.ack)
        {
            let late = !lost && self.deadlines.is_some_and(|t| at > t.deadline(env.round));
            let claimed = (env.from != from || action == LinkAction::Replayed).then_some(env.from);
            let entry = |path: Vec<GeneralId>, value: Option<Value>| TraceEntry {
                round: env.round,
                t: at,
                sent: now,
                late,
                attempt,
                from: if action == LinkAction::Replayed { env.from } else { from },
                to: env.to,
                path,
                value,
                link: action,
                claimed,
            };
            if action == LinkAction::Replayed {
                trace.push(entry(Vec::new(), None));
            } else if let Some(describe) = messages {
                // Described now, one frame at a time, and let go.
                for m in describe() {
                    trace.push(entry(m.path, Some(m.value)));
                }
            }
        }
        if !lost {
            let to = env.to;
            self.clock.schedule(at, to, Event::Deliver(env));
        }
    }

    /// The receiving side of the stack, bottom up: each layer passes the
    /// frame on, or consumes it (`auth` rejecting what does not verify,
    /// an acknowledgement included; `stubborn` taking its
    /// acknowledgements, and acknowledging the rest; `dedup` dropping
    /// what it delivered already). What is left reaches the general.
    fn receive(&mut self, now: Millis, env: Envelope) -> Option<Envelope> {
        let mut frame = Frame {
            env,
            attempt: 0,
            hold: 0,
            trace: None,
        };
        for i in 0..self.layers.len() {
            frame = self.step(now, i, |l, cx| l.up(cx, frame))?;
        }
        Some(frame.env)
    }

    /// Counters (the link's, its layers' and queues', and the audit's),
    /// trace and the layers' series at the end of the run.
    pub(crate) fn finish(self) -> (Counters, Vec<TraceEntry>, Vec<Series>) {
        let mut counters = self.counters;
        let mut series = Vec::new();
        for layer in &self.layers {
            layer.report(&mut counters, &mut series);
        }
        if let Some((_, stats)) = &self.bottleneck {
            stats.report(&mut counters);
        }
        counters.add(&self.audit.counters());
        (
            counters,
            self.trace.map(TraceSink::into_kept).unwrap_or_default(),
            series,
        )
    }
}
