//! How an algorithm's generals become what a runtime drives: every general
//! of a plan wrapped in the shared node (decoding, a traitor's strategy,
//! encoding, counters), and the run's audit. An algorithm's registration
//! (`crate::algorithm`) calls [`build_generals`] with a function that makes
//! its state machine for each id, and implements [`Exposed`] so that a
//! traitor's strategy can reach into its messages; node.rs, wire.rs and the
//! `Strategy` trait stay as they are whatever the algorithm.

use super::audit::{Audit, Auditor};
use super::node::{General, Node, Traitor};
use crate::crypto::{OwnKey, SignatureLedger};
use crate::protocol::Protocol;
use crate::rng::{Purpose, stream};
use crate::run::RunPlan;
use crate::traitor::{Coalition, Strategy, TraitorCtx};
use crate::types::{GeneralId, Round};
use std::sync::Arc;

/// How a traitor's strategy reaches into one algorithm's messages: the
/// interface a general's message type offers the honest-default decorator.
/// Unsigned values go through [`Strategy::value`] (each with the relay path
/// it stands for, or the sender alone), signed orders through
/// [`Strategy::orders`]; withholding is `None` (or an emptied list).
pub trait Exposed: Protocol {
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

/// The generals of a plan, ids in order, and the audit that watches them:
/// what [`crate::algorithm::Agreement::build`] returns, opaque outside the
/// runtime.
pub struct Generals {
    pub(crate) generals: Vec<Box<dyn General>>,
    pub(crate) audit: Box<dyn Audit>,
}

/// Every general of `plan`, each made by `make` from its id and wrapped in
/// the shared node (a traitor's strategy around it where the plan places
/// one), recording what it sends when `trace`; frames are decoded up to
/// `frame_limit` bytes.
pub fn build_generals<P: Exposed>(
    plan: &RunPlan,
    trace: bool,
    frame_limit: usize,
    make: impl FnMut(GeneralId) -> P,
) -> Generals {
    build_signed(plan, trace, SignatureLedger::default(), frame_limit, make)
}

/// [`build_generals`] for an algorithm whose keys sign into `ledger`, the
/// record the audit checks accepted signatures against.
pub(crate) fn build_signed<P: Exposed>(
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
            let mut node = Node::new(make(id), traitor, frame_limit, trace);
            node.explain = plan.explain;
            Box::new(node) as Box<dyn General>
        })
        .collect();
    Generals {
        generals,
        audit: Box::new(Auditor::<P::Msg>::new(ledger)),
    }
}
