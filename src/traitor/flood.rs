//! `flood`: attacks the receivers' decoders and memory, not the protocol.
//! Every frame it sends is one a loyal general must refuse whole, cheaply:
//!
//! * SM: every order it would send, repeated until the frame holds far more
//!   orders than a frame may (sm::max_frame_bytes), so the frame is over the
//!   run's size limit; and a frame it would not send at all becomes copies
//!   of the orders it holds;
//! * OM (and any unsigned algorithm): the honest frame with its length wrong, by turns one byte short,
//!   one byte long, or padded with garbage to the size limit.
//!
//! Since nothing it sends can be taken, loyal generals decide exactly as
//! against a `silent` traitor (a test holds it to that), and what they
//! hold stays bounded by the frame limit however much arrives. Left out of
//! the experiment portfolio for that reason: it cannot break a cell that
//! `silent` does not.

use super::{Strategy, TraitorCtx};
use crate::protocol::sm::SignedOrder;
use crate::types::GeneralId;
use rand::{Rng, RngExt};

/// Copies of each order in an SM frame: well past the two a frame may hold.
const COPIES: usize = 64;

/// The flooder.
#[derive(Default)]
pub struct Flood {
    held: Vec<SignedOrder>,
    turn: usize,
}

impl Strategy for Flood {
    fn observe_order(&mut self, _: crate::types::Round, _: GeneralId, order: &SignedOrder) {
        if self.held.len() < 4 {
            self.held.push(order.clone());
        }
    }

    fn orders(&mut self, _: &mut TraitorCtx<'_>, _: GeneralId, orders: &mut Vec<SignedOrder>) {
        if orders.is_empty() {
            orders.extend(self.held.iter().cloned());
        }
        let one = orders.clone();
        while !one.is_empty() && orders.len() < COPIES * one.len() {
            orders.extend(one.iter().cloned());
        }
    }

    fn frame(&mut self, ctx: &mut TraitorCtx<'_>, _: GeneralId, bytes: &mut std::sync::Arc<Vec<u8>>) {
        // Signed orders are flooded above; unsigned frames get a wrong length.
        if ctx.algorithm.signed() {
            return;
        }
        let bytes = std::sync::Arc::make_mut(bytes);
        self.turn += 1;
        match self.turn % 3 {
            0 => {
                bytes.pop();
            }
            1 => bytes.push(ctx.rng.random()),
            _ => {
                let mut pad = vec![0u8; bytes.len().max(64) * 4];
                ctx.rng.fill_bytes(&mut pad);
                bytes.extend_from_slice(&pad);
            }
        }
    }
}
