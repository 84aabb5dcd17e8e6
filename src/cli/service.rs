//! `byzlab service`, `byzlab spof` and `byzlab availability`: the book shop
//! as a replicated service over a long virtual time.

use super::*;
use crate::service::{Commander, ServiceSpec, parse_duration, show_duration};

#[derive(clap::Args)]
pub(super) struct ServiceArgs {
    /// Algorithm each order's agreement runs: om, sm, dolev-strong, phase-king, or one a lab registered.
    #[arg(long, default_value = "sm")]
    pub(super) algorithm: String,
    /// Replicas.
    #[arg(long, allow_negative_numbers = true, default_value_t = 4)]
    pub(super) n: usize,
    /// Faults tolerated: the m of OM(m)/SM(m), and the f of the predicted availability.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub(super) f: usize,
    /// Byzantine replicas for the whole run (placed from the seed; at most f).
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) byzantine: usize,
    /// What Byzantine replicas do (see `byzlab strategies`) [default: split-brain].
    #[arg(long)]
    pub(super) strategy: Option<String>,
    /// Link between replicas (as `byzlab run --link`).
    #[arg(long, default_value = "authenticated")]
    pub(super) link: String,
    #[command(flatten)]
    pub(super) timing: TimingArgs,
    /// SM's signatures: ed25519, or ideal (same outcomes, no curve arithmetic).
    #[arg(long, default_value = "ed25519", value_parser = parse_from_str::<Signatures>)]
    pub(super) signatures: Signatures,
    /// Runtime of each agreement: direct (the default here: thousands of agreements) or actix.
    #[arg(long, default_value = "direct", value_parser = parse_from_str::<RuntimeKind>)]
    pub(super) runtime: RuntimeKind,
    /// Mean orders per virtual hour (Poisson arrivals).
    #[arg(long, allow_negative_numbers = true, default_value_t = 10.0)]
    pub(super) orders_per_hour: f64,
    /// Fraction of orders that are paid (a paid order must be dispatched, an unpaid one must not).
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.9)]
    pub(super) paid: f64,
    /// Mean time to failure of a replica, with a unit: 90s, 30m, 1000h, 30d ("never": no crashes).
    #[arg(long, default_value = "1000h")]
    pub(super) mttf: String,
    /// Mean time to repair, with a unit.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub(super) mttr: u64,
    /// Virtual time the service runs, with a unit.
    #[arg(long, default_value = "30d", value_parser = parse_duration)]
    pub(super) duration: u64,
    /// Who commands an order: fixed (replica 0), rotate (round robin per order) or detector (the next replica the
    /// failure detector does not suspect).
    #[arg(long, default_value = "fixed", value_parser = parse_commander)]
    pub(super) commander: Commander,
    /// An order confirmed later than this after it arrived is late, with a unit.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub(super) deadline: u64,
    /// How long a client waits for one attempt before retrying at another replica (doubling each time), with a unit.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub(super) client_timeout: u64,
    /// A client stops retrying this long after its order arrived, with a unit.
    #[arg(long, default_value = "1d", value_parser = parse_duration)]
    pub(super) give_up: u64,
    /// How long the failure detector takes to suspect a crashed replica, with a unit [default: measured by running
    /// the heartbeat detector (byzlab detect's defaults) among the replicas under --timing and --delta].
    #[arg(long, value_parser = parse_duration)]
    pub(super) detect: Option<u64>,
    /// Seed of orders, crashes, repairs and every agreement.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) seed: u64,
    /// Instead: fail each single part (replica, link, commander role) in turn, for good, under each commander
    /// policy, and print which is a single point of failure.
    #[arg(long)]
    pub(super) spof: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
}

/// Virtual ms as hours, the unit MTTF and MTTR are usually given in.
fn hours(ms: u64) -> String {
    format!("{} h", ((ms as f64 / 3_600_000.0) * 100.0).round() / 100.0)
}

pub(super) fn parse_commander(s: &str) -> Result<Commander, String> {
    s.parse()
}

/// The service spec of the command line.
fn spec_of(args: &ServiceArgs, registry: &Registry) -> Result<ServiceSpec> {
    let algorithm = registry.algorithms().find(&args.algorithm)?;
    let strategy = registry
        .strategies()
        .resolve(args.strategy.as_deref().unwrap_or("split-brain"))?;
    let link =
        LinkSpec::parse_with(&args.link, &LinkDefaults::default()).with_context(|| format!("--link {}", args.link))?;
    let mttf = match args.mttf.as_str() {
        "never" => None,
        other => Some(parse_duration(other).map_err(|e| anyhow::anyhow!("--mttf: {e}"))?),
    };
    if args.strategy.is_some() && args.byzantine == 0 {
        eprintln!("warning: --strategy has no effect: --byzantine is 0");
    }
    Ok(ServiceSpec {
        algorithm,
        n: args.n,
        f: args.f,
        byzantine: args.byzantine,
        strategy,
        link,
        adversaries: registry.adversaries().clone(),
        layers: registry.layers().clone(),
        timing: args.timing.model.timing,
        delta: args.timing.model.delta,
        gst: args.timing.model.gst,
        timeout: args.timing.timeout,
        signatures: args.signatures,
        runtime: args.runtime,
        orders_per_hour: args.orders_per_hour,
        paid: args.paid,
        mttf,
        mttr: args.mttr,
        duration: args.duration,
        commander: args.commander,
        deadline: args.deadline,
        client_timeout: args.client_timeout,
        give_up: args.give_up,
        detect_ms: match args.detect {
            Some(ms) => ms,
            None => crate::service::detection_time(args.n, args.timing.model.timing, args.timing.model.delta)?,
        },
        permanent: Vec::new(),
        seed: args.seed,
    })
}

pub(super) fn cmd_service(args: ServiceArgs, registry: &Registry) -> Result<()> {
    let spec = spec_of(&args, registry)?;
    if args.spof {
        let rows = crate::service::spof::table(&spec, &Commander::ALL)?;
        if args.json {
            let json: Vec<serde_json::Value> = rows
                .iter()
                .map(|row| {
                    let cells: serde_json::Map<String, serde_json::Value> = row
                        .reports
                        .iter()
                        .map(|(p, r)| {
                            (
                                p.to_string(),
                                serde_json::json!({
                                    "verdict": crate::service::spof::verdict(r),
                                    "availability": r.availability,
                                    "orders_arrived": r.orders.arrived,
                                    "orders_failed": r.orders_failed,
                                    "orders_late": r.orders.late,
                                }),
                            )
                        })
                        .collect();
                    serde_json::json!({
                        "fault": row.component.map_or("none".to_string(), |c| c.to_string()),
                        "policies": cells,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string(&json)?);
        } else {
            println!(
                "single points of failure: {} among {} (f = {}), {}, each part failed for the whole {}",
                spec.algorithm.label(&spec.f.to_string()),
                spec.n,
                spec.f,
                spec.link.label(),
                show_duration(spec.duration as f64)
            );
            print!("{}", crate::service::spof::markdown(&rows));
            for p in Commander::ALL {
                let s = crate::service::spof::spofs(&rows, p);
                let list: Vec<String> = s.iter().map(|c| c.to_string()).collect();
                println!(
                    "commander {p}: {}",
                    if list.is_empty() {
                        "no single point of failure".to_string()
                    } else {
                        format!("single point(s) of failure: {}", list.join(", "))
                    }
                );
            }
        }
        return Ok(());
    }
    let r = crate::service::run(&spec, false)?;
    for note in &r.notes {
        eprintln!("note: {note}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!(
        "book shop service  {} among n={} f={}  commander={}  link={}  timing={}  {} of virtual time  seed={}",
        r.algorithm,
        r.n,
        r.f,
        r.commander,
        r.link,
        r.timing,
        show_duration(spec.duration as f64),
        r.seed
    );
    let byz = if r.faults.byzantine.is_empty() {
        "none".to_string()
    } else {
        r.faults
            .byzantine
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    println!(
        "faults    {} replica crashes ({:.1} replica-hours down; MTTF {}, MTTR {}), Byzantine replicas: {byz}",
        r.faults.crashes,
        r.faults.replica_down_hours,
        spec.mttf.map_or("never".to_string(), hours),
        hours(spec.mttr)
    );
    let o = &r.orders;
    println!(
        "failures  {} of {} orders failed ({} served wrongly, {} never served); {} served in time, {} late; {} attempts",
        o.failed, o.arrived, o.failed_wrong, o.failed_unserved, o.served, o.late, o.attempts
    );
    let nines = r.nines.map_or("no downtime".to_string(), |n| format!("{n:.2} nines"));
    println!(
        "availability {:.6} ({nines}), downtime {:.2} min per 30 days",
        r.availability, r.downtime_per_30_days_min
    );
    if let (Some(p), Some(one)) = (r.predicted_availability, r.predicted_one_replica) {
        println!(
            "predicted  {p:.6} from MTTF and MTTR (one replica up {one:.6} of the time; {}), {:.2} min per 30 days",
            match spec.commander {
                Commander::Fixed => format!(
                    "the fixed commander up and at most {} of the others down",
                    spec.f - spec.byzantine
                ),
                _ => format!("at most {} of {} down", spec.f - spec.byzantine, spec.n),
            },
            crate::service::downtime_per_30_days_min(p)
        );
    }
    Ok(())
}
