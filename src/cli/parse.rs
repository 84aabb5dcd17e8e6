//! Parsers and argument groups the commands share.

use super::*;

pub(super) fn parse_crash(s: &str) -> Result<(GeneralId, u64), String> {
    crate::detector::sweep::parse_crash(s)
}

pub(super) fn parse_recover(s: &str) -> Result<(GeneralId, u64, u64), String> {
    let (id, span) = s.split_once('@').ok_or_else(|| format!("`{s}` is not ID@MS:MS"))?;
    let (down, up) = span.split_once(':').ok_or_else(|| format!("`{s}` is not ID@MS:MS"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` in `{s}` is not a time in ms"))
    };
    let id = id
        .trim()
        .parse()
        .map_err(|_| format!("`{id}` in `{s}` is not a general id"))?;
    Ok((id, num(down)?, num(up)?))
}

/// A probability, in [0, 1].
pub(super) fn parse_probability(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| format!("`{s}` is not a probability in [0, 1]"))
}

pub(super) fn parse_omission(s: &str) -> Result<(GeneralId, f64), String> {
    let (id, p) = s.split_once(':').ok_or_else(|| format!("`{s}` is not ID:P"))?;
    let id = id
        .trim()
        .parse()
        .map_err(|_| format!("`{id}` in `{s}` is not a general id"))?;
    let p = parse_probability(p).map_err(|e| format!("{e} in `{s}`"))?;
    Ok((id, p))
}

/// The timing model, all of it in virtual milliseconds.
#[derive(clap::Args, Debug)]
pub(super) struct ModelArgs {
    /// Timing model: sync (every delay within delta), partial (unbounded
    /// before --gst, within delta after it) or async (unbounded).
    #[arg(long, default_value = "sync", value_parser = parse_from_str::<TimingModel>)]
    pub(super) timing: TimingModel,
    /// The bound on a delay (sync, and partial after GST), in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = crate::timing::DEFAULT_DELTA)]
    pub(super) delta: u64,
    /// Global stabilisation time for --timing partial, in virtual ms.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub(super) gst: u64,
}

/// Time for an agreement run: the model and the round timeout.
#[derive(clap::Args, Debug)]
pub(super) struct TimingArgs {
    #[command(flatten)]
    pub(super) model: ModelArgs,
    /// How long a general waits for a round, in virtual ms [default: delta,
    /// so that under sync no frame is ever late].
    #[arg(long, allow_negative_numbers = true)]
    pub(super) timeout: Option<u64>,
}

pub(super) fn parse_from_str<T: std::str::FromStr<Err = crate::types::UnknownName>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: crate::types::UnknownName| e.to_string())
}

pub(super) fn parse_traitors(s: &str) -> Result<Vec<GeneralId>> {
    let s = s.trim();
    if s.is_empty() || s == "none" {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<GeneralId>()
                .with_context(|| format!("--traitors: `{part}` is not a general id (expected e.g. 0,3)"))
        })
        .collect()
}

pub(super) fn parse_graph(text: &str) -> Result<GraphSpec, String> {
    GraphSpec::parse(text, None).map_err(|e| e.to_string())
}
