//! Shrinking a violation to a minimal set of deviations (the traitors' and
//! an `arbitrary` link's)
//! (`byzlab shrink`, and every witness a sweep writes).
//!
//! A witness's traitors deviate from the protocol at some places: a value
//! sent other than the honest one or withheld, a round's signed orders
//! changed, forged or added to, a frame rewritten ([`crate::traitor::shrunk`]
//! says what a place is). Most of those deviations do not matter for the
//! violation. The search finds a subset that still violates what the
//! witness violated (IC1, IC2 or both) and is *1-minimal*: restoring any one
//! of its deviations to honest makes the run keep that condition. It is
//! Zeller and Hildebrandt's delta debugging (ddmin, "Simplifying and
//! isolating failure-inducing input", IEEE TSE 2002) over the deviations,
//! followed by a pass that restores each survivor in turn, which both
//! proves 1-minimality and catches any ddmin missed. Every test is a whole
//! run: the other traitors' messages, the loyal generals' relays and the
//! decisions follow from the kept deviations as the algorithm computes
//! them. An `arbitrary` link's adversary is shrunk alike: each frame it
//! altered (dropped, tampered with, spoofed, replayed) is a deviation
//! ([`crate::traitor::shrunk::MaskedAdversary`]), undone when not kept. A
//! fair-loss channel's losses are the model's, not an attack's: they are
//! replayed from the seed as they were.

use super::ExperimentError;
use super::witness::Witness;
use crate::run::{RunPlan, RuntimeKind};
use crate::traitor::StrategyRef;
use crate::traitor::shrunk::{Deviation, Hook, Keep, Log, Place};
use crate::types::{Outcome, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Most runs one shrink spends; past that it keeps the smallest violating
/// set found and says it is not proven 1-minimal.
pub const MAX_RUNS: usize = 20_000;

/// Most messages the runs of one shrink may send in all (a few seconds of
/// OM, about a minute of SM among 1,024): what bounds a shrink of a big
/// run. Counted, never timed, so a shrink stops at the same set on every
/// machine.
pub const MAX_MESSAGES: u64 = 50_000_000;

/// What a shrink found.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The witness of the shrunk run: the same run, its strategy kept to
    /// the minimal set (a script when a script can say it), with the
    /// decisions the shrunk run reached.
    pub witness: Witness,
    /// Deviations in the original run.
    pub from: usize,
    /// The deviations kept, in the order of their places.
    pub kept: Vec<Deviation>,
    /// Runs the search took.
    pub runs: usize,
    /// Whether every kept deviation was shown necessary (false only when
    /// [`MAX_RUNS`] or [`MAX_MESSAGES`] cut the search short).
    pub minimal: bool,
    /// The kept deviations as a scripted strategy's TOML, when a script
    /// says exactly them (unsigned values on a complete graph); the
    /// witness's strategy is then that script.
    pub script: Option<String>,
}

impl Shrunk {
    /// `N deviations -> K`, as the command prints it.
    pub fn headline(&self) -> String {
        format!(
            "{} deviation{} -> {}{}",
            self.from,
            if self.from == 1 { "" } else { "s" },
            self.kept.len(),
            if self.minimal { "" } else { " (not proven 1-minimal)" }
        )
    }
}

/// Whether `o` still violates every condition the witness violated.
fn violates(w: &Witness, o: &Outcome) -> bool {
    (w.agreement || !o.agreement) && (w.validity || !o.validity)
}

struct Search<'a> {
    plan: RunPlan,
    witness: &'a Witness,
    runs: usize,
    messages: u64,
}

impl Search<'_> {
    fn run(&mut self, keep: Keep, log: Option<Log>, runtime: RuntimeKind) -> Result<Outcome, ExperimentError> {
        self.runs += 1;
        let plan = self
            .plan
            .vary(|s| {
                // The traitors and the link's adversary, kept alike.
                s.adversaries = s.adversaries.masked(keep.clone(), log.clone());
                s.strategy = s.strategy.masked(keep, log);
                s.trace = false;
                s.runtime = runtime;
            })
            .map_err(|e| ExperimentError::Witness(e.to_string()))?;
        let report = crate::runtime::execute(&plan).map_err(|e| ExperimentError::Witness(e.to_string()))?;
        self.messages += report.outcome.counters.messages;
        Ok(report.outcome)
    }

    /// Whether keeping only `places` still violates. Searching runs the
    /// direct runtime (the runtimes agree byte for byte; the final check
    /// runs the witness's own).
    fn test(&mut self, places: &[Place]) -> Result<bool, ExperimentError> {
        let set: BTreeSet<Place> = places.iter().copied().collect();
        let o = self.run(Keep::Only(Arc::new(set)), None, RuntimeKind::Direct)?;
        Ok(violates(self.witness, &o))
    }

    fn out_of_runs(&self) -> bool {
        self.runs >= MAX_RUNS || self.messages >= MAX_MESSAGES
    }

    /// ddmin: the smallest subset of `items` found that still violates.
    fn ddmin(&mut self, mut items: Vec<Place>) -> Result<Vec<Place>, ExperimentError> {
        let mut parts = 2;
        while items.len() >= 2 && !self.out_of_runs() {
            let chunks = split(&items, parts);
            let mut next = None;
            for chunk in &chunks {
                if self.test(chunk)? {
                    next = Some((chunk.clone(), 2));
                    break;
                }
            }
            if next.is_none() && parts > 2 {
                for i in 0..chunks.len() {
                    let rest: Vec<Place> = chunks
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .flat_map(|(_, c)| c.iter().copied())
                        .collect();
                    if self.test(&rest)? {
                        next = Some((rest, (parts - 1).max(2)));
                        break;
                    }
                }
            }
            match next {
                Some((smaller, p)) => {
                    items = smaller;
                    parts = p;
                }
                None if parts >= items.len() => break,
                None => parts = (parts * 2).min(items.len()),
            }
        }
        Ok(items)
    }

    /// Restores each deviation in turn; one whose restoring still violates
    /// goes. Returns the set and whether it was checked to the end.
    fn one_minimal(&mut self, mut items: Vec<Place>) -> Result<(Vec<Place>, bool), ExperimentError> {
        let mut i = 0;
        while i < items.len() {
            if self.out_of_runs() {
                return Ok((items, false));
            }
            let mut without = items.clone();
            without.remove(i);
            if self.test(&without)? {
                items = without;
                i = 0;
            } else {
                i += 1;
            }
        }
        Ok((items, true))
    }
}

/// `items` in `parts` nearly equal consecutive chunks.
fn split(items: &[Place], parts: usize) -> Vec<Vec<Place>> {
    let parts = parts.clamp(1, items.len().max(1));
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 0..parts {
        let end = start + (items.len() - start) / (parts - k);
        out.push(items[start..end].to_vec());
        start = end;
    }
    out
}

/// Shrinks witness `w`, whose run `plan` is (as [`super::witness::load`]
/// gives it).
pub fn shrink(w: &Witness, plan: &RunPlan) -> Result<Shrunk, ExperimentError> {
    if w.agreement && w.validity {
        return Err(ExperimentError::Witness(
            "the witness records no violation (IC1 and IC2 held): nothing to shrink".into(),
        ));
    }
    let mut search = Search {
        plan: plan.clone(),
        witness: w,
        runs: 0,
        messages: 0,
    };
    // Every deviation of the run as it was.
    let log: Log = Arc::default();
    let o = search.run(Keep::All, Some(log.clone()), RuntimeKind::Direct)?;
    if !violates(w, &o) {
        return Err(ExperimentError::Witness(format!(
            "the witness's run does not violate what it records (IC1 {}, IC2 {}) when run again",
            o.agreement, o.validity
        )));
    }
    let all: Vec<Place> = {
        let log = log
            .lock()
            .map_err(|_| ExperimentError::Witness("the deviation log was poisoned".into()))?;
        let set: BTreeSet<Place> = log.iter().map(|d| d.place).collect();
        set.into_iter().collect()
    };
    let from = all.len();
    // Undone alterations of the link must stay undone in the witness.
    let link = all.iter().any(|p| p.hook == Hook::Link);
    let (places, minimal) = if search.test(&[])? {
        (Vec::new(), true)
    } else {
        let reduced = search.ddmin(all)?;
        search.one_minimal(reduced)?
    };
    // The shrunk run, in the witness's runtime, each kept deviation described.
    let log: Log = Arc::default();
    let keep = Keep::Only(Arc::new(places.iter().copied().collect()));
    let o = search.run(keep, Some(log.clone()), w.runtime)?;
    if !violates(w, &o) {
        return Err(ExperimentError::Witness(format!(
            "the shrunk run does not violate in the {} runtime as it did in the direct one",
            w.runtime
        )));
    }
    let mut kept: Vec<Deviation> = log
        .lock()
        .map_err(|_| ExperimentError::Witness("the deviation log was poisoned".into()))?
        .clone();
    kept.sort_by_key(|d| d.place);
    kept.dedup_by_key(|d| d.place);
    let mut witness = w.clone();
    witness.strategy = StrategyRef::Shrunk {
        base: Box::new(w.strategy.clone()),
        keep: kept.clone(),
        link,
    };
    witness.decisions = o.decisions.clone();
    witness.agreement = o.agreement;
    witness.validity = o.validity;
    let runs = search.runs;
    let mut script = None;
    // A script says what traitors send, not what the link does: only
    // where the link altered nothing.
    if let Some(text) = as_script(w, &kept, plan.algorithm().paths()).filter(|_| !link) {
        let mut scripted = witness.clone();
        scripted.strategy = StrategyRef::Script {
            path: "shrunk.toml".into(),
            text: text.clone(),
        };
        let spec = search
            .plan
            .vary(|s| s.trace = false)
            .map_err(|e| ExperimentError::Witness(e.to_string()))?;
        // The script must say exactly the kept deviations: the same decisions.
        let replayed = scripted
            .strategy
            .resolve(&crate::traitor::Strategies::builtin())
            .ok()
            .and_then(|st| spec.vary(|s| s.strategy = st).ok())
            .and_then(|p| crate::runtime::execute(&p).ok());
        if replayed.is_some_and(|r| r.outcome.decisions == o.decisions) {
            witness = scripted;
            script = Some(text);
        }
    }
    Ok(Shrunk {
        witness,
        from,
        kept,
        runs,
        minimal,
        script,
    })
}

/// The kept deviations as a scripted strategy, if every one is an unsigned
/// value and the graph is complete (a script's rules address a message by
/// sender, receiver, round and, for an algorithm whose values are relay
/// paths, path).
fn as_script(w: &Witness, kept: &[Deviation], paths: bool) -> Option<String> {
    if kept.is_empty() || !w.graph.is_complete() || kept.iter().any(|d| d.place.hook != Hook::Value) {
        return None;
    }
    let mut text = format!(
        "name = \"shrunk\"\ndescription = \"{} deviation(s) of run {} of experiment {}, each one needed for the violation\"\n",
        kept.len(),
        w.run_id,
        w.experiment.replace('"', "'")
    );
    for d in kept {
        let send = match d.sent? {
            Some(Value::Attack) => "attack",
            Some(Value::Retreat) => "retreat",
            None => "silent",
        };
        text.push_str(&format!(
            "\n# {d}\n[[rule]]\nfrom = {}\nto = {}\nround = {}\n",
            d.place.traitor, d.place.to, d.place.round
        ));
        if paths {
            let path: Vec<String> = d.path.iter().map(|g| g.to_string()).collect();
            text.push_str(&format!("path = [{}]\n", path.join(", ")));
        }
        text.push_str(&format!("send = \"{send}\"\n"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_every_item_once() {
        let p = |i: u32| Place {
            traitor: 1,
            round: i,
            to: 2,
            hook: Hook::Value,
            call: 0,
        };
        let items: Vec<Place> = (0..7).map(p).collect();
        for parts in 1..=7 {
            let chunks = split(&items, parts);
            assert_eq!(chunks.len(), parts);
            assert_eq!(chunks.concat(), items);
            assert!(chunks.iter().all(|c| !c.is_empty()));
        }
    }
}
