//! Fuzz target `script`: see `byzlab::fuzzing::script`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = byzlab::fuzzing::script(data);
});
