//! `load:B`: background traffic on the agreement's own links (the
//! lecture's shared network, where other users' data competes for the same
//! queues). For every frame a general sends, the layer sends B background
//! frames of the same size on the same link and round, after it, down
//! through every layer below (so `aimd`'s window, `stubborn`'s
//! retransmissions and `capacity`'s queue govern them as they govern the
//! agreement's); the same layer at the receiver takes them off the link
//! and counts those that arrive in time, the first time. With it, a
//! congestion study can raise the offered load on a few links, where a
//! window can bind. Owns the counters `background_sent` and
//! `background_delivered`.

use super::layer::{Cx, Frame, LayerBuild, LayerKind, LinkLayer, Rule, Series};
use crate::types::{Counters, Envelope, GeneralId};
use std::collections::BTreeSet;
use std::sync::Arc;

/// One line for `byzlab strategies` and the docs.
pub const ABOUT: &str =
    "B background frames on the same link for every frame a general sends (a shared network's load)";

/// What a background frame starts with (no protocol frame does: their
/// first byte is a message kind below 128).
const MAGIC: &[u8; 16] = b"\xffbyzlab/bg/v1\x00\x00\x00";

/// The most background frames per frame.
pub const MAX_LOAD: u64 = 10_000;

/// Its grammar, order rules and factory.
pub fn kind() -> LayerKind {
    let why = "so that its frames cross every layer the agreement's do";
    LayerKind {
        syntax: "load:B".into(),
        rules: ["stubborn", "dedup", "auth", "capacity", "aimd"]
            .into_iter()
            .map(|l| Rule::Above(l, why))
            .collect(),
        make: Arc::new(|b: &LayerBuild<'_>| {
            let per = b
                .params
                .and_then(|p| p.parse::<u64>().ok())
                .filter(|&v| (1..=MAX_LOAD).contains(&v))
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a number of background frames per frame from 1 to {MAX_LOAD} (e.g. load:8)",
                        b.params.unwrap_or("")
                    )
                })?;
            Ok(Box::new(Load {
                per,
                next: 0,
                sent: 0,
                seen: BTreeSet::new(),
                delivered: 0,
            }) as Box<dyn LinkLayer>)
        }),
    }
}

/// The layer.
pub struct Load {
    per: u64,
    next: u64,
    sent: u64,
    seen: BTreeSet<(GeneralId, GeneralId, u64)>,
    delivered: u64,
}

impl LinkLayer for Load {
    fn down(&mut self, cx: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        let (round, from, to, size) = (frame.env.round, frame.env.from, frame.env.to, frame.env.bytes.len());
        // The agreement's frame first, then the load behind it.
        cx.send(frame);
        for _ in 0..self.per {
            let mut bytes = Vec::with_capacity(size.max(MAGIC.len() + 8));
            bytes.extend_from_slice(MAGIC);
            bytes.extend_from_slice(&self.next.to_le_bytes());
            bytes.resize(size.max(bytes.len()), 0);
            self.next += 1;
            self.sent += 1;
            cx.send(Frame::own(Envelope {
                round,
                from,
                to,
                bytes: Arc::new(bytes),
                original: None,
                link: None,
            }));
        }
        None
    }

    fn up(&mut self, cx: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        let b = &frame.env.bytes;
        if b.len() < MAGIC.len() + 8 || &b[..MAGIC.len()] != MAGIC {
            return Some(frame);
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&b[MAGIC.len()..MAGIC.len() + 8]);
        let key = (frame.env.from, frame.env.to, u64::from_le_bytes(id));
        if cx.now <= cx.deadline(frame.env.round) && self.seen.insert(key) {
            self.delivered += 1;
        }
        None
    }

    fn report(&self, counters: &mut Counters, _: &mut Vec<Series>) {
        counters.background_sent += self.sent;
        counters.background_delivered += self.delivered;
    }
}
