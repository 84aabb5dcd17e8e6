//! Virtual time: one queue of timed events, the only clock a run has. A run
//! of a virtual hour takes as long as its events, and the same seed gives
//! the same timestamps.
//!
//! Order of events at one instant (documented, and the same in every
//! runtime): frame deliveries before timers, and among each kind the order
//! they were scheduled in. Everything a general does at an instant is
//! gathered first and applied after, sender by sender in id order, so what
//! it schedules (a frame takes at least 1 ms, a timer is set for later)
//! never lands on the instant being processed.

use crate::timing::Millis;
use crate::types::{Envelope, GeneralId};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Something that happens to a general at an instant.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    /// A frame arrives.
    Deliver(Envelope),
    /// A timer the general set fires; the tag says which.
    Timer(u64),
}

struct Entry {
    at: Millis,
    /// 0 for deliveries, 1 for timers.
    kind: u8,
    seq: u64,
    to: GeneralId,
    event: Event,
}

impl Entry {
    fn key(&self) -> (Millis, u8, u64) {
        (self.at, self.kind, self.seq)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The event queue.
#[derive(Default)]
pub(crate) struct Clock {
    queue: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    now: Millis,
}

impl Clock {
    /// Schedules `event` for general `to` at time `at`.
    pub(crate) fn schedule(&mut self, at: Millis, to: GeneralId, event: Event) {
        let kind = match event {
            Event::Deliver(_) => 0,
            Event::Timer(_) => 1,
        };
        self.seq += 1;
        self.queue.push(Reverse(Entry {
            at: at.max(self.now),
            kind,
            seq: self.seq,
            to,
            event,
        }));
    }

    /// Every event of the next instant, in order, with the instant; `None`
    /// when nothing is left to happen.
    pub(crate) fn next_instant(&mut self) -> Option<(Millis, Vec<(GeneralId, Event)>)> {
        let at = self.queue.peek()?.0.at;
        self.now = at;
        let mut out = Vec::new();
        while let Some(Reverse(e)) = self.queue.peek()
            && e.at == at
        {
            if let Some(Reverse(e)) = self.queue.pop() {
                out.push((e.to, e.event));
            }
        }
        Some((at, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_come_in_order_deliveries_first() {
        let mut c = Clock::default();
        c.schedule(10, 1, Event::Timer(7));
        c.schedule(5, 2, Event::Timer(1));
        let env = Envelope {
            round: 1,
            from: 0,
            to: 3,
            bytes: Default::default(),
            original: None,
        };
        c.schedule(10, 3, Event::Deliver(env));
        c.schedule(10, 0, Event::Timer(8));
        let (t, first) = c.next_instant().unwrap();
        assert_eq!((t, first.len()), (5, 1));
        let (t, second) = c.next_instant().unwrap();
        assert_eq!(t, 10);
        let order: Vec<GeneralId> = second.iter().map(|(g, _)| *g).collect();
        assert_eq!(order, vec![3, 1, 0], "delivery first, then timers as scheduled");
        assert!(c.next_instant().is_none());
    }
}
