//! Fuzz target `frame`: see `byzlab::fuzzing::frame`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = byzlab::fuzzing::frame(data);
});
