//! Every integration test, in one binary: one link instead of ten (each of
//! these binaries is about 55 MB with debug info, and linking them was most
//! of a cold `cargo test`). Each module is one scenario, as the files were;
//! run one with `cargo test --test it MODULE::` (e.g. `cli::`).

mod common;

mod algorithms;
mod bad_inputs;
mod bounds_small;
mod browser;
mod cli;
mod determinism;
mod experiments;
mod explain;
mod folders;
mod fuzz_corpus;
mod graphs;
mod links;
mod message_counts;
mod models;
mod my_lab;
mod network;
mod pages;
mod paper_figures;
mod readme;
mod service;
mod shrink;
mod signatures;
