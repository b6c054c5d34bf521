//! Any text as the OCR output of a faxed prescription.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = intake_domain::from_fax_str(text);
    }
});
