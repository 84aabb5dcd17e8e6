//! SM(m), the signed-messages algorithm (paper, section 4).
//!
//! Each lieutenant i keeps a set V_i, initially empty.
//! (1) The commander signs and sends its value to every lieutenant.
//! (2) For each i: (A) if lieutenant i receives `v:0` and has received no order
//! yet, it lets V_i = {v} and sends `v:0:i` to every other lieutenant; (B) if it
//! receives `v:0:j1:...:jk` and v is not in V_i, it adds v to V_i and, if
//! k < m, sends `v:0:j1:...:jk:i` to every lieutenant not among j1..jk.
//! (3) When it will receive no more messages, it obeys `choice(V_i)`.
//!
//! Rounds are synchronous: a chain of k+1 signatures arrives in round k+1, and
//! the end of round m+1 is "no more messages". An order is accepted only if the
//! chain is well formed (starts with the commander, signers distinct and real,
//! the receiver not among them, the sender last, length equal to the round) and
//! every signature verifies. Orders whose value is already in V are skipped
//! before any verification: the paper lets the lieutenant ignore them, and it
//! is what keeps SM cheap. Since values are binary, a lieutenant relays at most
//! two distinct values.
//!
//! Pure state machine: keys are handed in, no IO, clock or randomness.

use crate::crypto::{ChainHasher, Keyring, OwnKey, PendingCheck, VerifyCache, VerifyError};
use crate::protocol::majority::choice;
use crate::types::{COMMANDER, GeneralId, Round, Value};
use crate::wire::{ChainLink, SignedOrder};
use std::sync::Arc;

/// At most this many orders travel in one honest frame (one per value).
pub const MAX_ORDERS_PER_FRAME: usize = 2;

/// Signs `value` after the chain `prefix` with `key`, giving the extended order.
pub fn sign_extend(value: Value, prefix: &[ChainLink], key: &OwnKey) -> SignedOrder {
    let mut h = ChainHasher::new(value);
    for l in prefix {
        h.push(l.signer, &l.sig);
    }
    let sig = key.sign(&h.digest_for(key.id()));
    let mut chain = Vec::with_capacity(prefix.len() + 1);
    chain.extend_from_slice(prefix);
    chain.push(ChainLink { signer: key.id(), sig });
    SignedOrder { value, chain }
}

/// Whether an honest general sends `order` to `to`: step 2(B) sends to
/// "every lieutenant not among j1..jk", so not to a general already in the chain.
pub fn goes_to(order: &SignedOrder, to: GeneralId) -> bool {
    !order.chain.iter().any(|l| l.signer == to)
}

/// Why a receiver discarded a signed order or a whole frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmReject {
    /// The commander takes no messages.
    #[error("the commander takes no messages")]
    ToCommander,
    /// Round outside 1..=m+1.
    #[error("round {0} is outside the run")]
    BadRound(Round),
    /// More orders in a frame than an honest sender ever sends.
    #[error("frame carries {0} orders")]
    TooManyOrders(usize),
    /// Chain length differs from the round.
    #[error("chain of {len} signatures in round {round}")]
    WrongLength {
        /// Signatures in the chain.
        len: usize,
        /// Round it arrived in.
        round: Round,
    },
    /// The chain does not start with the commander.
    #[error("chain does not start with the commander")]
    NotFromCommander,
    /// A signer appears twice, or is no general.
    #[error("signer {0} repeated or unknown")]
    BadSigner(GeneralId),
    /// The receiver already signed this chain.
    #[error("receiver is already in the chain")]
    ReceiverInChain,
    /// The last signer is not the general the frame came from.
    #[error("last signer {signer} is not the sender {from}")]
    NotSender {
        /// Last signer.
        signer: GeneralId,
        /// Sender of the frame.
        from: GeneralId,
    },
    /// A signature failed.
    #[error(transparent)]
    Signature(#[from] VerifyError),
}

/// Counters kept by one SM general.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmCounters {
    /// Signatures this general made.
    pub signatures_made: u64,
    /// Signature checks performed.
    pub signatures_verified: u64,
    /// Checks answered by the cache.
    pub cache_hits: u64,
    /// Orders dropped as malformed or badly signed.
    pub orders_rejected: u64,
    /// Orders skipped because their value was already in V.
    pub orders_ignored: u64,
}

/// What happened to one received order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// New value, added to V (and queued for relay while k < m).
    Accepted,
    /// Value already in V: skipped unverified.
    Ignored,
    /// Dropped.
    Rejected(SmReject),
}

/// One general running SM(m).
pub struct SmGeneral {
    n: usize,
    m: usize,
    me: GeneralId,
    order: Value,
    keys: Arc<Keyring>,
    key: OwnKey,
    /// V_i in the order values arrived.
    v: Vec<Value>,
    /// Orders this general signed, with the round they go out in.
    outbox: Vec<(Round, SignedOrder)>,
    cache: VerifyCache,
    counters: SmCounters,
}

impl SmGeneral {
    /// General `me` with its own key; `order` matters only for the commander.
    /// Callers validate `m <= n - 2` first.
    pub fn new(n: usize, m: usize, me: GeneralId, order: Value, keys: Arc<Keyring>, key: OwnKey) -> SmGeneral {
        SmGeneral {
            n,
            m,
            me,
            order,
            keys,
            key,
            v: Vec::new(),
            outbox: Vec::new(),
            cache: VerifyCache::default(),
            counters: SmCounters::default(),
        }
    }

    /// This general's id.
    pub fn id(&self) -> GeneralId {
        self.me
    }

    /// Rounds: m + 1.
    pub fn rounds(&self) -> Round {
        self.m as Round + 1
    }

    /// This general's own key (a traitor signs with it, and only it).
    pub fn key(&self) -> &OwnKey {
        &self.key
    }

    /// The set V, in arrival order.
    pub fn values(&self) -> &[Value] {
        &self.v
    }

    /// Counters so far.
    pub fn counters(&self) -> SmCounters {
        self.counters
    }

    /// Records a signature a wrapping traitor made with this general's key.
    pub fn count_signature(&mut self) {
        self.counters.signatures_made += 1;
    }

    /// Receivers this general sends to in `round`, ascending.
    pub fn recipients(&self, round: Round) -> Vec<GeneralId> {
        super::recipients(self.n, self.m, self.me, round)
    }

    /// Signs what this general sends in `round`; call once per round before
    /// `emit`. Step 1 for the commander (one signature serves every receiver).
    pub fn prepare(&mut self, round: Round) {
        if self.me == COMMANDER && round == 1 {
            let signed = sign_extend(self.order, &[], &self.key);
            self.counters.signatures_made += 1;
            self.outbox.push((1, signed));
        }
    }

    /// The orders this general sends in `round`, each to every lieutenant
    /// [`goes_to`] allows.
    pub fn outbox(&self, round: Round) -> impl Iterator<Item = &SignedOrder> {
        self.outbox.iter().filter(move |(r, _)| *r == round).map(|(_, o)| o)
    }

    /// Appends the honest orders for `to` in `round` (see [`goes_to`]).
    pub fn emit(&self, round: Round, to: GeneralId, out: &mut Vec<SignedOrder>) {
        out.extend(self.outbox(round).filter(|o| goes_to(o, to)).cloned());
    }

    /// Takes a frame's orders from `from` in `round`; one verdict per order is
    /// written to `verdicts` (cleared first).
    pub fn receive(
        &mut self,
        round: Round,
        from: GeneralId,
        orders: &[SignedOrder],
        verdicts: &mut Vec<Verdict>,
    ) -> Result<(), SmReject> {
        verdicts.clear();
        if self.me == COMMANDER {
            return Err(SmReject::ToCommander);
        }
        if round == 0 || round as usize > self.m + 1 {
            return Err(SmReject::BadRound(round));
        }
        if orders.len() > MAX_ORDERS_PER_FRAME {
            return Err(SmReject::TooManyOrders(orders.len()));
        }
        for o in orders {
            let verdict = self.take(round, from, o);
            match verdict {
                Verdict::Accepted => {}
                Verdict::Ignored => self.counters.orders_ignored += 1,
                Verdict::Rejected(_) => self.counters.orders_rejected += 1,
            }
            verdicts.push(verdict);
        }
        Ok(())
    }

    fn take(&mut self, round: Round, from: GeneralId, o: &SignedOrder) -> Verdict {
        // Step 2: an order whose value is already in V changes nothing; skip it
        // before spending any verification on it.
        if self.v.contains(&o.value) {
            return Verdict::Ignored;
        }
        if let Err(e) = self.check_shape(round, from, &o.chain) {
            return Verdict::Rejected(e);
        }
        if let Err(e) = self.check_signatures(o) {
            return Verdict::Rejected(e);
        }
        self.v.push(o.value);
        // Step 2(B): relay while k < m, i.e. while the chain is shorter than m+1.
        if o.chain.len() <= self.m {
            let relayed = sign_extend(o.value, &o.chain, &self.key);
            self.counters.signatures_made += 1;
            self.outbox.push((round + 1, relayed));
        }
        Verdict::Accepted
    }

    fn check_shape(&self, round: Round, from: GeneralId, chain: &[ChainLink]) -> Result<(), SmReject> {
        if chain.len() != round as usize {
            return Err(SmReject::WrongLength {
                len: chain.len(),
                round,
            });
        }
        if chain.first().map(|l| l.signer) != Some(COMMANDER) {
            return Err(SmReject::NotFromCommander);
        }
        for (i, l) in chain.iter().enumerate() {
            if l.signer as usize >= self.n || chain[..i].iter().any(|p| p.signer == l.signer) {
                return Err(SmReject::BadSigner(l.signer));
            }
            if l.signer == self.me {
                return Err(SmReject::ReceiverInChain);
            }
        }
        let last = chain[chain.len() - 1].signer;
        if last != from {
            return Err(SmReject::NotSender { signer: last, from });
        }
        Ok(())
    }

    fn check_signatures(&mut self, o: &SignedOrder) -> Result<(), SmReject> {
        let mut h = ChainHasher::new(o.value);
        let mut pending = Vec::new();
        for (position, l) in o.chain.iter().enumerate() {
            let digest = h.digest_for(l.signer);
            if self.cache.contains(&digest, &l.sig) {
                self.counters.cache_hits += 1;
            } else {
                pending.push(PendingCheck {
                    position,
                    digest,
                    signer: l.signer,
                    sig: l.sig,
                });
            }
            h.push(l.signer, &l.sig);
        }
        let (checks, res) = self.cache.check(&self.keys, &pending);
        self.counters.signatures_verified += checks;
        res.map_err(SmReject::from)
    }

    /// Step 3: `choice(V)`; the commander obeys its own order.
    pub fn decide(&self) -> Value {
        if self.me == COMMANDER {
            self.order
        } else {
            choice(&self.v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recv(
        g: &mut SmGeneral,
        round: Round,
        from: GeneralId,
        orders: &[SignedOrder],
    ) -> Result<Vec<Verdict>, SmReject> {
        let mut v = Vec::new();
        g.receive(round, from, orders, &mut v).map(|()| v)
    }

    fn setup(n: usize, m: usize, seed: u64) -> (Arc<Keyring>, Vec<SmGeneral>) {
        let keys = Arc::new(Keyring::derive(seed, n));
        let gens = (0..n as GeneralId)
            .map(|i| SmGeneral::new(n, m, i, Value::Attack, keys.clone(), OwnKey::derive(seed, i)))
            .collect();
        (keys, gens)
    }

    #[test]
    fn commander_order_is_accepted_then_relayed() {
        let (_, mut g) = setup(4, 1, 3);
        g[0].prepare(1);
        let mut out = Vec::new();
        g[0].emit(1, 1, &mut out);
        assert_eq!(recv(&mut g[1], 1, 0, &out), Ok(vec![Verdict::Accepted]));
        // a second copy is ignored without verification
        let before = g[1].counters().signatures_verified;
        assert_eq!(recv(&mut g[1], 1, 0, &out), Ok(vec![Verdict::Ignored]));
        assert_eq!(g[1].counters().signatures_verified, before);
        let mut relay = Vec::new();
        g[1].emit(2, 2, &mut relay);
        assert_eq!(relay.len(), 1);
        assert_eq!(relay[0].chain.len(), 2);
        // not relayed back to a general in the chain
        let mut none = Vec::new();
        g[1].emit(2, 0, &mut none);
        assert!(none.is_empty());
        assert_eq!(recv(&mut g[2], 2, 1, &relay), Ok(vec![Verdict::Accepted]));
        assert_eq!(g[2].decide(), Value::Attack);
    }

    #[test]
    fn malformed_chains_are_rejected() {
        let (_, mut g) = setup(5, 2, 4);
        let k0 = OwnKey::derive(4, 0);
        let k2 = OwnKey::derive(4, 2);
        let good = sign_extend(Value::Retreat, &[], &k0);
        let relayed = sign_extend(Value::Retreat, &good.chain, &k2);
        let l = &mut g[1];
        // wrong round
        assert!(matches!(
            recv(l, 2, 0, std::slice::from_ref(&good)).unwrap()[0],
            Verdict::Rejected(SmReject::WrongLength { .. })
        ));
        // sender is not the last signer
        assert!(matches!(
            recv(l, 2, 3, std::slice::from_ref(&relayed)).unwrap()[0],
            Verdict::Rejected(SmReject::NotSender { .. })
        ));
        // traitor 2 forges the commander's signature on the other value
        let mut forged = relayed.clone();
        forged.value = Value::Attack;
        assert!(matches!(
            recv(l, 2, 2, &[forged]).unwrap()[0],
            Verdict::Rejected(SmReject::Signature(_))
        ));
        // repeated signer
        let twice = sign_extend(Value::Retreat, &relayed.chain, &k2);
        assert!(matches!(
            recv(l, 3, 2, &[twice]).unwrap()[0],
            Verdict::Rejected(SmReject::BadSigner(2))
        ));
        assert_eq!(
            recv(l, 2, 2, &[relayed.clone(), relayed.clone(), relayed]),
            Err(SmReject::TooManyOrders(3))
        );
        assert!(l.values().is_empty());
        assert_eq!(l.decide(), Value::Retreat);
    }
}
