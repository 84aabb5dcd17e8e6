//! The book shop as a replicated service (issue 23): availability in
//! nines against what MTTF and MTTR predict, faults against failures, and
//! single points of failure.

use byzlab::service::{self, Commander, Component, ServiceSpec, spof};
use std::process::Command;

fn spec(alg: byzlab::types::Algorithm) -> ServiceSpec {
    let mut s = ServiceSpec::new(alg, 4, 1).unwrap();
    s.signatures = byzlab::run::Signatures::Ideal;
    s
}

#[test]
fn the_command_reports_availability_nines_downtime_and_orders() {
    let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args([
            "service",
            "--algorithm",
            "sm",
            "--n",
            "4",
            "--f",
            "1",
            "--mttf",
            "20h",
            "--mttr",
            "2h",
            "--duration",
            "3d",
            "--seed",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "availability",
        "nines",
        "downtime_per_30_days_min",
        "orders_served",
        "orders_failed",
        "predicted_availability",
        "faults",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    let a = v["availability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&a));
    let arrived = v["orders"]["arrived"].as_u64().unwrap();
    assert_eq!(
        v["orders_served"].as_u64().unwrap()
            + v["orders"]["late"].as_u64().unwrap()
            + v["orders_failed"].as_u64().unwrap(),
        arrived
    );
    assert!(arrived > 500, "{arrived} orders in 3 days at 10 an hour");
    // A unit is required, and one clear line says so.
    let bad = Command::new(env!("CARGO_BIN_EXE_byzlab"))
        .args(["service", "--duration", "30"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("no unit") && err.lines().count() == 1, "{err}");
}

#[test]
fn measured_availability_follows_the_binomial_prediction_for_om() {
    // Many failures and repairs: 730 cycles per replica in a virtual year.
    let mut s = spec(byzlab::algorithm::OM);
    s.mttf = Some(10 * service::HOUR);
    s.mttr = 2 * service::HOUR;
    s.duration = 365 * service::DAY;
    s.orders_per_hour = 0.05;
    s.commander = Commander::Rotate;
    let r = service::run(&s, false).unwrap();
    let want = service::predicted(10.0, 2.0, 4, 1);
    assert!(
        (r.availability - want).abs() < 0.03,
        "measured {} predicted {want}",
        r.availability
    );
    // The same formula, summed in its own order: equal to rounding.
    let said = r.predicted_availability.expect("a prediction with a finite MTTF");
    assert!((said - want).abs() < 1e-12, "reported {said}, predicted {want}");
    // A fixed commander adds its own downtime: clearly lower.
    let fixed = service::run(
        &ServiceSpec {
            commander: Commander::Fixed,
            ..s.clone()
        },
        false,
    )
    .unwrap();
    assert!(
        fixed.availability < r.availability - 0.05,
        "{} {}",
        fixed.availability,
        r.availability
    );
}

#[test]
fn two_crashes_are_a_failure_for_om_and_only_faults_for_sm() {
    // Replicas 1 and 2 down for good: more than f = 1.
    let mut s = spec(byzlab::algorithm::OM);
    s.mttf = None;
    s.duration = 6 * service::HOUR;
    s.permanent = vec![Component::Replica(1), Component::Replica(2)];
    let om = service::run(&s, false).unwrap();
    // OM's last lieutenant hears the order and two defaults: a paid order
    // is not dispatched (served wrongly), an unpaid one is right.
    assert!(om.orders.failed_wrong > 0);
    assert_eq!(om.availability, 0.0);
    assert!(om.failed);
    assert_eq!(om.faults.permanent, vec!["replica 1", "replica 2"]);
    let sm = service::run(
        &ServiceSpec {
            algorithm: byzlab::algorithm::SM,
            ..s
        },
        false,
    )
    .unwrap();
    assert_eq!((sm.orders_failed, sm.availability), (0, 1.0));
    assert!(!sm.failed);
}

#[test]
fn a_fixed_commander_is_the_single_point_of_failure() {
    let mut s = spec(byzlab::algorithm::OM);
    s.duration = 3 * service::HOUR;
    let rows = spof::table(&s, &Commander::ALL).unwrap();
    assert_eq!(
        spof::spofs(&rows, Commander::Fixed),
        vec![Component::Replica(0), Component::CommanderRole]
    );
    assert!(spof::spofs(&rows, Commander::Rotate).is_empty());
    assert!(spof::spofs(&rows, Commander::Detector).is_empty());
    // Every replica, every link and the role: 4 + 6 + 1 rows, and the baseline.
    assert_eq!(rows.len(), 12);
    let md = spof::markdown(&rows);
    assert!(md.contains("| replica 0 | SPOF"), "{md}");
}

#[test]
fn the_detector_policy_uses_the_detectors_measured_time() {
    // byzlab detect's heartbeat at its defaults suspects a crash 100 ms
    // later under sync: the default the library's spec carries.
    let t = service::detection_time(4, byzlab::timing::TimingModel::Sync, byzlab::timing::DEFAULT_DELTA).unwrap();
    assert_eq!(t, 100);
    assert_eq!(spec(byzlab::algorithm::OM).detect_ms, t);
    // Slower delays, later detection.
    assert!(service::detection_time(4, byzlab::timing::TimingModel::Sync, 60).unwrap() > t);
}

#[test]
fn bad_settings_are_refused_before_any_run() {
    let mut s = spec(byzlab::algorithm::SM);
    s.byzantine = 2;
    assert!(service::run(&s, false).unwrap_err().to_string().contains("at most f"));
    let mut s = spec(byzlab::algorithm::SM);
    s.orders_per_hour = 1e5;
    s.duration = 3650 * service::DAY;
    assert!(
        service::run(&s, false)
            .unwrap_err()
            .to_string()
            .contains("the limit is")
    );
    let mut s = spec(byzlab::algorithm::SM);
    s.permanent = vec![Component::Link(1, 9)];
    assert!(
        service::run(&s, false)
            .unwrap_err()
            .to_string()
            .contains("does not exist")
    );
}

#[test]
fn a_run_reports_its_faults_and_its_failure_apart() {
    let run = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_byzlab"))
            .args(["run", "--runtime", "direct", "--json"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Two faults, a traitor and a crash.
    let ok = run(&[
        "--algorithm",
        "om",
        "--n",
        "4",
        "--f",
        "2",
        "--m",
        "1",
        "--traitors",
        "3",
        "--crash",
        "2@0",
    ]);
    // Beyond it (the paper's three generals, one traitor): OM fails.
    let broken = run(&["--algorithm", "om", "--n", "3", "--f", "1", "--traitors", "2"]);
    for v in [&ok, &broken] {
        let holds = v["agreement"].as_bool().unwrap() && v["validity"].as_bool().unwrap();
        assert_eq!(v["system_failed"].as_bool(), Some(!holds), "{v}");
    }
    assert_eq!(ok["faults_injected"].as_u64(), Some(2));
    assert_eq!(broken["faults_injected"].as_u64(), Some(1));
    assert_eq!(broken["system_failed"].as_bool(), Some(true), "{broken}");
}

#[test]
fn a_client_that_waits_less_than_an_agreement_retries_with_doubled_waits() {
    // A retransmitting link raises SM(1)'s rounds to 6385 ms: 12.8 s to
    // decide, more than the 5 s first wait; the third wait (20 s) sees it.
    let mut s = spec(byzlab::algorithm::SM);
    s.link = "reliable".parse().unwrap();
    s.mttf = None;
    s.duration = 3 * service::HOUR;
    let r = service::run(&s, false).unwrap();
    assert!(r.orders.arrived > 10);
    assert_eq!(r.orders_served, r.orders.arrived, "{:?}", r.orders);
    assert_eq!(r.orders.attempts, 3 * r.orders.arrived);
    assert!(r.notes.iter().any(|n| n.contains("--client-timeout")), "{:?}", r.notes);
    // Waiting long enough, one attempt each and no note.
    s.client_timeout = 15_000;
    let r = service::run(&s, false).unwrap();
    assert_eq!(r.orders.attempts, r.orders.arrived);
    assert!(r.notes.is_empty());
}
