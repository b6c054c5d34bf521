//! Any bytes as a 271 (interpreted for physical medicine) and as a 270.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = benefits_domain::read_271(data, "AE");
    let _ = benefits_domain::parse_270(data);
});
