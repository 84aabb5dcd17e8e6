//! The error of a name that is not one of those expected: shared by the
//! vocabulary (`types`) and the timing models (`timing`), which otherwise
//! do not know each other.

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
