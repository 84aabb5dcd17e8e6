//! Dolev-Strong authenticated Byzantine agreement (D. Dolev and H. R.
//! Strong, "Authenticated algorithms for Byzantine agreement", SIAM J.
//! Comput. 12(4), 1983), as a pure state machine.
//!
//! The sender (the commander, general 0) signs its value and sends it to
//! everyone. A general *extracts* a value v in round r when a message
//! carries v with a chain of r distinct signatures, the sender's first and
//! the message's sender's last, none of them its own. It extracts at most
//! two values, the first two that arrive: a second one already proves the
//! sender faulty, and a third would add nothing to that proof. Each value it
//! extracts in a round r <= f it signs and relays in round r + 1 to every
//! general not yet in the chain. After f + 1 rounds it decides the value it
//! extracted if it extracted exactly one, and the default (RETREAT)
//! otherwise. Any f < n - 1 traitors are tolerated: a value a loyal general
//! extracts in round r <= f reaches every loyal general by round r + 1, and
//! one extracted only in round f + 1 carries f + 1 signatures, one of them a
//! loyal general's, who relayed it to everyone already.
//!
//! The messages are SM(m)'s signed orders (`protocol::sm::Orders`), checked
//! by the same chain rules, and with two values (ATTACK, RETREAT) the two
//! algorithms make the same decisions: SM(m) is the paper's form of the
//! same idea. Dolev-Strong's rule of the first two values is what bounds
//! its messages for a larger domain; here it bounds a frame to two orders.

use super::sm::{Chains, MAX_ORDERS_PER_FRAME, Orders, Refusal, SignedOrder, SmReject, describe_orders};
use super::{Describer, Dispatch, Protocol, Taken};
use crate::crypto::{Keyring, OwnKey};
use crate::types::{COMMANDER, Counters, GeneralId, Round, Value};
use std::sync::Arc;

/// One general running Dolev-Strong for f = m traitors (m + 1 rounds).
pub struct DolevStrongGeneral {
    /// Its key, what it signed for later rounds, what it verified (shared
    /// with SM: the same chains, checked and relayed the same way).
    chains: Chains,
    n: usize,
    m: usize,
    me: GeneralId,
    /// The values extracted, in order: at most two.
    extracted: Vec<Value>,
    /// The signers of the order each value was extracted from.
    brought_by: Vec<Vec<GeneralId>>,
}

impl DolevStrongGeneral {
    /// General `me` with its own key; `order` matters only for the sender.
    /// Callers validate `m <= n - 2` first.
    pub(crate) fn new(
        n: usize,
        m: usize,
        me: GeneralId,
        order: Value,
        keys: Arc<Keyring>,
        key: OwnKey,
    ) -> DolevStrongGeneral {
        DolevStrongGeneral {
            chains: Chains::new(n, m, me, order, keys, key),
            n,
            m,
            me,
            extracted: Vec::new(),
            brought_by: Vec::new(),
        }
    }

    /// This general's own key (a traitor signs with it, and only it).
    pub(crate) fn key(&self) -> &OwnKey {
        self.chains.key()
    }

    /// One order of a frame from `from` in `round`: extracted or not.
    fn extract(&mut self, round: Round, from: GeneralId, o: &SignedOrder, i: usize) -> bool {
        // Only the first two values are extracted; a value already held
        // changes nothing, so neither is verified.
        if self.extracted.len() >= MAX_ORDERS_PER_FRAME || self.extracted.contains(&o.value) {
            self.chains.counters.orders_ignored += 1;
            let why = if self.extracted.contains(&o.value) {
                "its value is extracted already"
            } else {
                "two values are extracted already"
            };
            self.chains.refused.push((i, Refusal::Ignored(why)));
            return false;
        }
        // A chain of exactly `round` distinct signatures, the sender's
        // first, the relaying general's last; signed and relayed to all in
        // round r + 1 while r <= f.
        if let Err(e) = self.chains.take(round, from, o) {
            self.chains.counters.orders_rejected += 1;
            self.chains.refused.push((i, Refusal::Rejected(e)));
            return false;
        }
        self.extracted.push(o.value);
        self.brought_by.push(o.chain.iter().map(|l| l.signer).collect());
        true
    }
}

impl Protocol for DolevStrongGeneral {
    type Msg = Orders;
    type Reject = SmReject;

    fn id(&self) -> GeneralId {
        self.me
    }

    fn rounds(&self) -> Round {
        self.chains.last_round()
    }

    /// Round 1: the sender to everyone; rounds 2..=f+1: every general but
    /// the sender (whose chain opens every order) to every other one.
    fn recipients(&self, round: Round) -> Vec<GeneralId> {
        super::recipients(self.n, self.m, self.me, round)
    }

    /// Round 1: the sender signs its value once for everyone; then each
    /// value extracted last round goes to all not yet in its chain.
    fn on_round(&mut self, round: Round) -> Vec<Dispatch<Orders>> {
        let recipients = self.recipients(round);
        self.chains.on_round(round, recipients)
    }

    fn on_message(&mut self, round: Round, from: GeneralId, msg: &Orders) -> Result<Taken, SmReject> {
        self.chains.check_frame(round, msg)?;
        self.chains.refused.clear();
        let taken = (0..msg.0.len())
            .filter(|&i| self.extract(round, from, &msg.0[i], i))
            .collect();
        Ok(Taken::Items(taken))
    }

    fn refusals(&self) -> Vec<(usize, String)> {
        self.chains.refusals()
    }

    /// After round f + 1: the one value extracted, or the default.
    fn decide(&self) -> Value {
        if self.me == COMMANDER {
            return self.chains.order();
        }
        match self.extracted.as_slice() {
            [only] => *only,
            _ => Value::Retreat,
        }
    }

    fn describer(&self) -> Describer<Orders> {
        describe_orders()
    }

    fn counters(&self) -> Counters {
        self.chains.counters
    }

    /// What it extracted and was to relay is gone; its key survives.
    fn reset(&mut self) {
        self.extracted.clear();
        self.brought_by.clear();
        self.chains.reset();
    }

    fn values(&self) -> Option<Vec<Value>> {
        Some(self.extracted.clone())
    }

    /// The values extracted, each with the chain it came in, and the rule.
    fn explain(&self) -> Option<super::Explanation> {
        Some(super::sm::explain_chains(
            &self.chains,
            format!(
                "Dolev-Strong: after round {}, the one value extracted, else RETREAT ({} extracted)",
                self.m + 1,
                self.extracted.len()
            ),
            self.decide(),
            &self.extracted,
            &self.brought_by,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::sm::sign_extend;

    fn general(n: usize, m: usize, me: GeneralId, keys: &Arc<Keyring>) -> DolevStrongGeneral {
        DolevStrongGeneral::new(n, m, me, Value::Attack, keys.clone(), OwnKey::derive(9, me))
    }

    #[test]
    fn extracts_the_first_two_values_and_decides_the_default_on_two() {
        let (n, m) = (5, 2);
        let keys = Arc::new(Keyring::derive(9, n));
        let k0 = OwnKey::derive(9, 0);
        let mut g = general(n, m, 3, &keys);
        let attack = sign_extend(Value::Attack, &[], &k0);
        let retreat = sign_extend(Value::Retreat, &[], &k0);
        assert_eq!(
            g.on_message(1, 0, &Orders(vec![attack.clone()])),
            Ok(Taken::Items(vec![0]))
        );
        assert_eq!(g.decide(), Value::Attack);
        // The same value again: ignored, unverified.
        assert_eq!(g.on_message(1, 0, &Orders(vec![attack])), Ok(Taken::Items(vec![])));
        // A second value proves the sender faulty: the default.
        assert_eq!(g.on_message(1, 0, &Orders(vec![retreat])), Ok(Taken::Items(vec![0])));
        assert_eq!(g.decide(), Value::Retreat);
        // Each relayed in round 2 to the others not in the chain.
        let sends = g.on_round(2);
        assert_eq!(sends.iter().map(|d| d.to).collect::<Vec<_>>(), vec![1, 2, 4]);
        assert!(sends.iter().all(|d| d.msg.0.len() == 2));
    }

    #[test]
    fn a_chain_of_the_wrong_length_or_signer_is_not_extracted() {
        let (n, m) = (4, 1);
        let keys = Arc::new(Keyring::derive(9, n));
        let k0 = OwnKey::derive(9, 0);
        let mut g = general(n, m, 2, &keys);
        let direct = sign_extend(Value::Attack, &[], &k0);
        // A one-signature chain in round 2, and one relayed by a general
        // that did not sign it.
        assert_eq!(
            g.on_message(2, 1, &Orders(vec![direct.clone()])),
            Ok(Taken::Items(vec![]))
        );
        let forged = sign_extend(Value::Attack, &direct.chain, &OwnKey::derive(8, 1));
        assert_eq!(g.on_message(2, 1, &Orders(vec![forged])), Ok(Taken::Items(vec![])));
        assert_eq!(g.counters().orders_rejected, 2);
        assert_eq!(g.decide(), Value::Retreat);
        // Round f + 1 = 2 extracts but relays nothing.
        let relayed = sign_extend(Value::Attack, &direct.chain, &OwnKey::derive(9, 1));
        assert_eq!(g.on_message(2, 1, &Orders(vec![relayed])), Ok(Taken::Items(vec![0])));
        assert!(g.on_round(3).is_empty());
        assert_eq!(g.decide(), Value::Attack);
    }
}
