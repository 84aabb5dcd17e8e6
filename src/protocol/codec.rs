//! The format-neutral vocabulary a [`super::Message`] is written in: a few
//! primitives (numbers, lengths, raw bytes) that `wire` maps onto its format.
//! Messages describe their layout here and never name the format, so the
//! format can be swapped in `wire` alone and a new message type needs no
//! change there.

/// Where a message is written to.
pub trait Sink {
    /// The format's error.
    type Error;
    /// A small unsigned number (tags, values).
    fn u32(&mut self, v: u32) -> Result<(), Self::Error>;
    /// A length or count.
    fn length(&mut self, v: usize) -> Result<(), Self::Error>;
    /// Bytes as they are, with no length in front.
    fn raw(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

/// Where a message is read from.
pub trait Source {
    /// The format's error.
    type Error;
    /// Reads what [`Sink::u32`] wrote.
    fn u32(&mut self) -> Result<u32, Self::Error>;
    /// Reads what [`Sink::length`] wrote.
    fn length(&mut self) -> Result<usize, Self::Error>;
    /// Takes the next `n` bytes, or fails if fewer remain.
    fn raw(&mut self, n: usize) -> Result<&[u8], Self::Error>;
    /// Bytes not yet read: a count read from the input is checked against it
    /// before anything is allocated for it.
    fn remaining(&self) -> usize;
    /// An error saying what is wrong with the input.
    fn invalid(&self, what: String) -> Self::Error;
}
