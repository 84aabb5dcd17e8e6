//! Fuzz target `experiment`: see `byzlab::fuzzing::experiment`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = byzlab::fuzzing::experiment(data);
});
