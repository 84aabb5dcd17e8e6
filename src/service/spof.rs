//! Single points of failure (`byzlab spof`): every single part of the
//! service failed in turn, for good, under each commander policy.
//!
//! A part is a single point of failure when its fault alone makes the
//! whole fail (the lecture): here, when no order arriving at any time
//! would be served correctly in time (availability 0). A part whose fault
//! only costs some orders (retries that pass the deadline, wrong
//! dispatches) degrades the service; the table says which.

use super::{Commander, Component, ServiceError, ServiceReport, ServiceSpec, run};
use crate::types::GeneralId;
use std::fmt::Write as _;

/// One row: a part failed for good, and what each policy made of it.
#[derive(Clone, Debug)]
pub struct Row {
    /// The part (`None`: nothing failed, the baseline).
    pub component: Option<Component>,
    /// Per policy, the service's report.
    pub reports: Vec<(Commander, ServiceReport)>,
}

/// What one policy made of one fault.
pub fn verdict(r: &ServiceReport) -> &'static str {
    if r.availability <= 0.0 {
        "SPOF: service down"
    } else if r.failed {
        "degraded"
    } else {
        "tolerated"
    }
}

/// Every part of `base`'s service: each replica, each link, the commander
/// role.
pub fn components(n: usize) -> Vec<Component> {
    let mut out: Vec<Component> = (0..n as GeneralId).map(Component::Replica).collect();
    for a in 0..n as GeneralId {
        for b in a + 1..n as GeneralId {
            out.push(Component::Link(a, b));
        }
    }
    out.push(Component::CommanderRole);
    out
}

/// Fails each part of `base`'s service in turn (replicas do not otherwise
/// fail: MTTF is ignored), under each of `policies`.
pub fn table(base: &ServiceSpec, policies: &[Commander]) -> Result<Vec<Row>, ServiceError> {
    let mut rows = Vec::new();
    let parts: Vec<Option<Component>> = std::iter::once(None)
        .chain(components(base.n).into_iter().map(Some))
        .collect();
    for component in parts {
        let mut reports = Vec::new();
        for &policy in policies {
            let spec = ServiceSpec {
                mttf: None,
                commander: policy,
                permanent: component.into_iter().collect(),
                ..base.clone()
            };
            reports.push((policy, run(&spec, false)?));
        }
        rows.push(Row { component, reports });
    }
    Ok(rows)
}

/// The table in Markdown: a row per part, a column per policy, each cell
/// the verdict, the availability and the orders failed (faults and
/// failures apart: the part is the fault, the cell says whether the
/// service failed).
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    let Some(first) = rows.first() else { return s };
    let _ = write!(s, "| fault (for the whole run) |");
    for (p, _) in &first.reports {
        let _ = write!(s, " commander {p} |");
    }
    let _ = write!(s, "\n|---|");
    for _ in &first.reports {
        let _ = write!(s, "---|");
    }
    s.push('\n');
    for row in rows {
        let name = row.component.map_or("none (baseline)".to_string(), |c| c.to_string());
        let _ = write!(s, "| {name} |");
        for (_, r) in &row.reports {
            let _ = write!(
                s,
                " {}: A = {:.4}, {} of {} orders failed, {} late |",
                verdict(r),
                r.availability,
                r.orders_failed,
                r.orders.arrived,
                r.orders.late
            );
        }
        s.push('\n');
    }
    s
}

/// The parts that are single points of failure under `policy`.
pub fn spofs(rows: &[Row], policy: Commander) -> Vec<Component> {
    rows.iter()
        .filter_map(|row| {
            let r = row.reports.iter().find(|(p, _)| *p == policy)?;
            (row.component.is_some() && r.1.availability <= 0.0).then_some(row.component?)
        })
        .collect()
}
