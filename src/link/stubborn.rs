//! `stubborn[:RTO[/POLICY]]`: the sender retransmits every frame until the
//! receiver acknowledges it (the lecture's stubborn link: fair-loss made
//! reliable by sending again), waiting by its policy ([`Retry`]) between
//! tries. The receiver acknowledges every frame that reaches this layer;
//! acknowledgements go down through the layers below (so `auth` under it
//! tags and checks them). It gives up at the frame's round deadline: after
//! that the frame would be late anyway, so a reliable link is only
//! reliable within a deadline.
//!
//! Tells the layers above when a frame is acknowledged, when a try times
//! out, and when it gives up ([`Signal`]). Owns the counters
//! `retransmissions` and `acks`.

use super::Retry;
use super::layer::{Cx, Frame, LayerBuild, LayerKind, LayerTimer, LinkLayer, Signal};
use crate::rng::{Purpose, RunRng, stream};
use crate::timing::Millis;
use crate::types::{Counters, Envelope, GeneralId, LinkHeader};
use rand::RngExt;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One line for `byzlab strategies` and the docs.
pub const ABOUT: &str = "retransmits each frame until acknowledged (fair-loss made reliable), within its round";

/// Its grammar, order rules and factory.
pub fn kind() -> LayerKind {
    LayerKind {
        syntax: "stubborn[:RTO[/fixed|exponential|aloha]]".into(),
        rules: vec![],
        make: Arc::new(|b: &LayerBuild<'_>| {
            let (rto, retry) = super::parse_stubborn(b.params)?;
            Ok(Box::new(Stubborn::new(rto, retry, b.seed)) as Box<dyn LinkLayer>)
        }),
    }
}

/// A frame kept until it is acknowledged.
struct Pending {
    frame: Frame,
    /// Give up after this: the frame would be late anyway.
    until: Millis,
}

/// The layer.
pub struct Stubborn {
    rto: Millis,
    retry: Retry,
    /// Jitter and ALOHA slots of the waits.
    rng: RunRng,
    next_seq: BTreeMap<(GeneralId, GeneralId), u64>,
    pending: BTreeMap<(GeneralId, GeneralId, u64), Pending>,
    retransmissions: u64,
    acks: u64,
}

impl Stubborn {
    /// A layer first waiting `rto` ms, then by `retry`, seeded.
    pub fn new(rto: Millis, retry: Retry, seed: u64) -> Stubborn {
        Stubborn {
            rto,
            retry,
            rng: stream(seed, Purpose::Link, 4),
            next_seq: BTreeMap::new(),
            pending: BTreeMap::new(),
            retransmissions: 0,
            acks: 0,
        }
    }

    /// The wait before retransmission `attempt` (0 = the first), by the
    /// policy: exponential, doubling from `rto`, capped at 16 rto, plus up
    /// to a quarter more of seeded jitter so that retransmissions do not
    /// march in step; fixed, `rto`; aloha, after the k-th unacknowledged
    /// try (k = attempt + 1, at most 10) a uniformly random whole number of
    /// rto slots in 1..=2^k.
    fn backoff(&mut self, attempt: u32) -> Millis {
        let rto = self.rto;
        match self.retry {
            Retry::Exponential => {
                let base = rto.saturating_mul(1 << attempt.min(4));
                base + self.rng.random_range(0..=base / 4)
            }
            Retry::Fixed => rto,
            Retry::Aloha => {
                let k = (attempt + 1).min(crate::aloha::MAX_BACKOFF_EXPONENT);
                rto.saturating_mul(self.rng.random_range(1..=1u64 << k))
            }
        }
    }
}

impl LinkLayer for Stubborn {
    fn down(&mut self, cx: &mut Cx<'_>, mut frame: Frame) -> Option<Frame> {
        let (from, to) = (frame.env.from, frame.env.to);
        let seq = match frame.env.link.as_deref() {
            Some(h) => h.seq,
            None => {
                let next = self.next_seq.entry((from, to)).or_default();
                let seq = *next;
                *next += 1;
                frame.env.link = Some(Box::new(LinkHeader { seq, ack: false }));
                seq
            }
        };
        let until = cx.deadline(frame.env.round);
        let first = cx.now.saturating_add(self.backoff(0));
        if first <= until {
            cx.set_timer(first, LayerTimer { from, to, key: seq });
            self.pending.insert(
                (from, to, seq),
                Pending {
                    frame: frame.clone(),
                    until,
                },
            );
        } else {
            cx.signal(Signal::GaveUp { from, to, seq });
        }
        Some(frame)
    }

    fn up(&mut self, cx: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        let Some(header) = frame.env.link.as_deref().cloned() else {
            return Some(frame);
        };
        let env = &frame.env;
        if header.ack {
            // The acknowledgement of `to`'s frame `seq` to `from`.
            let (from, to, seq) = (env.to, env.from, header.seq);
            if self.pending.remove(&(from, to, seq)).is_some() {
                cx.signal(Signal::Acked { from, to, seq });
            }
            return None;
        }
        self.acks += 1;
        cx.send(Frame::own(Envelope {
            round: env.round,
            from: env.to,
            to: env.from,
            bytes: Arc::default(),
            original: None,
            link: Some(Box::new(LinkHeader {
                seq: header.seq,
                ack: true,
            })),
        }));
        Some(frame)
    }

    fn timer(&mut self, cx: &mut Cx<'_>, timer: LayerTimer) {
        let LayerTimer { from, to, key: seq } = timer;
        let Some(p) = self.pending.get_mut(&(from, to, seq)) else {
            return; // acknowledged meanwhile
        };
        p.frame.attempt += 1;
        let (frame, until) = (p.frame.clone(), p.until);
        self.retransmissions += 1;
        cx.signal(Signal::Timeout { from, to, seq });
        let next = cx.now.saturating_add(self.backoff(frame.attempt));
        if next <= until {
            cx.set_timer(next, timer);
        } else {
            self.pending.remove(&(from, to, seq));
            cx.signal(Signal::GaveUp { from, to, seq });
        }
        cx.send(frame);
    }

    fn report(&self, counters: &mut Counters, _: &mut Vec<super::layer::Series>) {
        counters.retransmissions += self.retransmissions;
        counters.acks += self.acks;
    }
}
