//! `byzlab detect`: a failure detector (heartbeat or ping), one run.

use super::*;

#[derive(clap::Args)]
pub(super) struct DetectArgs {
    /// How nodes check each other: heartbeat (each says "I am up" every interval) or ping (each asks every
    /// interval and expects a reply within the timeout; a request and a reply per check).
    #[arg(long, default_value = "heartbeat", value_parser = parse_from_str::<crate::detector::Method>)]
    pub(super) method: crate::detector::Method,
    /// Number of nodes.
    #[arg(long, allow_negative_numbers = true)]
    pub(super) n: usize,
    /// A node that crashes, as ID@MS (virtual ms); repeat the flag for more.
    #[arg(long, value_parser = parse_crash)]
    pub(super) crash: Vec<(GeneralId, u64)>,
    /// Heartbeat (or ping) and check period, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 50)]
    pub(super) interval: u64,
    /// How old a peer's last heartbeat (or its oldest unanswered ping) may be before it is suspected, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 100)]
    pub(super) timeout: u64,
    /// Double a peer's timeout after each false suspicion (eventually perfect under partial synchrony).
    #[arg(long)]
    pub(super) adaptive: bool,
    #[command(flatten)]
    pub(super) model: ModelArgs,
    /// How long the run lasts, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 5000)]
    pub(super) duration: u64,
    /// Seed of the delays.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) seed: u64,
    /// Runtime: actix (nodes as actors) or direct.
    #[arg(long, default_value = "actix", value_parser = parse_from_str::<RuntimeKind>)]
    pub(super) runtime: RuntimeKind,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn cmd_detect(args: DetectArgs) -> Result<()> {
    let spec = crate::detector::DetectSpec {
        method: args.method,
        n: args.n,
        crashes: args.crash,
        interval: args.interval,
        timeout: args.timeout,
        adaptive: args.adaptive,
        timing: args.model.timing,
        delta: args.model.delta,
        gst: args.model.gst,
        duration: args.duration,
        seed: args.seed,
        runtime: args.runtime,
    };
    let r = crate::detector::detect(&spec)?;
    if args.json {
        let mut v = serde_json::to_value(&r)?;
        // detection_ms: the first and the last correct node to suspect the
        // (first) crashed node for good.
        if let (Some(obj), Some(d)) = (v.as_object_mut(), r.detections.first()) {
            obj.insert(
                "detection_ms".into(),
                serde_json::json!({ "first": d.first_ms, "last": d.last_ms }),
            );
        }
        println!("{}", serde_json::to_string(&v)?);
        return Ok(());
    }
    // GST exists only under partial synchrony.
    let partial = r.timing == TimingModel::Partial;
    let gst = if partial {
        format!(" gst={}", r.gst_ms)
    } else {
        String::new()
    };
    println!(
        "{} detector  n={}  interval={} ms  timeout={} ms{}  timing={} delta={}{gst}  {} ms  runtime={}",
        r.method,
        r.n,
        r.interval_ms,
        r.timeout_ms,
        if r.adaptive { " (adaptive)" } else { "" },
        r.timing,
        r.delta_ms,
        r.duration_ms,
        r.runtime
    );
    for d in &r.detections {
        let t = |v: Option<u64>| v.map_or("never".to_string(), |t| format!("t={t}"));
        println!(
            "node {} crashed at t={}: first suspected for good {}, by every correct node {}",
            d.node,
            d.crashed_ms,
            t(d.first_ms),
            t(d.last_ms)
        );
    }
    let after = if partial {
        format!(" ({} after GST)", r.suspicions_after_gst)
    } else {
        String::new()
    };
    let sent = match r.method {
        crate::detector::Method::Heartbeat => format!("heartbeats {}", r.heartbeats),
        crate::detector::Method::Ping => format!("messages {} (requests and replies)", r.messages),
    };
    println!(
        "false suspicions {}{after}, {sent}, largest timeout {} ms",
        r.false_suspicions, r.max_timeout_ms
    );
    println!("{}", meaning(&r));
    Ok(())
}

/// What the numbers of a detector run mean in its timing model.
fn meaning(r: &crate::detector::DetectReport) -> String {
    use crate::detector::Method;
    let known = match r.method {
        // Checked as a node sends its own: the last one left a tick ago.
        Method::Heartbeat => format!(
            "a live peer's last heartbeat is at most {} ms old at a check",
            r.interval_ms.saturating_sub(1)
        ),
        Method::Ping => format!("a live peer answers a ping within 2 delta = {} ms", 2 * r.delta_ms),
    };
    let per_s = r.messages as f64 * 1000.0 / r.duration_ms.max(1) as f64;
    let cost = format!("{per_s:.0} messages per virtual second");
    match r.timing {
        TimingModel::Sync => format!(
            "sync: delays are at most delta = {} ms, so {known}; a timeout that covers it makes the detector perfect (no false suspicion, every crash suspected), and each false suspicion \
             above says the timeout is too short. {cost}.",
            r.delta_ms
        ),
        TimingModel::Partial => format!(
            "partial synchrony: before GST ({} ms) delays have no bound and false suspicions are expected; after it \
             delays are at most {} ms, so {known}, and an adaptive timeout stops \
             suspecting live peers once it covers that (eventually perfect). {cost}.",
            r.gst_ms, r.delta_ms
        ),
        TimingModel::Async => format!(
            "async: no delay bound ever holds, so no timeout tells a crashed peer from a slow one; false suspicions \
             never stop for good, adaptive or not (FLP's reason). {cost}."
        ),
    }
}
