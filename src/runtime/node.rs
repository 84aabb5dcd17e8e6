//! A general as both runtimes host it: a protocol state machine, wrapped by a
//! traitor strategy when the general is a traitor, speaking frames.
//!
//! `emit` turns what the machine (and the strategy) sends in a round into one
//! encoded frame per receiver; `accept` decodes a frame and hands it to the
//! machine, counting whatever is refused. Nothing here knows about actors or
//! about links.

use crate::crypto::{self, ChainHasher, OwnKey, SignatureLedger};
use crate::protocol::om::{self, OmGeneral, WITHHELD};
use crate::protocol::sm::{self, MAX_ORDERS_PER_FRAME, SmGeneral, Verdict};
use crate::rng::{Purpose, RunRng, stream};
use crate::run::RunPlan;
use crate::traitor::{Coalition, Strategy, TraitorCtx};
use crate::types::{Algorithm, COMMANDER, Counters, Envelope, GeneralId, Round, Value};
use crate::wire::{self, Body, Frame, SignedOrder};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One logical message inside a frame, for traces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceMsg {
    /// OM: the path `0:...:sender`; SM: the chain's signers.
    pub path: Vec<GeneralId>,
    /// The value.
    pub value: Value,
}

/// A frame leaving a general.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Receiver.
    pub to: GeneralId,
    /// Encoded frame.
    pub bytes: Arc<Vec<u8>>,
    /// Logical messages in it, when the run is traced.
    pub trace: Vec<TraceMsg>,
}

/// A general's state at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneralReport {
    /// Id.
    pub id: GeneralId,
    /// Loyal or traitor.
    pub loyal: bool,
    /// What its protocol decided (a traitor's is what it would have decided).
    pub decision: Value,
    /// SM: its set V, in arrival order.
    pub v: Option<Vec<Value>>,
    /// Its counters.
    pub counters: Counters,
}

enum Machine {
    Om(OmGeneral),
    Sm(Box<SmGeneral>),
}

struct Traitor {
    strategy: Box<dyn Strategy>,
    rng: RunRng,
    coalition: Arc<Coalition>,
    me: GeneralId,
    n: usize,
    m: usize,
    algorithm: Algorithm,
}

impl Traitor {
    /// The strategy and the context its hooks get for `round`.
    fn hook<'a>(
        &'a mut self,
        round: Round,
        key: Option<&'a OwnKey>,
        signatures: &'a mut u64,
    ) -> (&'a mut dyn Strategy, TraitorCtx<'a>) {
        let ctx = TraitorCtx::new(
            self.me,
            self.n,
            self.m,
            round,
            self.algorithm,
            &mut self.rng,
            &self.coalition,
            key,
            signatures,
        );
        (self.strategy.as_mut(), ctx)
    }
}

/// A general, loyal or traitor.
pub struct Node {
    id: GeneralId,
    n: usize,
    machine: Machine,
    traitor: Option<Traitor>,
    counters: Counters,
    frame_limit: usize,
    trace: bool,
    ledger: SignatureLedger,
    /// Reused buffer for SM verdicts.
    verdicts: Vec<Verdict>,
}

/// Largest frame a run may carry: an honest frame's size with room to spare.
pub fn frame_limit(algorithm: Algorithm, n: usize, m: usize) -> usize {
    match algorithm {
        Algorithm::Om => {
            let values = (1..=m as Round + 1).map(|r| om::frame_len(n, r)).max().unwrap_or(1);
            values as usize + 64
        }
        // per order: value, length prefix, (m+1) links of id, length and signature
        Algorithm::Sm => 64 + MAX_ORDERS_PER_FRAME * (8 + (m + 1) * (4 + 2 + crate::crypto::SIG_LEN)),
    }
}

fn sm_trace<'a>(orders: impl Iterator<Item = &'a SignedOrder>) -> Vec<TraceMsg> {
    orders
        .map(|o| TraceMsg {
            path: o.chain.iter().map(|l| l.signer).collect(),
            value: o.value,
        })
        .collect()
}

/// Builds every general of a plan, ids in order.
pub fn build_nodes(plan: &RunPlan) -> Vec<Node> {
    let coalition = Arc::new(Coalition::new(plan.n, &plan.traitors, plan.value));
    let keys = match plan.algorithm {
        Algorithm::Sm => Some(crypto::keys_for(plan.seed, plan.n)),
        Algorithm::Om => None,
    };
    let limit = frame_limit(plan.algorithm, plan.n, plan.m);
    let ledger = SignatureLedger::default();
    (0..plan.n as GeneralId)
        .map(|id| {
            let machine = match &keys {
                None if id == COMMANDER => Machine::Om(OmGeneral::commander(plan.n, plan.m, plan.value)),
                None => Machine::Om(OmGeneral::lieutenant(plan.n, plan.m, id)),
                Some(keys) => {
                    // keys_for derives exactly n keys, so every id has one.
                    let own = keys.own(id).unwrap_or_else(|| OwnKey::derive(plan.seed, id));
                    Machine::Sm(Box::new(SmGeneral::new(
                        plan.n,
                        plan.m,
                        id,
                        plan.value,
                        keys.ring(),
                        own.with_ledger(ledger.clone()),
                    )))
                }
            };
            let ledger = ledger.clone();
            let traitor = plan.traitors.contains(&id).then(|| Traitor {
                strategy: (plan.strategy.factory)(),
                rng: stream(plan.seed, Purpose::Traitor, u64::from(id)),
                coalition: coalition.clone(),
                me: id,
                n: plan.n,
                m: plan.m,
                algorithm: plan.algorithm,
            });
            Node {
                id,
                n: plan.n,
                machine,
                traitor,
                counters: Counters::default(),
                frame_limit: limit,
                trace: plan.trace,
                ledger,
                verdicts: Vec::new(),
            }
        })
        .collect()
}

impl Node {
    /// Id.
    pub fn id(&self) -> GeneralId {
        self.id
    }

    /// The frames this general sends in `round`, one per receiver, ascending.
    pub fn emit(&mut self, round: Round) -> Vec<Outgoing> {
        let mut out = Vec::with_capacity(self.n);
        match &mut self.machine {
            Machine::Om(g) => {
                for to in g.recipients(round) {
                    let mut values = Vec::with_capacity(om::frame_len(self.n, round) as usize);
                    g.emit(round, to, &mut values);
                    if let Some(t) = &mut self.traitor {
                        let mut sigs = 0;
                        let (strategy, mut ctx) = t.hook(round, None, &mut sigs);
                        let mut k = 0;
                        om::for_each_relay(self.n, round, self.id, to, |path, _, _| {
                            let honest = Value::from_byte(values[k]).unwrap_or(Value::Retreat);
                            values[k] = strategy
                                .om_value(&mut ctx, to, path, honest)
                                .map_or(WITHHELD, Value::to_byte);
                            k += 1;
                        });
                    }
                    let sent = values.iter().filter(|&&b| b != WITHHELD).count() as u64;
                    if sent == 0 {
                        continue; // nothing to say is silence, not an empty frame
                    }
                    self.counters.messages += sent;
                    let mut trace = Vec::new();
                    if self.trace {
                        let mut k = 0;
                        om::for_each_relay(self.n, round, self.id, to, |path, _, _| {
                            if let Some(value) = Value::from_byte(values[k]) {
                                trace.push(TraceMsg {
                                    path: path.to_vec(),
                                    value,
                                });
                            }
                            k += 1;
                        });
                    }
                    let bytes = Arc::new(wire::encode(&Frame {
                        round,
                        body: Body::Om(values),
                    }));
                    out.push(Outgoing { to, bytes, trace });
                }
            }
            Machine::Sm(g) => {
                g.prepare(round);
                if self.traitor.is_none() && g.outbox(round).next().is_none() {
                    return out; // nothing accepted last round: nothing to relay
                }
                // Honest frames to different receivers are often identical (the
                // same orders): encode each distinct set once.
                let mut encoded: Vec<(u64, Arc<Vec<u8>>)> = Vec::new();
                for to in g.recipients(round) {
                    let mut orders = Vec::new();
                    let Some(t) = &mut self.traitor else {
                        let mut mask = 0u64;
                        let mut count = 0;
                        for (i, o) in g.outbox(round).enumerate() {
                            if sm::goes_to(o, to) {
                                mask |= 1 << i.min(63);
                                count += 1;
                            }
                        }
                        if count == 0 {
                            continue;
                        }
                        self.counters.messages += count;
                        let bytes = match encoded.iter().find(|(m, _)| *m == mask) {
                            Some((_, b)) => b.clone(),
                            None => {
                                g.emit(round, to, &mut orders);
                                let b = Arc::new(wire::encode(&Frame {
                                    round,
                                    body: Body::Sm(std::mem::take(&mut orders)),
                                }));
                                encoded.push((mask, b.clone()));
                                b
                            }
                        };
                        let trace = if self.trace {
                            sm_trace(g.outbox(round).filter(|o| sm::goes_to(o, to)))
                        } else {
                            Vec::new()
                        };
                        out.push(Outgoing { to, bytes, trace });
                        continue;
                    };
                    g.emit(round, to, &mut orders);
                    let mut sigs = 0;
                    let (strategy, mut ctx) = t.hook(round, Some(g.key()), &mut sigs);
                    strategy.sm_orders(&mut ctx, to, &mut orders);
                    for _ in 0..sigs {
                        g.count_signature();
                    }
                    if orders.is_empty() {
                        continue;
                    }
                    self.counters.messages += orders.len() as u64;
                    let trace = if self.trace {
                        sm_trace(orders.iter())
                    } else {
                        Vec::new()
                    };
                    let bytes = Arc::new(wire::encode(&Frame {
                        round,
                        body: Body::Sm(orders),
                    }));
                    out.push(Outgoing { to, bytes, trace });
                }
            }
        }
        for o in &out {
            self.counters.frames += 1;
            self.counters.bytes += o.bytes.len() as u64;
        }
        out
    }

    /// Takes a frame that arrived in `round`. Anything that does not decode,
    /// belongs to another round or is refused by the protocol is counted and
    /// dropped.
    pub fn accept(&mut self, round: Round, env: &Envelope) {
        let frame = match wire::decode_shared(&env.bytes, self.frame_limit) {
            Ok(f) if f.round == round => f,
            _ => {
                self.counters.frames_rejected += 1;
                return;
            }
        };
        // None: the whole frame was refused; Some(altered): whether the receiver
        // took a value the true sender did not send it.
        let outcome = match (&mut self.machine, &frame.body) {
            // Every OM value in an altered frame is taken at face value.
            (Machine::Om(g), Body::Om(values)) => {
                g.receive(round, env.from, values).ok().map(|()| env.original.is_some())
            }
            (Machine::Sm(g), Body::Sm(orders)) => {
                if let Some(t) = &mut self.traitor {
                    for o in orders {
                        t.strategy.observe_sm(round, env.from, o);
                    }
                }
                let mut verdicts = std::mem::take(&mut self.verdicts);
                let outcome = match g.receive(round, env.from, orders, &mut verdicts) {
                    Ok(()) => {
                        let accepted: Vec<&SignedOrder> = orders
                            .iter()
                            .zip(&verdicts)
                            .filter(|(_, v)| **v == Verdict::Accepted)
                            .map(|(o, _)| o)
                            .collect();
                        Some(self.audit_sm(env, &accepted))
                    }
                    Err(_) => None,
                };
                self.verdicts = verdicts;
                outcome
            }
            _ => None,
        };
        match outcome {
            None => self.counters.frames_rejected += 1,
            Some(true) => self.counters.tampered_accepted += 1,
            Some(false) => {}
        }
    }

    /// Accounting outside the protocol, against the run's ground truth: counts
    /// accepted orders with a signature nobody made, and says whether any
    /// accepted order was not in the frame its true sender sent.
    fn audit_sm(&mut self, env: &Envelope, accepted: &[&SignedOrder]) -> bool {
        for o in accepted {
            let mut h = ChainHasher::new(o.value);
            let genuine = o.chain.iter().all(|l| {
                let made = self.ledger.contains(&h.digest_for(l.signer), &l.sig);
                h.push(l.signer, &l.sig);
                made
            });
            self.counters.forgeries_accepted += u64::from(!genuine);
        }
        let Some(original) = &env.original else {
            return false;
        };
        let sent = match wire::decode(&original.bytes, usize::MAX) {
            Ok(Frame { body: Body::Sm(v), .. }) => v,
            _ => Vec::new(),
        };
        accepted.iter().any(|o| !sent.contains(o))
    }

    /// The general's final state.
    pub fn report(&self) -> GeneralReport {
        let mut counters = self.counters;
        let (decision, v) = match &self.machine {
            Machine::Om(g) => (g.decide(), None),
            Machine::Sm(g) => {
                let c = g.counters();
                counters.signatures_made += c.signatures_made;
                counters.signatures_verified += c.signatures_verified;
                counters.verify_cache_hits += c.cache_hits;
                counters.orders_rejected += c.orders_rejected;
                counters.orders_ignored += c.orders_ignored;
                (g.decide(), Some(g.values().to_vec()))
            }
        };
        GeneralReport {
            id: self.id,
            loyal: self.traitor.is_none(),
            decision,
            v,
            counters,
        }
    }
}
