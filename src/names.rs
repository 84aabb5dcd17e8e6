//! Names: the error of a name that is not one of those expected (shared by
//! the vocabulary, `types`, and the timing models, `timing`, which
//! otherwise do not know each other), and the [`Table`] of named factories
//! that traitor strategies and link adversaries are looked up in (see
//! the `registry` module).

/// A name that is not one of those expected (a value, an algorithm, a
/// runtime, ...).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{got}` (expected {expected})")]
pub struct UnknownName {
    /// What was being named.
    pub kind: &'static str,
    /// The name given.
    pub got: String,
    /// The names that exist.
    pub expected: &'static str,
}

/// One named entry of a [`Table`]: a traitor strategy or a link adversary,
/// built in or registered by a user's crate.
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
    /// An entry making things with `make`.
    pub fn new(name: &str, about: &str, builtin: bool, make: F) -> Entry<F> {
        Entry {
            name: name.into(),
            about: about.into(),
            builtin,
            make,
        }
    }

    /// The factory.
    pub fn make(&self) -> &F {
        &self.make
    }
}

/// Named factories in registration order, shared: cloning a table (into
/// every run of a sweep) copies a pointer. Tables are passed to whoever
/// resolves a name; there is no process-wide one.
pub struct Table<F> {
    entries: std::sync::Arc<Vec<Entry<F>>>,
}

impl<F> Clone for Table<F> {
    fn clone(&self) -> Self {
        Table {
            entries: self.entries.clone(),
        }
    }
}

impl<F> std::fmt::Debug for Table<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.iter().map(|e| &e.name)).finish()
    }
}

impl<F: Clone> Table<F> {
    /// A table of `entries`.
    pub fn new(entries: Vec<Entry<F>>) -> Table<F> {
        Table {
            entries: std::sync::Arc::new(entries),
        }
    }

    /// The table with `entry` added last (the caller checked its name).
    pub fn with(mut self, entry: Entry<F>) -> Table<F> {
        std::sync::Arc::make_mut(&mut self.entries).push(entry);
        self
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Entry<F>> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Every entry, in registration order.
    pub fn entries(&self) -> &[Entry<F>] {
        &self.entries
    }

    /// Every name, comma-separated, for an error that lists what exists.
    pub fn names(&self) -> String {
        self.entries
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
