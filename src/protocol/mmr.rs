//! An asynchronous Byzantine agreement for n > 3f: the commander's order
//! goes out by Bracha's reliable broadcast (`protocol::rbc`), and the
//! lieutenants agree on it with the binary agreement of Mostefaoui, Moumen
//! and Raynal ("Signature-free asynchronous Byzantine consensus with t <
//! n/3 and O(n^2) messages", PODC 2014), which uses a common coin. No
//! step waits for a clock: every step waits for messages, so no delay,
//! however long, makes a loyal general decide wrongly (safety holds under
//! any timing), and with the coin every loyal general decides with
//! probability 1 (in an expected constant number of rounds).
//!
//! A general's steps, each on the messages that arrive:
//!
//! * **Input** (Bracha 1987's initial, echo, ready for the order): the
//!   commander sends `order(v)`; each general echoes the first order it
//!   gets, readies and delivers as in `rbc`. A general's input to the
//!   binary agreement is the delivered order, or, if n - f echoes arrive
//!   first, the majority of those echoes: with a loyal commander at most
//!   f of them lie and n - 2f > f, so the majority is its order (IC2). An
//!   equivocating commander cannot stall this step (every loyal general
//!   echoes, and n - f echoes always arrive); a silent one can, as it
//!   must (no protocol tells a silent sender from a slow one).
//! * **Round r** of the binary agreement (MMR 2014, Figure 2):
//!   1. BV-broadcast `est(r, est)` (Figure 1: relay a value heard from
//!      f + 1 generals; add a value heard from 2f + 1 to `bin_values`);
//!   2. once `bin_values` is not empty, broadcast `aux(r, w)` for its
//!      first value w;
//!   3. wait for `aux` from n - f generals carrying values of
//!      `bin_values`; `vals` is the set of their values;
//!   4. s = the common coin of round r; if `vals = {v}`: est = v, and
//!      decide v if v = s; otherwise est = s. Go to round r + 1.
//! * **Termination**: a general that decides v broadcasts `decide(v)`; one
//!   that hears `decide(v)` from f + 1 generals decides v too (one of them
//!   is loyal) and broadcasts it; one that hears it from 2f + 1 stops
//!   (every loyal general will hear f + 1 of them): Bracha's ready
//!   amplification, applied to the decision.
//!
//! The coin is modelled as an ideal threshold coin: each round's bit is a
//! function of the run's seed and the round (SHA-256), the same at every
//! general, and nothing outside the protocol (no strategy, no scheduler)
//! reads it before the protocol flips it.

use super::rbc::{Broadcast, Step};
use super::{Describer, Dispatch, Message, Protocol, Sink, Source, Taken, TraceMsg};
use crate::types::{COMMANDER, GeneralId, Round, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rounds of the binary agreement a general plays at most (the chance of
/// needing more is 2^-1000); items of later rounds are refused.
pub const MAX_ROUNDS: Round = 1000;

/// What an item of a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The commander's order (Bracha's initial).
    Order = 0,
    /// Bracha's echo of the order.
    Echo = 1,
    /// Bracha's ready for the order.
    Ready = 2,
    /// MMR's `est` (the BV-broadcast's `B_VAL`).
    Est = 3,
    /// MMR's `aux`.
    Aux = 4,
    /// The decision (termination).
    Decide = 5,
}

impl Kind {
    fn from_u32(k: u32) -> Option<Kind> {
        Some(match k {
            0 => Kind::Order,
            1 => Kind::Echo,
            2 => Kind::Ready,
            3 => Kind::Est,
            4 => Kind::Aux,
            5 => Kind::Decide,
            _ => return None,
        })
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Order => "order",
            Kind::Echo => "echo",
            Kind::Ready => "ready",
            Kind::Est => "est",
            Kind::Aux => "aux",
            Kind::Decide => "decide",
        }
    }
}

/// One step's message: its kind, its round (est and aux; 0 otherwise)
/// and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    /// What it is.
    pub kind: Kind,
    /// The binary agreement's round (est, aux), 0 for the others.
    pub round: Round,
    /// Its value.
    pub value: Value,
}

/// What a general sends another at one instant: the items of its steps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Steps {
    /// In the order taken.
    pub items: Vec<Item>,
}

impl Message for Steps {
    const KIND: u32 = 4;

    fn count(&self) -> u64 {
        self.items.len() as u64
    }

    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error> {
        out.length(self.items.len())?;
        for it in &self.items {
            out.u32(it.kind as u32)?;
            out.u32(it.round)?;
            out.u32(u32::from(it.value.to_byte()))?;
        }
        Ok(())
    }

    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error> {
        let len = input.length()?;
        // Each item takes at least three bytes.
        if len.saturating_mul(3) > input.remaining() {
            return Err(input.invalid(format!("{len} items claimed, {} bytes left", input.remaining())));
        }
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            let k = input.u32()?;
            let kind = Kind::from_u32(k).ok_or_else(|| input.invalid(format!("item kind {k} is none of 0..=5")))?;
            let round = input.u32()?;
            if round > MAX_ROUNDS {
                return Err(input.invalid(format!("round {round} is past the last, {MAX_ROUNDS}")));
            }
            let v = input.u32()?;
            let value = u8::try_from(v)
                .ok()
                .and_then(Value::from_byte)
                .ok_or_else(|| input.invalid(format!("value {v} is neither 0 nor 1")))?;
            items.push(Item { kind, round, value });
        }
        Ok(Steps { items })
    }
}

/// The common coin of `round` in the run of `seed`: an ideal threshold
/// coin, the same bit at every general.
pub fn coin(seed: u64, round: Round) -> Value {
    let mut h = Sha256::new();
    h.update(b"byzlab/coin/v1");
    h.update(seed.to_le_bytes());
    h.update(round.to_le_bytes());
    if h.finalize()[0] & 1 == 1 {
        Value::Attack
    } else {
        Value::Retreat
    }
}

/// One round of the binary agreement at one general.
#[derive(Clone, Debug)]
struct RoundState {
    /// Who sent `est(r, v)`, by value (index `Value::to_byte`).
    est_from: [Vec<bool>; 2],
    /// It sent `est(r, v)` already.
    est_sent: [bool; 2],
    /// `bin_values`, in the order the values entered it.
    bin_values: Vec<Value>,
    /// The first `aux` from each general.
    aux_from: Vec<Option<Value>>,
    aux_sent: bool,
}

impl RoundState {
    fn new(n: usize) -> RoundState {
        RoundState {
            est_from: [vec![false; n], vec![false; n]],
            est_sent: [false; 2],
            bin_values: Vec::new(),
            aux_from: vec![None; n],
            aux_sent: false,
        }
    }
}

/// Why a message was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// It came from a general that is not in the run.
    #[error("sender {0} is not in the run")]
    Sender(GeneralId),
}

/// What one round of the binary agreement saw, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundSeen {
    /// The round.
    pub round: Round,
    /// The estimate it started with.
    pub est: Value,
    /// The values of the n - f `aux` it waited for.
    pub vals: Vec<Value>,
    /// The coin.
    pub coin: Value,
}

/// One general of the asynchronous agreement.
#[derive(Clone, Debug)]
pub struct MmrGeneral {
    n: usize,
    f: usize,
    id: GeneralId,
    /// The commander's order (the commander only).
    order: Option<Value>,
    seed: u64,
    broadcast: Broadcast,
    /// Its input, and how it got it (`delivered` or `echoes`).
    input: Option<(Value, &'static str)>,
    est: Value,
    /// The round it plays (0: not started).
    round: Round,
    rounds: BTreeMap<Round, RoundState>,
    seen: Vec<RoundSeen>,
    decided: Option<(Value, Round)>,
    decide_from: Vec<Option<Value>>,
    decide_sent: bool,
    halted: bool,
    /// Items to send everyone, not yet asked for.
    out: Vec<Item>,
    /// Items of its own still to apply to itself.
    own: Vec<Item>,
}

impl MmrGeneral {
    /// General `id` among `n` tolerating `f` traitors, in the run of
    /// `seed` (the coin's); the commander (id 0) orders `value`.
    pub fn new(n: usize, f: usize, id: GeneralId, value: Value, seed: u64) -> MmrGeneral {
        MmrGeneral {
            n,
            f,
            id,
            order: (id == COMMANDER).then_some(value),
            seed,
            broadcast: Broadcast::new(n, f),
            input: None,
            est: Value::Retreat,
            round: 0,
            rounds: BTreeMap::new(),
            seen: Vec::new(),
            decided: None,
            decide_from: vec![None; n],
            decide_sent: false,
            halted: false,
            out: Vec::new(),
            own: Vec::new(),
        }
    }

    /// What each round saw, in order.
    pub fn seen(&self) -> &[RoundSeen] {
        &self.seen
    }

    /// Its input to the binary agreement and how it got it.
    pub fn input(&self) -> Option<(Value, &'static str)> {
        self.input
    }

    /// It stopped (2f + 1 decisions heard).
    pub fn halted(&self) -> bool {
        self.halted
    }

    fn broadcast_item(&mut self, kind: Kind, round: Round, value: Value) {
        let item = Item { kind, round, value };
        self.out.push(item);
        self.own.push(item);
    }

    fn round_state(&mut self, r: Round) -> &mut RoundState {
        let n = self.n;
        self.rounds.entry(r).or_insert_with(|| RoundState::new(n))
    }

    /// Takes `item` from `from`, then its own items it triggered.
    fn take(&mut self, from: GeneralId, item: Item) {
        self.step(from, item);
        while let Some(own) = (!self.own.is_empty()).then(|| self.own.remove(0)) {
            self.step(self.id, own);
        }
        self.progress();
        while let Some(own) = (!self.own.is_empty()).then(|| self.own.remove(0)) {
            self.step(self.id, own);
            self.progress();
        }
    }

    fn step(&mut self, from: GeneralId, Item { kind, round, value }: Item) {
        if self.halted {
            return;
        }
        let f = self.f;
        match kind {
            Kind::Order if from == COMMANDER => {
                if let Some(Step::Echo(v)) = self.broadcast.on_initial(value) {
                    self.broadcast_item(Kind::Echo, 0, v);
                }
            }
            Kind::Order => {}
            Kind::Echo => {
                if let Some(Step::Ready(v)) = self.broadcast.on_echo(from, value) {
                    self.broadcast_item(Kind::Ready, 0, v);
                }
                if self.input.is_none() && self.broadcast.echoes_heard() >= self.n - f {
                    let (a, r) = (
                        self.broadcast.echoes_of(Value::Attack),
                        self.broadcast.echoes_of(Value::Retreat),
                    );
                    let v = if a > r { Value::Attack } else { Value::Retreat };
                    self.start(v, "echoes");
                }
            }
            Kind::Ready => {
                if let Some(Step::Ready(v)) = self.broadcast.on_ready(from, value) {
                    self.broadcast_item(Kind::Ready, 0, v);
                }
                if self.input.is_none()
                    && let Some(v) = self.broadcast.delivered()
                {
                    self.start(v, "delivered");
                }
            }
            Kind::Est if round >= 1 => {
                let i = usize::from(value.to_byte());
                let st = self.round_state(round);
                st.est_from[i][usize::from(from)] = true;
                let heard = st.est_from[i].iter().filter(|&&b| b).count();
                let relay = heard > f && !st.est_sent[i];
                if heard > 2 * f && !st.bin_values.contains(&value) {
                    st.bin_values.push(value);
                }
                // Figure 1: relay a value f + 1 generals sent (one is loyal).
                if relay {
                    st.est_sent[i] = true;
                    self.broadcast_item(Kind::Est, round, value);
                }
            }
            Kind::Aux if round >= 1 => {
                let st = self.round_state(round);
                let slot = &mut st.aux_from[usize::from(from)];
                if slot.is_none() {
                    *slot = Some(value);
                }
            }
            Kind::Est | Kind::Aux => {}
            Kind::Decide => {
                let slot = &mut self.decide_from[usize::from(from)];
                if slot.is_some() {
                    return;
                }
                *slot = Some(value);
                let heard = self.decide_from.iter().filter(|d| **d == Some(value)).count();
                if heard > f {
                    self.decide(value);
                }
                if heard > 2 * f && self.decided.is_some_and(|(v, _)| v == value) {
                    self.halted = true;
                    self.own.clear();
                }
            }
        }
    }

    /// Its input is known: round 1 starts.
    fn start(&mut self, v: Value, how: &'static str) {
        self.input = Some((v, how));
        self.est = v;
        self.enter(1);
    }

    /// Enters round `r`: BV-broadcast its estimate (unless it relayed that
    /// value already).
    fn enter(&mut self, r: Round) {
        self.round = r;
        let est = self.est;
        let st = self.round_state(r);
        let i = usize::from(est.to_byte());
        if !st.est_sent[i] {
            st.est_sent[i] = true;
            self.broadcast_item(Kind::Est, r, est);
        }
    }

    /// Decides `v` (once) and says so.
    fn decide(&mut self, v: Value) {
        if self.decided.is_none() {
            self.decided = Some((v, self.round));
        }
        if !self.decide_sent {
            self.decide_sent = true;
            self.broadcast_item(Kind::Decide, 0, v);
        }
    }

    /// Steps 2 to 4 of the current round, and of the next ones while the
    /// messages they wait for are already in.
    fn progress(&mut self) {
        let (n, f) = (self.n, self.f);
        while !self.halted && self.round >= 1 && self.round <= MAX_ROUNDS {
            let r = self.round;
            let st = self.round_state(r);
            if st.bin_values.is_empty() {
                return;
            }
            if !st.aux_sent {
                st.aux_sent = true;
                let w = st.bin_values[0];
                self.broadcast_item(Kind::Aux, r, w);
                // Its own aux is taken when its own items are applied.
                return;
            }
            let bin = st.bin_values.clone();
            let carried: Vec<Value> = st
                .aux_from
                .iter()
                .flatten()
                .copied()
                .filter(|v| bin.contains(v))
                .collect();
            if carried.len() < n - f {
                return;
            }
            // Step 3: n - f aux of bin_values; one value if n - f agree on it.
            let single = Value::ALL
                .into_iter()
                .find(|v| carried.iter().filter(|c| *c == v).count() >= n - f);
            let vals: Vec<Value> = match single {
                Some(v) => vec![v],
                None => Value::ALL.into_iter().filter(|v| carried.contains(v)).collect(),
            };
            let s = coin(self.seed, r);
            self.seen.push(RoundSeen {
                round: r,
                est: self.est,
                vals: vals.clone(),
                coin: s,
            });
            match single {
                Some(v) => {
                    self.est = v;
                    if v == s {
                        self.decide(v);
                    }
                }
                None => self.est = s,
            }
            if r == MAX_ROUNDS {
                self.round = MAX_ROUNDS + 1;
                return;
            }
            self.enter(r + 1);
        }
    }

    fn everyone_else(&self) -> Vec<GeneralId> {
        (0..self.n as GeneralId).filter(|&g| g != self.id).collect()
    }
}

impl Protocol for MmrGeneral {
    type Msg = Steps;
    type Reject = Refused;

    fn id(&self) -> GeneralId {
        self.id
    }

    fn rounds(&self) -> Round {
        1
    }

    fn recipients(&self, _: Round) -> Vec<GeneralId> {
        self.everyone_else()
    }

    /// The start: the commander sends its order (and echoes it).
    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Steps>> {
        if round == 1
            && let Some(v) = self.order
        {
            self.out.push(Item {
                kind: Kind::Order,
                round: 0,
                value: v,
            });
            self.take(
                self.id,
                Item {
                    kind: Kind::Order,
                    round: 0,
                    value: v,
                },
            );
        }
        self.outbox()
    }

    fn on_message(&mut self, _: Round, from: GeneralId, msg: &Steps) -> Result<Taken, Refused> {
        if usize::from(from) >= self.n || from == self.id {
            return Err(Refused::Sender(from));
        }
        for &item in &msg.items {
            self.take(from, item);
        }
        Ok(Taken::All)
    }

    fn outbox(&mut self) -> Vec<Dispatch<Steps>> {
        if self.out.is_empty() {
            return Vec::new();
        }
        let msg = Arc::new(Steps {
            items: std::mem::take(&mut self.out),
        });
        self.everyone_else()
            .into_iter()
            .map(|to| Dispatch { to, msg: msg.clone() })
            .collect()
    }

    fn decide(&self) -> Value {
        self.decided.map_or(Value::Retreat, |(v, _)| v)
    }

    fn decided(&self) -> Option<Value> {
        self.decided.map(|(v, _)| v)
    }

    fn decided_round(&self) -> Option<Round> {
        self.decided.map(|(_, r)| r)
    }

    fn describer(&self) -> Describer<Steps> {
        Arc::new(move |_, from, _, msg: &Steps| {
            msg.items
                .iter()
                .map(|it| TraceMsg {
                    path: vec![from],
                    value: it.value,
                })
                .collect()
        })
    }

    fn reset(&mut self) {
        *self = MmrGeneral::new(self.n, self.f, self.id, self.order.unwrap_or(Value::Retreat), self.seed);
    }

    /// MMR's decision rule, round by round: the estimate it entered with,
    /// the values of the n - f `aux` it waited for, the coin, and what
    /// followed.
    fn explain(&self) -> Option<super::Explanation> {
        let (decision, _) = self.decided?;
        let input = match self.input {
            Some((v, "delivered")) => format!("input {v} (the order Bracha's broadcast delivered)"),
            Some((v, _)) => format!("input {v} (the majority of the first n - f echoes of the order)"),
            None => "no input (decided from f + 1 decisions heard)".into(),
        };
        let rounds: Vec<String> = self
            .seen
            .iter()
            .map(|s| {
                let vals: Vec<&str> = s.vals.iter().map(|v| v.as_str()).collect();
                let then = match s.vals.as_slice() {
                    [v] if *v == s.coin => format!("decide {v}"),
                    [v] => format!("keep {v}"),
                    _ => format!("take the coin, {}", s.coin),
                };
                format!(
                    "round {}: est {}, aux values {{{}}}, coin {} -> {then}",
                    s.round,
                    s.est,
                    vals.join(", "),
                    s.coin
                )
            })
            .collect();
        Some(super::Explanation {
            rule: format!(
                "MMR 2014 (est = v if the n - f aux agree on v, deciding v if the common coin shows v; else est = the coin): {input}; {}",
                if rounds.is_empty() {
                    "decided from f + 1 decisions heard".to_string()
                } else {
                    rounds.join("; ")
                }
            ),
            decision,
            votes: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every general's sends delivered at once, in rounds, until quiet; a
    /// hand-made scheduler. Returns the decisions.
    fn quiet(n: usize, f: usize, value: Value, seed: u64, deaf: &[GeneralId]) -> Vec<Option<Value>> {
        let mut g: Vec<MmrGeneral> = (0..n as GeneralId)
            .map(|id| MmrGeneral::new(n, f, id, value, seed))
            .collect();
        let mut wire: Vec<(GeneralId, Dispatch<Steps>)> = g[0].on_round(1).into_iter().map(|d| (0, d)).collect();
        let mut steps = 0;
        while !wire.is_empty() && steps < 100_000 {
            steps += 1;
            let (from, d) = wire.remove(0);
            if deaf.contains(&d.to) || deaf.contains(&from) {
                continue;
            }
            let to = usize::from(d.to);
            let _ = g[to].on_message(1, from, &d.msg).unwrap();
            wire.extend(
                g[to]
                    .outbox()
                    .into_iter()
                    .map(|d| (d.to, d))
                    .map(|(_, d)| (to as GeneralId, d)),
            );
        }
        g.iter().map(|x| x.decided()).collect()
    }

    #[test]
    fn every_general_decides_the_loyal_commanders_order() {
        for seed in 0..20 {
            for value in Value::ALL {
                let got = quiet(4, 1, value, seed, &[]);
                assert!(got.iter().all(|d| *d == Some(value)), "seed {seed}: {got:?}");
            }
        }
    }

    #[test]
    fn a_crashed_lieutenant_does_not_stop_the_others() {
        for seed in 0..20 {
            let got = quiet(4, 1, Value::Attack, seed, &[3]);
            assert!(
                got[..3].iter().all(|d| *d == Some(Value::Attack)),
                "seed {seed}: {got:?}"
            );
        }
    }

    #[test]
    fn the_coin_is_common_and_fair() {
        let ones = (1..=1000).filter(|&r| coin(7, r) == Value::Attack).count();
        assert!((430..570).contains(&ones), "{ones}");
        assert_eq!(coin(7, 3), coin(7, 3));
        assert!((1..50).any(|r| coin(7, r) != coin(8, r)));
    }

    #[test]
    fn a_sender_outside_the_run_is_refused() {
        let mut g = MmrGeneral::new(4, 1, 1, Value::Attack, 0);
        assert!(g.on_message(1, 9, &Steps::default()).is_err());
        assert!(g.on_message(1, 1, &Steps::default()).is_err(), "itself");
    }
}
