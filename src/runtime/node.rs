//! A general as both runtimes host it: one code path for every algorithm.
//!
//! A frame that arrives is decoded, shown to a traitor's strategy, and
//! stepped into the protocol state machine; at the start of a round the
//! machine's sends pass through the traitor's strategy (a decorator whose
//! defaults are honest), are encoded and counted. Nothing here knows which
//! algorithm runs, and nothing here knows about actors or links.

use super::GeneralReport;
pub(crate) use super::general::{Described, General, OutFrame};
use super::generals::Exposed;
use crate::protocol::{Describer, Dispatch, Message, Taken};
use crate::rng::RunRng;
use crate::traitor::{Coalition, Strategy, TraitorCtx};
use crate::types::{Algorithm, Counters, Envelope, GeneralId, Round};
use crate::wire;
use std::sync::Arc;

/// A shared message and its bytes.
type Encoded<M> = (Arc<M>, Arc<Vec<u8>>);

/// A traitor's strategy and what its hooks are given.
pub(crate) struct Traitor {
    pub(crate) strategy: Box<dyn Strategy>,
    pub(crate) rng: RunRng,
    pub(crate) coalition: Arc<Coalition>,
    pub(crate) n: usize,
    pub(crate) m: usize,
    pub(crate) algorithm: Algorithm,
}

/// A protocol state machine, a strategy if the general is a traitor, frames.
pub(crate) struct Node<P: crate::protocol::Protocol> {
    proto: P,
    traitor: Option<Traitor>,
    counters: Counters,
    frame_limit: usize,
    /// Set when the run is traced.
    describer: Option<Describer<P::Msg>>,
    /// A traitor commander's round-1 values, by lieutenant.
    sent: std::collections::BTreeMap<GeneralId, Vec<crate::types::Value>>,
    /// Report why it decided (`--explain`).
    pub(crate) explain: bool,
    /// What it did with the last frame, when a trace shows verdicts.
    verdict: Option<String>,
    /// Whether a trace shows verdicts (only then are they made).
    judge: bool,
}

impl<P: Exposed> Node<P> {
    pub(crate) fn new(proto: P, traitor: Option<Traitor>, frame_limit: usize, trace: bool) -> Node<P> {
        Node {
            describer: trace.then(|| proto.describer()),
            proto,
            traitor,
            counters: Counters::default(),
            frame_limit,
            sent: Default::default(),
            explain: false,
            verdict: None,
            judge: false,
        }
    }

    /// A traitor's strategy rewrites what the honest machine sends, for every
    /// receiver the round allows, in ascending order.
    fn corrupt(&mut self, round: Round, honest: Vec<Dispatch<P::Msg>>) -> Vec<Dispatch<P::Msg>> {
        let Some(t) = &mut self.traitor else {
            return honest;
        };
        let mut signatures = 0;
        let key = self.proto.own_key();
        let mut ctx = TraitorCtx::new(
            self.proto.id(),
            t.n,
            t.m,
            round,
            t.algorithm,
            &mut t.rng,
            &t.coalition,
            key,
            &mut signatures,
        );
        let mut honest = honest.into_iter().peekable();
        let out: Vec<Dispatch<P::Msg>> = self
            .proto
            .recipients(round)
            .into_iter()
            .map(|to| {
                let mut msg = honest
                    .next_if(|d| d.to == to)
                    .map_or_else(P::Msg::default, |d| Arc::unwrap_or_clone(d.msg));
                self.proto.corrupt(t.strategy.as_mut(), &mut ctx, to, &mut msg);
                Dispatch { to, msg: Arc::new(msg) }
            })
            .collect();
        self.counters.signatures_made += signatures;
        if round == 1 && self.proto.id() == crate::types::COMMANDER {
            let describe = self.proto.describer();
            for d in &out {
                let values = describe(round, crate::types::COMMANDER, d.to, &d.msg)
                    .iter()
                    .map(|m| m.value)
                    .collect();
                self.sent.insert(d.to, values);
            }
        }
        out
    }
}

impl<P: Exposed> Node<P> {
    /// The honest sends of `round`, through a traitor's strategy, encoded
    /// and counted.
    fn frames(&mut self, round: Round, honest: Vec<Dispatch<P::Msg>>) -> Vec<OutFrame> {
        let sends = self.corrupt(round, honest);
        let mut out = Vec::with_capacity(sends.len());
        // A message shared by several receivers is encoded once, and its
        // bytes shared too (receivers then decode it once, see wire).
        let mut encoded: Vec<Encoded<P::Msg>> = Vec::new();
        for Dispatch { to, msg } in sends {
            let count = msg.count();
            if count == 0 {
                continue; // nothing to say is silence, not an empty frame
            }
            let bytes = match encoded.iter().find(|(m, _)| Arc::ptr_eq(m, &msg)) {
                Some((_, b)) => b.clone(),
                None => {
                    let b = Arc::new(wire::encode(round, msg.as_ref()));
                    if Arc::strong_count(&msg) > 1 {
                        encoded.push((msg.clone(), b.clone()));
                    }
                    b
                }
            };
            let bytes = match &mut self.traitor {
                Some(t) => t.rewrite(self.proto.id(), round, to, bytes),
                None => bytes,
            };
            let me = self.proto.id();
            let trace = self.describer.clone().map(|describe| {
                let msg = msg.clone();
                Arc::new(move || describe(round, me, to, &msg)) as Described
            });
            self.counters.messages += count;
            self.counters.frames += 1;
            self.counters.bytes += bytes.len() as u64;
            out.push(OutFrame {
                round,
                to,
                bytes,
                trace,
            });
        }
        out
    }
}

impl<P: Exposed> Node<P> {
    /// [`General::accept`] when a trace shows verdicts: the same step, and
    /// what the receiver did with the frame kept for [`General::verdict`].
    /// Apart from the hot path, which pays nothing for it.
    #[inline(never)]
    fn accept_judged(&mut self, env: &Envelope) -> Option<Taken> {
        let (proto, traitor, describer) = (&mut self.proto, &mut self.traitor, &self.describer);
        let mut verdict = None;
        let stepped = wire::with_shared::<P::Msg, _>(&env.bytes, self.frame_limit, |frame| {
            if frame.round != env.round {
                verdict = Some(format!("refused the frame: it says round {}", frame.round));
                return None;
            }
            if let Some(t) = traitor {
                P::observe(t.strategy.as_mut(), env.round, env.from, &frame.msg);
            }
            let stepped = proto.on_message(env.round, env.from, &frame.msg);
            if let Some(describe) = describer {
                // Described only once the protocol took the frame: a
                // describer may assume a sender and round that make sense
                // (a spoofed frame's need not).
                let items = match &stepped {
                    Ok(_) => describe(env.round, env.from, env.to, &frame.msg),
                    Err(_) => Vec::new(),
                };
                verdict = Some(judged(&items, &stepped, &proto.refusals()));
            }
            Some(stepped)
        });
        self.verdict = match (&stepped, verdict) {
            (Err(e), _) => Some(format!("refused the frame: {e}")),
            (_, v) => v,
        };
        self.count(env, stepped.ok().flatten().map(|r| r.ok()))
    }

    /// Counts a frame taken or refused; what a taken one gave, for the
    /// run's audit.
    fn count(&mut self, env: &Envelope, taken: Option<Option<Taken>>) -> Option<Taken> {
        match taken {
            None | Some(None) => {
                self.counters.frames_rejected += 1;
                None
            }
            Some(Some(taken)) => {
                self.counters.frames_accepted += 1;
                let audit = !taken.is_nothing() && (P::Msg::AUDIT_ALWAYS || env.original.is_some());
                audit.then_some(taken)
            }
        }
    }
}

impl<P: Exposed> General for Node<P> {
    fn on_round(&mut self, round: Round) -> Vec<OutFrame> {
        let honest = self.proto.on_round(round);
        self.frames(round, honest)
    }

    fn drain(&mut self) -> Vec<OutFrame> {
        let honest = self.proto.outbox();
        if honest.is_empty() {
            return Vec::new();
        }
        // An asynchronous protocol's frames all travel as round 1: its own
        // rounds are inside its messages. What a traitor commander sent at
        // the start is its order; later frames are not.
        let order = std::mem::take(&mut self.sent);
        let out = self.frames(1, honest);
        self.sent = order;
        out
    }

    fn decided(&self) -> bool {
        self.proto.decided().is_some()
    }

    fn accept(&mut self, env: &Envelope) -> Option<Taken> {
        if self.judge && self.describer.is_some() {
            return self.accept_judged(env);
        }
        // The hot path: nothing but decoding and the protocol's step.
        let (proto, traitor) = (&mut self.proto, &mut self.traitor);
        let stepped = wire::with_shared::<P::Msg, _>(&env.bytes, self.frame_limit, |frame| {
            if frame.round != env.round {
                return None;
            }
            if let Some(t) = traitor {
                P::observe(t.strategy.as_mut(), env.round, env.from, &frame.msg);
            }
            Some(proto.on_message(env.round, env.from, &frame.msg))
        });
        self.count(env, stepped.ok().flatten().map(|r| r.ok()))
    }

    fn reset(&mut self) {
        self.proto.reset();
    }

    fn verdict(&mut self) -> Option<String> {
        self.verdict.take()
    }

    fn judging(&self) -> bool {
        self.judge && self.describer.is_some()
    }

    fn set_judging(&mut self, on: bool) {
        self.judge = on;
    }

    fn report(&self) -> GeneralReport {
        let mut counters = self.counters;
        counters.add(&self.proto.counters());
        GeneralReport {
            id: self.proto.id(),
            loyal: self.traitor.is_none(),
            decision: self.proto.decided().unwrap_or_else(|| self.proto.decide()),
            v: self.proto.values(),
            counters,
            decided_at: None,
            failed: false,
            sent: self.sent.clone(),
            decided_round: self.proto.decided_round(),
            explain: if self.explain { self.proto.explain() } else { None },
        }
    }
}

/// A receiver's verdict on one frame: `took 0:1=attack`, each item it did
/// not take with why, or why it refused the whole frame.
fn judged<E: std::fmt::Display>(
    items: &[crate::protocol::TraceMsg],
    stepped: &Result<Taken, E>,
    refusals: &[(usize, String)],
) -> String {
    let taken = match stepped {
        Err(e) => return format!("refused the frame: {e}"),
        Ok(t) => t,
    };
    let label = |m: &crate::protocol::TraceMsg| {
        let path: Vec<String> = m.path.iter().map(|g| g.to_string()).collect();
        format!("{}={}", path.join(":"), m.value)
    };
    let took: Vec<String> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| taken.contains(*i))
        .map(|(_, m)| label(m))
        .collect();
    let mut parts = Vec::new();
    if !took.is_empty() {
        parts.push(format!("took {}", took.join(" ")));
    }
    for (i, m) in items.iter().enumerate().filter(|(i, _)| !taken.contains(*i)) {
        let why = refusals
            .iter()
            .find(|(j, _)| *j == i)
            .map_or("not taken", |(_, w)| w.as_str());
        parts.push(format!("{} {why}", label(m)));
    }
    if parts.is_empty() {
        return "took it (no value in it)".into();
    }
    parts.join("; ")
}
