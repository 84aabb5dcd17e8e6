//! `byzlab detect`: the heartbeat failure detector, one run.

use super::*;

#[derive(clap::Args)]
pub(super) struct DetectArgs {
    /// Number of nodes.
    #[arg(long, allow_negative_numbers = true)]
    pub(super) n: usize,
    /// A node that crashes, as ID@MS (virtual ms); repeat the flag for more.
    #[arg(long, value_parser = parse_crash)]
    pub(super) crash: Vec<(GeneralId, u64)>,
    /// Heartbeat and check period, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 50)]
    pub(super) interval: u64,
    /// How old a peer's last heartbeat may be before it is suspected, in virtual ms.
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
        "heartbeat detector  n={}  interval={} ms  timeout={} ms{}  timing={} delta={}{gst}  {} ms  runtime={}",
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
    println!(
        "false suspicions {}{after}, heartbeats {}, largest timeout {} ms",
        r.false_suspicions, r.heartbeats, r.max_timeout_ms
    );
    Ok(())
}
