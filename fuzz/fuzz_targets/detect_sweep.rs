//! Fuzz target `detect_sweep`: see `byzlab::fuzzing::detect_sweep`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = byzlab::fuzzing::detect_sweep(data);
});
