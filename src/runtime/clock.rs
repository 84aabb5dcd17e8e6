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

/// Something that happens to a general at an instant.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    /// A frame arrives.
    Deliver(Envelope),
    /// A timer the general set fires; the tag says which.
    Timer(u64),
    /// A link layer's own timer (a `stubborn` layer's retransmission):
    /// layer `layer` of the stack, bottom first. Never reaches a general.
    Layer {
        /// Which layer set it.
        layer: usize,
        /// What it set.
        timer: crate::link::layer::LayerTimer,
    },
}

/// What happens at one instant, in order: deliveries, then timers, each in
/// the order they were scheduled.
#[derive(Default)]
struct Instant {
    deliveries: Vec<(GeneralId, Event)>,
    timers: Vec<(GeneralId, Event)>,
}

/// The event queue: instants in time order, each a bucket. Under lock-step
/// rounds a whole round's frames land on one instant, so scheduling is a
/// push onto the newest bucket, found from the end; there are few instants
/// in flight at once, so a sorted vector beats a heap or a tree here.
#[derive(Default)]
pub(crate) struct Clock {
    /// Ascending by time.
    instants: Vec<(Millis, Instant)>,
    now: Millis,
    /// Emptied event vectors handed back by the runtimes, reused for new
    /// instants so that a round's frames do not grow a vector from scratch
    /// every round.
    spare: Vec<Vec<(GeneralId, Event)>>,
}

impl Clock {
    /// Schedules `event` for general `to` at time `at` (never before now).
    pub(crate) fn schedule(&mut self, at: Millis, to: GeneralId, event: Event) {
        let at = at.max(self.now);
        // Most events land where the last one did.
        let last = self.instants.len().wrapping_sub(1);
        let i = match self.instants.last() {
            Some((t, _)) if *t == at => Some(last),
            _ => self.instants.iter().rposition(|(t, _)| *t <= at),
        };
        let i = match i {
            Some(i) if self.instants[i].0 == at => i,
            Some(i) => {
                let fresh = self.fresh();
                self.instants.insert(i + 1, (at, fresh));
                i + 1
            }
            None => {
                let fresh = self.fresh();
                self.instants.insert(0, (at, fresh));
                0
            }
        };
        let slot = &mut self.instants[i].1;
        match event {
            Event::Deliver(_) => slot.deliveries.push((to, event)),
            Event::Timer(_) | Event::Layer { .. } => slot.timers.push((to, event)),
        }
    }

    fn fresh(&mut self) -> Instant {
        Instant {
            deliveries: self.spare.pop().unwrap_or_default(),
            timers: Vec::new(),
        }
    }

    /// Every event of the next instant, in order, with the instant; `None`
    /// when nothing is left to happen. Hand the emptied vector back with
    /// [`Clock::recycle`].
    pub(crate) fn next_instant(&mut self) -> Option<(Millis, Vec<(GeneralId, Event)>)> {
        if self.instants.is_empty() {
            return None;
        }
        let (at, Instant { mut deliveries, timers }) = self.instants.remove(0);
        self.now = at;
        deliveries.extend(timers);
        Some((at, deliveries))
    }

    /// Takes back an instant's vector once its events are handled.
    pub(crate) fn recycle(&mut self, mut events: Vec<(GeneralId, Event)>) {
        events.clear();
        if self.spare.len() < 2 {
            self.spare.push(events);
        }
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
            link: None,
        };
        c.schedule(10, 3, Event::Deliver(env));
        c.schedule(10, 0, Event::Timer(8));
        let (t, first) = c.next_instant().unwrap();
        assert_eq!((t, first.len()), (5, 1));
        c.recycle(first);
        let (t, second) = c.next_instant().unwrap();
        assert_eq!(t, 10);
        let order: Vec<GeneralId> = second.iter().map(|(g, _)| *g).collect();
        assert_eq!(order, vec![3, 1, 0], "delivery first, then timers as scheduled");
        assert!(c.next_instant().is_none());
    }
}
