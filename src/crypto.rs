//! Keys, signatures and digests for SM(m) (paper, section 4, assumption A4).
//!
//! Every general's ed25519 key is derived from the run's seed, so a run is
//! reproducible byte for byte. A signer signs the SHA-256 digest of the
//! canonical encoding of the value and the chain so far (see [`ChainHasher`]),
//! which makes each signature cover everything before it, as the paper's
//! `v:0:j1:...:jk` notation requires.
//!
//! Verification is `verify_strict` for a single signature and ed25519 batch
//! verification for several; a failed batch falls back to single checks only to
//! name the bad signature. Successful checks are cached by (digest, signature),
//! so no signature is ever verified twice by the same general. Trade-off: batch
//! verification does not reject small-order `R` components the way
//! `verify_strict` does; keys here are derived honestly, and a traitor could at
//! worst make its *own* signature verify in a batch but not alone.

use crate::rng::{Purpose, stream};
use crate::types::{GeneralId, Value};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Length of a signature on the wire.
pub const SIG_LEN: usize = 64;

/// Domain tag hashed in front of every signed digest.
const DOMAIN: &[u8] = b"byzlab/sm/v1";

/// Derives general `id`'s signing key from the run's seed.
fn signing_key(seed: u64, id: GeneralId) -> SigningKey {
    let mut rng = stream(seed, Purpose::Keys, u64::from(id));
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    SigningKey::from_bytes(&secret)
}

/// Every general's key pair under one seed.
pub struct SeedKeys {
    signing: Vec<SigningKey>,
    ring: Arc<Keyring>,
}

impl SeedKeys {
    fn derive(seed: u64, n: usize) -> SeedKeys {
        let signing: Vec<SigningKey> = (0..n).map(|i| signing_key(seed, i as GeneralId)).collect();
        let ring = Arc::new(Keyring {
            keys: signing.iter().map(SigningKey::verifying_key).collect(),
        });
        SeedKeys { signing, ring }
    }

    /// The public keys.
    pub fn ring(&self) -> Arc<Keyring> {
        self.ring.clone()
    }

    /// General `id`'s own key (`None` if out of range).
    pub fn own(&self, id: GeneralId) -> Option<OwnKey> {
        self.signing.get(usize::from(id)).map(|key| OwnKey {
            id,
            key: key.clone(),
            ledger: None,
        })
    }
}

/// How many (seed, n) key sets a process keeps.
const KEY_CACHE: usize = 16;

/// The keys of generals `0..n` under `seed`. Deriving a key costs a scalar
/// multiplication, as much as a signature; a sweep runs many plans with the
/// same seed and n, so the last few key sets are kept. The keys are a pure
/// function of (seed, id): caching changes no byte of any run.
pub fn keys_for(seed: u64, n: usize) -> Arc<SeedKeys> {
    static CACHE: Mutex<Vec<(u64, usize, Arc<SeedKeys>)>> = Mutex::new(Vec::new());
    if let Ok(cache) = CACHE.lock()
        && let Some((_, _, k)) = cache.iter().find(|(s, m, _)| *s == seed && *m == n)
    {
        return k.clone();
    }
    let keys = Arc::new(SeedKeys::derive(seed, n));
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= KEY_CACHE {
            cache.remove(0);
        }
        cache.push((seed, n, keys.clone()));
    }
    keys
}

/// The public keys of all generals: anyone can verify (A4 (d)).
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<VerifyingKey>,
}

impl Keyring {
    /// Public keys of generals `0..n` under `seed`.
    #[cfg(test)]
    pub fn derive(seed: u64, n: usize) -> Keyring {
        Keyring {
            keys: keys_for(seed, n).ring.keys.clone(),
        }
    }

    /// General `id`'s public key, if `id` is in range.
    pub fn get(&self, id: GeneralId) -> Option<&VerifyingKey> {
        self.keys.get(usize::from(id))
    }
}

/// Incremental digest of `value : s0 : s1 : ...`; `digest_for(j)` is what
/// signer `j` signs when appending itself to the chain so far.
#[derive(Clone)]
pub struct ChainHasher {
    state: Sha256,
}

impl ChainHasher {
    /// Starts a chain for `value`.
    pub fn new(value: Value) -> ChainHasher {
        let mut state = Sha256::new();
        state.update(DOMAIN);
        state.update([value.to_byte()]);
        ChainHasher { state }
    }

    /// The digest that `signer` signs to extend the chain hashed so far.
    pub fn digest_for(&self, signer: GeneralId) -> [u8; 32] {
        let mut h = self.state.clone();
        h.update(signer.to_le_bytes());
        h.finalize().into()
    }

    /// Appends a link (signer and its signature) to the chain.
    pub fn push(&mut self, signer: GeneralId, sig: &[u8; SIG_LEN]) {
        self.state.update(signer.to_le_bytes());
        self.state.update(sig);
    }
}

/// Every signature the generals of a run actually made: the ground truth an
/// audit checks accepted chains against, independently of verification (a
/// verification bug would let a forgery through; the ledger would not).
#[derive(Clone, Default)]
pub struct SignatureLedger {
    made: Arc<Mutex<HashSet<SignedDigest>>>,
}

/// A digest and the signature made over it.
type SignedDigest = ([u8; 32], [u8; SIG_LEN]);

impl SignatureLedger {
    fn record(&self, digest: &[u8; 32], sig: &[u8; SIG_LEN]) {
        if let Ok(mut made) = self.made.lock() {
            made.insert((*digest, *sig));
        }
    }

    /// Whether some general signed `digest` with exactly `sig`.
    pub fn contains(&self, digest: &[u8; 32], sig: &[u8; SIG_LEN]) -> bool {
        self.made.lock().is_ok_and(|made| made.contains(&(*digest, *sig)))
    }
}

/// A general's own key: a traitor holds only this, never a loyal key.
pub struct OwnKey {
    id: GeneralId,
    key: SigningKey,
    ledger: Option<SignatureLedger>,
}

impl OwnKey {
    /// General `id`'s key under `seed`.
    pub fn derive(seed: u64, id: GeneralId) -> OwnKey {
        OwnKey {
            id,
            key: signing_key(seed, id),
            ledger: None,
        }
    }

    /// The same key, recording every signature it makes in `ledger`.
    pub fn with_ledger(mut self, ledger: SignatureLedger) -> OwnKey {
        self.ledger = Some(ledger);
        self
    }

    /// Whose key this is.
    pub fn id(&self) -> GeneralId {
        self.id
    }

    /// Signs a digest.
    pub fn sign(&self, digest: &[u8; 32]) -> [u8; SIG_LEN] {
        let sig = self.key.sign(digest).to_bytes();
        if let Some(l) = &self.ledger {
            l.record(digest, &sig);
        }
        sig
    }
}

/// Why a chain failed verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signer id has no key.
    #[error("signer {0} is not a general")]
    UnknownSigner(GeneralId),
    /// Signature at this chain position does not verify.
    #[error("bad signature at chain position {0}")]
    BadSignature(usize),
}

/// One link to check: its digest, signer and signature.
pub struct PendingCheck {
    /// Position in the chain (for error reports).
    pub position: usize,
    /// Digest the signer claims to have signed.
    pub digest: [u8; 32],
    /// Claimed signer.
    pub signer: GeneralId,
    /// Signature bytes.
    pub sig: [u8; SIG_LEN],
}

/// Per-general cache of signatures already verified, keyed by digest and
/// signature (the digest already names the signer).
#[derive(Default)]
pub struct VerifyCache {
    ok: HashSet<SignedDigest>,
}

impl VerifyCache {
    /// True if this exact (digest, signature) verified before.
    pub fn contains(&self, digest: &[u8; 32], sig: &[u8; SIG_LEN]) -> bool {
        self.ok.contains(&(*digest, *sig))
    }

    /// Checks `pending` (links not found in the cache) in one batch, falling back
    /// to single checks to name the first bad one. Returns the number of
    /// signature checks performed.
    pub fn check(&mut self, keys: &Keyring, pending: &[PendingCheck]) -> (u64, Result<(), VerifyError>) {
        let mut vks = Vec::with_capacity(pending.len());
        for p in pending {
            match keys.get(p.signer) {
                Some(vk) => vks.push(*vk),
                None => return (0, Err(VerifyError::UnknownSigner(p.signer))),
            }
        }
        let mut checks = pending.len() as u64;
        let ok = match pending {
            [] => true,
            [one] => vks[0]
                .verify_strict(&one.digest, &Signature::from_bytes(&one.sig))
                .is_ok(),
            many => {
                let msgs: Vec<&[u8]> = many.iter().map(|p| &p.digest[..]).collect();
                let sigs: Vec<Signature> = many.iter().map(|p| Signature::from_bytes(&p.sig)).collect();
                ed25519_dalek::verify_batch(&msgs, &sigs, &vks).is_ok()
            }
        };
        if ok {
            for p in pending {
                self.ok.insert((p.digest, p.sig));
            }
            return (checks, Ok(()));
        }
        if pending.len() == 1 {
            return (checks, Err(VerifyError::BadSignature(pending[0].position)));
        }
        // The batch failed: find the culprit one by one, caching the good ones.
        for (p, vk) in pending.iter().zip(&vks) {
            checks += 1;
            if vk.verify_strict(&p.digest, &Signature::from_bytes(&p.sig)).is_ok() {
                self.ok.insert((p.digest, p.sig));
            } else {
                return (checks, Err(VerifyError::BadSignature(p.position)));
            }
        }
        // Batch and single checks disagreed; treat as bad, blaming the last.
        let last = pending.last().map_or(0, |p| p.position);
        (checks, Err(VerifyError::BadSignature(last)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(key: &OwnKey, h: &ChainHasher, position: usize) -> PendingCheck {
        let digest = h.digest_for(key.id());
        PendingCheck {
            position,
            digest,
            signer: key.id(),
            sig: key.sign(&digest),
        }
    }

    #[test]
    fn cached_keys_are_the_derived_keys() {
        let k = keys_for(77, 5);
        assert!(Arc::ptr_eq(&k, &keys_for(77, 5)));
        let own = k.own(3).unwrap();
        let d = [9u8; 32];
        assert_eq!(own.sign(&d), OwnKey::derive(77, 3).sign(&d));
        assert_eq!(k.ring().get(3), Some(&signing_key(77, 3).verifying_key()));
        assert!(k.own(5).is_none());
    }

    #[test]
    fn keys_are_deterministic_per_seed() {
        let a = Keyring::derive(1, 4);
        let b = Keyring::derive(1, 4);
        let c = Keyring::derive(2, 4);
        assert_eq!(a.get(3), b.get(3));
        assert_ne!(a.get(3), c.get(3));
        assert_ne!(a.get(1), a.get(2));
        assert!(a.get(4).is_none());
    }

    #[test]
    fn good_chain_verifies_and_is_cached() {
        let keys = Keyring::derive(5, 4);
        let k0 = OwnKey::derive(5, 0);
        let k1 = OwnKey::derive(5, 1);
        let mut h = ChainHasher::new(Value::Attack);
        let l0 = link(&k0, &h, 0);
        h.push(0, &l0.sig);
        let l1 = link(&k1, &h, 1);
        let mut cache = VerifyCache::default();
        let (checks, res) = cache.check(&keys, &[l0, l1]);
        assert_eq!(res, Ok(()));
        assert_eq!(checks, 2);
        let again = link(&k1, &h, 1);
        assert!(cache.contains(&again.digest, &again.sig));
    }

    #[test]
    fn forged_signature_is_named() {
        let keys = Keyring::derive(5, 4);
        let k0 = OwnKey::derive(5, 0);
        let traitor = OwnKey::derive(5, 2);
        let h = ChainHasher::new(Value::Retreat);
        let good = link(&k0, &h, 0);
        // The traitor signs with its own key but claims to be general 1.
        let d1 = h.digest_for(1);
        let forged = PendingCheck {
            position: 1,
            digest: d1,
            signer: 1,
            sig: traitor.sign(&d1),
        };
        let mut cache = VerifyCache::default();
        let (checks, res) = cache.check(&keys, &[good, forged]);
        assert_eq!(res, Err(VerifyError::BadSignature(1)));
        assert!(checks >= 3, "batch plus fallback checks, got {checks}");
    }

    #[test]
    fn ledger_knows_exactly_what_was_signed() {
        let ledger = SignatureLedger::default();
        let k1 = OwnKey::derive(3, 1).with_ledger(ledger.clone());
        let plain = OwnKey::derive(3, 2);
        let d = ChainHasher::new(Value::Attack).digest_for(1);
        let sig = k1.sign(&d);
        assert!(ledger.contains(&d, &sig));
        let mut other = sig;
        other[0] ^= 1;
        assert!(!ledger.contains(&d, &other));
        // a key without the ledger leaves no trace
        let d2 = ChainHasher::new(Value::Attack).digest_for(2);
        assert!(!ledger.contains(&d2, &plain.sign(&d2)));
    }

    #[test]
    fn changed_value_breaks_signature() {
        let keys = Keyring::derive(9, 3);
        let k0 = OwnKey::derive(9, 0);
        let signed = link(&k0, &ChainHasher::new(Value::Attack), 0);
        let other = ChainHasher::new(Value::Retreat).digest_for(0);
        let tampered = PendingCheck {
            digest: other,
            ..signed
        };
        let (_, res) = VerifyCache::default().check(&keys, &[tampered]);
        assert_eq!(res, Err(VerifyError::BadSignature(0)));
    }
}
