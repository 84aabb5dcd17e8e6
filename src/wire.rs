//! The only module that knows bincode: frames in, frames out, size limits.
//!
//! Every message crosses the network as bytes, so that an arbitrary link
//! tampers with real bytes and a receiver must decode what it gets. A receiver
//! decodes with a size limit and discards whatever does not decode; nothing in
//! here panics on hostile input. bincode is unmaintained upstream: swapping it
//! means changing this file only.

use crate::crypto::SIG_LEN;
use crate::types::{GeneralId, Round, Value};
use serde::{Deserialize, Serialize};

/// Hard ceiling on any frame, whatever the run: bincode refuses to allocate
/// past it even when a forged length prefix asks for more.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// One link of a signature chain: who signed, and the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainLink {
    /// The signer.
    pub signer: GeneralId,
    /// Its ed25519 signature over the chain digest (see [`crate::crypto`]).
    #[serde(with = "sig_bytes")]
    pub sig: [u8; SIG_LEN],
}

/// A signed order `v:0:j1:...:jk` (paper, section 4).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedOrder {
    /// The order.
    pub value: Value,
    /// Signatures, the commander's first.
    pub chain: Vec<ChainLink>,
}

/// What a frame carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// OM: one byte per value in the canonical order of the paths the sender
    /// relays to this receiver (see [`crate::protocol::om`]); 0 = RETREAT,
    /// 1 = ATTACK, 2 = withheld.
    Om(#[serde(with = "plain_bytes")] Vec<u8>),
    /// SM: the signed orders for this receiver.
    Sm(Vec<SignedOrder>),
}

/// A frame: one per sender, receiver and round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    bincode::serde::encode_to_vec(frame, config()).unwrap_or_default()
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
    let (frame, used) = bincode::serde::decode_from_slice::<Frame, _>(bytes, config())
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    if used != bytes.len() {
        return Err(WireError::Trailing(bytes.len() - used));
    }
    Ok(frame)
}

mod plain_bytes {
    //! `Vec<u8>` as one length-prefixed byte string instead of a sequence of
    //! integers: the OM hot path is then a memcpy each way.
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a byte string")
        }
        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element()? {
                out.push(b);
            }
            Ok(out)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(BytesVisitor)
    }
}

mod sig_bytes {
    //! A 64-byte signature as a byte string of exactly that length.
    use super::SIG_LEN;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; SIG_LEN], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; SIG_LEN], D::Error> {
        let v = super::plain_bytes::deserialize(d)?;
        v.try_into().map_err(|v: Vec<u8>| {
            serde::de::Error::custom(format!("signature of {} bytes, expected {SIG_LEN}", v.len()))
        })
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
        // A length prefix claiming far more than is there.
        let huge = [1u8, 0, 251, 0xff, 0xff, 0xff, 0x7f];
        assert!(decode(&huge, 1 << 20).is_err());
        // Every single-byte corruption either decodes to something or errors.
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xff;
            let _ = decode(&b, 1 << 20);
        }
        // A signature of the wrong length.
        let mut bad_sig = good.clone();
        let pos = bad_sig.iter().position(|&b| b == 64).unwrap();
        bad_sig[pos] = 63;
        assert!(decode(&bad_sig, 1 << 20).is_err());
    }
}
