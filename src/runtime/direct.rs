//! The direct runner: the processes of a run and its network in one loop,
//! no actors. Instant by instant, every event of the instant reaches its
//! process in the clock's order; then what each process did is applied,
//! process by process in id order. The reference, and the baseline the
//! actix runtime is measured against.

use super::network::Network;
use super::process::{Effects, Process};
use crate::types::GeneralId;

/// Runs `procs` (ids are their positions) over `net` until nothing is left
/// to happen.
pub(crate) fn drive<P: Process>(procs: &mut [P], net: &mut Network) {
    for (id, p) in procs.iter_mut().enumerate() {
        let mut fx = Effects::default();
        p.start(&mut fx);
        net.apply(0, id as GeneralId, fx);
    }
    // What each process did at the current instant, by id; reused.
    let mut done: Vec<Option<Effects>> = (0..procs.len()).map(|_| None).collect();
    while let Some((now, mut events)) = net.next_instant() {
        for (to, event) in events.drain(..) {
            if let Some(p) = procs.get_mut(usize::from(to)) {
                p.on_event(now, event, done[usize::from(to)].get_or_insert_with(Effects::default));
            }
        }
        net.recycle(events);
        for (id, fx) in done.iter_mut().enumerate() {
            if let Some(fx) = fx.take() {
                net.apply(now, id as GeneralId, fx);
            }
        }
    }
}
