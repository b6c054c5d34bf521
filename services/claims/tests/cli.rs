//! The offline commands `rxbridge claims units` and `rxbridge x12 read`, through the functions
//! the binary calls.

use rx_claims::cli::{units_json, x12_summary_json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn units_prints_the_documented_json() -> anyhow::Result<()> {
    assert_eq!(
        units_json(&args(&["97124=38", "97140=15"]), "cms")?,
        r#"{"total_minutes":53,"total_units":4,"units":{"97124":3,"97140":1}}"#
    );
    assert_eq!(
        units_json(&args(&["97124=7", "97140=7"]), "per-code")?,
        r#"{"total_minutes":14,"total_units":0,"units":{"97124":0,"97140":0}}"#
    );
    Ok(())
}

#[test]
fn units_errors_are_one_line_messages() {
    let err = |a: &[&str], rule: &str| units_json(&args(a), rule).err().map(|e| e.to_string());
    assert_eq!(err(&["97124=38"], "weekly").as_deref(), Some("unknown unit rule, expected cms or per-code"));
    assert_eq!(err(&["97124"], "cms").as_deref(), Some("expected CODE=MINUTES, for example 97124=38"));
    assert_eq!(
        err(&["99213=20"], "cms").as_deref(),
        Some("procedure code 99213 is not a known physical-medicine code")
    );
}

#[test]
fn x12_read_summarizes_a_remittance_and_refuses_other_files() -> anyhow::Result<()> {
    let remit = std::fs::read(format!("{FIXTURES}/synthetic/835_massage_remit_balanced.x12"))?;
    let json: serde_json::Value = serde_json::from_str(&x12_summary_json(&remit)?)?;
    assert_eq!(json["kind"], "835", "{json}");
    assert_eq!(json["remittances"][0]["claims"][0]["patient_control_number"], "PCN0001", "{json}");
    assert_eq!(json["remittances"][0]["claims"][0]["event"], "remit_paid", "{json}");
    let not_x12 = x12_summary_json(b"hello").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(!not_x12.is_empty() && !not_x12.contains('\n'), "{not_x12}");
    Ok(())
}
