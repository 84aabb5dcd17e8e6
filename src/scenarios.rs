//! The lecture's two scenarios, runnable: the two generals, who can never
//! be sure, and the online book shop, where customer, shop and payment
//! service must agree.

use crate::link::fair_loss::FairLoss;
use crate::link::{Carried, Link, LinkAction};
use crate::run::{RunSpec, RuntimeKind};
use crate::types::{Algorithm, Envelope, GeneralId, Value};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// The two generals over a fair-loss channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TwoGenerals {
    /// Probability that a messenger is lost.
    pub loss: f64,
    /// Rounds of acknowledgement after the first message.
    pub acks: u32,
    /// Trials run.
    pub trials: u64,
    /// Seed of the losses.
    pub seed: u64,
    /// Trials in which exactly one general attacked: the disaster.
    pub disasters: u64,
    /// Trials in which both attacked.
    pub both_attack: u64,
    /// Trials in which neither attacked.
    pub neither_attacks: u64,
    /// `disasters / trials`.
    pub fraction: f64,
    /// What it must be: the chain delivered up to its last message, and
    /// that one lost: (1 - loss)^acks x loss.
    pub expected: f64,
}

/// Why a scenario cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A probability outside [0, 1].
    #[error("--loss {0} is outside [0, 1]")]
    Loss(f64),
    /// Too many or no trials.
    #[error("--trials {0}: give 1 to 100000000")]
    Trials(u64),
    /// Too many acknowledgements.
    #[error("--acks {0}: give at most 1000")]
    Acks(u32),
    /// Too much work in all.
    #[error("--trials x (--acks + 1) = {0} messengers; give at most {MAX_MESSENGERS}")]
    Work(u128),
    /// A run of the book shop failed.
    #[error(transparent)]
    Run(#[from] crate::runtime::RunFailure),
    /// The output folder is not byzlab's, or another byzlab writes it.
    #[error(transparent)]
    Folder(#[from] crate::folder::FolderError),
    /// Writing results failed.
    #[error("{path}: {source}")]
    Io {
        /// File or folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Most messengers one `two-generals` call sends (trials x (acks + 1)):
/// about ten seconds.
pub const MAX_MESSENGERS: u64 = 200_000_000;

/// General A has decided to attack at dawn and sends a messenger to B;
/// then the generals acknowledge in turn, `acks` times (B acknowledges A's
/// message, A acknowledges that, ...). Each messenger crosses a fair-loss
/// channel, and the chain stops at the first one lost. A general attacks
/// if and only if it received every message meant for it (A with no
/// acknowledgement to wait for always attacks). Exactly one attacks
/// precisely when the last messenger is lost after all the others got
/// through: whatever `acks`, the last messenger's sender cannot know.
pub fn two_generals(loss: f64, acks: u32, trials: u64, seed: u64) -> Result<TwoGenerals, ScenarioError> {
    if !(0.0..=1.0).contains(&loss) {
        return Err(ScenarioError::Loss(loss));
    }
    if !(1..=100_000_000).contains(&trials) {
        return Err(ScenarioError::Trials(trials));
    }
    if acks > 1000 {
        return Err(ScenarioError::Acks(acks));
    }
    // The work is the messengers sent: trials x (acks + 1), bounded as a
    // whole (each bound alone still allowed 10^11 of them).
    let messengers = u128::from(trials) * (u128::from(acks) + 1);
    if messengers > u128::from(MAX_MESSENGERS) {
        return Err(ScenarioError::Work(messengers));
    }
    let mut channel = FairLoss::new(loss, 0.0, seed);
    let mut out: Vec<Carried> = Vec::new();
    let (mut disasters, mut both, mut neither) = (0, 0, 0);
    for _ in 0..trials {
        // Messages 0..=acks: even ones from A (0) to B (1), odd ones back.
        let mut delivered = 0;
        for i in 0..=acks {
            let (from, to): (GeneralId, GeneralId) = if i % 2 == 0 { (0, 1) } else { (1, 0) };
            let env = Envelope {
                round: i + 1,
                from,
                to,
                bytes: Default::default(),
                original: None,
                link: None,
            };
            channel.carry(from, env, &mut out);
            let arrived = out.drain(..).any(|c| c.action == LinkAction::Delivered);
            if !arrived {
                break;
            }
            delivered += 1;
        }
        // The last message meant for each general, by index.
        let last_to = |general: u32| (0..=acks).rev().find(|i| i % 2 != general);
        let attacks = |general: u32| last_to(general).is_none_or(|i| delivered > i);
        match (attacks(0), attacks(1)) {
            (true, true) => both += 1,
            (false, false) => neither += 1,
            _ => disasters += 1,
        }
    }
    Ok(TwoGenerals {
        loss,
        acks,
        trials,
        seed,
        disasters,
        both_attack: both,
        neither_attacks: neither,
        fraction: disasters as f64 / trials as f64,
        expected: (1.0 - loss).powi(acks as i32) * loss,
    })
}

/// The lecture's table: the disaster's frequency for 0..=10 acknowledgements
/// at a few losses, with its plot, into `out`.
pub fn two_generals_table(out: &Path, trials: u64, seed: u64, command: &str) -> Result<String, ScenarioError> {
    // The whole table's messengers, before the folder or any work: three
    // losses, K = 0..=10, K + 1 messengers a trial at most.
    let messengers = 3 * 66 * u128::from(trials);
    if messengers > u128::from(MAX_MESSENGERS) {
        return Err(ScenarioError::Work(messengers));
    }
    let legacy = crate::folder::legacy_names(&["summary.md", "runs.csv", "disaster.svg", "README.md"]);
    let mut folder = crate::folder::Folder::claim(out, "two-generals --table", Some(&legacy))?;
    let losses = [0.1, 0.2, 0.4];
    let mut csv = String::from("loss,acks,trials,disasters,fraction,expected\n");
    let mut series = Vec::new();
    let mut md = format!(
        "# two-generals\n\nMade by `{command}` with byzlab {}: {trials} trials per cell, seed {seed}.\n\n\
         General A sends \"attack at dawn\" to B over a fair-loss channel, and the generals then acknowledge in \
         turn K times; each general attacks if and only if it received every message meant for it. The \
         disaster, exactly one attacking, happens exactly when the last messenger is lost after all the others \
         arrived: probability (1 - loss)^K x loss. More acknowledgements make it rarer, but no number of them \
         makes it impossible: the sender of the last message can never know it arrived.\n\n\
         | acks K | {} |\n|---|{}\n",
        env!("CARGO_PKG_VERSION"),
        losses.map(|l| format!("loss {l}: measured (expected)")).join(" | "),
        "---|".repeat(losses.len())
    );
    let mut rows: Vec<Vec<TwoGenerals>> = Vec::new();
    for acks in 0..=10 {
        rows.push(
            losses
                .iter()
                .map(|&l| two_generals(l, acks, trials, seed))
                .collect::<Result<_, _>>()?,
        );
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .map(|r| format!("{:.4} ({:.4})", r.fraction, r.expected))
            .collect();
        let _ = writeln!(md, "| {} | {} |", row[0].acks, cells.join(" | "));
        for r in row {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{}",
                r.loss, r.acks, r.trials, r.disasters, r.fraction, r.expected
            );
        }
    }
    for (k, &l) in losses.iter().enumerate() {
        let pts = rows
            .iter()
            .map(|row| (f64::from(row[k].acks), row[k].fraction, row[k].expected))
            .collect();
        series.push((format!("loss {l}"), pts));
    }
    let _ = writeln!(md, "\n![disaster.svg](disaster.svg)");
    crate::experiment::plots::two_panels(
        &folder.file("disaster.svg")?,
        "Two generals: runs where exactly one attacks",
        "rounds of acknowledgement K",
        ("measured share of trials", true),
        ("expected: (1 - loss)^K x loss", true),
        &series,
        plotters::chart::SeriesLabelPosition::UpperRight,
    )
    .map_err(|e| ScenarioError::Io {
        path: "disaster.svg".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    for (name, body) in [("summary.md", md), ("runs.csv", csv)] {
        folder.write(name, body)?;
    }
    folder.write(
        "README.md",
        format!(
            "# results/two-generals\n\nProduced by the committed code with:\n\n    {command}\n\nDo not edit by hand: rerun the command. \
             Files: `summary.md` (the table), `runs.csv`, `disaster.svg`.\n"
        ),
    )?;
    Ok(format!(
        "{} cells; results in {}",
        rows.len() * losses.len(),
        out.display()
    ))
}

/// A party of the book shop, and the general it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The customer, who orders (the commander, general 0).
    Customer,
    /// The shop, which dispatches (lieutenant 1).
    Shop,
    /// The payment service, which charges (lieutenant 2).
    Payment,
}

impl Party {
    /// Its general id.
    pub fn id(self) -> GeneralId {
        match self {
            Party::Customer => 0,
            Party::Shop => 1,
            Party::Payment => 2,
        }
    }
}

/// One run of the book shop.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BookShop {
    /// OM(1) or SM(1).
    pub algorithm: Algorithm,
    /// The Byzantine party, if any.
    pub byzantine: Option<Party>,
    /// What the customer ordered (`attack` = buy, `retreat` = cancel).
    pub order: Value,
    /// Whether the shop dispatches (if it is honest).
    pub dispatch: Option<bool>,
    /// Whether the payment service charges (if it is honest).
    pub charge: Option<bool>,
    /// The honest parties agree (IC1) and, with an honest customer, do what
    /// it ordered (IC2): dispatch if and only if charged, as ordered.
    pub consistent: bool,
    /// Seed.
    pub seed: u64,
}

/// Customer (commander), shop and payment service (lieutenants) agree on an
/// order with OM(1) or SM(1), one of them possibly Byzantine: a Byzantine
/// customer tells the shop "buy" and the payment service "cancel"; a
/// Byzantine shop or payment service lies about what the customer said.
/// Three parties, one traitor: OM cannot guarantee consistency (n <= 3f,
/// the paper's Fig. 1 and 2); SM can, as a lie about a signed order is
/// caught.
pub fn book_shop(
    algorithm: Algorithm,
    byzantine: Option<Party>,
    order: Value,
    seed: u64,
) -> Result<BookShop, ScenarioError> {
    let mut spec = RunSpec::new(algorithm, 3, 1).map_err(crate::runtime::RunFailure::from)?;
    spec.traitors = Some(byzantine.map(Party::id).into_iter().collect());
    let strategy = match byzantine {
        Some(Party::Customer) => "split-brain",
        _ => "flip",
    };
    spec.strategy = crate::traitor::resolve(strategy).map_err(crate::runtime::RunFailure::from)?;
    spec.value = order;
    spec.seed = seed;
    spec.runtime = RuntimeKind::Direct;
    let plan = spec.validate().map_err(crate::runtime::RunFailure::from)?;
    let o = crate::runtime::execute(&plan)
        .map_err(crate::runtime::RunFailure::from)?
        .outcome;
    let decided = |p: Party| o.decisions.get(&p.id()).map(|v| *v == Value::Attack);
    Ok(BookShop {
        algorithm,
        byzantine,
        order,
        dispatch: decided(Party::Shop),
        charge: decided(Party::Payment),
        consistent: o.agreement && o.validity,
        seed,
    })
}

/// Every algorithm x Byzantine party x order, into `out`.
pub fn book_shop_table(out: &Path, command: &str) -> Result<String, ScenarioError> {
    let legacy = crate::folder::legacy_names(&["summary.md", "runs.csv", "README.md"]);
    let mut folder = crate::folder::Folder::claim(out, "book-shop --table", Some(&legacy))?;
    let parties = [None, Some(Party::Customer), Some(Party::Shop), Some(Party::Payment)];
    let mut csv = String::from("algorithm,byzantine,order,dispatch,charge,consistent\n");
    let mut md = format!(
        "# book-shop\n\nMade by `{command}` with byzlab {}.\n\nA customer orders a book (buy or cancel); the shop must \
         dispatch if and only if the payment service charges, and both must do what an honest customer ordered. \
         The customer is the commander, shop and payment service the lieutenants, one party at most Byzantine: \
         three generals and one traitor. OM(1) cannot guarantee it (n <= 3f): a lying shop makes the payment \
         service refuse a genuine order. SM(1) can: a lie about a signed order is caught.\n\n\
         | algorithm | Byzantine | order | shop dispatches | payment charges | consistent |\n|---|---|---|---|---|---|\n",
        env!("CARGO_PKG_VERSION")
    );
    let show = |b: Option<bool>| b.map_or("(Byzantine)".to_string(), |b| if b { "yes" } else { "no" }.to_string());
    let mut verdicts = Vec::new();
    for alg in [crate::algorithm::OM, crate::algorithm::SM] {
        let mut all = true;
        for b in parties {
            for order in [Value::Attack, Value::Retreat] {
                let r = book_shop(alg, b, order, 0)?;
                all &= r.consistent;
                let who = b.map_or("none".to_string(), |p| format!("{p:?}").to_lowercase());
                let order = if order == Value::Attack { "buy" } else { "cancel" };
                let _ = writeln!(
                    md,
                    "| {} | {who} | {order} | {} | {} | {} |",
                    alg.as_str().to_uppercase(),
                    show(r.dispatch),
                    show(r.charge),
                    if r.consistent { "yes" } else { "**no**" }
                );
                let _ = writeln!(
                    csv,
                    "{alg},{who},{order},{},{},{}",
                    show(r.dispatch),
                    show(r.charge),
                    r.consistent
                );
            }
        }
        verdicts.push(format!(
            "{}: {}",
            alg.as_str().to_uppercase(),
            if all {
                "consistent in every case"
            } else {
                "inconsistent in some case"
            }
        ));
    }
    let _ = writeln!(md, "\n{}.", verdicts.join("; "));
    for (name, body) in [("summary.md", md), ("runs.csv", csv)] {
        folder.write(name, body)?;
    }
    folder.write(
        "README.md",
        format!("# results/book-shop\n\nProduced by the committed code with:\n\n    {command}\n\nDo not edit by hand: rerun the command.\n"),
    )?;
    Ok(verdicts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_generals_falls_with_acks_and_never_reaches_zero() {
        let rates: Vec<f64> = (0..=6)
            .map(|k| two_generals(0.2, k, 20_000, 1).unwrap().fraction)
            .collect();
        assert!(rates.windows(2).all(|w| w[1] < w[0]), "{rates:?}");
        assert!(rates.iter().all(|&r| r > 0.0));
        // The lecture's formula, computed here and not taken from the code:
        // the last of K + 1 messengers lost after K got through, (1 - loss)^K
        // x loss, within four standard errors of a binomial share (fixed
        // seeds: the draw is the same every run).
        let trials = 40_000u64;
        for loss in [0.1, 0.2, 0.5] {
            for k in 0..=6u32 {
                let r = two_generals(loss, k, trials, 7).unwrap();
                let mut p = loss;
                for _ in 0..k {
                    p *= 1.0 - loss;
                }
                let se = (p * (1.0 - p) / trials as f64).sqrt();
                assert!(
                    (r.fraction - p).abs() <= 4.0 * se,
                    "loss {loss} K {k}: {} vs {p}",
                    r.fraction
                );
                assert!((r.expected - p).abs() < 1e-12);
            }
        }
        let r = two_generals(0.2, 3, 100_000, 1).unwrap();
        assert_eq!(r.disasters + r.both_attack + r.neither_attacks, r.trials);
        assert_eq!(
            two_generals(0.0, 4, 100, 1).unwrap().disasters,
            0,
            "no loss, no disaster"
        );
        assert!(two_generals(1.5, 1, 10, 1).is_err());
    }

    #[test]
    fn book_shop_om_fails_sm_holds() {
        let om = book_shop(crate::algorithm::OM, Some(Party::Shop), Value::Attack, 0).unwrap();
        assert!(!om.consistent, "{om:?}");
        assert_eq!(
            om.charge,
            Some(false),
            "the lying shop made payment refuse a genuine order"
        );
        for b in [None, Some(Party::Customer), Some(Party::Shop), Some(Party::Payment)] {
            for v in [Value::Attack, Value::Retreat] {
                assert!(
                    book_shop(crate::algorithm::SM, b, v, 0).unwrap().consistent,
                    "{b:?} {v}"
                );
            }
        }
    }
}
