//! The only module that knows bincode: frames in, frames out, size limits.
//!
//! Every message crosses the network as bytes, so that an arbitrary link
//! tampers with real bytes and a receiver must decode what it gets. A receiver
//! decodes with a size limit and discards whatever does not decode; nothing in
//! here panics on hostile input. bincode is unmaintained upstream: swapping it
//! means changing this file only.

use crate::crypto::SIG_LEN;
use crate::types::{GeneralId, Round, Value};
use std::cell::RefCell;
use std::sync::Arc;

/// Hard ceiling on any frame, whatever the run: bincode refuses to allocate
/// past it even when a forged length prefix asks for more.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// One link of a signature chain: who signed, and the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainLink {
    /// The signer.
    pub signer: GeneralId,
    /// Its ed25519 signature over the chain digest (see [`crate::crypto`]).
    pub sig: [u8; SIG_LEN],
}

/// A signed order `v:0:j1:...:jk` (paper, section 4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedOrder {
    /// The order.
    pub value: Value,
    /// Signatures, the commander's first. On the wire: one byte string of
    /// fixed 66-byte links (signer as 2 bytes little-endian, then the
    /// signature), which decodes in one pass instead of field by field.
    pub chain: Vec<ChainLink>,
}

/// What a frame carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// OM: one byte per value in the canonical order of the paths the sender
    /// relays to this receiver (see [`crate::protocol::om`]); 0 = RETREAT,
    /// 1 = ATTACK, 2 = withheld.
    Om(Vec<u8>),
    /// SM: the signed orders for this receiver.
    Sm(Vec<SignedOrder>),
}

/// A frame: one per sender, receiver and round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The round the sender meant it for; a replayed old frame shows here.
    pub round: Round,
    /// The payload.
    pub body: Body,
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

/// Encodes a frame.
pub fn encode(frame: &Frame) -> Vec<u8> {
    // Encoding plain data into a Vec cannot fail; an empty frame would be
    // rejected by every receiver, so it is a safe fallback either way.
    bincode::encode_to_vec(frame, config()).unwrap_or_default()
}

/// Decodes a frame of at most `limit` bytes.
pub fn decode(bytes: &[u8], limit: usize) -> Result<Frame, WireError> {
    let limit = limit.min(MAX_FRAME_BYTES);
    if bytes.len() > limit {
        return Err(WireError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    let (frame, used) = bincode::borrow_decode_from_slice::<Frame, _>(bytes, config())
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    if used != bytes.len() {
        return Err(WireError::Trailing(bytes.len() - used));
    }
    Ok(frame)
}

/// Shared bytes and the frame they decode to.
type Decoded = (Arc<Vec<u8>>, Arc<Frame>);

/// Decodes a frame whose bytes may be shared among receivers. Honest SM
/// senders encode a frame once and send the same bytes to every receiver
/// whose frame has the same orders; decoding is a pure function of the bytes,
/// so the last frame decoded on this thread is kept and handed to the next
/// receiver of the very same bytes instead of being decoded again. Each
/// receiver still checks the size limit and processes the frame itself.
pub fn decode_shared(bytes: &Arc<Vec<u8>>, limit: usize) -> Result<Arc<Frame>, WireError> {
    thread_local! {
        static LAST: RefCell<Option<Decoded>> = const { RefCell::new(None) };
    }
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
        Some((b, f)) if Arc::ptr_eq(b, bytes) => Some(f.clone()),
        _ => None,
    });
    if let Some(f) = hit {
        return Ok(f);
    }
    let frame = Arc::new(decode(bytes, limit)?);
    LAST.with(|last| *last.borrow_mut() = Some((bytes.clone(), frame.clone())));
    Ok(frame)
}

// The codec, written against bincode's own traits rather than through serde:
// the format is the same one serde would produce, but decoding an SM frame
// takes a third of the time, and SM decodes one frame per message.

use bincode::de::{BorrowDecoder, read::BorrowReader};
use bincode::enc::{Encoder, write::Writer};
use bincode::error::{DecodeError, EncodeError};
use bincode::{BorrowDecode, Encode};

const LINK: usize = 2 + SIG_LEN;

impl Encode for Frame {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.round.encode(e)?;
        match &self.body {
            Body::Om(values) => {
                0u32.encode(e)?;
                values.as_slice().encode(e)
            }
            Body::Sm(orders) => {
                1u32.encode(e)?;
                orders.len().encode(e)?;
                for o in orders {
                    u32::from(o.value.to_byte()).encode(e)?;
                    (o.chain.len() * LINK).encode(e)?;
                    for l in &o.chain {
                        e.writer().write(&l.signer.to_le_bytes())?;
                        e.writer().write(&l.sig)?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl<'de, C> BorrowDecode<'de, C> for Frame {
    fn borrow_decode<D: BorrowDecoder<'de, Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let round = u32::borrow_decode(d)?;
        let body = match u32::borrow_decode(d)? {
            0 => Body::Om(<&[u8]>::borrow_decode(d)?.to_vec()),
            1 => {
                let count = usize::borrow_decode(d)?;
                // Each order takes at least two bytes: refuse a count the
                // frame cannot hold before allocating for it.
                d.claim_container_read::<[u8; 2]>(count)?;
                let mut orders = Vec::with_capacity(count);
                for _ in 0..count {
                    let value = match u32::borrow_decode(d)? {
                        0 => Value::Retreat,
                        1 => Value::Attack,
                        v => return Err(DecodeError::OtherString(format!("{v} is not a value"))),
                    };
                    let len = usize::borrow_decode(d)?;
                    if len % LINK != 0 {
                        return Err(DecodeError::OtherString(format!(
                            "chain of {len} bytes is not whole {LINK}-byte links"
                        )));
                    }
                    d.claim_bytes_read(len)?;
                    let raw = d.borrow_reader().take_bytes(len)?;
                    let chain = raw
                        .chunks_exact(LINK)
                        .map(|c| {
                            let mut sig = [0u8; SIG_LEN];
                            sig.copy_from_slice(&c[2..]);
                            ChainLink {
                                signer: u16::from_le_bytes([c[0], c[1]]),
                                sig,
                            }
                        })
                        .collect();
                    orders.push(SignedOrder { value, chain });
                }
                Body::Sm(orders)
            }
            v => return Err(DecodeError::OtherString(format!("{v} is not a frame kind"))),
        };
        Ok(Frame { round, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm_frame() -> Frame {
        Frame {
            round: 2,
            body: Body::Sm(vec![SignedOrder {
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
            }]),
        }
    }

    #[test]
    fn frames_round_trip() {
        for f in [
            Frame {
                round: 1,
                body: Body::Om(vec![0, 1, 2, 1]),
            },
            sm_frame(),
        ] {
            let bytes = encode(&f);
            assert_eq!(decode(&bytes, 1 << 20), Ok(f));
        }
    }

    #[test]
    fn shared_decoding_sees_every_change() {
        let a = Arc::new(encode(&sm_frame()));
        let first = decode_shared(&a, 1 << 20).unwrap();
        assert!(
            Arc::ptr_eq(&first, &decode_shared(&a, 1 << 20).unwrap()),
            "same bytes decoded again"
        );
        // A copy that is then changed is a different frame.
        let mut b = Arc::new(a.as_ref().clone());
        Arc::make_mut(&mut b)[0] = 3;
        assert_eq!(decode_shared(&b, 1 << 20).unwrap().round, 3);
        assert_eq!(decode_shared(&a, 1 << 20).unwrap().round, 2);
        assert!(decode_shared(&a, 10).is_err(), "the limit is checked on every call");
    }

    #[test]
    fn om_values_are_packed_as_bytes() {
        let values = vec![1u8; 1000];
        let bytes = encode(&Frame {
            round: 3,
            body: Body::Om(values),
        });
        // round + variant + length prefix + one byte per value
        assert!(bytes.len() < 1010, "{} bytes", bytes.len());
    }

    #[test]
    fn hostile_bytes_are_rejected_not_panicking() {
        let good = encode(&sm_frame());
        assert!(matches!(decode(&good, 10), Err(WireError::TooLarge { .. })));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing, 1 << 20), Err(WireError::Trailing(1)));
        for cut in 0..good.len() {
            assert!(decode(&good[..cut], 1 << 20).is_err(), "prefix {cut}");
        }
        // Length prefixes claiming far more than is there: refused before
        // anything is allocated for them.
        let huge = [1u8, 0, 251, 0xff, 0xff, 0xff, 0x7f];
        assert!(decode(&huge, 1 << 20).is_err());
        let many_orders = [1u8, 1, 253, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(decode(&many_orders, 1 << 20).is_err());
        assert!(decode(&[1, 7, 0], 1 << 20).is_err(), "unknown frame kind");
        assert!(decode(&[1, 1, 1, 5, 0], 1 << 20).is_err(), "unknown value");
        assert!(
            decode(&[1, 1, 1, 1, 3, 0, 0, 0], 1 << 20).is_err(),
            "chain not whole links"
        );
        // Every single-byte corruption either decodes to something or errors.
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xff;
            let _ = decode(&b, 1 << 20);
        }
        // A chain that is not whole links.
        let mut bad_chain = good.clone();
        let pos = bad_chain.iter().position(|&b| b == 132).unwrap(); // 2 links x 66 bytes
        bad_chain[pos] = 131;
        assert!(decode(&bad_chain, 1 << 20).is_err());
    }
}
