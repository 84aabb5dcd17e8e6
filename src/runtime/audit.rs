//! The ground-truth audit: an observer beside the network, never in a
//! general's path. A general reports what it took from a frame; the audit
//! checks it against what the run really did (the frame's original bytes when
//! the link altered it, the ledger of every signature made) and counts
//! `tampered_accepted` and `forgeries_accepted`. Nothing a general decides
//! depends on it.

use crate::crypto::SignatureLedger;
use crate::protocol::{Message, Taken};
use crate::types::{Counters, Envelope};
use crate::wire;
use std::marker::PhantomData;

/// Audits frames that generals took from; see the module docs.
pub(crate) trait Audit {
    /// A receiver took `taken` from the frame `env`.
    fn audit(&mut self, env: &Envelope, taken: &Taken);
    /// What the audit counted.
    fn counters(&self) -> Counters;
}

/// The audit of a run whose frames carry `M`.
pub(crate) struct Auditor<M> {
    ledger: SignatureLedger,
    counters: Counters,
    kind: PhantomData<fn() -> M>,
}

impl<M: Message> Auditor<M> {
    pub(crate) fn new(ledger: SignatureLedger) -> Auditor<M> {
        Auditor {
            ledger,
            counters: Counters::default(),
            kind: PhantomData,
        }
    }
}

impl<M: Message> Audit for Auditor<M> {
    fn audit(&mut self, env: &Envelope, taken: &Taken) {
        // The receiver decoded these bytes already, so they decode here.
        let Ok(frame) = wire::decode_shared::<M>(&env.bytes, wire::MAX_FRAME_BYTES) else {
            return;
        };
        let sent = env
            .original
            .as_ref()
            .and_then(|o| wire::decode::<M>(&o.bytes, wire::MAX_FRAME_BYTES).ok());
        let found = frame.msg.audit(
            taken,
            env.original.is_some(),
            sent.as_ref().map(|f| &f.msg),
            &self.ledger,
        );
        self.counters.tampered_accepted += u64::from(found.tampered_accepted);
        self.counters.forgeries_accepted += found.forgeries_accepted;
    }

    fn counters(&self) -> Counters {
        self.counters
    }
}
