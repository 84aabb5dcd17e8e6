//! The lecture's shared channel: slotted ALOHA (Abramson 1970; Roberts
//! 1972 for the slots). N stations share one channel; time is cut into
//! slots of one frame; a station with a frame sends it in a slot; two or
//! more in one slot collide and all of them are lost; one alone succeeds.
//!
//! * `Backoff::None`, the textbook model behind S = G e^-G: every station
//!   always has a frame and sends it in each slot with probability G / N,
//!   so the channel is offered G frames a slot (new frames and
//!   retransmissions alike). With N stations the throughput is exactly
//!   G (1 - G/N)^(N-1), which tends to G e^-G as N grows (50 stations at
//!   G = 1: 0.3716 against 1/e = 0.3679).
//! * `Backoff::Exponential`, the lecture's "one or two turns later, then
//!   one to four, then one to eight": new frames arrive at each station at
//!   G / N a slot (a Bernoulli stream) and queue there; a station sends its
//!   first frame in the slot after it arrives, and after the k-th collision
//!   of a frame waits a whole number of slots drawn uniformly from
//!   1..=2^k (k capped at 10) before trying again. Symmetry is broken by
//!   the draw: colliding stations come back at different times.
//!
//! Everything random comes from the seed (ChaCha, one stream per station);
//! the work is counted before it starts (stations x slots).

use crate::rng::{Purpose, RunRng, stream};
use rand::RngExt;
use serde::Serialize;
use std::collections::VecDeque;

/// Most station-slots one simulation may take (about a minute here).
pub const MAX_STATION_SLOTS: u128 = 20_000_000_000;

/// Largest backoff exponent: waits of at most 2^10 slots.
pub const MAX_BACKOFF_EXPONENT: u32 = 10;

/// What a station does after a collision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backoff {
    /// No backoff: the textbook p-persistent model, offered load fixed.
    None,
    /// Binary exponential backoff: 1..=2^k slots after the k-th collision.
    Exponential,
}

impl std::str::FromStr for Backoff {
    type Err = crate::names::UnknownName;
    fn from_str(s: &str) -> Result<Backoff, Self::Err> {
        match s {
            "none" => Ok(Backoff::None),
            "exponential" => Ok(Backoff::Exponential),
            other => Err(crate::names::UnknownName {
                kind: "backoff",
                got: other.to_string(),
                expected: "none or exponential",
            }),
        }
    }
}

impl std::fmt::Display for Backoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backoff::None => "none",
            Backoff::Exponential => "exponential",
        })
    }
}

/// One simulation, as asked for.
#[derive(Clone, Copy, Debug)]
pub struct AlohaSpec {
    /// Stations sharing the channel.
    pub stations: usize,
    /// Offered load G: frames a slot.
    pub load: f64,
    /// Slots simulated.
    pub slots: u64,
    /// What a station does after a collision.
    pub backoff: Backoff,
    /// Seed of every draw.
    pub seed: u64,
}

/// What a simulation measured.
#[derive(Clone, Debug, Serialize)]
pub struct AlohaReport {
    /// Stations.
    pub stations: usize,
    /// Offered load G.
    pub load: f64,
    /// Slots simulated.
    pub slots: u64,
    /// Backoff.
    pub backoff: Backoff,
    /// Seed.
    pub seed: u64,
    /// Successful frames a slot (S).
    pub throughput: f64,
    /// The textbook curve at this load, G e^-G.
    pub analytic: f64,
    /// Frames sent alone in a slot.
    pub successes: u64,
    /// Slots in which two or more stations sent.
    pub collisions: u64,
    /// Slots nobody sent in.
    pub idle: u64,
    /// Transmissions, successful or not.
    pub attempts: u64,
    /// Mean slots from a frame's arrival (under `none`: from its reaching
    /// the head of its station's queue) to its success, the success's slot
    /// included.
    pub mean_delay_slots: f64,
    /// Frames still waiting at the end (exponential backoff; 0 under none,
    /// whose stations always have one).
    pub backlog: u64,
}

/// A simulation that cannot run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AlohaError {
    /// Fewer than one station, or more than a million.
    #[error("--stations {0}: give 1 to 1000000 stations")]
    Stations(usize),
    /// A load outside (0, stations].
    #[error(
        "--load {load}: the offered load must be above 0 and at most the number of stations ({stations}): each station offers at most one frame a slot"
    )]
    Load {
        /// The load.
        load: f64,
        /// Stations.
        stations: usize,
    },
    /// No slot.
    #[error("--slots 0: give at least one slot")]
    Slots,
    /// Too much work.
    #[error(
        "{stations} stations x {slots} slots = {work} station-slots; at most {MAX_STATION_SLOTS} (about a minute): lower --slots or --stations"
    )]
    Work {
        /// Stations.
        stations: usize,
        /// Slots.
        slots: u64,
        /// Their product.
        work: u128,
    },
}

impl AlohaSpec {
    /// Checks the spec and its cost.
    pub fn check(&self) -> Result<(), AlohaError> {
        if !(1..=1_000_000).contains(&self.stations) {
            return Err(AlohaError::Stations(self.stations));
        }
        if !(self.load > 0.0 && self.load <= self.stations as f64) {
            return Err(AlohaError::Load {
                load: self.load,
                stations: self.stations,
            });
        }
        if self.slots == 0 {
            return Err(AlohaError::Slots);
        }
        let work = self.stations as u128 * u128::from(self.slots);
        if work > MAX_STATION_SLOTS {
            return Err(AlohaError::Work {
                stations: self.stations,
                slots: self.slots,
                work,
            });
        }
        Ok(())
    }
}

/// A station under exponential backoff.
struct Station {
    rng: RunRng,
    /// Arrival slots of its waiting frames, oldest first.
    queue: VecDeque<u64>,
    /// The slot it sends its head frame in.
    next_try: u64,
    /// Collisions of its head frame so far.
    collisions: u32,
}

/// Runs one simulation.
pub fn simulate(spec: &AlohaSpec) -> Result<AlohaReport, AlohaError> {
    spec.check()?;
    let q = spec.load / spec.stations as f64;
    let mut stations: Vec<Station> = (0..spec.stations)
        .map(|i| Station {
            rng: stream(spec.seed, Purpose::Link, i as u64),
            queue: VecDeque::new(),
            next_try: 0,
            collisions: 0,
        })
        .collect();
    let (mut successes, mut collisions, mut idle, mut attempts, mut delay) = (0u64, 0u64, 0u64, 0u64, 0u128);
    let mut sending: Vec<usize> = Vec::new();
    for slot in 0..spec.slots {
        sending.clear();
        for (i, s) in stations.iter_mut().enumerate() {
            match spec.backoff {
                // Always a frame at the head (its wait counted from `next_try`).
                Backoff::None => {
                    if s.rng.random_bool(q) {
                        sending.push(i);
                    }
                }
                Backoff::Exponential => {
                    if s.rng.random_bool(q) {
                        if s.queue.is_empty() {
                            s.next_try = slot + 1; // sent in the next slot
                        }
                        s.queue.push_back(slot);
                    }
                    if !s.queue.is_empty() && s.next_try == slot {
                        sending.push(i);
                    }
                }
            }
        }
        attempts += sending.len() as u64;
        match sending.as_slice() {
            [] => idle += 1,
            [one] => {
                successes += 1;
                let s = &mut stations[*one];
                let since = match spec.backoff {
                    Backoff::None => s.next_try,
                    Backoff::Exponential => s.queue.pop_front().map_or(slot, |a| a + 1),
                };
                delay += u128::from(slot + 1 - since.min(slot));
                s.collisions = 0;
                s.next_try = slot + 1;
            }
            many => {
                collisions += 1;
                if spec.backoff == Backoff::Exponential {
                    for &i in many {
                        let s = &mut stations[i];
                        s.collisions += 1;
                        let k = s.collisions.min(MAX_BACKOFF_EXPONENT);
                        s.next_try = slot + s.rng.random_range(1..=1u64 << k);
                    }
                }
            }
        }
    }
    let backlog = stations.iter().map(|s| s.queue.len() as u64).sum();
    Ok(AlohaReport {
        stations: spec.stations,
        load: spec.load,
        slots: spec.slots,
        backoff: spec.backoff,
        seed: spec.seed,
        throughput: successes as f64 / spec.slots as f64,
        analytic: spec.load * (-spec.load).exp(),
        successes,
        collisions,
        idle,
        attempts,
        mean_delay_slots: if successes == 0 {
            0.0
        } else {
            delay as f64 / successes as f64
        },
        backlog,
    })
}

/// The loads of the sweep: from light to four times overload.
pub const SWEEP_LOADS: [f64; 12] = [0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0];

/// Every load of [`SWEEP_LOADS`] under both backoffs, `stations` stations,
/// `slots` slots, written into `out` (summary.md, aloha.csv,
/// throughput.svg, README.md); returns a line saying what it wrote.
pub fn sweep(
    out: &std::path::Path,
    stations: usize,
    slots: u64,
    seed: u64,
    command: &str,
) -> Result<String, SweepError> {
    // Every run checked, and the whole sweep's work counted, before the
    // folder is claimed.
    let specs: Vec<AlohaSpec> = [Backoff::None, Backoff::Exponential]
        .into_iter()
        .flat_map(|backoff| {
            SWEEP_LOADS.into_iter().map(move |load| AlohaSpec {
                stations,
                load,
                slots,
                backoff,
                seed,
            })
        })
        .collect();
    for s in &specs {
        s.check()?;
    }
    let work = specs.len() as u128 * stations as u128 * u128::from(slots);
    if work > MAX_STATION_SLOTS {
        return Err(AlohaError::Work { stations, slots, work }.into());
    }
    let legacy = crate::folder::legacy_names(&["summary.md", "aloha.csv", "throughput.svg", "README.md"]);
    let mut folder = crate::folder::Folder::claim(out, "aloha --sweep", Some(&legacy))?;
    let reports: Vec<AlohaReport> = specs.iter().map(simulate).collect::<Result<_, _>>()?;
    let mut csv = String::from(
        "backoff,stations,load,slots,seed,throughput,analytic,successes,collisions,idle,attempts,mean_delay_slots,backlog\n",
    );
    for r in &reports {
        csv.push_str(&format!(
            "{},{},{},{},{},{:.6},{:.6},{},{},{},{},{:.3},{}\n",
            r.backoff,
            r.stations,
            r.load,
            r.slots,
            r.seed,
            r.throughput,
            r.analytic,
            r.successes,
            r.collisions,
            r.idle,
            r.attempts,
            r.mean_delay_slots,
            r.backlog
        ));
    }
    let of = |b: Backoff| reports.iter().filter(move |r| r.backoff == b);
    let mut md = format!(
        "# aloha\n\nMade by `{command}` with byzlab {}: {stations} stations, {slots} slots per load, seed {seed}.\n\n\
         Slotted ALOHA on one shared channel: a frame alone in a slot gets through, two or more collide and are \
         all lost. **No backoff** is the textbook model: every station always has a frame and sends it in a slot \
         with probability G/N, so the channel is offered G frames a slot; its throughput is G(1-G/N)^(N-1), close \
         to the analytic S = G e^-G, at most 1/e = 0.368 at G = 1, falling towards zero as the load grows (more \
         slots hold collisions than single frames: the channel looks busy and delivers almost nothing). \
         **Exponential backoff** is the lecture's rule: new frames arrive at G/N a slot per station and queue; \
         after its k-th collision a frame waits 1 to 2^k slots (k at most 10). Under light load (G up to 0.25 \
         here) it delivers what is offered with a delay of a few slots; from about G = 0.5 on, arrivals outpace it \
         (binary exponential backoff on a shared slotted channel is known to be unstable there): queues and delays \
         grow without bound (`backlog`, `mean_delay_slots`). Yet the channel does not collapse: stations that \
         collided back off for longer and longer while the one that got through sends its next frame at once, so \
         one station at a time holds the channel (the capture effect) and throughput stays far above G e^-G, \
         unfairly.\n\n\
         | G | S = G e^-G | no backoff: S | collisions / slot | exponential: S | collisions / slot | mean delay (slots) | backlog |\n\
         |---|---|---|---|---|---|---|---|\n",
        env!("CARGO_PKG_VERSION")
    );
    for (a, b) in of(Backoff::None).zip(of(Backoff::Exponential)) {
        md.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {} |\n",
            a.load,
            a.analytic,
            a.throughput,
            a.collisions as f64 / a.slots as f64,
            b.throughput,
            b.collisions as f64 / b.slots as f64,
            b.mean_delay_slots,
            b.backlog
        ));
    }
    md.push_str("\n![throughput.svg](throughput.svg)\n");
    let series = |b: Backoff, name: &str| {
        (
            name.to_string(),
            of(b).map(|r| (r.load, r.throughput)).collect::<Vec<_>>(),
        )
    };
    let curve: Vec<(f64, f64)> = (1..=400)
        .map(|i| f64::from(i) / 100.0)
        .map(|g| (g, g * (-g).exp()))
        .collect();
    crate::experiment::plots::throughput_chart(
        &folder.file("throughput.svg")?,
        &format!("Slotted ALOHA, {stations} stations: throughput against offered load"),
        &[
            series(Backoff::None, "no backoff (measured)"),
            series(Backoff::Exponential, "exponential backoff (measured)"),
        ],
        ("S = G e^-G (analytic)".to_string(), curve),
    )
    .map_err(|e| SweepError::Plot(e.to_string()))?;
    folder.write("summary.md", md)?;
    folder.write("aloha.csv", csv)?;
    folder.write(
        "README.md",
        format!(
            "# results/aloha\n\nProduced by the committed code with:\n\n    {command}\n\nDo not edit by hand: rerun the \
             command. Files: `summary.md` (the table), `aloha.csv` (one row per backoff and load), `throughput.svg`.\n"
        ),
    )?;
    Ok(format!("{} simulations; results in {}", reports.len(), out.display()))
}

/// A sweep that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A bad parameter or too much work.
    #[error(transparent)]
    Spec(#[from] AlohaError),
    /// The folder.
    #[error(transparent)]
    Folder(#[from] crate::folder::FolderError),
    /// The plot.
    #[error("throughput.svg: {0}")]
    Plot(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(load: f64, backoff: Backoff) -> AlohaSpec {
        AlohaSpec {
            stations: 50,
            load,
            slots: 100_000,
            backoff,
            seed: 1,
        }
    }

    #[test]
    fn without_backoff_the_throughput_is_the_textbook_curve() {
        for (load, want) in [(1.0, 1.0 / std::f64::consts::E), (0.5, 0.303), (2.0, 0.271)] {
            let r = simulate(&spec(load, Backoff::None)).unwrap();
            assert!(
                (r.throughput - want).abs() < 0.02,
                "G={load}: {} vs {want}",
                r.throughput
            );
            // N stations: G (1 - G/N)^(N-1) exactly, within sampling noise.
            let exact = load * (1.0 - load / 50.0f64).powi(49);
            assert!(
                (r.throughput - exact).abs() < 0.006,
                "G={load}: {} vs {exact}",
                r.throughput
            );
            assert_eq!(r.successes + r.collisions + r.idle, r.slots);
        }
    }

    #[test]
    fn exponential_backoff_delivers_light_load_and_holds_up_under_overload() {
        let light = simulate(&spec(0.2, Backoff::Exponential)).unwrap();
        assert!((light.throughput - 0.2).abs() < 0.01, "{}", light.throughput);
        let heavy = simulate(&spec(3.0, Backoff::Exponential)).unwrap();
        let none = simulate(&spec(3.0, Backoff::None)).unwrap();
        assert!(
            heavy.throughput > 2.0 * none.throughput,
            "{} vs {}",
            heavy.throughput,
            none.throughput
        );
        assert!(heavy.backlog > 0);
    }

    #[test]
    fn same_seed_same_counts_and_bad_specs_are_refused() {
        let a = simulate(&spec(1.0, Backoff::Exponential)).unwrap();
        let b = simulate(&spec(1.0, Backoff::Exponential)).unwrap();
        assert_eq!((a.successes, a.collisions, a.idle), (b.successes, b.collisions, b.idle));
        let bad = |f: fn(&mut AlohaSpec)| {
            let mut s = spec(1.0, Backoff::None);
            f(&mut s);
            simulate(&s).unwrap_err().to_string()
        };
        assert!(bad(|s| s.load = 0.0).contains("above 0"));
        assert!(bad(|s| s.load = f64::NAN).contains("--load"));
        assert!(bad(|s| s.load = 51.0).contains("at most the number of stations"));
        assert!(bad(|s| s.stations = 0).contains("--stations 0"));
        assert!(bad(|s| s.slots = 0).contains("--slots 0"));
        assert!(bad(|s| s.slots = u64::MAX).contains("station-slots"));
    }
}
