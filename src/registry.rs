//! What can be named on the command line and in experiment files: traitor
//! strategies and link adversaries, the built-in ones and whatever a user
//! registers from their own crate.
//!
//! A user's crate builds a [`Registry`] from [`Registry::builtin`], adds its
//! own strategies and adversaries, and hands it to
//! [`crate::cli::main_with`]: its binary is then `byzlab` with its additions
//! known to `run`, `sweep`, `replay`, `merge` and `strategies`, in the CLI,
//! in experiment files and in witnesses (see `examples/my_lab.rs`). The
//! registry is the process's: installed once, before anything is resolved,
//! and read by every thread of a sweep.

use crate::link::adversary::{self, Adversary};
use crate::traitor::{self, Strategy, StrategyFactory};
use std::sync::{Arc, OnceLock};

/// Makes a fresh adversary for one link; shared across threads in sweeps.
pub type AdversaryFactory = Arc<dyn Fn() -> Box<dyn Adversary> + Send + Sync>;

/// One named entry: a strategy or an adversary.
#[derive(Clone)]
pub struct Entry<F> {
    /// The name used on the command line and in experiment files.
    pub name: String,
    /// One line for `byzlab strategies`.
    pub about: String,
    /// Built in, or registered by the user.
    pub builtin: bool,
    make: F,
}

impl<F> Entry<F> {
    /// The factory.
    pub fn make(&self) -> &F {
        &self.make
    }
}

/// Strategies and adversaries by name.
#[derive(Clone)]
pub struct Registry {
    strategies: Vec<Entry<StrategyFactory>>,
    adversaries: Vec<Entry<AdversaryFactory>>,
}

/// A name that cannot be registered, or a second registry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// Already taken by a built-in or an earlier registration.
    #[error("a {kind} named `{name}` is already registered")]
    Taken {
        /// `strategy` or `adversary`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// Not a name experiment files and the command line can carry.
    #[error(
        "`{0}` cannot be a name: use 1 to 40 letters, digits and `-` or `_` (a name ending in .toml would read as a script)"
    )]
    BadName(String),
    /// A registry is installed already (only one per process).
    #[error("a registry is installed already: install one, once, before anything is resolved")]
    Installed,
}

fn valid(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Registry {
    /// The built-in strategies and adversaries.
    pub fn builtin() -> Registry {
        Registry {
            strategies: traitor::builtins()
                .iter()
                .map(|s| Entry {
                    name: s.name.to_string(),
                    about: s.about.to_string(),
                    builtin: true,
                    make: s.factory(),
                })
                .collect(),
            adversaries: adversary::builtins()
                .iter()
                .map(|&(name, about, make)| Entry {
                    name: name.to_string(),
                    about: about.to_string(),
                    builtin: true,
                    make: Arc::new(make) as AdversaryFactory,
                })
                .collect(),
        }
    }

    /// Adds a strategy: `make` builds one for each traitor of a run.
    pub fn with_strategy<S, F>(mut self, name: &str, about: &str, make: F) -> Result<Registry, RegistryError>
    where
        S: Strategy + 'static,
        F: Fn() -> S + Send + Sync + 'static,
    {
        if !valid(name) {
            return Err(RegistryError::BadName(name.into()));
        }
        if self.strategy(name).is_some() {
            return Err(RegistryError::Taken {
                kind: "strategy",
                name: name.into(),
            });
        }
        self.strategies.push(Entry {
            name: name.into(),
            about: about.into(),
            builtin: false,
            make: Arc::new(move || Box::new(make()) as Box<dyn Strategy>),
        });
        Ok(self)
    }

    /// Adds a link adversary (for `arbitrary:NAME@RATE` links): `make`
    /// builds one for each run's link.
    pub fn with_adversary<A, F>(mut self, name: &str, about: &str, make: F) -> Result<Registry, RegistryError>
    where
        A: Adversary + 'static,
        F: Fn() -> A + Send + Sync + 'static,
    {
        if !valid(name) {
            return Err(RegistryError::BadName(name.into()));
        }
        if self.adversary(name).is_some() {
            return Err(RegistryError::Taken {
                kind: "adversary",
                name: name.into(),
            });
        }
        self.adversaries.push(Entry {
            name: name.into(),
            about: about.into(),
            builtin: false,
            make: Arc::new(move || Box::new(make()) as Box<dyn Adversary>),
        });
        Ok(self)
    }

    /// Every strategy, built-ins first, in registration order.
    pub fn strategies(&self) -> &[Entry<StrategyFactory>] {
        &self.strategies
    }

    /// Every adversary, built-ins first, in registration order.
    pub fn adversaries(&self) -> &[Entry<AdversaryFactory>] {
        &self.adversaries
    }

    /// The strategy named `name`.
    pub fn strategy(&self, name: &str) -> Option<&Entry<StrategyFactory>> {
        self.strategies.iter().find(|e| e.name == name)
    }

    /// The adversary named `name`.
    pub fn adversary(&self, name: &str) -> Option<&Entry<AdversaryFactory>> {
        self.adversaries.iter().find(|e| e.name == name)
    }

    /// Makes this the process's registry. Once only, and before anything
    /// was resolved (which would have fixed the built-in one).
    pub fn install(self) -> Result<(), RegistryError> {
        INSTALLED.set(self).map_err(|_| RegistryError::Installed)
    }
}

static INSTALLED: OnceLock<Registry> = OnceLock::new();

/// The process's registry: the one installed, or the built-ins (which are
/// then fixed for the rest of the process).
pub fn current() -> &'static Registry {
    INSTALLED.get_or_init(Registry::builtin)
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
        assert!(r.strategy("quiet").is_some_and(|e| !e.builtin));
        assert!(r.strategy("split-brain").is_some_and(|e| e.builtin));
        assert!(r.adversary("nothing").is_some());
        assert_eq!(r.adversaries().last().map(|e| e.name.as_str()), Some("nothing"));
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
