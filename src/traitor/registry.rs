//! Finding strategies by name: the built-in table, scripted files, and
//! strategies users register from their own code.

use super::enumerated::{self, Enumerated};
use super::scripted::{Script, Scripted};
use super::shrunk::{Keep, Log, Masked};
use super::{Strategy, flip, flood, forge, honest, late_reveal, random, silent, split_brain, two_faced};
use crate::names::{Entry, Table};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Makes a fresh strategy for one traitor; shared across threads in sweeps.
pub type StrategyFactory = Arc<dyn Fn() -> Box<dyn Strategy> + Send + Sync>;

/// A built-in strategy.
pub struct StrategyInfo {
    /// Name used on the command line and in experiment files.
    pub name: &'static str,
    /// One line for `byzlab strategies`.
    pub about: &'static str,
    make: fn() -> Box<dyn Strategy>,
}

static BUILTINS: &[StrategyInfo] = &[
    StrategyInfo {
        name: "honest",
        about: "runs the protocol as written (the baseline)",
        make: || Box::new(honest::Honest),
    },
    StrategyInfo {
        name: "silent",
        about: "sends nothing; absent values read as RETREAT (A3)",
        make: || Box::new(silent::Silent),
    },
    StrategyInfo {
        name: "flip",
        about: "inverts every value it sends (paper Fig. 1)",
        make: || Box::new(flip::Flip),
    },
    StrategyInfo {
        name: "random",
        about: "ATTACK, RETREAT or nothing at random, from the run's seed",
        make: || Box::new(random::Random),
    },
    StrategyInfo {
        name: "two-faced",
        about: "tells its own random half of the loyal generals ATTACK, the rest RETREAT",
        make: || Box::new(two_faced::TwoFaced::default()),
    },
    StrategyInfo {
        name: "split-brain",
        about: "the coalition pushes one fixed group ATTACK, the other RETREAT (breaks n <= 3f)",
        make: || Box::new(split_brain::SplitBrain),
    },
    StrategyInfo {
        name: "forge",
        about: "SM: forged loyal signatures, spliced and replayed chains, conflicting orders",
        make: || Box::new(forge::Forge::default()),
    },
    StrategyInfo {
        name: "late-reveal",
        about: "SM: passes the order among traitors, reveals it to some in the last round (breaks f > m)",
        make: || Box::new(late_reveal::LateReveal),
    },
    StrategyInfo {
        name: "flood",
        about: "frames loyal generals must refuse: SM orders far past the frame limit, OM frames of the wrong length",
        make: || Box::new(flood::Flood::default()),
    },
];

/// The built-in strategies, in the order `byzlab strategies` lists them.
pub fn builtins() -> &'static [StrategyInfo] {
    BUILTINS
}

impl StrategyInfo {
    /// Its factory.
    pub fn factory(&self) -> StrategyFactory {
        Arc::new(self.make)
    }
}

/// A strategy ready to be handed to traitors.
#[derive(Clone)]
pub struct NamedStrategy {
    /// Name reported in outcomes.
    pub name: String,
    /// Makes one instance per traitor.
    pub factory: StrategyFactory,
    /// For scripted strategies: the script and its file, checked per run.
    pub script: Option<(Arc<Script>, String)>,
}

impl std::fmt::Debug for NamedStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamedStrategy").field("name", &self.name).finish()
    }
}

impl NamedStrategy {
    /// A strategy written in Rust by the user (see `examples/custom_traitor.rs`).
    pub fn custom<S, F>(name: &str, make: F) -> NamedStrategy
    where
        S: Strategy + 'static,
        F: Fn() -> S + Send + Sync + 'static,
    {
        NamedStrategy {
            name: name.to_string(),
            factory: Arc::new(move || Box::new(make())),
            script: None,
        }
    }

    /// This strategy kept to the deviations `keep` names, the rest honest,
    /// each kept one written to `log` if given ([`super::shrunk`]). A
    /// script's own checks stay with it.
    pub fn masked(&self, keep: Keep, log: Option<Log>) -> NamedStrategy {
        let base = self.factory.clone();
        let label = match &keep {
            Keep::All => self.name.clone(),
            Keep::Only(_) => format!("shrunk:{}", self.name),
        };
        NamedStrategy {
            name: label,
            factory: Arc::new(move || Box::new(Masked::new(base(), keep.clone(), log.clone()))),
            script: self.script.clone(),
        }
    }

    /// A scripted strategy from a parsed file.
    pub fn scripted(script: Script, source: &str) -> NamedStrategy {
        let script = Arc::new(script);
        let shared = script.clone();
        NamedStrategy {
            name: format!("scripted:{}", script.name),
            factory: Arc::new(move || Box::new(Scripted::new(shared.clone()))),
            script: Some((script, source.to_string())),
        }
    }
}

/// Why a strategy could not be found or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    /// The choices of an exhaustive search's point (in a witness) are not
    /// one.
    #[error("the enumerated strategy's choices: {0}")]
    Choices(String),
    /// No built-in strategy has this name.
    #[error("unknown strategy `{name}`; known: {known} (or a path to a .toml script)")]
    Unknown {
        /// Name asked for.
        name: String,
        /// Names available.
        known: String,
    },
    /// The script file could not be read.
    #[error("cannot read strategy file {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The script is not valid TOML for a strategy.
    #[error("strategy file {path}: {message}")]
    Parse {
        /// File path.
        path: String,
        /// Parser message, with line and column.
        message: String,
    },
    /// The script parsed but does not make sense (for this run).
    #[error("strategy file {path}: {message}")]
    Invalid {
        /// File path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Strategies by name: the built-in ones and any a user's crate registered
/// (see the `registry` module). Whoever resolves a name is handed the table.
pub type Strategies = Table<StrategyFactory>;

impl Table<StrategyFactory> {
    /// The built-in strategies.
    pub fn builtin() -> Strategies {
        Table::new(
            BUILTINS
                .iter()
                .map(|s| Entry::new(s.name, s.about, true, s.factory()))
                .collect(),
        )
    }

    /// Finds a strategy: a name in this table, or a path to a `.toml`
    /// script.
    pub fn resolve(&self, spec: &str) -> Result<NamedStrategy, StrategyError> {
        if is_script_path(spec) {
            let text = crate::files::read_limited(spec).map_err(|source| StrategyError::Io {
                path: spec.to_string(),
                source,
            })?;
            return Ok(NamedStrategy::scripted(Script::parse(&text, spec)?, spec));
        }
        let entry = self.get(spec).ok_or_else(|| StrategyError::Unknown {
            name: spec.to_string(),
            known: self.names(),
        })?;
        Ok(NamedStrategy {
            name: entry.name.clone(),
            factory: entry.make().clone(),
            script: None,
        })
    }
}

/// Finds a built-in strategy by name, or reads a `.toml` script. A
/// strategy a user's crate registered is found by [`Strategies::resolve`]
/// on its registry's table.
pub fn resolve(spec: &str) -> Result<NamedStrategy, StrategyError> {
    Strategies::builtin().resolve(spec)
}

/// A strategy as data: what experiment files, result rows and witnesses
/// record, so a run can be rebuilt without the files it was made from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum StrategyRef {
    /// A built-in strategy.
    Builtin {
        /// Its name.
        name: String,
    },
    /// A scripted strategy, with the script's text.
    Script {
        /// File it was read from.
        path: String,
        /// Its contents.
        text: String,
    },
    /// One combination of an exhaustive search ([`enumerated`]).
    Enumerated {
        /// Choices in `traitor=digits;...` form.
        choices: String,
    },
    /// A strategy kept to some of its deviations, the rest honest
    /// ([`super::shrunk`]; what `byzlab shrink` writes).
    Shrunk {
        /// The strategy shrunk.
        base: Box<StrategyRef>,
        /// The deviations kept, with what each did when shrunk.
        keep: Vec<super::shrunk::Deviation>,
        /// The link's alterations were shrunk too: those not in `keep`
        /// are undone ([`super::shrunk::MaskedAdversary`]). Absent in
        /// witnesses shrunk before links were (they keep every one).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        link: bool,
    },
}

impl StrategyRef {
    /// Reads a name of `strategies` or a `.toml` path (the script's text is
    /// kept).
    pub fn from_spec(spec: &str, strategies: &Strategies) -> Result<StrategyRef, StrategyError> {
        if is_script_path(spec) {
            let text = crate::files::read_limited(spec).map_err(|source| StrategyError::Io {
                path: spec.to_string(),
                source,
            })?;
            Script::parse(&text, spec)?;
            return Ok(StrategyRef::Script {
                path: spec.to_string(),
                text,
            });
        }
        strategies.resolve(spec)?;
        Ok(StrategyRef::Builtin { name: spec.to_string() })
    }

    /// The strategy itself, a name looked up in `strategies`.
    pub fn resolve(&self, strategies: &Strategies) -> Result<NamedStrategy, StrategyError> {
        match self {
            StrategyRef::Builtin { name } => strategies.resolve(name),
            StrategyRef::Script { path, text } => Ok(NamedStrategy::scripted(Script::parse(text, path)?, path)),
            StrategyRef::Enumerated { choices } if choices.starts_with(super::enumerated_sm::PREFIX) => {
                let plan = Arc::new(super::enumerated_sm::decode(choices).map_err(StrategyError::Choices)?);
                Ok(NamedStrategy {
                    name: "enumerated".into(),
                    factory: Arc::new(move || Box::new(super::enumerated_sm::EnumeratedSm::new(plan.clone()))),
                    script: None,
                })
            }
            StrategyRef::Enumerated { choices } => {
                let table = Arc::new(enumerated::decode(choices).map_err(|e| StrategyError::Choices(e.to_string()))?);
                Ok(NamedStrategy {
                    name: "enumerated".into(),
                    factory: Arc::new(move || Box::new(Enumerated::new(table.clone()))),
                    script: None,
                })
            }
            StrategyRef::Shrunk { base, keep, .. } => {
                let places = keep.iter().map(|d| d.place).collect();
                Ok(base.resolve(strategies)?.masked(Keep::Only(Arc::new(places)), None))
            }
        }
    }

    /// For a shrunk strategy whose link was shrunk too, the alterations
    /// the link's adversary keeps (a run's adversaries are then
    /// [`crate::link::Adversaries::masked`] to them).
    pub fn link_keep(&self) -> Option<Keep> {
        match self {
            StrategyRef::Shrunk { keep, link: true, .. } => {
                Some(Keep::Only(Arc::new(keep.iter().map(|d| d.place).collect())))
            }
            _ => None,
        }
    }

    /// Name as results show it: the built-in name, `scripted:NAME`, or
    /// `enumerated`.
    pub fn label(&self) -> String {
        match self {
            StrategyRef::Builtin { name } => name.clone(),
            StrategyRef::Script { path, text } => Script::parse(text, path)
                .map(|s| format!("scripted:{}", s.name))
                .unwrap_or_else(|_| format!("scripted:{path}")),
            StrategyRef::Enumerated { .. } => "enumerated".into(),
            StrategyRef::Shrunk { base, .. } => format!("shrunk:{}", base.label()),
        }
    }
}

fn is_script_path(spec: &str) -> bool {
    spec.ends_with(".toml") || spec.contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_resolves_by_name() {
        for s in builtins() {
            assert_eq!(resolve(s.name).unwrap().name, s.name);
        }
        let err = resolve("sneaky").unwrap_err().to_string();
        assert!(err.contains("split-brain") && err.contains("sneaky"), "{err}");
        assert!(matches!(resolve("no/such/file.toml"), Err(StrategyError::Io { .. })));
    }
}
