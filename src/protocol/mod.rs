//! The paper's algorithms as pure state machines: a frame goes in, state
//! changes; a round is asked for, frames come out. No actix, IO, clock or
//! randomness in here; `protocol` uses only `types`, `crypto` and the frame
//! types of `wire`.

pub mod majority;
pub mod om;
pub mod sm;
