//! The only module that knows bincode: frames in, frames out, size limits.
//!
//! Every message crosses the network as bytes, so that an arbitrary link
//! tampers with real bytes and a receiver must decode what it gets. A frame is
//! the round, the message type's tag and the message, which describes its own
//! layout through [`crate::protocol::codec`]; this module maps that
//! vocabulary onto bincode's standard configuration (varint numbers). A
//! receiver decodes with a size limit and discards whatever does not decode;
//! nothing in here panics on hostile input. bincode is unmaintained upstream:
//! swapping it means changing this file only.

use crate::protocol::{Message, Sink, Source};
use crate::types::Round;
use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;

/// Hard ceiling on any frame, whatever the run.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// A frame: one per sender, receiver and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame<M> {
    /// The round the sender meant it for; a replayed old frame shows here.
    pub round: Round,
    /// The payload.
    pub msg: M,
}

/// Why a frame was discarded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    /// Larger than the run allows.
    #[error("frame of {len} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Bytes received.
        len: usize,
        /// Limit in force.
        limit: usize,
    },
    /// Not a well-formed frame.
    #[error("frame does not decode: {0}")]
    Malformed(String),
    /// Decoded, but bytes were left over.
    #[error("frame has {0} trailing bytes")]
    Trailing(usize),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_FRAME_BYTES>()
}

struct Writer(Vec<u8>);

impl Writer {
    fn put<T: bincode::Encode>(&mut self, v: T) -> Result<(), WireError> {
        bincode::encode_into_std_write(v, &mut self.0, config())
            .map(|_| ())
            .map_err(|e| WireError::Malformed(e.to_string()))
    }
}

impl Sink for Writer {
    type Error = WireError;
    fn u32(&mut self, v: u32) -> Result<(), WireError> {
        self.put(v)
    }
    fn length(&mut self, v: usize) -> Result<(), WireError> {
        self.put(v)
    }
    fn raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn get<T: bincode::Decode<()>>(&mut self) -> Result<T, WireError> {
        let (v, used) =
            bincode::decode_from_slice::<T, _>(self.0, config()).map_err(|e| WireError::Malformed(e.to_string()))?;
        self.0 = &self.0[used..];
        Ok(v)
    }
}

impl Source for Reader<'_> {
    type Error = WireError;
    fn u32(&mut self) -> Result<u32, WireError> {
        self.get()
    }
    fn length(&mut self) -> Result<usize, WireError> {
        self.get()
    }
    fn raw(&mut self, n: usize) -> Result<&[u8], WireError> {
        if n > self.0.len() {
            return Err(WireError::Malformed(format!("{n} bytes wanted, {} left", self.0.len())));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn remaining(&self) -> usize {
        self.0.len()
    }
    fn invalid(&self, what: String) -> WireError {
        WireError::Malformed(what)
    }
}

/// Encodes `msg` as the frame of `round`.
pub fn encode<M: Message>(round: Round, msg: &M) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    // Writing plain numbers and bytes into a Vec cannot fail; an empty frame
    // would be refused by every receiver, so it is a safe fallback either way.
    match w
        .u32(round)
        .and_then(|()| w.u32(M::KIND))
        .and_then(|()| msg.write(&mut w))
    {
        Ok(()) => w.0,
        Err(_) => Vec::new(),
    }
}

/// Decodes a frame of at most `limit` bytes carrying an `M`.
pub fn decode<M: Message>(bytes: &[u8], limit: usize) -> Result<Frame<M>, WireError> {
    let limit = limit.min(MAX_FRAME_BYTES);
    if bytes.len() > limit {
        return Err(WireError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    let mut r = Reader(bytes);
    let round = r.u32()?;
    let kind = r.u32()?;
    if kind != M::KIND {
        return Err(WireError::Malformed(format!("{kind} is not this run's frame kind")));
    }
    let msg = M::read(&mut r)?;
    if !r.0.is_empty() {
        return Err(WireError::Trailing(r.0.len()));
    }
    Ok(Frame { round, msg })
}

/// Shared bytes and the frame they decode to.
type Decoded = (Arc<Vec<u8>>, Arc<dyn Any + Send + Sync>);

thread_local! {
    /// The last frame decoded on this thread, with its bytes.
    static LAST: RefCell<Option<Decoded>> = const { RefCell::new(None) };
}

/// Runs `f` on the frame `bytes` decode to, decoding them only if they are
/// not the bytes decoded last on this thread (see [`decode_shared`]); no
/// reference count is touched on a hit. `f` must not decode frames itself.
pub fn with_shared<M: Message, R>(
    bytes: &Arc<Vec<u8>>,
    limit: usize,
    f: impl FnOnce(&Frame<M>) -> R,
) -> Result<R, WireError> {
    let limit = limit.min(MAX_FRAME_BYTES);
    if bytes.len() > limit {
        return Err(WireError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    LAST.with(|last| {
        let hit = matches!(&*last.borrow(), Some((b, _)) if Arc::ptr_eq(b, bytes));
        if !hit {
            let frame: Arc<dyn Any + Send + Sync> = Arc::new(decode::<M>(bytes, limit)?);
            *last.borrow_mut() = Some((bytes.clone(), frame));
        }
        let cached = last.borrow();
        match cached.as_ref().and_then(|(_, any)| any.downcast_ref::<Frame<M>>()) {
            Some(frame) => Ok(f(frame)),
            // The same bytes decoded as another message type: decode afresh.
            None => Ok(f(&decode::<M>(bytes, limit)?)),
        }
    })
}

/// Decodes a frame whose bytes may be shared among receivers. Honest SM
/// senders encode a frame once and send the same bytes to every receiver
/// whose frame has the same orders; decoding is a pure function of the bytes,
/// so the last frame decoded on this thread is kept and handed to the next
/// receiver of the very same bytes instead of being decoded again. Each
/// receiver still checks the size limit and processes the frame itself.
pub fn decode_shared<M: Message>(bytes: &Arc<Vec<u8>>, limit: usize) -> Result<Arc<Frame<M>>, WireError> {
    let limit = limit.min(MAX_FRAME_BYTES);
    if bytes.len() > limit {
        return Err(WireError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    // Holding a clone of the Arc keeps its bytes immutable while cached: a
    // link that wants to change them must copy them first.
    let hit = LAST.with(|last| match &*last.borrow() {
        Some((b, f)) if Arc::ptr_eq(b, bytes) => f.clone().downcast::<Frame<M>>().ok(),
        _ => None,
    });
    if let Some(f) = hit {
        return Ok(f);
    }
    let frame = Arc::new(decode::<M>(bytes, limit)?);
    let any: Arc<dyn Any + Send + Sync> = frame.clone();
    LAST.with(|last| *last.borrow_mut() = Some((bytes.clone(), any)));
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SIG_LEN;
    use crate::protocol::om::Relays;
    use crate::protocol::sm::{ChainLink, Orders, SignedOrder};
    use crate::types::Value;

    fn orders() -> Orders {
        Orders(vec![SignedOrder {
            value: Value::Attack,
            chain: vec![
                ChainLink {
                    signer: 0,
                    sig: [7; SIG_LEN],
                },
                ChainLink {
                    signer: 3,
                    sig: [9; SIG_LEN],
                },
            ],
        }])
    }

    fn relays() -> Relays {
        let mut r = Relays::filled(4, Some(Value::Attack));
        r.set(0, Some(Value::Retreat));
        r.set(2, None);
        r
    }

    #[test]
    fn frames_round_trip() {
        let bytes = encode(2, &orders());
        assert_eq!(
            decode::<Orders>(&bytes, 1 << 20),
            Ok(Frame {
                round: 2,
                msg: orders()
            })
        );
        let bytes = encode(1, &relays());
        assert_eq!(
            decode::<Relays>(&bytes, 1 << 20),
            Ok(Frame {
                round: 1,
                msg: relays()
            })
        );
        // The bytes are bincode's standard varint layout: round, kind, length
        // (entries), then two bits per entry (0 RETREAT, 1 ATTACK, 2 withheld),
        // lowest first: 0 | 1 << 2 | 2 << 4 | 1 << 6.
        assert_eq!(bytes, vec![1, 0, 4, 0b01_10_01_00]);
        assert!(decode::<Orders>(&bytes, 1 << 20).is_err(), "an OM frame is no SM frame");
    }

    #[test]
    fn shared_decoding_sees_every_change() {
        let a = Arc::new(encode(2, &orders()));
        let first = decode_shared::<Orders>(&a, 1 << 20).unwrap();
        assert!(
            Arc::ptr_eq(&first, &decode_shared::<Orders>(&a, 1 << 20).unwrap()),
            "same bytes decoded again"
        );
        // A copy that is then changed is a different frame.
        let mut b = Arc::new(a.as_ref().clone());
        Arc::make_mut(&mut b)[0] = 3;
        assert_eq!(decode_shared::<Orders>(&b, 1 << 20).unwrap().round, 3);
        assert_eq!(decode_shared::<Orders>(&a, 1 << 20).unwrap().round, 2);
        assert!(
            decode_shared::<Orders>(&a, 10).is_err(),
            "the limit is checked on every call"
        );
        assert!(decode_shared::<Relays>(&a, 1 << 20).is_err(), "the cache is typed");
    }

    #[test]
    fn om_values_are_packed_four_to_a_byte() {
        let bytes = encode(3, &Relays::filled(1000, Some(Value::Attack)));
        // round + kind + length prefix + a quarter byte per value
        assert!((250..260).contains(&bytes.len()), "{} bytes", bytes.len());
        let mut bad = encode(1, &relays());
        *bad.last_mut().unwrap() = 0b11;
        assert!(decode::<Relays>(&bad, 1 << 20).is_err(), "3 is no value");
        // Three entries leave the top two bits of their byte unused: set, refused.
        let three = encode(1, &Relays::filled(3, Some(Value::Attack)));
        assert_eq!(decode::<Relays>(&three, 1 << 20).unwrap().msg.len(), 3);
        let mut padded = three.clone();
        *padded.last_mut().unwrap() |= 0b01 << 6;
        assert!(decode::<Relays>(&padded, 1 << 20).is_err(), "bits past the last entry");
        // Too few bytes for the entries claimed.
        let mut short = three;
        short[2] = 5;
        assert!(decode::<Relays>(&short, 1 << 20).is_err());
    }

    #[test]
    fn hostile_bytes_are_rejected_not_panicking() {
        let good = encode(2, &orders());
        assert!(matches!(decode::<Orders>(&good, 10), Err(WireError::TooLarge { .. })));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode::<Orders>(&trailing, 1 << 20), Err(WireError::Trailing(1)));
        for cut in 0..good.len() {
            assert!(decode::<Orders>(&good[..cut], 1 << 20).is_err(), "prefix {cut}");
        }
        // Length prefixes claiming far more than is there: refused before
        // anything is allocated for them.
        let huge = [1u8, 0, 251, 0xff, 0xff, 0xff, 0x7f];
        assert!(decode::<Relays>(&huge, 1 << 20).is_err());
        let many_orders = [1u8, 1, 253, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(decode::<Orders>(&many_orders, 1 << 20).is_err());
        // The frame that made the old decoder reserve 268 MB.
        assert!(decode::<Orders>(&[0x01, 0x01, 0xfc, 0xf8, 0xff, 0x7f, 0x00], 1 << 20).is_err());
        assert!(decode::<Orders>(&[1, 7, 0], 1 << 20).is_err(), "unknown frame kind");
        assert!(decode::<Orders>(&[1, 1, 1, 5, 0], 1 << 20).is_err(), "unknown value");
        assert!(
            decode::<Orders>(&[1, 1, 1, 1, 3, 0, 0, 0], 1 << 20).is_err(),
            "chain not whole links"
        );
        // Every single-byte corruption either decodes to something or errors.
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xff;
            let _ = decode::<Orders>(&b, 1 << 20);
        }
        // A chain that is not whole links.
        let mut bad_chain = good.clone();
        let pos = bad_chain.iter().position(|&b| b == 132).unwrap(); // 2 links x 66 bytes
        bad_chain[pos] = 131;
        assert!(decode::<Orders>(&bad_chain, 1 << 20).is_err());
    }
}
