//! Fuzz target `witness`: see `byzlab::fuzzing::witness`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = byzlab::fuzzing::witness(data);
});
