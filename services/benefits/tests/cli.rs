//! `rxbridge benefits read-271`: the JSON report of a fixture 271, and one-line errors.

use rx_benefits::cli::{Command, read_271_report};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/x12/271");

#[test]
fn a_fixture_271_is_reported_as_json() {
    let path = format!("{FIXTURES}/oopfactory_5010_ig_3_1_2_subscriber_copay.x12");
    let bytes = std::fs::read(path).expect("fixture");
    let json = read_271_report(&bytes, "AE").expect("readable 271");
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let responses = v["responses"].as_array().expect("responses");
    assert!(!responses.is_empty());
    assert_eq!(responses[0]["benefits"]["service_type"], "AE");
}

#[test]
fn unreadable_input_is_a_one_line_error() {
    let e = read_271_report(b"not x12 at all", "AE").expect_err("refused");
    let text = e.to_string();
    assert!(text.starts_with("not a readable 271"), "{text}");
    assert!(!text.contains('\n'));
}

#[tokio::test]
async fn a_missing_file_fails_the_command() {
    let cmd = Command::Read271 { service_type: "AE".into(), file: "/nonexistent/file.x12".into() };
    let e = cmd.run().await.expect_err("no such file");
    assert!(e.to_string().contains("cannot read"));
}
