//! `honest`: a traitor in name only; it runs the protocol as written. The
//! baseline against which every attack is measured.

use super::Strategy;

/// Sends exactly what a loyal general would.
pub struct Honest;

impl Strategy for Honest {}
