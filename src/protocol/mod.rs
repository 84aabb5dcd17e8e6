//! The paper's algorithms as pure state machines: a frame goes in, state
//! changes; a round is asked for, frames come out. No actix, IO, clock or
//! randomness in here; `protocol` uses only `types`, `crypto` and the frame
//! types of `wire`.

pub mod majority;
pub mod om;
pub mod sm;

use crate::types::{COMMANDER, GeneralId, Round};

/// Who a general sends to in `round`, ascending, in both algorithms: the
/// commander to every lieutenant in round 1 (step 1), a lieutenant to every
/// other lieutenant in rounds 2..=m+1 (step 2), nobody otherwise.
pub fn recipients(n: usize, m: usize, me: GeneralId, round: Round) -> Vec<GeneralId> {
    let sends = if me == COMMANDER {
        round == 1
    } else {
        round >= 2 && round as usize <= m + 1
    };
    if !sends {
        return Vec::new();
    }
    (1..n as GeneralId).filter(|&g| g != me).collect()
}
