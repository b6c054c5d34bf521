//! Golden tests over the public and synthetic HL7 v2 samples in `tests/fixtures/`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use proptest::prelude::*;
use rx_hl7v2::{AckBuilder, AckCode, Limits, Message, decode, mllp, split_batch};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures"));
    let mut files = Vec::new();
    for dir in ["hl7v2", "synthetic"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "hl7") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_fixture_parses() {
    let files = fixtures();
    assert!(files.len() >= 21, "expected the 20 public samples and the synthetic order");
    for (name, bytes) in &files {
        let text = decode(bytes);
        let batch = split_batch(&text, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!batch.messages.is_empty(), "{name}");
        for m in &batch.messages {
            let msg = Message::parse(m).unwrap_or_else(|e| panic!("{name}: {e}"));
            let (code, trigger) = msg.header().message_type();
            assert!(!code.is_empty() && !trigger.is_empty(), "{name}");
            assert!(!msg.header().control_id().is_empty(), "{name}");
            assert!(msg.segments().len() >= 2, "{name}");
            // every segment was recognised and can be walked field by field
            for seg in msg.segments() {
                assert_eq!(seg.id().len(), 3, "{name}");
                let _ = seg.fields().map(|f| f.text().len()).sum::<usize>();
            }
        }
    }
}

#[test]
fn message_types_match_the_file_names() {
    for (name, bytes) in fixtures() {
        let text = decode(&bytes);
        let batch = split_batch(&text, &Limits::default()).unwrap();
        let msg = Message::parse(batch.messages[0]).unwrap();
        let (code, trigger) = msg.header().message_type();
        let expected = match name.as_str() {
            n if n.contains("ORM") => ("ORM", "O01"),
            n if n.contains("OMG") => ("OMG", "O19"),
            n if n.contains("REF-I12") => ("REF", "I12"),
            n if n.contains("REF-I14") => ("REF", "I14"),
            n if n.contains("oru") => ("ORU", "R01"),
            _ => continue,
        };
        assert_eq!((code, trigger), expected, "{name}");
    }
}

#[test]
fn batch_fixture_has_one_adt_message() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../tests/fixtures/hl7v2/pythonhl7_batch_fhs_bhs_adt_a04.hl7"
    ))
    .unwrap();
    let text = decode(&bytes);
    let batch = split_batch(&text, &Limits::default()).unwrap();
    assert!(batch.file_header.is_some());
    assert_eq!(batch.batch_headers.len(), 1);
    assert_eq!(batch.messages.len(), 1);
    let msg = Message::parse(batch.messages[0]).unwrap();
    assert_eq!(msg.header().message_type(), ("ADT", "A04"));
    let ids: Vec<&str> = msg.segments().iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["MSH", "EVN", "PID", "PD1", "NK1", "PV1"]);
}

#[test]
fn synthetic_order_fields() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7"
    ))
    .unwrap();
    let text = decode(&bytes);
    let msg = Message::parse(&text).unwrap();
    let get = |p: &str| msg.get(&rx_hl7v2::Path::parse(p).unwrap()).into_owned();
    assert_eq!(get("ORC-12.1"), "1122334455");
    assert_eq!(get("ORC-7.2"), "2 per week x 4 weeks");
    assert_eq!(get("OBR-4.1"), "97124");
    assert_eq!(get("DG1(2)-3.1"), "M62.830");
    assert_eq!(get("IN1-36"), "MEM0000001");
    assert_eq!(get("PID-7"), "19800101");
}

#[test]
fn every_fixture_survives_mllp_framing_and_gets_an_ack() {
    for (name, bytes) in fixtures() {
        let framed = mllp::encode(&bytes);
        let frame = mllp::Decoder::default().decode(&framed).unwrap().unwrap();
        assert_eq!(frame.payload, bytes.as_slice(), "{name}");
        let text = decode(frame.payload);
        let batch = split_batch(&text, &Limits::default()).unwrap();
        let msg = Message::parse(batch.messages[0]).unwrap();
        let ack = AckBuilder::new(msg.header(), AckCode::Accept, "ACK1", "20260105").build();
        let ack = Message::parse(&ack).unwrap();
        assert_eq!(ack.segment("MSA").unwrap().field(2).raw(), msg.header().control_id(), "{name}");
    }
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = decode(&bytes);
        let _ = Message::parse(&text);
        let _ = split_batch(&text, &Limits::default());
        let _ = rx_hl7v2::sniff_header(&text);
    }

    #[test]
    fn parse_never_panics_on_hl7_like_text(body in "(MSH|PID|OBR|DG1|[A-Z]{3})?[|^~\\\\&a-zA-Z0-9\r\n]{0,300}") {
        let text = format!("MSH|^~\\&|{body}");
        if let Ok(msg) = Message::parse(&text) {
            for seg in msg.segments() {
                for f in seg.fields() {
                    for r in f.repetitions() {
                        for c in r.components() {
                            let _ = c.subcomponent(2);
                            let _ = c.text();
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn truncating_a_fixture_never_panics(cut in 0usize..3000, which in 0usize..21) {
        let files = fixtures();
        let (_, bytes) = &files[which % files.len()];
        let cut = cut.min(bytes.len());
        let text = decode(&bytes[..cut]);
        if let Ok(batch) = split_batch(&text, &Limits::default()) {
            for m in &batch.messages {
                let _ = Message::parse(m);
            }
        }
    }
}
