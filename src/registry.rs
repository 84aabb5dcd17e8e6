//! What can be named on the command line and in experiment files:
//! algorithms, traitor strategies and link adversaries, the built-in ones
//! and whatever a user registers from their own crate.
//!
//! A user's crate builds a [`Registry`] from [`Registry::builtin`], adds its
//! own algorithms, strategies and adversaries, and hands it to `byzlab::cli::main_with`:
//! its binary is then `byzlab` with its additions known to `run`, `sweep`,
//! `replay`, `merge` and `strategies`, in the CLI, in experiment files and
//! in witnesses (see `examples/my_lab.rs`). There is no process-wide
//! registry: the one given is passed to whatever resolves a name (the
//! experiment file's reader, the plan, each run's link), so two registries
//! can live in one process (a test, a library user).

use crate::algorithm::{Agreement, Algorithm, Algorithms};
use crate::link::adversary::{Adversaries, Adversary, AdversaryFactory};
use crate::link::layer::{LayerBuild, LayerKind, Layers, LinkLayer, Rule};
use crate::names::{Entry, Table};
use crate::traitor::{Strategies, Strategy, StrategyFactory};
use std::sync::Arc;

/// Algorithms, strategies and adversaries by name.
#[derive(Clone, Debug)]
pub struct Registry {
    algorithms: Algorithms,
    strategies: Strategies,
    adversaries: Adversaries,
    layers: Layers,
    schedulers: crate::scheduler::Schedulers,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::builtin()
    }
}

/// A name that cannot be registered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// Already taken by a built-in or an earlier registration.
    #[error("a {kind} named `{name}` is already registered")]
    Taken {
        /// `algorithm`, `strategy` or `adversary`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// Not a name experiment files and the command line can carry.
    #[error(
        "`{0}` cannot be a name: use 1 to 40 letters, digits and `-` or `_` (a name ending in .toml would read as a script)"
    )]
    BadName(String),
}

fn valid(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `name` checked for `table`: a valid name nobody took.
fn free<F: Clone>(table: &Table<F>, kind: &'static str, name: &str) -> Result<(), RegistryError> {
    if !valid(name) {
        return Err(RegistryError::BadName(name.into()));
    }
    if table.get(name).is_some() {
        return Err(RegistryError::Taken {
            kind,
            name: name.into(),
        });
    }
    Ok(())
}

impl Registry {
    /// The built-in algorithms, strategies and adversaries.
    pub fn builtin() -> Registry {
        Registry {
            algorithms: Algorithms::builtin(),
            strategies: Strategies::builtin(),
            adversaries: Adversaries::builtin(),
            layers: crate::link::layer::builtins(),
            schedulers: crate::scheduler::builtin(),
        }
    }

    /// Adds a scheduler (for `--scheduler NAME`): `make` builds one for
    /// each run, given n; it chooses each frame's delay within what the
    /// run's timing model allows (see [`crate::scheduler`]).
    pub fn with_scheduler<S, F>(mut self, name: &str, about: &str, make: F) -> Result<Registry, RegistryError>
    where
        S: crate::scheduler::Scheduler + 'static,
        F: Fn(usize) -> S + Send + Sync + 'static,
    {
        free(&self.schedulers, "scheduler", name)?;
        let make: crate::scheduler::SchedulerFactory =
            Arc::new(move |n| Box::new(make(n)) as Box<dyn crate::scheduler::Scheduler>);
        self.schedulers = self.schedulers.with(Entry::new(name, about, false, make));
        Ok(self)
    }

    /// The schedulers, built-ins first.
    pub fn schedulers(&self) -> &crate::scheduler::Schedulers {
        &self.schedulers
    }

    /// Adds an algorithm: its registration answers everything byzlab asks
    /// of an algorithm (see [`Agreement`]), under the name it gives.
    pub fn with_algorithm<A: Agreement>(mut self, algorithm: A) -> Result<Registry, RegistryError> {
        let name = algorithm.name();
        free(&self.algorithms, "algorithm", name)?;
        if self.algorithms.find(name).is_ok() {
            // (`om` and `OM` name one algorithm on the command line.)
            return Err(RegistryError::Taken {
                kind: "algorithm",
                name: name.into(),
            });
        }
        let about = algorithm.about();
        let handle = Algorithm::leak(algorithm);
        crate::algorithm::intern(handle);
        self.algorithms = self.algorithms.with(Entry::new(name, about, false, handle));
        Ok(self)
    }

    /// Adds a strategy: `make` builds one for each traitor of a run.
    pub fn with_strategy<S, F>(mut self, name: &str, about: &str, make: F) -> Result<Registry, RegistryError>
    where
        S: Strategy + 'static,
        F: Fn() -> S + Send + Sync + 'static,
    {
        free(&self.strategies, "strategy", name)?;
        let make: StrategyFactory = Arc::new(move || Box::new(make()) as Box<dyn Strategy>);
        self.strategies = self.strategies.with(Entry::new(name, about, false, make));
        Ok(self)
    }

    /// Adds a link adversary (for `arbitrary:NAME@RATE` links): `make`
    /// builds one for each run's link.
    pub fn with_adversary<A, F>(mut self, name: &str, about: &str, make: F) -> Result<Registry, RegistryError>
    where
        A: Adversary + 'static,
        F: Fn() -> A + Send + Sync + 'static,
    {
        free(&self.adversaries, "adversary", name)?;
        let make: AdversaryFactory = Arc::new(move || Box::new(make()) as Box<dyn Adversary>);
        self.adversaries = self.adversaries.with(Entry::new(name, about, false, make));
        Ok(self)
    }

    /// Adds a link layer (for link strings: `fair-loss+NAME:PARAMS+...`):
    /// `make` builds one for each run's link from its parameters (as
    /// written after `NAME:`, `None` if none; an `Err` is the one-sentence
    /// reason they are refused), `rules` say where it must sit in a stack
    /// (checked before any run), `syntax` is its grammar for the docs.
    pub fn with_layer<L, F>(
        mut self,
        name: &str,
        about: &str,
        syntax: &str,
        rules: Vec<Rule>,
        make: F,
    ) -> Result<Registry, RegistryError>
    where
        L: LinkLayer + 'static,
        F: Fn(&LayerBuild<'_>) -> Result<L, String> + Send + Sync + 'static,
    {
        free(&self.layers, "layer", name)?;
        if matches!(
            name,
            "arbitrary" | "fair-loss" | "authenticated" | "reliable" | "secure"
        ) {
            return Err(RegistryError::Taken {
                kind: "layer",
                name: name.into(),
            });
        }
        let kind = LayerKind {
            syntax: syntax.into(),
            rules,
            make: Arc::new(move |b: &LayerBuild<'_>| make(b).map(|l| Box::new(l) as Box<dyn LinkLayer>)),
        };
        self.layers = self.layers.with(Entry::new(name, about, false, kind));
        Ok(self)
    }

    /// The link layers, built-ins first, in registration order: what a
    /// link stack may name.
    pub fn layers(&self) -> &Layers {
        &self.layers
    }

    /// The algorithms, built-ins first, in registration order: what
    /// `--algorithm`, experiment files and witnesses may name.
    pub fn algorithms(&self) -> &Algorithms {
        &self.algorithms
    }

    /// The strategies, built-ins first, in registration order: what
    /// experiment files, `--strategy` and witnesses may name.
    pub fn strategies(&self) -> &Strategies {
        &self.strategies
    }

    /// The adversaries, built-ins first, in registration order: what
    /// `arbitrary:NAME` links may name.
    pub fn adversaries(&self) -> &Adversaries {
        &self.adversaries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl Strategy for Quiet {}
    struct Nothing;
    impl Adversary for Nothing {
        fn name(&self) -> &'static str {
            "nothing"
        }
    }

    #[test]
    fn users_add_names_and_cannot_take_or_break_them() {
        let r = Registry::builtin()
            .with_strategy("quiet", "does nothing new", || Quiet)
            .unwrap()
            .with_adversary("nothing", "lets frames be", || Nothing)
            .unwrap();
        assert!(r.strategies().get("quiet").is_some_and(|e| !e.builtin));
        assert!(r.strategies().get("split-brain").is_some_and(|e| e.builtin));
        assert!(r.adversaries().find("nothing").is_ok());
        assert_eq!(
            r.adversaries().entries().last().map(|e| e.name.as_str()),
            Some("nothing")
        );
        // Registering in one registry leaves another (and the built-ins)
        // as they were.
        assert!(Registry::builtin().strategies().get("quiet").is_none());
        let taken = r.clone().with_strategy("flip", "", || Quiet).err();
        assert_eq!(
            taken,
            Some(RegistryError::Taken {
                kind: "strategy",
                name: "flip".into()
            })
        );
        for bad in ["", "my lab", "x.toml", "a,b"] {
            assert!(matches!(
                r.clone().with_strategy(bad, "", || Quiet).err(),
                Some(RegistryError::BadName(_))
            ));
        }
    }
}
