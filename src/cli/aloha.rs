//! `byzlab aloha`: slotted ALOHA on one shared channel (the lecture's
//! random access with exponential backoff).

use super::*;
use crate::aloha::{AlohaSpec, Backoff};

#[derive(clap::Args)]
pub(super) struct AlohaArgs {
    /// Stations sharing the channel.
    #[arg(long, allow_negative_numbers = true, default_value_t = 50)]
    pub(super) stations: usize,
    /// Offered load G, frames a slot (0 < G <= stations).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1.0)]
    pub(super) load: f64,
    /// Slots to simulate.
    #[arg(long, allow_negative_numbers = true, default_value_t = 100_000)]
    pub(super) slots: u64,
    /// After a collision: none (the textbook model, S = G e^-G) or exponential (wait 1..2^k slots after the k-th).
    #[arg(long, default_value = "none", value_parser = parse_from_str::<Backoff>)]
    pub(super) backoff: Backoff,
    /// Seed.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub(super) seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
    /// Instead: sweep the load from 0.05 to 4 under both backoffs and write the table and plot into this folder.
    #[arg(long)]
    pub(super) sweep: Option<PathBuf>,
}

pub(super) fn cmd_aloha(args: AlohaArgs) -> Result<()> {
    if let Some(out) = &args.sweep {
        for (given, flag) in [(args.json, "--json"), (args.backoff != Backoff::None, "--backoff")] {
            if given {
                eprintln!("warning: {flag} has no effect with --sweep (it runs both backoffs at every load)");
            }
        }
        if args.load != 1.0 {
            eprintln!("warning: --load has no effect with --sweep (it runs G = 0.05 to 4)");
        }
        println!(
            "{}",
            crate::aloha::sweep(out, args.stations, args.slots, args.seed, &command_line())?
        );
        return Ok(());
    }
    let r = crate::aloha::simulate(&AlohaSpec {
        stations: args.stations,
        load: args.load,
        slots: args.slots,
        backoff: args.backoff,
        seed: args.seed,
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "slotted ALOHA, {} stations, offered load G = {} frames/slot, backoff {}, {} slots, seed {}",
            r.stations, r.load, r.backoff, r.slots, r.seed
        );
        println!(
            "throughput S = {:.4} frames/slot (G e^-G = {:.4}); collisions in {:.1}% of slots, idle {:.1}%; mean delay {:.1} slots; backlog {}",
            r.throughput,
            r.analytic,
            100.0 * r.collisions as f64 / r.slots as f64,
            100.0 * r.idle as f64 / r.slots as f64,
            r.mean_delay_slots,
            r.backlog
        );
    }
    Ok(())
}
