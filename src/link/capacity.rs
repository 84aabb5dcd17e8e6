//! `capacity:RATE/QUEUE`: each sender's outgoing interface is finite (the
//! lecture's network as a shared, finite resource). It transmits at most
//! RATE frames per virtual ms (fractions allowed: `0.25` is one frame every
//! 4 ms); frames wait their turn in a FIFO of at most QUEUE frames, and a
//! frame that finds the FIFO full is dropped (tail drop). The wait adds to
//! the frame's delay: a frame late for its round is absent (A3), as any.
//!
//! [`Fifo`] is also the one router queue of `--bottleneck`, which every
//! frame of a run crosses (see `runtime::network`). Owns the counters
//! `queue_drops`, `max_queue` and `queue_delay_max_ms`.

use super::layer::{Cx, Frame, LayerBuild, LayerKind, LinkLayer, Rule, Series};
use crate::timing::Millis;
use crate::types::{Counters, GeneralId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One line for `byzlab strategies` and the docs.
pub const ABOUT: &str = "each sender sends at most RATE frames per ms, FIFO of QUEUE frames, tail drop";

/// Its grammar, order rules and factory.
pub fn kind() -> LayerKind {
    LayerKind {
        syntax: "capacity:RATE/QUEUE".into(),
        rules: vec![Rule::Below(
            "stubborn",
            "so that retransmissions and acknowledgements wait in the queue too",
        )],
        make: Arc::new(|b: &LayerBuild<'_>| {
            let q = Queue::parse(b.params.unwrap_or(""))?;
            Ok(Box::new(Capacity {
                queue: q,
                senders: BTreeMap::new(),
                stats: QueueStats::default(),
            }) as Box<dyn LinkLayer>)
        }),
    }
}

/// Virtual nanoseconds per ms: a queue's clock, fine enough for any rate.
const NS: u64 = 1_000_000;
/// The highest rate a queue takes, in frames per ms.
pub const MAX_RATE: f64 = 1e6;
/// The highest rate in bytes per ms.
pub const MAX_BYTE_RATE: f64 = 1e12;
/// The longest queue, in frames.
pub const MAX_QUEUE: u64 = 100_000_000;

/// A queue's rule: RATE frames (or, written `RATEB`, bytes) per virtual
/// ms, at most QUEUE frames waiting.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    /// Frames (or bytes) per virtual ms.
    pub rate: f64,
    /// Most frames waiting.
    pub queue: u64,
    /// The rate counts bytes: a frame of b bytes takes b / RATE ms (so
    /// OM's frames, heavy with values, take longer than SM's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bytes: bool,
}

impl Queue {
    /// Reads `RATE/QUEUE` (frames per ms) or `RATEB/QUEUE` (bytes per ms).
    pub fn parse(s: &str) -> Result<Queue, String> {
        let bad = || {
            format!(
                "`{s}` is not RATE/QUEUE: a rate of frames per virtual ms in (0, {MAX_RATE}] (e.g. 0.5), or of bytes as RATEB (e.g. 2000B), and a queue of 0 to {MAX_QUEUE} frames (e.g. capacity:0.5/20)"
            )
        };
        if s.is_empty() {
            return Err(
                "needs RATE/QUEUE: frames per virtual ms and the most frames waiting (e.g. capacity:0.5/20)".into(),
            );
        }
        let (r, q) = s.split_once('/').ok_or_else(bad)?;
        let (r, bytes) = match r.trim().strip_suffix('B') {
            Some(r) => (r, true),
            None => (r.trim(), false),
        };
        let rate: f64 = r.parse().map_err(|_| bad())?;
        let queue: u64 = q.trim().parse().map_err(|_| bad())?;
        let most = if bytes { MAX_BYTE_RATE } else { MAX_RATE };
        if !(rate > 0.0 && rate <= most) || queue > MAX_QUEUE {
            return Err(bad());
        }
        Ok(Queue { rate, queue, bytes })
    }

    /// As written: `RATE/QUEUE`, or `RATEB/QUEUE` for bytes.
    pub fn label(&self) -> String {
        let unit = if self.bytes { "B" } else { "" };
        format!("{}{unit}/{}", self.rate, self.queue)
    }
}

impl std::fmt::Display for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for Queue {
    type Err = String;
    fn from_str(s: &str) -> Result<Queue, String> {
        Queue::parse(s)
    }
}

/// What queues saw: the counters they own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Frames dropped at a full queue.
    pub drops: u64,
    /// The largest backlog seen, in frames.
    pub max_backlog: u64,
    /// The longest wait, in virtual ms.
    pub max_wait: Millis,
}

impl QueueStats {
    /// Adds these into the run's counters (maxima as maxima).
    pub fn report(&self, c: &mut Counters) {
        c.queue_drops += self.drops;
        c.max_queue = c.max_queue.max(self.max_backlog);
        c.queue_delay_max_ms = c.queue_delay_max_ms.max(self.max_wait);
    }
}

/// One FIFO with a server of fixed rate: frames depart one interval apart,
/// in the order they came; those not yet departed wait.
pub struct Fifo {
    /// ns per frame, or per byte times 2^20 (a byte can take less than a ns).
    interval: u64,
    bytes: bool,
    limit: u64,
    /// Departure times (ns) of the frames still waiting, ascending.
    waiting: VecDeque<u64>,
    /// When the server is next free, in ns.
    free: u64,
}

impl Fifo {
    /// An idle queue by `q`'s rule.
    pub fn new(q: Queue) -> Fifo {
        let per = if q.bytes { (1u64 << 20) as f64 } else { 1.0 };
        Fifo {
            interval: ((NS as f64 * per / q.rate).round() as u64).max(1),
            bytes: q.bytes,
            limit: q.queue,
            waiting: VecDeque::new(),
            free: 0,
        }
    }

    /// A frame of `size` bytes comes at `t` ms: when it leaves (the ms in
    /// which its transmission starts), or `None` when the queue is full
    /// and it is dropped.
    pub fn admit(&mut self, t: Millis, size: usize, stats: &mut QueueStats) -> Option<Millis> {
        let now = t.saturating_mul(NS);
        while self.waiting.front().is_some_and(|&d| d <= now) {
            self.waiting.pop_front();
        }
        let depart = self.free.max(now);
        if depart > now {
            if self.waiting.len() as u64 >= self.limit {
                stats.drops += 1;
                return None;
            }
            self.waiting.push_back(depart);
            stats.max_backlog = stats.max_backlog.max(self.waiting.len() as u64);
        }
        let service = if self.bytes {
            ((size.max(1) as u128 * u128::from(self.interval)) >> 20).max(1) as u64
        } else {
            self.interval
        };
        self.free = depart.saturating_add(service);
        let leave = depart / NS;
        stats.max_wait = stats.max_wait.max(leave - t);
        Some(leave)
    }
}

/// The layer: one FIFO per sender.
pub struct Capacity {
    queue: Queue,
    senders: BTreeMap<GeneralId, Fifo>,
    stats: QueueStats,
}

impl LinkLayer for Capacity {
    fn down(&mut self, cx: &mut Cx<'_>, mut frame: Frame) -> Option<Frame> {
        let q = self.queue;
        let fifo = self.senders.entry(frame.env.from).or_insert_with(|| Fifo::new(q));
        let at = cx.now.saturating_add(frame.hold);
        match fifo.admit(at, frame.env.bytes.len(), &mut self.stats) {
            Some(leave) => {
                frame.hold = leave - cx.now;
                Some(frame)
            }
            None => {
                cx.discard(frame);
                None
            }
        }
    }

    fn report(&self, counters: &mut Counters, _: &mut Vec<Series>) {
        self.stats.report(counters);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One frame every 4 ms, two may wait: the third frame at t = 0 waits
    /// 8 ms, the fourth is dropped; by t = 8 two have left and room is back.
    #[test]
    fn a_fifo_serves_at_its_rate_and_drops_at_its_tail() {
        let mut s = QueueStats::default();
        let mut q = Fifo::new(Queue::parse("0.25/2").unwrap());
        let got: Vec<Option<Millis>> = (0..4).map(|_| q.admit(0, 100, &mut s)).collect();
        assert_eq!(got, vec![Some(0), Some(4), Some(8), None]);
        assert_eq!(
            s,
            QueueStats {
                drops: 1,
                max_backlog: 2,
                max_wait: 8
            }
        );
        assert_eq!(q.admit(8, 100, &mut s), Some(12));
        assert_eq!(q.admit(100, 100, &mut s), Some(100), "an idle queue sends at once");
        // Two frames per ms leave in the same ms.
        let mut fast = Fifo::new(Queue::parse("2/0").unwrap());
        assert_eq!(fast.admit(5, 100, &mut s), Some(5));
        assert_eq!(fast.admit(5, 100, &mut s), None, "no room to wait with QUEUE 0");
        // By bytes: 100 bytes a ms; frames of 250 bytes leave 2.5 ms apart.
        let q = Queue::parse("100B/10").unwrap();
        assert_eq!((q.bytes, q.label()), (true, "100B/10".to_string()));
        let mut by = Fifo::new(q);
        let got: Vec<Option<Millis>> = (0..3).map(|_| by.admit(0, 250, &mut s)).collect();
        assert_eq!(got, vec![Some(0), Some(2), Some(5)]);
        for bad in ["", "1", "0/5", "-1/5", "x/5", "1/-2", "1/y", "inf/3", "NaN/3"] {
            assert!(Queue::parse(bad).is_err(), "{bad}");
        }
    }
}
