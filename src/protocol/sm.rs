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

use super::{Describer, Dispatch, Findings, Message, Protocol, Sink, Source, Taken, TraceMsg};
use crate::crypto::{ChainHasher, Keyring, OwnKey, PendingCheck, SignatureLedger, VerifyCache};
pub use crate::crypto::{SIG_LEN, VerifyError};
use crate::protocol::majority::choice;
use crate::types::{COMMANDER, Counters, GeneralId, Round, Value};
use std::sync::Arc;

/// At most this many orders travel in one honest frame (one per value).
pub const MAX_ORDERS_PER_FRAME: usize = 2;

/// One link of a signature chain: who signed, and the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainLink {
    /// The signer.
    pub signer: GeneralId,
    /// Its ed25519 signature over the chain digest (see the crate's `crypto` module: SHA-256 of the value and the chain so far).
    pub sig: [u8; SIG_LEN],
}

/// A signed order `v:0:j1:...:jk` (paper, section 4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedOrder {
    /// The order.
    pub value: Value,
    /// Signatures, the commander's first.
    pub chain: Vec<ChainLink>,
}

/// What one general sends another in one SM round: signed orders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Orders(pub Vec<SignedOrder>);

/// Bytes of one chain link as written: the signer (2 bytes, little-endian)
/// and the signature. A chain is written as one string of whole links, which
/// reads in one pass instead of field by field.
const LINK: usize = 2 + SIG_LEN;

impl Message for Orders {
    const KIND: u32 = 1;
    const AUDIT_ALWAYS: bool = true;

    fn count(&self) -> u64 {
        self.0.len() as u64
    }

    fn write<S: Sink>(&self, out: &mut S) -> Result<(), S::Error> {
        out.length(self.0.len())?;
        for o in &self.0 {
            out.u32(u32::from(o.value.to_byte()))?;
            out.length(o.chain.len() * LINK)?;
            for l in &o.chain {
                out.raw(&l.signer.to_le_bytes())?;
                out.raw(&l.sig)?;
            }
        }
        Ok(())
    }

    fn read<S: Source>(input: &mut S) -> Result<Self, S::Error> {
        let count = input.length()?;
        // Each order takes at least two bytes: refuse a count the input
        // cannot hold, and reserve no more than an honest frame ever needs.
        if count > input.remaining() / 2 {
            return Err(input.invalid(format!("{count} orders claimed, {} bytes left", input.remaining())));
        }
        let mut orders = Vec::with_capacity(count.min(MAX_ORDERS_PER_FRAME));
        for _ in 0..count {
            let value = match input.u32()? {
                0 => Value::Retreat,
                1 => Value::Attack,
                v => return Err(input.invalid(format!("{v} is not a value"))),
            };
            let len = input.length()?;
            if len % LINK != 0 {
                return Err(input.invalid(format!("chain of {len} bytes is not whole {LINK}-byte links")));
            }
            let chain = input
                .raw(len)?
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
        Ok(Orders(orders))
    }

    /// Every accepted chain is checked against the ledger of signatures
    /// really made; an altered frame is tampered-and-accepted if an accepted
    /// order is not among those its true sender sent.
    fn audit(&self, taken: &Taken, altered: bool, sent: Option<&Self>, ledger: &SignatureLedger) -> Findings {
        let accepted = || {
            self.0
                .iter()
                .enumerate()
                .filter(|(i, _)| taken.contains(*i))
                .map(|(_, o)| o)
        };
        let forgeries = accepted()
            .filter(|o| {
                let mut h = ChainHasher::new(o.value);
                !o.chain.iter().all(|l| {
                    let made = ledger.contains(&h.digest_for(l.signer), &l.sig);
                    h.push(l.signer, &l.sig);
                    made
                })
            })
            .count() as u64;
        let sent: &[SignedOrder] = sent.map_or(&[], |s| &s.0);
        Findings {
            tampered_accepted: altered && accepted().any(|o| !sent.contains(o)),
            forgeries_accepted: forgeries,
        }
    }
}

/// Largest frame an SM(m) run carries, in bytes: per order its value, a
/// length and m+1 links, with room for the frame's header.
pub fn max_frame_bytes(m: usize) -> usize {
    64 + MAX_ORDERS_PER_FRAME * (8 + (m + 1) * (4 + LINK))
}

/// Signs `value` after the chain `prefix` with `key`, giving the extended order.
pub(crate) fn sign_extend(value: Value, prefix: &[ChainLink], key: &OwnKey) -> SignedOrder {
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
pub(crate) fn goes_to(order: &SignedOrder, to: GeneralId) -> bool {
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
    /// The sender is not a neighbour in the run's graph (section 5).
    #[error("general {0} is not a neighbour")]
    NotNeighbour(GeneralId),
}

/// What happened to one received order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// New value, added to V (and queued for relay while k < m).
    Accepted,
    /// Value already in V: skipped unverified.
    Ignored,
    /// Dropped.
    Rejected(SmReject),
}

/// What a general of a signature-chain algorithm (SM(m), Dolev-Strong)
/// keeps besides the values it holds: its key and the run's keyring, the
/// orders it signed for later rounds, the signatures it verified, and its
/// counters. Both algorithms step it the same way: the commander signs its
/// order in round 1 (step 1), every new value's chain is checked (its shape,
/// then its signatures, each once), and a value taken in round r <= m is
/// signed and relayed in round r + 1 (step 2(B)).
pub(crate) struct Chains {
    n: usize,
    m: usize,
    me: GeneralId,
    order: Value,
    keys: Arc<Keyring>,
    key: OwnKey,
    /// Orders this general signed, with the round they go out in.
    outbox: Vec<(Round, SignedOrder)>,
    cache: VerifyCache,
    pub(crate) counters: Counters,
    /// The orders of the last frame that were not taken, by position, and
    /// why (for the trace's receiver verdicts).
    pub(crate) refused: Vec<(usize, Refusal)>,
}

/// Why an order of a frame was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Skipped unverified: it brings nothing new (the reason).
    Ignored(&'static str),
    /// Dropped: its chain does not hold.
    Rejected(SmReject),
}

impl Chains {
    /// [`Protocol::refusals`] of SM and Dolev-Strong.
    pub(crate) fn refusals(&self) -> Vec<(usize, String)> {
        self.refused
            .iter()
            .map(|(i, r)| {
                let why = match r {
                    Refusal::Ignored(why) => format!("ignored: {why}"),
                    Refusal::Rejected(e) => format!("rejected: {e}"),
                };
                (*i, why)
            })
            .collect()
    }

    /// General `me` among `n` with its own key; `order` matters only for
    /// the commander. Callers validate `m <= n - 2` first.
    pub(crate) fn new(n: usize, m: usize, me: GeneralId, order: Value, keys: Arc<Keyring>, key: OwnKey) -> Chains {
        Chains {
            n,
            m,
            me,
            order,
            keys,
            key,
            outbox: Vec::new(),
            cache: VerifyCache::default(),
            counters: Counters::default(),
            refused: Vec::new(),
        }
    }

    /// This general's own key (a traitor signs with it, and only it).
    pub(crate) fn key(&self) -> &OwnKey {
        &self.key
    }

    /// The commander's order, which it obeys itself.
    pub(crate) fn order(&self) -> Value {
        self.order
    }

    /// The last round, m + 1.
    pub(crate) fn last_round(&self) -> Round {
        self.m as Round + 1
    }

    /// The start of `round`: step 1 for the commander in round 1 (one
    /// signature serves every receiver), then every order due this round
    /// to each of `recipients` not already in its chain.
    pub(crate) fn on_round(&mut self, round: Round, recipients: Vec<GeneralId>) -> Vec<Dispatch<Orders>> {
        if self.me == COMMANDER && round == 1 {
            let signed = sign_extend(self.order, &[], &self.key);
            self.counters.signatures_made += 1;
            self.outbox.push((1, signed));
        }
        send_due(&self.outbox, round, recipients)
    }

    /// Checks a frame before its orders (see [`check_frame`]).
    pub(crate) fn check_frame(&self, round: Round, msg: &Orders) -> Result<(), SmReject> {
        check_frame(self.me, self.last_round(), round, msg)
    }

    /// Takes a new value's order from `from` in `round`: its chain's shape
    /// and signatures checked, and, while k < m (the chain shorter than
    /// m + 1), signed and queued for the next round (step 2(B)).
    pub(crate) fn take(&mut self, round: Round, from: GeneralId, o: &SignedOrder) -> Result<(), SmReject> {
        check_shape(self.n, self.me, round, from, &o.chain)?;
        check_signatures(&mut self.cache, &self.keys, &mut self.counters, o)?;
        if o.chain.len() <= self.m {
            let relayed = sign_extend(o.value, &o.chain, &self.key);
            self.counters.signatures_made += 1;
            self.outbox.push((round + 1, relayed));
        }
        Ok(())
    }

    /// Crash-recovery: what it was to relay and what it verified are gone;
    /// its key survives (on disk).
    pub(crate) fn reset(&mut self) {
        self.outbox.clear();
        self.cache = VerifyCache::default();
    }
}

/// An explanation from signed values: each value with the signers of the
/// order that brought it (SM's V, Dolev-Strong's extracted values); the
/// commander decides its own order.
pub(crate) fn explain_chains(
    chains: &Chains,
    rule: String,
    decision: Value,
    values: &[Value],
    brought_by: &[Vec<GeneralId>],
) -> super::Explanation {
    if chains.me == COMMANDER {
        return super::Explanation {
            rule: "the commander decides its own order".into(),
            decision: chains.order(),
            votes: Vec::new(),
        };
    }
    super::Explanation {
        rule,
        decision,
        votes: values
            .iter()
            .zip(brought_by)
            .map(|(&value, chain)| super::Vote {
                path: chain.clone(),
                received: Some(value),
                value,
                below: Vec::new(),
            })
            .collect(),
    }
}

/// One general running SM(m).
pub struct SmGeneral {
    chains: Chains,
    /// V_i in the order values arrived.
    v: Vec<Value>,
    /// The signers of the order that brought each value of `v`.
    brought_by: Vec<Vec<GeneralId>>,
    /// Section 5: the graph, when not every general reaches every other.
    graph: Option<Arc<crate::graph::Graph>>,
}

impl SmGeneral {
    /// General `me` with its own key; `order` matters only for the commander.
    /// Callers validate `m <= n - 2` first.
    pub(crate) fn new(n: usize, m: usize, me: GeneralId, order: Value, keys: Arc<Keyring>, key: OwnKey) -> SmGeneral {
        SmGeneral {
            chains: Chains::new(n, m, me, order, keys, key),
            v: Vec::new(),
            brought_by: Vec::new(),
            graph: None,
        }
    }

    /// SM on an incomplete graph (section 5): "a general sends a message
    /// only to his neighbours", so step 1 and step 2(B) go to every
    /// neighbour (not already in the chain) instead of every lieutenant,
    /// and orders travel hop by hop, one signature a hop. Theorem 4: with
    /// at most m traitors and a loyal subgraph of diameter d, SM(m + d - 1)
    /// solves the problem.
    pub(crate) fn on_graph(mut self, graph: Arc<crate::graph::Graph>) -> SmGeneral {
        self.graph = Some(graph);
        self
    }

    /// This general's own key (a traitor signs with it, and only it).
    pub(crate) fn key(&self) -> &OwnKey {
        self.chains.key()
    }

    fn take(&mut self, round: Round, from: GeneralId, o: &SignedOrder) -> Verdict {
        // Step 2: an order whose value is already in V changes nothing; skip it
        // before spending any verification on it.
        if self.v.contains(&o.value) {
            return Verdict::Ignored;
        }
        match self.chains.take(round, from, o) {
            Ok(()) => {
                self.v.push(o.value);
                self.brought_by.push(o.chain.iter().map(|l| l.signer).collect());
                Verdict::Accepted
            }
            Err(e) => Verdict::Rejected(e),
        }
    }
}

/// Orders as a trace shows them: each chain's signers and its value.
pub(crate) fn describe_orders() -> Describer<Orders> {
    Arc::new(|_, _, _, msg: &Orders| {
        msg.0
            .iter()
            .map(|o| TraceMsg {
                path: o.chain.iter().map(|l| l.signer).collect(),
                value: o.value,
            })
            .collect()
    })
}

/// Checks a chain's shape for `me` among `n` in `round` (from `from`):
/// exactly `round` signatures, the commander's first, each signer a
/// distinct general other than `me`, the last one the sender. Shared by
/// SM(m) and Dolev-Strong, whose orders are the same chains.
pub(crate) fn check_shape(
    n: usize,
    me: GeneralId,
    round: Round,
    from: GeneralId,
    chain: &[ChainLink],
) -> Result<(), SmReject> {
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
        if l.signer as usize >= n || chain[..i].iter().any(|p| p.signer == l.signer) {
            return Err(SmReject::BadSigner(l.signer));
        }
        if l.signer == me {
            return Err(SmReject::ReceiverInChain);
        }
    }
    let last = chain[chain.len() - 1].signer;
    if last != from {
        return Err(SmReject::NotSender { signer: last, from });
    }
    Ok(())
}

/// Verifies every signature of `o` that `cache` has not seen verified,
/// counting checks and cache hits in `counters`.
pub(crate) fn check_signatures(
    cache: &mut VerifyCache,
    keys: &Keyring,
    counters: &mut Counters,
    o: &SignedOrder,
) -> Result<(), SmReject> {
    let mut h = ChainHasher::new(o.value);
    let mut pending = Vec::new();
    for (position, l) in o.chain.iter().enumerate() {
        let digest = h.digest_for(l.signer);
        if cache.contains(&digest, &l.sig) {
            counters.verify_cache_hits += 1;
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
    let (checks, res) = cache.check(keys, &pending);
    counters.signatures_verified += checks;
    res.map_err(SmReject::from)
}

/// What a frame must be before any of its orders is looked at: for a
/// lieutenant, in a round of the run (`1..=last`), with no more orders
/// than an honest sender ever sends.
pub(crate) fn check_frame(me: GeneralId, last: Round, round: Round, msg: &Orders) -> Result<(), SmReject> {
    if me == COMMANDER {
        return Err(SmReject::ToCommander);
    }
    if round == 0 || round > last {
        return Err(SmReject::BadRound(round));
    }
    if msg.0.len() > MAX_ORDERS_PER_FRAME {
        return Err(SmReject::TooManyOrders(msg.0.len()));
    }
    Ok(())
}

/// The sends of `round` from an outbox of (round, order): each order due
/// goes to every one of `recipients` not already in its chain. Receivers
/// that get the same orders share one message, so it is built and
/// encoded once.
pub(crate) fn send_due(
    outbox: &[(Round, SignedOrder)],
    round: Round,
    recipients: Vec<GeneralId>,
) -> Vec<Dispatch<Orders>> {
    let due: Vec<&SignedOrder> = outbox.iter().filter(|(r, _)| *r == round).map(|(_, o)| o).collect();
    if due.is_empty() {
        return Vec::new(); // nothing accepted last round: nothing to relay
    }
    // A value is taken once and relayed once, so at most one order per
    // value is due in a round: a bit per order fits.
    debug_assert!(due.len() <= MAX_ORDERS_PER_FRAME);
    let mut shared: Vec<(u8, Arc<Orders>)> = Vec::new();
    let mut out = Vec::new();
    for to in recipients {
        let mask = due
            .iter()
            .enumerate()
            .filter(|(_, o)| goes_to(o, to))
            .fold(0u8, |m, (i, _)| m | 1 << i);
        if mask == 0 {
            continue;
        }
        let msg = match shared.iter().find(|(m, _)| *m == mask) {
            Some((_, msg)) => msg.clone(),
            None => {
                let orders = due.iter().filter(|o| goes_to(o, to)).map(|o| (*o).clone()).collect();
                let msg = Arc::new(Orders(orders));
                shared.push((mask, msg.clone()));
                msg
            }
        };
        out.push(Dispatch { to, msg });
    }
    out
}

impl Protocol for SmGeneral {
    type Msg = Orders;
    type Reject = SmReject;

    fn id(&self) -> GeneralId {
        self.chains.me
    }

    fn rounds(&self) -> Round {
        self.chains.last_round()
    }

    fn recipients(&self, round: Round) -> Vec<GeneralId> {
        let c = &self.chains;
        let all = super::recipients(c.n, c.m, c.me, round);
        match &self.graph {
            Some(g) => all.into_iter().filter(|&to| g.adjacent(c.me, to)).collect(),
            None => all,
        }
    }

    /// Step 1 for the commander in round 1; step 2 for a lieutenant: every
    /// order it accepted last round, signed then, goes to every lieutenant
    /// step 2(B) allows (not those already in the chain). Receivers that get
    /// the same orders share one message, so it is built and encoded once.
    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Orders>> {
        let recipients = self.recipients(round);
        self.chains.on_round(round, recipients)
    }

    /// Takes a frame's orders from `from` in `round`: the positions of the
    /// orders accepted into V, or the reason the whole frame is refused.
    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Orders) -> Result<Taken, SmReject> {
        self.chains.check_frame(round, msg)?;
        if let Some(g) = &self.graph
            && !g.adjacent(from, self.chains.me)
        {
            return Err(SmReject::NotNeighbour(from));
        }
        let mut accepted = Vec::new();
        self.chains.refused.clear();
        for (i, o) in msg.0.iter().enumerate() {
            match self.take(round, from, o) {
                Verdict::Accepted => accepted.push(i),
                Verdict::Ignored => {
                    self.chains.counters.orders_ignored += 1;
                    self.chains
                        .refused
                        .push((i, Refusal::Ignored("its value is in V already")));
                }
                Verdict::Rejected(e) => {
                    self.chains.counters.orders_rejected += 1;
                    self.chains.refused.push((i, Refusal::Rejected(e)));
                }
            }
        }
        Ok(Taken::Items(accepted))
    }

    fn refusals(&self) -> Vec<(usize, String)> {
        self.chains.refusals()
    }

    /// Step 3: `choice(V)`; the commander obeys its own order.
    fn decide(&self) -> Value {
        if self.chains.me == COMMANDER {
            self.chains.order()
        } else {
            choice(&self.v)
        }
    }

    fn describer(&self) -> Describer<Orders> {
        describe_orders()
    }

    fn counters(&self) -> Counters {
        self.chains.counters
    }

    /// V, the orders it was to relay and its verified signatures are gone;
    /// an order arriving later in its round is taken (and relayed while
    /// rounds remain) as by any lieutenant. Its key survives (on disk).
    fn reset(&mut self) {
        self.v.clear();
        self.brought_by.clear();
        self.chains.reset();
    }

    fn values(&self) -> Option<Vec<Value>> {
        Some(self.v.clone())
    }

    /// Step 3: choice(V), each value of V with the chain of the first
    /// valid order that brought it.
    fn explain(&self) -> Option<super::Explanation> {
        Some(explain_chains(
            &self.chains,
            format!(
                "SM step 3: choice(V) over the {} value(s) of V (one value: it; none or both: RETREAT)",
                self.v.len()
            ),
            self.decide(),
            &self.v,
            &self.brought_by,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(n: usize, m: usize, seed: u64) -> Vec<SmGeneral> {
        let keys = Arc::new(Keyring::derive(seed, n));
        (0..n as GeneralId)
            .map(|i| SmGeneral::new(n, m, i, Value::Attack, keys.clone(), OwnKey::derive(seed, i)))
            .collect()
    }

    fn to(sends: &[Dispatch<Orders>], g: GeneralId) -> Option<Orders> {
        sends.iter().find(|s| s.to == g).map(|s| (*s.msg).clone())
    }

    #[test]
    fn commander_order_is_accepted_then_relayed() {
        let mut g = setup(4, 1, 3);
        let sent = g[0].on_round(1);
        assert_eq!(sent.iter().map(|s| s.to).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!(
            Arc::ptr_eq(&sent[0].msg, &sent[2].msg),
            "one signed order shared by all"
        );
        let out = to(&sent, 1).unwrap();
        assert_eq!(g[1].on_message(1, 0, &out), Ok(Taken::Items(vec![0])));
        // a second copy is ignored without verification
        let before = g[1].counters().signatures_verified;
        assert_eq!(g[1].on_message(1, 0, &out), Ok(Taken::Items(vec![])));
        assert_eq!(g[1].counters().signatures_verified, before);
        assert_eq!(g[1].counters().orders_ignored, 1);
        let relays = g[1].on_round(2);
        // relayed to 2 and 3, not back to the commander, who is in the chain
        assert_eq!(relays.iter().map(|s| s.to).collect::<Vec<_>>(), vec![2, 3]);
        let relay = to(&relays, 2).unwrap();
        assert_eq!(relay.0[0].chain.len(), 2);
        assert_eq!(g[2].on_message(2, 1, &relay), Ok(Taken::Items(vec![0])));
        assert_eq!(g[2].decide(), Value::Attack);
        assert!(g[1].on_round(3).is_empty(), "SM(1) relays nothing in round 3");
    }

    #[test]
    fn malformed_chains_are_rejected() {
        let mut g = setup(5, 2, 4);
        let k0 = OwnKey::derive(4, 0);
        let k2 = OwnKey::derive(4, 2);
        let good = sign_extend(Value::Retreat, &[], &k0);
        let relayed = sign_extend(Value::Retreat, &good.chain, &k2);
        let l = &mut g[1];
        // wrong round
        assert!(matches!(
            l.take(2, 0, &good),
            Verdict::Rejected(SmReject::WrongLength { .. })
        ));
        // sender is not the last signer
        assert!(matches!(
            l.take(2, 3, &relayed),
            Verdict::Rejected(SmReject::NotSender { .. })
        ));
        // traitor 2 forges the commander's signature on the other value
        let mut forged = relayed.clone();
        forged.value = Value::Attack;
        assert!(matches!(
            l.take(2, 2, &forged),
            Verdict::Rejected(SmReject::Signature(_))
        ));
        // repeated signer
        let twice = sign_extend(Value::Retreat, &relayed.chain, &k2);
        assert!(matches!(
            l.take(3, 2, &twice),
            Verdict::Rejected(SmReject::BadSigner(2))
        ));
        let three = Orders(vec![relayed.clone(), relayed.clone(), relayed]);
        assert_eq!(l.on_message(2, 2, &three), Err(SmReject::TooManyOrders(3)));
        assert_eq!(l.on_message(2, 2, &Orders(vec![forged])), Ok(Taken::Items(vec![])));
        assert_eq!(l.counters().orders_rejected, 1);
        assert!(l.values().unwrap().is_empty());
        assert_eq!(l.decide(), Value::Retreat);
    }

    /// The audit counts a chain whose signatures were never made, and an
    /// accepted order the true sender did not send.
    #[test]
    fn audit_finds_forgeries_and_altered_orders() {
        let ledger = SignatureLedger::default();
        let k0 = OwnKey::derive(6, 0).with_ledger(ledger.clone());
        let real = sign_extend(Value::Attack, &[], &k0);
        let fake = sign_extend(Value::Retreat, &[], &OwnKey::derive(6, 0));
        let msg = Orders(vec![real.clone(), fake]);
        let both = Taken::Items(vec![0, 1]);
        let f = msg.audit(&both, false, None, &ledger);
        assert_eq!(f.forgeries_accepted, 1);
        assert!(!f.tampered_accepted);
        let sent = Orders(vec![real]);
        assert!(msg.audit(&both, true, Some(&sent), &ledger).tampered_accepted);
        assert!(
            !msg.audit(&Taken::Items(vec![0]), true, Some(&sent), &ledger)
                .tampered_accepted
        );
    }
}
