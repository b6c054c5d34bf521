//! Any bytes through the 999, 277CA and 835 readers and the summary they feed.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = claims_domain::ack999::read_999(data);
    let _ = claims_domain::ack277::read_277ca(data);
    let _ = claims_domain::remit835::read_835(data);
    let _ = claims_domain::summarize(data);
});
