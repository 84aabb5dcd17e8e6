//! The registry of algorithms: for each of the paper's algorithms, how its
//! generals are built for a plan, the largest frame it carries, and how a
//! traitor's strategy reaches into its messages. Adding an algorithm is a
//! module in `protocol/` and an entry here; node.rs, wire.rs and the
//! `Strategy` trait stay as they are.

use super::audit::{Audit, Auditor};
use super::node::{General, Node, Traitor};
use crate::crypto::{OwnKey, SignatureLedger, run_keys};
use crate::protocol::om::{self, OmGeneral, Relays, for_each_relay};
use crate::protocol::om_graph::{OmGraphGeneral, Schedule};
use crate::protocol::sm::{self, Orders, SmGeneral};
use crate::protocol::{Message, Protocol};
use crate::rng::{Purpose, stream};
use crate::run::RunPlan;
use crate::traitor::{Coalition, Strategy, TraitorCtx};
use crate::types::{Algorithm, COMMANDER, GeneralId, Round};
use std::sync::Arc;

/// How a traitor's strategy reaches into one algorithm's messages; each
/// algorithm implements it below.
pub(crate) trait Hooks: Protocol {
    /// The key a traitor may sign with: its own, and only for signing
    /// algorithms.
    fn own_key(&self) -> Option<&OwnKey> {
        None
    }
    /// Lets `strategy` rewrite `msg`, the honest message for `to` (empty
    /// where the honest general sends `to` nothing).
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Self::Msg);
    /// Shows `strategy` a message its traitor received, before validation.
    fn observe(strategy: &mut dyn Strategy, round: Round, from: GeneralId, msg: &Self::Msg) {
        let _ = (strategy, round, from, msg);
    }
}

impl Traitor {
    /// Lets the strategy rewrite the bytes of the frame `me` sends `to`
    /// ([`Strategy::frame`]); the bytes are copied only if it changes them
    /// (`Arc::make_mut`), so strategies that leave frames alone cost nothing.
    pub(crate) fn rewrite(&mut self, me: GeneralId, round: Round, to: GeneralId, bytes: Arc<Vec<u8>>) -> Arc<Vec<u8>> {
        let mut signatures = 0;
        let mut ctx = TraitorCtx::new(
            me,
            self.n,
            self.m,
            round,
            self.algorithm,
            &mut self.rng,
            &self.coalition,
            None,
            &mut signatures,
        );
        let mut bytes = bytes;
        self.strategy.frame(&mut ctx, to, &mut bytes);
        bytes
    }
}

/// The generals of a plan, ids in order, and the audit that watches them.
pub(crate) type Generals = (Vec<Box<dyn General>>, Box<dyn Audit>);

/// OM(m, p)'s schedule, when the run has one (OM on an incomplete graph).
fn schedule(plan: &RunPlan) -> Option<&Arc<Schedule>> {
    plan.topology.as_ref().and_then(|t| t.schedule.as_ref())
}

/// The largest frame a general of `plan` decodes, in bytes.
pub(crate) fn frame_limit(plan: &RunPlan) -> usize {
    match (plan.algorithm, schedule(plan)) {
        (Algorithm::Om, Some(s)) => s.max_frame_values().div_ceil(4).saturating_add(64),
        (Algorithm::Om, None) => om::max_frame_bytes(plan.n, plan.m),
        (Algorithm::Sm, _) => sm::max_frame_bytes(plan.m),
    }
}

/// Builds every general of a plan (recording what it sends when `trace`)
/// and the run's audit.
pub(crate) fn build(plan: &RunPlan, trace: bool) -> Generals {
    let (n, m, value) = (plan.n, plan.m, plan.value);
    let ledger = SignatureLedger::default();
    if let Some(s) = schedule(plan) {
        // Section 5: OM(m, p) on the run's graph.
        return assemble(plan, trace, ledger, frame_limit(plan), |id| {
            OmGraphGeneral::new(s.clone(), id, value)
        });
    }
    let graph = plan.topology.as_ref().map(|t| t.graph.clone());
    match plan.algorithm {
        Algorithm::Om => assemble(plan, trace, ledger, frame_limit(plan), |id| match id {
            COMMANDER => OmGeneral::commander(n, m, value),
            _ => OmGeneral::lieutenant(n, m, id),
        }),
        Algorithm::Sm => {
            let keys = run_keys(plan.seed, n, plan.signatures);
            let signing = ledger.clone();
            assemble(plan, trace, ledger, frame_limit(plan), move |id| {
                // run_keys derives exactly n keys, so every id has one.
                let own = keys.own(id).unwrap_or_else(|| OwnKey::derive(plan.seed, id));
                let general = SmGeneral::new(n, m, id, value, keys.ring(), own.with_ledger(signing.clone()));
                match &graph {
                    Some(g) => general.on_graph(g.clone()),
                    None => general,
                }
            })
        }
    }
}

fn assemble<P: Hooks>(
    plan: &RunPlan,
    trace: bool,
    ledger: SignatureLedger,
    frame_limit: usize,
    mut make: impl FnMut(GeneralId) -> P,
) -> Generals {
    let coalition = Arc::new(Coalition::new(plan.n, &plan.traitors, plan.value));
    let generals = (0..plan.n as GeneralId)
        .map(|id| {
            let traitor = plan.traitors.contains(&id).then(|| Traitor {
                strategy: (plan.strategy.factory)(),
                rng: stream(plan.seed, Purpose::Traitor, u64::from(id)),
                coalition: coalition.clone(),
                n: plan.n,
                m: plan.m,
                algorithm: plan.algorithm,
            });
            Box::new(Node::new(make(id), traitor, frame_limit, trace)) as Box<dyn General>
        })
        .collect();
    (generals, Box::new(Auditor::<P::Msg>::new(ledger)))
}

/// OM: the strategy picks each relayed value, path by path, in the frame's
/// canonical order; `None` withholds it.
impl Hooks for OmGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Relays) {
        let (n, round, me) = (ctx.n, ctx.round, ctx.me);
        let mut k = 0;
        for_each_relay(n, round, me, to, |path, _, _| {
            // An honest general has a value for every path (absent = RETREAT).
            let honest = msg.get(k).unwrap_or(crate::types::Value::Retreat);
            let sent = strategy.om_value(ctx, to, path, honest);
            msg.set(k, sent);
            k += 1;
        });
    }
}

/// OM(m, p): as under OM, value by value in frame order, each with the
/// path it stands for: on a direct send the chain ending at the traitor
/// (`0:...:me`), on a hop of step 2(A) the chain ending at the path's
/// origin, addressed to the path's end (so a traitor relaying someone
/// else's value decides it as it decides its own).
impl Hooks for OmGraphGeneral {
    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Relays) {
        let (round, me) = (ctx.round, ctx.me);
        let meanings = self.schedule().meanings(round, me, to);
        // A receiver the honest general sends nothing: as many slots, all
        // withheld, for the strategy to fill.
        if msg.len() != meanings.len() {
            *msg = Relays::filled(meanings.len(), None);
        }
        for (k, (path, dest)) in meanings.into_iter().enumerate() {
            let honest = msg.get(k).unwrap_or(crate::types::Value::Retreat);
            let sent = strategy.om_value(ctx, dest, path, honest);
            msg.set(k, sent);
        }
    }
}

/// SM: the strategy rewrites the list of signed orders, signing only with the
/// traitor's own key, and sees every order the traitor receives.
impl Hooks for SmGeneral {
    fn own_key(&self) -> Option<&OwnKey> {
        Some(self.key())
    }

    fn corrupt(&self, strategy: &mut dyn Strategy, ctx: &mut TraitorCtx<'_>, to: GeneralId, msg: &mut Orders) {
        strategy.sm_orders(ctx, to, &mut msg.0);
    }

    fn observe(strategy: &mut dyn Strategy, round: Round, from: GeneralId, msg: &Orders) {
        for o in &msg.0 {
            strategy.observe_sm(round, from, o);
        }
    }
}

// Every message type has a distinct tag on the wire.
const _: () = assert!(Relays::KIND != Orders::KIND);
