//! Any bytes through the X12 reader, strict and lenient: errors are fine, panics are not.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rx_x12::read(data);
    let _ = rx_x12::read_lenient(data);
});
