//! Any bytes as a faxed document, up to the OCR engine: detection, limits, PDF text layers,
//! image decoding (CCITT G3/G4, PNG, JPEG) and normalisation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rx_ocr::prepare_document(data, &rx_ocr::Limits::default());
});
