//! Any bytes as an HL7 v2 feed: decoding, MLLP framing, batch splitting, parsing, mapping.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = rx_hl7v2::decode(data);
    let _ = rx_hl7v2::Message::parse(&text);
    let _ = rx_hl7v2::split_batch(&text, &rx_hl7v2::Limits::default());
    let _ = rx_hl7v2::mllp::Decoder::default().decode_all(data);
    let _ = rx_hl7v2::mllp::Decoder::default().decode(data);
    let _ = intake_domain::from_hl7v2(data);
});
