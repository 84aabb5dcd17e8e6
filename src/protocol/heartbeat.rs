//! The heartbeat of the failure detector: "I am alive", with a sequence
//! number. Not one of the paper's algorithms: the lecture's way of telling a
//! crashed node from a slow one by timeouts (see `detector`).

use super::{Message, Sink, Source};

/// A heartbeat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heartbeat {
    /// How many heartbeats its sender sent before this one.
    pub seq: u32,
}

impl Message for Heartbeat {
    const KIND: u32 = 2;

    fn count(&self) -> u64 {
        1
    }

    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error> {
        out.u32(self.seq)
    }

    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error> {
        Ok(Heartbeat { seq: input.u32()? })
    }
}
