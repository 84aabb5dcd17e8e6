//! Bracha's reliable broadcast (G. Bracha, "Asynchronous Byzantine
//! agreement protocols", Information and Computation 75, 1987), the
//! building block of the asynchronous agreement (`protocol::mmr`): one
//! sender broadcasts a value to n generals of which at most f < n/3 are
//! traitors, with no timing assumption at all.
//!
//! The sender sends `initial(v)` to everyone. A general
//! 1. on the sender's `initial(v)`, sends `echo(v)` to everyone (once);
//! 2. on `echo(v)` from more than (n + f)/2 generals, or on `ready(v)`
//!    from f + 1, sends `ready(v)` to everyone (once);
//! 3. on `ready(v)` from 2f + 1 generals, delivers v.
//!
//! What it guarantees, whatever the delays: if the sender is loyal every
//! loyal general delivers its value (validity); no two loyal generals
//! deliver different values (more than (n + f)/2 echoes of v and of w
//! would share a loyal general, who echoes once); if one loyal general
//! delivers, all do (its 2f + 1 readies hold f + 1 loyal ones, which every
//! loyal general receives and amplifies: totality). It does not promise
//! that anything is delivered when the sender is a traitor: a sender that
//! sends different values, or nothing, may leave every general waiting,
//! and no protocol can tell a silent sender from a slow one.
//!
//! This file is the state of one broadcast at one general, counted from
//! what it hears; the messages are the agreement's (`protocol::mmr`).
//! Each general counts its own echo and ready like anyone else's.

use crate::types::{GeneralId, Value};

/// What a general must now send everyone for a broadcast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Step 1: echo the sender's value.
    Echo(Value),
    /// Step 2: say it is ready to deliver this value.
    Ready(Value),
}

/// One broadcast's state at one general.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast {
    n: usize,
    f: usize,
    /// The first echo heard from each general (later ones are ignored).
    echoes: Vec<Option<Value>>,
    /// The first ready heard from each general.
    readies: Vec<Option<Value>>,
    echoed: Option<Value>,
    readied: Option<Value>,
    delivered: Option<Value>,
}

impl Broadcast {
    /// A broadcast among `n` generals tolerating `f` traitors.
    pub fn new(n: usize, f: usize) -> Broadcast {
        Broadcast {
            n,
            f,
            echoes: vec![None; n],
            readies: vec![None; n],
            echoed: None,
            readied: None,
            delivered: None,
        }
    }

    /// Echoes of one value that make a general ready: more than (n + f)/2.
    pub fn echo_quorum(&self) -> usize {
        (self.n + self.f) / 2 + 1
    }

    /// Step 1: the sender's value arrived (only the first counts).
    pub fn on_initial(&mut self, v: Value) -> Option<Step> {
        if self.echoed.is_some() {
            return None;
        }
        self.echoed = Some(v);
        Some(Step::Echo(v))
    }

    /// An echo of `v` from `from` (its first; a repeated or out-of-range
    /// sender changes nothing). Returns the ready it triggers, if any.
    pub fn on_echo(&mut self, from: GeneralId, v: Value) -> Option<Step> {
        let slot = self.echoes.get_mut(usize::from(from))?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(v);
        (count(&self.echoes, v) >= self.echo_quorum())
            .then(|| self.ready(v))
            .flatten()
    }

    /// A ready for `v` from `from` (its first). Returns the ready it
    /// triggers (f + 1 of them), if any; 2f + 1 deliver.
    pub fn on_ready(&mut self, from: GeneralId, v: Value) -> Option<Step> {
        let slot = self.readies.get_mut(usize::from(from))?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(v);
        let heard = count(&self.readies, v);
        if heard > 2 * self.f && self.delivered.is_none() {
            self.delivered = Some(v);
        }
        (heard > self.f).then(|| self.ready(v)).flatten()
    }

    /// Step 2, once.
    fn ready(&mut self, v: Value) -> Option<Step> {
        if self.readied.is_some() {
            return None;
        }
        self.readied = Some(v);
        Some(Step::Ready(v))
    }

    /// The value delivered, if any (step 3).
    pub fn delivered(&self) -> Option<Value> {
        self.delivered
    }

    /// Generals whose echo arrived.
    pub fn echoes_heard(&self) -> usize {
        self.echoes.iter().flatten().count()
    }

    /// The echoes heard of `v`.
    pub fn echoes_of(&self, v: Value) -> usize {
        count(&self.echoes, v)
    }
}

fn count(heard: &[Option<Value>], v: Value) -> usize {
    heard.iter().filter(|h| **h == Some(v)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::{Attack, Retreat};

    /// Delivers every step of every loyal general to every general, in
    /// rounds of "all that is pending", the traitors sending what `lie`
    /// says to each receiver; returns what each loyal general delivered.
    fn run(
        n: usize,
        f: usize,
        initial: &[Option<Value>],
        traitors: &[usize],
        lie: impl Fn(usize, usize) -> Value,
    ) -> Vec<Option<Value>> {
        let mut b: Vec<Broadcast> = (0..n).map(|_| Broadcast::new(n, f)).collect();
        let mut pending: Vec<(usize, Step)> = Vec::new();
        for (g, v) in initial.iter().enumerate() {
            if let Some(v) = v
                && let Some(s) = b[g].on_initial(*v)
            {
                pending.push((g, s));
            }
        }
        // Traitors echo and ready whatever `lie` says, to each receiver.
        for &t in traitors {
            for (to, at) in b.iter_mut().enumerate() {
                let v = lie(t, to);
                let _ = at.on_echo(t as GeneralId, v);
                if let Some(s) = at.on_ready(t as GeneralId, v) {
                    pending.push((to, s));
                }
            }
        }
        while !pending.is_empty() {
            let now = std::mem::take(&mut pending);
            for (from, step) in now {
                if traitors.contains(&from) {
                    continue;
                }
                for (to, at) in b.iter_mut().enumerate() {
                    let next = match step {
                        Step::Echo(v) => at.on_echo(from as GeneralId, v),
                        Step::Ready(v) => at.on_ready(from as GeneralId, v),
                    };
                    if let Some(s) = next {
                        pending.push((to, s));
                    }
                }
            }
        }
        (0..n)
            .filter(|g| !traitors.contains(g))
            .map(|g| b[g].delivered())
            .collect()
    }

    #[test]
    fn a_loyal_sender_is_delivered_by_every_loyal_general_despite_f_liars() {
        // n = 4, f = 1: general 3 echoes and readies the opposite.
        let got = run(4, 1, &[Some(Attack); 4], &[3], |_, _| Retreat);
        assert_eq!(got, vec![Some(Attack); 3]);
        let got = run(7, 2, &[Some(Retreat); 7], &[5, 6], |_, _| Attack);
        assert_eq!(got, vec![Some(Retreat); 5]);
    }

    #[test]
    fn an_equivocating_sender_gets_one_value_or_none_never_two() {
        // The sender (a traitor) tells half ATTACK and half RETREAT; no two
        // loyal generals deliver different values, in any split.
        for split in 0..=6usize {
            let initial: Vec<Option<Value>> = (0..7)
                .map(|g| Some(if g <= split { Attack } else { Retreat }))
                .collect();
            let got = run(7, 2, &initial, &[0], |_, to| if to % 2 == 0 { Attack } else { Retreat });
            let delivered: Vec<Value> = got.iter().flatten().copied().collect();
            assert!(delivered.windows(2).all(|w| w[0] == w[1]), "split {split}: {got:?}");
            // Totality: all or none.
            assert!(
                delivered.is_empty() || delivered.len() == got.len(),
                "split {split}: {got:?}"
            );
        }
    }

    #[test]
    fn a_silent_sender_leaves_everyone_waiting() {
        let got = run(4, 1, &[None; 4], &[0], |_, _| Attack);
        assert_eq!(got, vec![None; 3], "one traitor's readies are not 2f + 1");
    }

    #[test]
    fn thresholds_are_the_papers() {
        let b = Broadcast::new(4, 1);
        assert_eq!(b.echo_quorum(), 3, "more than (4 + 1)/2");
        assert_eq!(Broadcast::new(10, 3).echo_quorum(), 7);
        let mut b = Broadcast::new(4, 1);
        assert_eq!(b.on_ready(1, Attack), None, "f readies do nothing");
        assert_eq!(b.on_ready(1, Attack), None, "a repeat is not a second ready");
        assert_eq!(b.on_ready(2, Attack), Some(Step::Ready(Attack)), "f + 1 amplify");
        assert_eq!(b.delivered(), None);
        assert_eq!(b.on_ready(3, Attack), None);
        assert_eq!(b.delivered(), Some(Attack), "2f + 1 deliver");
        assert_eq!(b.on_echo(9, Attack), None, "a sender out of range is ignored");
    }
}
