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
use crate::link::{Carried, Channel, LinkAction, Retry};
use crate::rng::{Purpose, RunRng, stream};
use crate::timing::{Delays, Millis, Timing};
use crate::types::{Counters, Envelope, GeneralId, LinkHeader, Original, Round, Value};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

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

/// Bytes of an `auth` tag.
const TAG: usize = 16;

/// Where a run's trace goes, a line at a time as frames travel: kept whole
/// (a `Vec`, for a caller that wants the lines back), printed as it comes,
/// or summarised (a diagram's sketch), so a long trace need not fit in
/// memory.
pub trait TraceSink: Send {
    /// One line, in the order frames were put on the link.
    fn push(&mut self, entry: TraceEntry);
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
}

/// A frame a stubborn layer keeps sending until it is acknowledged.
struct Pending {
    env: Envelope,
    trace: Option<Described>,
    attempt: u32,
    /// Give up after this: the frame would be late anyway.
    until: Millis,
}

/// Frames in, link stack and delays applied, arrivals scheduled.
pub(crate) struct Network {
    channel: Channel,
    audit: Box<dyn Audit>,
    clock: Clock,
    delays: Delays,
    /// The rounds' deadlines, for late marks and for giving up resending.
    deadlines: Option<Timing>,
    trace: Option<Box<dyn TraceSink>>,
    counters: Counters,
    scratch: Vec<Carried>,
    /// Per (sender, receiver): the next sequence number.
    next_seq: BTreeMap<(GeneralId, GeneralId), u64>,
    pending: BTreeMap<(GeneralId, GeneralId, u64), Pending>,
    delivered: BTreeSet<(GeneralId, GeneralId, u64)>,
    /// Jitter of the retransmission timeouts.
    jitter: RunRng,
    /// Key material of the `auth` tags, from the run's seed.
    auth_key: [u8; 32],
    /// The channel delivers every frame as sent (asked once, not per frame).
    as_sent: bool,
}

impl Network {
    /// A network over `channel` with delays from `timing`; `rounds` says
    /// whether frames belong to agreement rounds (and so can be late).
    pub(crate) fn new(
        channel: Channel,
        audit: Box<dyn Audit>,
        timing: Timing,
        seed: u64,
        rounds: bool,
        trace: Option<Box<dyn TraceSink>>,
    ) -> Network {
        let mut auth_key = [0u8; 32];
        stream(seed, Purpose::Link, 3).fill_bytes(&mut auth_key);
        let channel_as_sent = channel.bottom.delivers_as_sent();
        Network {
            channel,
            audit,
            clock: Clock::default(),
            delays: Delays::new(timing, seed),
            deadlines: rounds.then_some(timing),
            trace,
            counters: Counters::default(),
            scratch: Vec::new(),
            next_seq: BTreeMap::new(),
            pending: BTreeMap::new(),
            delivered: BTreeSet::new(),
            jitter: stream(seed, Purpose::Link, 4),
            auth_key,
            as_sent: channel_as_sent,
        }
    }

    /// Whether any layer runs above the channel.
    fn layered(&self) -> bool {
        self.channel.stubborn.is_some() || self.channel.dedup || self.channel.auth
    }

    /// The events of the next instant that reach a general, if anything is
    /// left to happen. The link layers' own work (acknowledgements,
    /// retransmissions, dropping duplicates, checking tags) happens here, in
    /// the instant's order, before the generals see anything.
    pub(crate) fn next_instant(&mut self) -> Option<(Millis, Vec<(GeneralId, Event)>)> {
        loop {
            let (now, mut events) = self.clock.next_instant()?;
            if !self.layered() {
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
                    Event::Resend { from, to, seq } => self.resend(now, from, to, seq),
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
        for out in fx.sends {
            let mut env = Envelope {
                round: out.round,
                from,
                to: out.to,
                bytes: out.bytes,
                original: None,
                link: None,
            };
            let mut numbered = None;
            if self.channel.stubborn.is_some() || self.channel.dedup {
                let seq = self.next_seq.entry((from, out.to)).or_default();
                env.link = Some(Box::new(LinkHeader { seq: *seq, ack: false }));
                numbered = Some(*seq);
                *seq += 1;
            }
            // The tag covers the link header too: a sequence number moved
            // from one frame to another no longer verifies.
            if self.channel.auth {
                env.bytes = Arc::new(self.tagged(from, out.to, env.link.as_deref(), &env.bytes));
            }
            if let (Some(rto), Some(seq)) = (self.channel.stubborn, numbered) {
                let until = self.deadlines.map_or(Millis::MAX, |t| t.deadline(env.round));
                let first = now.saturating_add(self.backoff(rto, 0));
                if first <= until {
                    self.clock
                        .schedule(first, from, Event::Resend { from, to: out.to, seq });
                }
                let pending = Pending {
                    env: env.clone(),
                    trace: out.trace.clone(),
                    attempt: 0,
                    until,
                };
                self.pending.insert((from, out.to, seq), pending);
            }
            self.wire(now, from, env, out.trace.as_ref(), 0);
        }
    }

    /// The wait before retransmission `attempt` (0 = the first), by the
    /// `stubborn` layer's policy: exponential, doubling from `rto`, capped
    /// at 16 rto, plus up to a quarter more of seeded jitter so that
    /// retransmissions do not march in step; fixed, `rto`; aloha, after the
    /// k-th unacknowledged try (k = attempt + 1, at most 10) a uniformly
    /// random whole number of rto slots in 1..=2^k.
    fn backoff(&mut self, rto: Millis, attempt: u32) -> Millis {
        match self.channel.retry {
            Retry::Exponential => {
                let base = rto.saturating_mul(1 << attempt.min(4));
                base + self.jitter.random_range(0..=base / 4)
            }
            Retry::Fixed => rto,
            Retry::Aloha => {
                let k = (attempt + 1).min(crate::aloha::MAX_BACKOFF_EXPONENT);
                rto.saturating_mul(self.jitter.random_range(1..=1u64 << k))
            }
        }
    }

    /// Puts one frame on the channel.
    fn wire(&mut self, now: Millis, from: GeneralId, env: Envelope, messages: Option<&Described>, attempt: u32) {
        self.counters.frames_sent += 1;
        if self.as_sent {
            self.arrive(now, from, env, LinkAction::Delivered, messages, attempt);
            return;
        }
        // Kept only while the link runs, to record what an altered frame was.
        let sent = self.channel.bottom.can_alter().then(|| env.bytes.clone());
        self.channel.bottom.carry(from, env, &mut self.scratch);
        let mut carried = std::mem::take(&mut self.scratch);
        for Carried { mut env, action } in carried.drain(..) {
            if matches!(action, LinkAction::Tampered | LinkAction::Spoofed) {
                env.original = Some(Box::new(Original {
                    from,
                    bytes: sent.clone().unwrap_or_default(),
                }));
            }
            self.arrive(now, from, env, action, messages, attempt);
        }
        self.scratch = carried;
    }

    /// Counts, delays, traces and schedules what the channel made of one
    /// frame sent by `from` at `now`.
    fn arrive(
        &mut self,
        now: Millis,
        from: GeneralId,
        env: Envelope,
        action: LinkAction,
        messages: Option<&Described>,
        attempt: u32,
    ) {
        match action {
            LinkAction::Delivered => {}
            LinkAction::Dropped => self.counters.link_dropped += 1,
            LinkAction::Tampered | LinkAction::Spoofed => self.counters.link_tampered += 1,
            LinkAction::Replayed => self.counters.link_injected += 1,
            LinkAction::Lost => self.counters.frames_dropped += 1,
            LinkAction::Duplicated => self.counters.frames_duplicated += 1,
        }
        let lost = matches!(action, LinkAction::Dropped | LinkAction::Lost);
        let at = if lost {
            now
        } else {
            now.saturating_add(self.delays.draw(now))
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

    /// The tag of `bytes` (and the link header, if any) from `from` to
    /// `to`, appended.
    fn tagged(&self, from: GeneralId, to: GeneralId, header: Option<&LinkHeader>, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + TAG);
        out.extend_from_slice(bytes);
        out.extend_from_slice(&self.tag(from, to, header, bytes));
        out
    }

    /// What `auth` appends: a keyed hash of the sender, the receiver, the
    /// link header (sequence number and whether it is an acknowledgement)
    /// and the payload. Acknowledgements carry one too, over an empty
    /// payload, so that nobody but the receiver of a frame can acknowledge
    /// it (A2 for the link's own frames).
    fn tag(&self, from: GeneralId, to: GeneralId, header: Option<&LinkHeader>, bytes: &[u8]) -> [u8; TAG] {
        let mut h = Sha256::new();
        h.update(b"byzlab/link/auth/v1");
        h.update(self.auth_key);
        h.update(from.to_le_bytes());
        h.update(to.to_le_bytes());
        if let Some(head) = header {
            h.update(b"seq");
            h.update(head.seq.to_le_bytes());
            h.update([u8::from(head.ack)]);
        }
        h.update(bytes);
        let d = h.finalize();
        let mut tag = [0u8; TAG];
        tag.copy_from_slice(&d[..TAG]);
        tag
    }

    /// The receiving side of the layers, bottom up: a frame whose tag does
    /// not match its claimed sender and header is rejected, an
    /// acknowledgement included (a forged or replayed one is counted in
    /// `frames_rejected` and never cancels a retransmission); a genuine
    /// acknowledgement ends here; a stubborn layer acknowledges what
    /// arrives; dedup drops what was delivered already. What is left
    /// reaches the general.
    fn receive(&mut self, now: Millis, mut env: Envelope) -> Option<Envelope> {
        let header = env.link.as_deref().cloned();
        if self.channel.auth {
            let n = env.bytes.len();
            let genuine =
                n >= TAG && self.tag(env.from, env.to, header.as_ref(), &env.bytes[..n - TAG]) == env.bytes[n - TAG..];
            if !genuine {
                self.counters.frames_rejected += 1;
                return None;
            }
            env.bytes = Arc::new(env.bytes[..n - TAG].to_vec());
        }
        if let Some(LinkHeader { seq, ack: true }) = header {
            // The acknowledgement of `to`'s frame `seq` to `from`.
            self.pending.remove(&(env.to, env.from, seq));
            return None;
        }
        let seq = header.map(|h| h.seq);
        if self.channel.stubborn.is_some()
            && let Some(seq) = seq
        {
            self.counters.acks += 1;
            let head = LinkHeader { seq, ack: true };
            // Under auth the acknowledgement is tagged like any frame
            // (below `stubborn`, `auth` covers what `stubborn` sends).
            let bytes = if self.channel.auth {
                Arc::new(self.tagged(env.to, env.from, Some(&head), &[]))
            } else {
                Arc::default()
            };
            let ack = Envelope {
                round: env.round,
                from: env.to,
                to: env.from,
                bytes,
                original: None,
                link: Some(Box::new(head)),
            };
            self.wire(now, env.to, ack, None, 0);
        }
        if self.channel.dedup
            && let Some(seq) = seq
            && !self.delivered.insert((env.from, env.to, seq))
        {
            self.counters.duplicates_discarded += 1;
            return None;
        }
        Some(env)
    }

    /// A stubborn layer's timer: resend if still unacknowledged, and set
    /// the next timer unless the frame's deadline has passed.
    fn resend(&mut self, now: Millis, from: GeneralId, to: GeneralId, seq: u64) {
        let Some(rto) = self.channel.stubborn else { return };
        let Some(p) = self.pending.get_mut(&(from, to, seq)) else {
            return; // acknowledged meanwhile
        };
        p.attempt += 1;
        let (env, trace, attempt, until) = (p.env.clone(), p.trace.clone(), p.attempt, p.until);
        self.counters.retransmissions += 1;
        let next = now.saturating_add(self.backoff(rto, attempt));
        if next <= until {
            self.clock.schedule(next, from, Event::Resend { from, to, seq });
        } else {
            self.pending.remove(&(from, to, seq));
        }
        self.wire(now, from, env, trace.as_ref(), attempt);
    }

    /// Counters (the link's and the audit's) and trace at the end of the run.
    pub(crate) fn finish(self) -> (Counters, Vec<TraceEntry>) {
        let mut counters = self.counters;
        counters.add(&self.audit.counters());
        (counters, self.trace.map(TraceSink::into_kept).unwrap_or_default())
    }
}
