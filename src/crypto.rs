//! Keys, signatures and digests for SM(m) (paper, section 4, assumption A4).
//!
//! Every general's ed25519 key is derived from the run's seed, so a run is
//! reproducible byte for byte. A signer signs the SHA-256 digest of the
//! canonical encoding of the value and the chain so far (see [`ChainHasher`]),
//! which makes each signature cover everything before it, as the paper's
//! `v:0:j1:...:jk` notation requires.
//!
//! Two signature schemes ([`Signatures`]): `ed25519` (the default) and
//! `ideal`, which models A4 exactly without curve arithmetic. An ideal
//! signature is a keyed hash (SHA-512 of the signer's secret and the digest):
//! no one without the secret can compute it, and no one ever gets another
//! general's secret. Every ideal signature made in a run is entered in the
//! run's [`IdealLedger`] with its signer, and a check is a lookup: a
//! signature verifies iff the general it names really made it over that
//! digest in this run. A traitor can sign as itself and replay what it holds,
//! exactly as with ed25519; a forgery or an altered chain is not in the
//! ledger. Checks are counted and cached as ed25519's batch-then-fallback
//! counts them, so every counter of a run is the same under both schemes.
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
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// Which signatures SM uses (CLI `--signatures`, experiment files
/// `signatures`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signatures {
    /// Real ed25519 signatures over SHA-256 digests (the default).
    #[default]
    Ed25519,
    /// Unforgeable by construction: a keyed hash entered in the run's ledger,
    /// checked by lookup (see the module docs). Same outcomes, no curve
    /// arithmetic: for large SM sweeps.
    Ideal,
}

impl Signatures {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Signatures::Ed25519 => "ed25519",
            Signatures::Ideal => "ideal",
        }
    }

    /// Whether this is the default (left out of plans and witnesses).
    pub fn is_default(&self) -> bool {
        *self == Signatures::Ed25519
    }
}

impl fmt::Display for Signatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Signatures {
    type Err = crate::types::UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ed25519" => Ok(Signatures::Ed25519),
            "ideal" => Ok(Signatures::Ideal),
            other => Err(crate::types::UnknownName {
                kind: "signatures",
                got: other.to_string(),
                expected: "ed25519 or ideal",
            }),
        }
    }
}

/// Length of a signature on the wire.
pub const SIG_LEN: usize = 64;

/// Domain tag hashed in front of every signed digest.
const DOMAIN: &[u8] = b"byzlab/sm/v1";

/// Derives general `id`'s signing key from the run's seed.
fn signing_key(seed: u64, id: GeneralId) -> SigningKey {
    SigningKey::from_bytes(&secret(seed, id))
}

/// General `id`'s secret under `seed` (an ed25519 seed, or an ideal key).
fn secret(seed: u64, id: GeneralId) -> [u8; 32] {
    let mut rng = stream(seed, Purpose::Keys, u64::from(id));
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    secret
}

/// A general's means of signing under one scheme.
#[derive(Clone)]
enum Secret {
    Ed25519(SigningKey),
    Ideal([u8; 32], IdealLedger),
}

/// Every general's key pair under one seed.
pub struct SeedKeys {
    signing: Vec<Secret>,
    ring: Arc<Keyring>,
}

impl SeedKeys {
    fn derive(seed: u64, n: usize) -> SeedKeys {
        let signing: Vec<SigningKey> = (0..n).map(|i| signing_key(seed, i as GeneralId)).collect();
        let ring = Arc::new(Keyring {
            ring: Ring::Ed25519(signing.iter().map(SigningKey::verifying_key).collect()),
        });
        SeedKeys {
            signing: signing.into_iter().map(Secret::Ed25519).collect(),
            ring,
        }
    }

    /// Ideal keys of generals `0..n` under `seed`, with a fresh ledger: one
    /// per run, so that a signature verifies only if it was made in the run.
    fn ideal(seed: u64, n: usize) -> SeedKeys {
        let ledger = IdealLedger::default();
        SeedKeys {
            signing: (0..n)
                .map(|i| Secret::Ideal(secret(seed, i as GeneralId), ledger.clone()))
                .collect(),
            ring: Arc::new(Keyring {
                ring: Ring::Ideal { n, ledger },
            }),
        }
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

/// The keys of one run: ed25519 keys come from the cache of
/// [`keys_for`]; ideal keys are derived afresh with the run's own ledger.
pub fn run_keys(seed: u64, n: usize, scheme: Signatures) -> Arc<SeedKeys> {
    match scheme {
        Signatures::Ed25519 => keys_for(seed, n),
        Signatures::Ideal => Arc::new(SeedKeys::ideal(seed, n)),
    }
}

/// The ideal signatures made in one run: (digest, signature) to signer.
#[derive(Clone, Default)]
pub struct IdealLedger {
    made: Arc<Mutex<HashMap<SignedDigest, GeneralId>>>,
}

impl IdealLedger {
    fn sign(&self, secret: &[u8; 32], signer: GeneralId, digest: &[u8; 32]) -> [u8; SIG_LEN] {
        let mut h = Sha512::new();
        h.update(secret);
        h.update(digest);
        let sig: [u8; SIG_LEN] = h.finalize().into();
        if let Ok(mut made) = self.made.lock() {
            made.insert((*digest, sig), signer);
        }
        sig
    }

    /// Whether `signer` made `sig` over `digest` in this run.
    fn made_by(&self, digest: &[u8; 32], sig: &[u8; SIG_LEN], signer: GeneralId) -> bool {
        self.made
            .lock()
            .is_ok_and(|made| made.get(&(*digest, *sig)) == Some(&signer))
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

/// What anyone can verify with (A4 (d)): the public keys, or the run's
/// ledger of ideal signatures.
#[derive(Clone)]
pub struct Keyring {
    ring: Ring,
}

#[derive(Clone)]
enum Ring {
    Ed25519(Vec<VerifyingKey>),
    Ideal { n: usize, ledger: IdealLedger },
}

impl Keyring {
    /// Public keys of generals `0..n` under `seed`.
    #[cfg(test)]
    pub fn derive(seed: u64, n: usize) -> Keyring {
        (*keys_for(seed, n).ring).clone()
    }

    /// General `id`'s ed25519 public key, if `id` is in range (and the
    /// scheme is ed25519).
    pub fn get(&self, id: GeneralId) -> Option<&VerifyingKey> {
        match &self.ring {
            Ring::Ed25519(keys) => keys.get(usize::from(id)),
            Ring::Ideal { .. } => None,
        }
    }

    /// Whether `id` is a general with a key.
    fn knows(&self, id: GeneralId) -> bool {
        match &self.ring {
            Ring::Ed25519(keys) => usize::from(id) < keys.len(),
            Ring::Ideal { n, .. } => usize::from(id) < *n,
        }
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
    key: Secret,
    ledger: Option<SignatureLedger>,
}

impl OwnKey {
    /// General `id`'s key under `seed`.
    pub fn derive(seed: u64, id: GeneralId) -> OwnKey {
        OwnKey {
            id,
            key: Secret::Ed25519(signing_key(seed, id)),
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
        let sig = match &self.key {
            Secret::Ed25519(key) => key.sign(digest).to_bytes(),
            Secret::Ideal(secret, ledger) => ledger.sign(secret, self.id, digest),
        };
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
        if let Some(p) = pending.iter().find(|p| !keys.knows(p.signer)) {
            return (0, Err(VerifyError::UnknownSigner(p.signer)));
        }
        match &keys.ring {
            Ring::Ed25519(_) => self.check_ed25519(keys, pending),
            Ring::Ideal { ledger, .. } => self.check_ideal(ledger, pending),
        }
    }

    /// Ideal checks, counted and cached exactly as [`Self::check_ed25519`]
    /// would: one check per link for the batch, then, if the batch fails
    /// and holds more than one link, one per link up to the first bad one.
    fn check_ideal(&mut self, ledger: &IdealLedger, pending: &[PendingCheck]) -> (u64, Result<(), VerifyError>) {
        let bad = pending
            .iter()
            .position(|p| !ledger.made_by(&p.digest, &p.sig, p.signer));
        let checks = pending.len() as u64;
        let Some(bad) = bad else {
            for p in pending {
                self.ok.insert((p.digest, p.sig));
            }
            return (checks, Ok(()));
        };
        if pending.len() == 1 {
            return (checks, Err(VerifyError::BadSignature(pending[0].position)));
        }
        for p in &pending[..bad] {
            self.ok.insert((p.digest, p.sig));
        }
        (
            checks + bad as u64 + 1,
            Err(VerifyError::BadSignature(pending[bad].position)),
        )
    }

    fn check_ed25519(&mut self, keys: &Keyring, pending: &[PendingCheck]) -> (u64, Result<(), VerifyError>) {
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

    /// The same chain checks under both schemes: counts, verdicts and cache.
    fn both(
        seed: u64,
        n: usize,
        chain: impl Fn(&SeedKeys) -> Vec<PendingCheck>,
    ) -> Vec<(u64, Result<(), VerifyError>, bool)> {
        [Signatures::Ed25519, Signatures::Ideal]
            .map(|scheme| {
                let keys = run_keys(seed, n, scheme);
                let pending = chain(&keys);
                let mut cache = VerifyCache::default();
                let (checks, res) = cache.check(&keys.ring(), &pending);
                (checks, res, cache.contains(&pending[0].digest, &pending[0].sig))
            })
            .to_vec()
    }

    #[test]
    fn ideal_signatures_verify_and_fail_exactly_where_ed25519_does() {
        // A good chain of three.
        let good = |k: &SeedKeys| {
            let mut h = ChainHasher::new(Value::Attack);
            (0..3)
                .map(|i| {
                    let l = link(&k.own(i).unwrap(), &h, usize::from(i));
                    h.push(i, &l.sig);
                    l
                })
                .collect::<Vec<_>>()
        };
        let r = both(11, 5, good);
        assert_eq!(r[0], r[1]);
        assert_eq!(r[1], (3, Ok(()), true));
        // General 2 signs as itself but claims to be 1; then a flipped bit;
        // then a signature over another value.
        let forged = |k: &SeedKeys| {
            let mut chain = good(k);
            let d = chain[1].digest;
            chain[1].sig = k.own(2).unwrap().sign(&d);
            chain
        };
        let flipped = |k: &SeedKeys| {
            let mut chain = good(k);
            chain[2].sig[7] ^= 1;
            chain
        };
        let other_value = |k: &SeedKeys| {
            let mut chain = good(k);
            chain[0].digest = ChainHasher::new(Value::Retreat).digest_for(0);
            chain
        };
        for (what, r) in [
            ("forged", both(11, 5, forged)),
            ("flipped", both(11, 5, flipped)),
            ("other value", both(11, 5, other_value)),
        ] {
            assert_eq!(r[0], r[1], "{what}: ideal and ed25519 differ");
            assert!(r[1].1.is_err(), "{what}: accepted");
        }
        assert_eq!(both(11, 5, forged)[1], (3 + 2, Err(VerifyError::BadSignature(1)), true));
        assert_eq!(
            both(11, 5, other_value)[1],
            (3 + 1, Err(VerifyError::BadSignature(0)), false)
        );
    }

    #[test]
    fn an_ideal_signature_verifies_only_in_its_own_run() {
        let d = ChainHasher::new(Value::Attack).digest_for(1);
        let run1 = run_keys(3, 4, Signatures::Ideal);
        let run2 = run_keys(3, 4, Signatures::Ideal);
        let sig = run1.own(1).unwrap().sign(&d);
        let check = |keys: &SeedKeys| {
            VerifyCache::default()
                .check(
                    &keys.ring(),
                    &[PendingCheck {
                        position: 0,
                        digest: d,
                        signer: 1,
                        sig,
                    }],
                )
                .1
        };
        assert_eq!(check(&run1), Ok(()));
        // Same seed, same secret, same bytes: but run 2's general 1 never signed.
        assert_eq!(check(&run2), Err(VerifyError::BadSignature(0)));
        assert_eq!(
            VerifyCache::default()
                .check(
                    &run1.ring(),
                    &[PendingCheck {
                        position: 0,
                        digest: d,
                        signer: 9,
                        sig
                    }]
                )
                .1,
            Err(VerifyError::UnknownSigner(9))
        );
        assert_eq!("ideal".parse::<Signatures>().unwrap(), Signatures::Ideal);
        assert!(
            "rsa"
                .parse::<Signatures>()
                .unwrap_err()
                .to_string()
                .contains("ed25519 or ideal")
        );
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
