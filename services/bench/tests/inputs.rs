//! The generated inputs are what they claim to be: rxbridge reads every one back with the item
//! count the manifest gives, and the report reads criterion's JSON and the peers' lines.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use rx_bench::inputs::{Manifest, generate_sizes, hl7_messages};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rx-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn every_input_reads_back_with_its_item_count() {
    let dir = scratch("inputs");
    let written = generate_sizes(&dir, &[1, 100]).unwrap();
    let m = Manifest::read(&dir).unwrap();
    assert_eq!(m.inputs.len(), written.inputs.len());
    for input in &m.inputs {
        let bytes = std::fs::read(&input.path).unwrap();
        let name = input.name.as_str();
        if name.starts_with("hl7v2_orm") {
            let messages = hl7_messages(&bytes);
            assert_eq!(messages.len(), input.items, "{name}");
            for msg in messages {
                let p = intake_domain::from_hl7v2(msg).unwrap();
                assert_eq!(p.procedures.len(), 1, "{name}");
            }
        } else if name == "hl7v2_public_samples" {
            let messages = hl7_messages(&bytes);
            assert_eq!(messages.len(), input.items);
            for msg in messages {
                rx_hl7v2::Message::parse(&rx_hl7v2::decode(msg)).unwrap();
            }
        } else if name.starts_with("x12_271") {
            assert_eq!(benefits_domain::interpret_271(&bytes).unwrap().responses.len(), input.items, "{name}");
        } else if name.starts_with("x12_835") {
            let parsed = claims_domain::remit835::read_835(&bytes).unwrap();
            let claims: usize = parsed.transactions.iter().map(|t| t.claims.len()).sum();
            assert_eq!(claims, input.items, "{name}");
        } else if name.starts_with("x12_837p") {
            let doc = rx_x12::read(&bytes).unwrap();
            let claims: usize = doc.transactions().map(|(_, t)| t.segments_with_id("CLM").count()).sum();
            assert_eq!(claims, input.items, "{name}");
        } else {
            panic!("an input the test does not know: {name}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_report_turns_criterion_estimates_and_peer_rates_into_ratios() {
    let dir = scratch("report");
    let bench = dir.join("criterion/hl7v2_parse/hl7v2_orm_100/new");
    std::fs::create_dir_all(&bench).unwrap();
    std::fs::write(
        bench.join("benchmark.json"),
        r#"{"group_id":"hl7v2_parse","function_id":"hl7v2_orm_100","value_str":null,
            "throughput":{"Elements":100},"full_id":"hl7v2_parse/hl7v2_orm_100","directory_name":"x","title":"x"}"#,
    )
    .unwrap();
    // 100 messages in 1 ms: 100,000 messages per second
    std::fs::write(
        bench.join("estimates.json"),
        r#"{"mean":{"point_estimate":1000000.0},"median":{"point_estimate":1.0},"slope":null}"#,
    )
    .unwrap();
    let peers = dir.join("peers.jsonl");
    std::fs::write(
        &peers,
        r#"{"peer":"python-hl7 0.4.5","op":"parse","input":"hl7v2_orm_100","items":100,"passes":1,"seconds":0.1,"rate":1000.0}"#,
    )
    .unwrap();
    let args = rx_bench::report::Args {
        criterion: dir.join("criterion"),
        peers,
        loadtest: None,
        loadtest_burst: None,
        loadtest_paced: None,
        ceilings: None,
        startup: None,
        payer_latency_ms: None,
        out: dir.join("report.md"),
        machine: String::new(),
    };
    let table = rx_bench::report::write(&args).unwrap();
    let row =
        table.lines().find(|l| l.starts_with("| HL7 v2 parse, 100 ORM^O01 |") && l.contains("python-hl7")).unwrap();
    assert!(row.contains("100,000 msg/s"), "{row}");
    assert!(row.contains("1,000 msg/s"), "{row}");
    assert!(row.contains("| 100× |"), "{row}");
    let _ = std::fs::remove_dir_all(&dir);
}
