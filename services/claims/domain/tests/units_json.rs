//! The JSON the offline tool `rxbridge claims units` prints, pinned byte for byte.

use claims_domain::units::{CodeMinutes, UnitRule, units_for_entries};

fn units_json(args: &[&str], rule: &str) -> Result<String, Box<dyn std::error::Error>> {
    let entries = args.iter().map(|a| CodeMinutes::parse(a)).collect::<Result<Vec<_>, _>>()?;
    let day = units_for_entries(&entries, UnitRule::parse(rule)?)?;
    Ok(serde_json::to_string(&day)?)
}

#[test]
fn brief_example_prints_the_documented_json() -> Result<(), Box<dyn std::error::Error>> {
    assert_eq!(
        units_json(&["97124=38", "97140=15"], "cms")?,
        r#"{"total_minutes":53,"total_units":4,"units":{"97124":3,"97140":1}}"#
    );
    Ok(())
}

#[test]
fn per_code_rule_and_untimed_codes() -> Result<(), Box<dyn std::error::Error>> {
    assert_eq!(
        units_json(&["97124=7", "97140=7", "97010=20"], "per-code")?,
        r#"{"total_minutes":14,"total_units":1,"units":{"97010":1,"97124":0,"97140":0}}"#
    );
    assert_eq!(
        units_json(&["97124=7", "97140=7", "97010=20"], "cms")?,
        r#"{"total_minutes":14,"total_units":2,"units":{"97010":1,"97124":1,"97140":0}}"#
    );
    Ok(())
}

#[test]
fn bad_arguments_give_clear_messages() {
    let err = |args: &[&str], rule: &str| units_json(args, rule).err().map(|e| e.to_string());
    assert_eq!(
        err(&["99213=20"], "cms").as_deref(),
        Some("procedure code 99213 is not a known physical-medicine code")
    );
    assert_eq!(err(&["97124"], "cms").as_deref(), Some("expected CODE=MINUTES, for example 97124=38"));
    assert_eq!(err(&["97124=5"], "eights").as_deref(), Some("unknown unit rule, expected cms or per-code"));
}
