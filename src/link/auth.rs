//! `auth`: each frame carries a tag, a SHA-256 digest of its sender, its
//! receiver, its link header and its bytes, keyed per run from the seed,
//! so a changed, spoofed or replayed-under-another-header frame is
//! rejected: the authenticated link built, not assumed (A2). The tag
//! covers the frames the layers above send themselves too: under
//! `stubborn`, nobody but the receiver of a frame can acknowledge it.
//! Counts what it rejects in `frames_rejected`.

use super::layer::{Cx, Frame, LayerBuild, LayerKind, LinkLayer, Rule};
use crate::rng::{Purpose, stream};
use crate::types::{Counters, GeneralId, LinkHeader};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// One line for `byzlab strategies` and the docs.
pub const ABOUT: &str = "tags every frame with a keyed digest and rejects what does not verify (A2 built)";

/// Bytes of a tag.
const TAG: usize = 16;

/// Its grammar, order rules and factory.
pub fn kind() -> LayerKind {
    LayerKind {
        syntax: "auth".into(),
        rules: vec![Rule::Below(
            "stubborn",
            "so that acknowledgements are tagged and checked (above it, a spoofed acknowledgement cancels a retransmission)",
        )],
        make: Arc::new(|b: &LayerBuild<'_>| {
            super::no_params("auth", b.params)?;
            Ok(Box::new(Auth::new(b.seed)) as Box<dyn LinkLayer>)
        }),
    }
}

/// The layer.
pub struct Auth {
    key: [u8; 32],
    rejected: u64,
}

impl Auth {
    /// Tags keyed from `seed`.
    pub fn new(seed: u64) -> Auth {
        let mut key = [0u8; 32];
        stream(seed, Purpose::Link, 3).fill_bytes(&mut key);
        Auth { key, rejected: 0 }
    }

    /// A keyed hash of the sender, the receiver, the link header (sequence
    /// number and whether it is an acknowledgement) and the payload.
    fn tag(&self, from: GeneralId, to: GeneralId, header: Option<&LinkHeader>, bytes: &[u8]) -> [u8; TAG] {
        let mut h = Sha256::new();
        h.update(b"byzlab/link/auth/v1");
        h.update(self.key);
        h.update(from.to_le_bytes());
        h.update(to.to_le_bytes());
        if let Some(head) = header {
            h.update(b"seq");
            h.update(head.seq.to_le_bytes());
            h.update([u8::from(head.ack)]);
        }
        h.update(bytes);
        let d = h.finalize();
        let mut tag = [0u8; TAG];
        tag.copy_from_slice(&d[..TAG]);
        tag
    }
}

impl LinkLayer for Auth {
    fn down(&mut self, _: &mut Cx<'_>, mut frame: Frame) -> Option<Frame> {
        let env = &frame.env;
        let tag = self.tag(env.from, env.to, env.link.as_deref(), &env.bytes);
        let mut out = Vec::with_capacity(env.bytes.len() + TAG);
        out.extend_from_slice(&env.bytes);
        out.extend_from_slice(&tag);
        frame.env.bytes = Arc::new(out);
        Some(frame)
    }

    fn up(&mut self, _: &mut Cx<'_>, mut frame: Frame) -> Option<Frame> {
        let env = &frame.env;
        let n = env.bytes.len();
        let genuine =
            n >= TAG && self.tag(env.from, env.to, env.link.as_deref(), &env.bytes[..n - TAG]) == env.bytes[n - TAG..];
        if !genuine {
            self.rejected += 1;
            return None;
        }
        frame.env.bytes = Arc::new(env.bytes[..n - TAG].to_vec());
        Some(frame)
    }

    fn report(&self, counters: &mut Counters, _: &mut Vec<super::layer::Series>) {
        counters.frames_rejected += self.rejected;
    }
}
