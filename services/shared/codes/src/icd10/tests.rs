//! Tests of the ICD-10-CM parser against the embedded code set.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;

use super::*;

#[test]
fn billable_codes_parse_with_or_without_dot_in_any_case() {
    for input in ["M54.50", "M5450", "m54.50", "m5450"] {
        let code = Icd10Code::parse(input).unwrap();
        assert_eq!(code.as_str(), "M5450");
        assert_eq!(code.to_string(), "M54.50");
    }
    assert_eq!(Icd10Code::parse("M54.2").unwrap().to_string(), "M54.2");
    assert_eq!(Icd10Code::parse("S134XXA").unwrap().to_string(), "S13.4XXA");
    assert_eq!(Icd10Code::parse("R52").unwrap().to_string(), "R52");
}

#[test]
fn header_split_in_fy2022_lists_its_children() {
    let Err(Icd10Error::NotBillable(nb)) = Icd10Code::parse("M54.5") else {
        panic!("M54.5 must be a non-billable header");
    };
    assert_eq!(nb.header, "M54.5");
    let kids: Vec<String> = nb.children.iter().map(ToString::to_string).collect();
    assert_eq!(kids, ["M54.50", "M54.51", "M54.59"]);
    assert_eq!(nb.total, 3);
    assert_eq!(
        Icd10Error::NotBillable(nb).to_string(),
        "M54.5 is a header, not a billable code: choose one of M54.50, M54.51, M54.59"
    );
}

#[test]
fn big_header_list_is_capped_with_a_count() {
    let Err(Icd10Error::NotBillable(nb)) = Icd10Code::parse("M54") else {
        panic!("M54 must be a header");
    };
    assert_eq!(nb.children.len(), MAX_LISTED_CHILDREN);
    assert_eq!(nb.total, 33);
    assert!(nb.to_string().ends_with(" and 23 more"), "{nb}");
}

#[test]
fn unknown_and_malformed_codes_are_told_apart() {
    assert!(matches!(Icd10Code::parse("M54.58"), Err(Icd10Error::Unknown { .. })));
    assert!(matches!(Icd10Code::parse("U99.9"), Err(Icd10Error::Unknown { .. })));
    assert_eq!(Icd10Code::parse(""), Err(Icd10Error::Empty));
    for bad in ["M5", "545.0", "M545.0", "M54.", "M54..5", "M54 50", " M54.50", "M54.50X12", "MÄ4", "M54-50"] {
        assert_eq!(Icd10Code::parse(bad), Err(Icd10Error::Malformed), "{bad}");
    }
}

#[test]
fn parse_does_not_repair_ocr_noise() {
    // O for 0 and l for 1 are the fax extractor's business, not the parser's.
    assert!(Icd10Code::parse("M54.5O").is_err());
    assert!(Icd10Code::parse("M5l.2").is_err());
}

#[test]
fn category_chapter_and_prefix() {
    let code = Icd10Code::parse("G44.209").unwrap();
    assert_eq!(code.category(), "G44");
    assert_eq!(code.chapter().map(|c| c.number), Some(6));
    assert!(code.has_prefix("G44"));
    assert!(code.has_prefix("g44.2"));
    assert!(!code.has_prefix("G43"));
}

#[test]
fn serde_uses_the_dotted_form_and_parses_on_the_way_in() {
    let code = Icd10Code::parse("M62830").unwrap();
    assert_eq!(serde_json::to_string(&code).unwrap(), "\"M62.830\"");
    let back: Icd10Code = serde_json::from_str("\"m62830\"").unwrap();
    assert_eq!(back, code);
    assert!(serde_json::from_str::<Icd10Code>("\"M54.5\"").is_err());
}

#[test]
fn every_billable_code_round_trips_through_display() {
    let mut seen = 0;
    for letter in 'A'..='Z' {
        for raw in billable_with_prefix(&letter.to_string()) {
            let code = Icd10Code::parse(raw).unwrap();
            assert_eq!(code.as_str(), raw);
            assert_eq!(Icd10Code::parse(&code.to_string()).unwrap(), code);
            seen += 1;
        }
    }
    assert_eq!(seen, billable_count());
    assert_eq!(dotted("M5450"), "M54.50");
    assert_eq!(dotted("R52"), "R52");
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,12}") {
        let _ = Icd10Code::parse(&s);
    }

    #[test]
    fn parsed_codes_always_display_with_the_dot_after_three(s in "[A-Z][0-9][0-9A-Z]{1,5}") {
        if let Ok(code) = Icd10Code::parse(&s) {
            let shown = code.to_string();
            prop_assert_eq!(shown.find('.'), (s.len() > 3).then_some(3));
        }
    }
}
