//! `dedup`: the receiver delivers each frame at most once (the lecture's
//! "no duplication"), by sequence numbers per sender and receiver: it
//! numbers the frames going down (unless a layer above did), and drops
//! what arrives under a number already delivered. Owns the counter
//! `duplicates_discarded`.

use super::layer::{Cx, Frame, LayerBuild, LayerKind, LinkLayer, Rule};
use crate::types::{Counters, GeneralId, LinkHeader};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One line for `byzlab strategies` and the docs.
pub const ABOUT: &str = "delivers each frame at most once (sequence numbers per sender and receiver)";

/// Its grammar, order rules and factory.
pub fn kind() -> LayerKind {
    LayerKind {
        syntax: "dedup".into(),
        rules: vec![
            Rule::Above("stubborn", "to remove the copies retransmission makes"),
            Rule::Above(
                "auth",
                "so that a forged frame never marks a sequence number as delivered",
            ),
        ],
        make: Arc::new(|b: &LayerBuild<'_>| {
            super::no_params("dedup", b.params)?;
            Ok(Box::new(Dedup::default()) as Box<dyn LinkLayer>)
        }),
    }
}

/// The layer.
#[derive(Default)]
pub struct Dedup {
    next_seq: BTreeMap<(GeneralId, GeneralId), u64>,
    delivered: BTreeSet<(GeneralId, GeneralId, u64)>,
    discarded: u64,
}

impl LinkLayer for Dedup {
    fn down(&mut self, _: &mut Cx<'_>, mut frame: Frame) -> Option<Frame> {
        if frame.env.link.is_none() {
            let next = self.next_seq.entry((frame.env.from, frame.env.to)).or_default();
            frame.env.link = Some(Box::new(LinkHeader { seq: *next, ack: false }));
            *next += 1;
        }
        Some(frame)
    }

    fn up(&mut self, _: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        if let Some(h) = frame.env.link.as_deref()
            && !h.ack
            && !self.delivered.insert((frame.env.from, frame.env.to, h.seq))
        {
            self.discarded += 1;
            return None;
        }
        Some(frame)
    }

    fn report(&self, counters: &mut Counters, _: &mut Vec<super::layer::Series>) {
        counters.duplicates_discarded += self.discarded;
    }
}
