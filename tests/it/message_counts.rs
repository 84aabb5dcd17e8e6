//! OM(m) sends sum over k = 0..m of (n-1)(n-2)...(n-1-k) messages (paper,
//! section 3: OM(m) "requires ... (n-1)(n-2)...(n-m-1) messages" in its last
//! round). Counted here from what the runtime actually carried.

use crate::common::{plan, run};
use byzlab::protocol::om::message_count;
use byzlab::run::RuntimeKind;
use byzlab::types::Value;

#[test]
fn om_counts_match_the_formula() {
    for (n, m, want) in [(4, 1, 9u64), (7, 2, 156), (10, 3, 3609), (13, 4, 108_384)] {
        assert_eq!(message_count(n, m), want);
        // no traitors, and m traitors that behave honestly: the same count
        for traitors in [vec![], (1..=m as u16).collect::<Vec<_>>()] {
            let r = run(&plan(byzlab::algorithm::OM, n, m, &traitors, "honest", Value::Attack));
            assert_eq!(r.outcome.counters.messages, want, "n={n} m={m} traitors={traitors:?}");
            assert_eq!(r.outcome.rounds as usize, m + 1);
        }
    }
}

#[test]
fn om_counts_match_in_the_actix_runtime() {
    let p = (plan(byzlab::algorithm::OM, 7, 2, &[], "honest", Value::Retreat))
        .vary(|s| s.runtime = RuntimeKind::Actix)
        .unwrap();
    assert_eq!(run(&p).outcome.counters.messages, 156);
}

#[test]
fn silent_traitors_send_fewer_messages() {
    // A silent lieutenant sends nothing in rounds 2..m+1.
    let honest = run(&plan(byzlab::algorithm::OM, 7, 2, &[3], "honest", Value::Attack))
        .outcome
        .counters
        .messages;
    let silent = run(&plan(byzlab::algorithm::OM, 7, 2, &[3], "silent", Value::Attack))
        .outcome
        .counters
        .messages;
    // general 3 would relay 5 values in round 2 and 5*4 in round 3
    assert_eq!(honest - silent, 5 + 20);
}

#[test]
fn sm_with_loyal_commander_sends_one_order_and_one_relay_each() {
    // Every lieutenant accepts the order in round 1 and relays it once to the
    // n-2 others; every later copy is ignored, so nothing more is sent.
    for (n, m) in [(4, 1), (7, 3), (10, 2)] {
        let r = run(&plan(byzlab::algorithm::SM, n, m, &[], "honest", Value::Attack));
        let l = (n - 1) as u64;
        assert_eq!(r.outcome.counters.messages, l + l * (l - 1), "n={n} m={m}");
        assert_eq!(r.outcome.counters.signatures_made, 1 + l);
    }
}
