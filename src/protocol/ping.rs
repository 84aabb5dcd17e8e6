//! The ping of the failure detector: a request that expects a reply in
//! time (the lecture's "ping" beside the heartbeat). Not one of the
//! paper's algorithms; see `detector`.

use super::{Message, Sink, Source};

/// A ping (`reply == false`) or the reply to the ping `seq`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ping {
    /// The pinger's sequence number, echoed by the reply.
    pub seq: u32,
    /// A reply (pong) rather than a request.
    pub reply: bool,
}

impl Message for Ping {
    const KIND: u32 = 3;

    fn count(&self) -> u64 {
        1
    }

    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error> {
        out.u32(self.seq)?;
        out.u32(u32::from(self.reply))
    }

    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error> {
        let seq = input.u32()?;
        let reply = match input.u32()? {
            0 => false,
            1 => true,
            _ => return Err(input.invalid("a ping's reply flag is 0 or 1".into())),
        };
        Ok(Ping { seq, reply })
    }
}
