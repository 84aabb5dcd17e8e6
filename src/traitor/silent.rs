//! `silent`: sends nothing at all, the crash-like traitor. Under OM every
//! missing value reads as RETREAT (A3); a silent commander therefore makes
//! every loyal lieutenant RETREAT, under OM and SM alike.

use super::{Strategy, TraitorCtx};
use crate::protocol::sm::SignedOrder;
use crate::types::{GeneralId, Value};

/// Withholds every message.
pub struct Silent;

impl Strategy for Silent {
    fn value(&mut self, _: &mut TraitorCtx<'_>, _: GeneralId, _: &[GeneralId], _: Value) -> Option<Value> {
        None
    }

    fn orders(&mut self, _: &mut TraitorCtx<'_>, _: GeneralId, orders: &mut Vec<SignedOrder>) {
        orders.clear();
    }
}
