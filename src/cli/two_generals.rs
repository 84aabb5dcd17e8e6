//! `byzlab two-generals`: the lecture's two generals over a fair-loss channel.

use super::*;

#[derive(clap::Args)]
pub(super) struct TwoGeneralsArgs {
    /// Probability that a messenger is lost [default: 0.2].
    #[arg(long, allow_negative_numbers = true)]
    pub(super) loss: Option<f64>,
    /// Rounds of acknowledgement after the first message [default: 3].
    #[arg(long, allow_negative_numbers = true)]
    pub(super) acks: Option<u32>,
    /// Trials.
    #[arg(long, allow_negative_numbers = true, default_value_t = 10_000)]
    pub(super) trials: u64,
    /// Seed of the losses.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
    /// Instead: write the table for K = 0..10 at losses 0.1, 0.2, 0.4 (with its plot) into this folder.
    #[arg(long)]
    pub(super) table: Option<PathBuf>,
}

pub(super) fn cmd_two_generals(args: TwoGeneralsArgs) -> Result<()> {
    if let Some(out) = &args.table {
        // The table sweeps its own losses and acknowledgements.
        for (given, flag) in [
            (args.loss.is_some(), "--loss"),
            (args.acks.is_some(), "--acks"),
            (args.json, "--json"),
        ] {
            if given {
                eprintln!("warning: {flag} has no effect with --table (it covers K = 0..10 at losses 0.1, 0.2, 0.4)");
            }
        }
        println!(
            "{}",
            crate::scenarios::two_generals_table(out, args.trials, args.seed, &command_line())?
        );
        return Ok(());
    }
    let r = crate::scenarios::two_generals(args.loss.unwrap_or(0.2), args.acks.unwrap_or(3), args.trials, args.seed)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "two generals, loss {} per messenger, {} acknowledgements, {} trials: exactly one attacked in {} ({:.4}; expected (1-loss)^K x loss = {:.4}); both in {}, neither in {}",
            r.loss, r.acks, r.trials, r.disasters, r.fraction, r.expected, r.both_attack, r.neither_attacks
        );
    }
    Ok(())
}
