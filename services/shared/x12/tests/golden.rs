//! Golden files: every public and synthetic X12 sample reads without error; the negative ones
//! give the structural error they deserve, or are documented as syntactically valid.

use std::fs;
use std::path::{Path, PathBuf};

use rx_x12::{Error, read, read_lenient, stream};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures");

fn x12_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            x12_files(&path, out);
        } else {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.ends_with(".x12") || name.ends_with(".x12.997") {
                out.push(path);
            }
        }
    }
}

fn all_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    x12_files(&Path::new(FIXTURES).join("x12"), &mut files);
    x12_files(&Path::new(FIXTURES).join("synthetic"), &mut files);
    files.sort();
    files
}

fn is_negative(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.starts_with("neg_") || path.components().any(|c| c.as_os_str() == "negative")
}

fn rel(path: &Path) -> String {
    path.strip_prefix(FIXTURES).unwrap_or(path).display().to_string()
}

/// What a fixture is expected to give.
enum Expect {
    /// Reads strictly without any problem.
    Clean,
    /// A public sample whose envelope counts or control numbers were hand-edited wrongly: the
    /// strict read reports it, the lenient read returns the tree with only such warnings.
    /// Semantic negatives (bad code values, missing elements, segments out of order inside a
    /// transaction) are syntactically like this too: syntax reading cannot see what they break.
    Sloppy,
    /// A negative that breaks the syntax: the strict read must fail with this error.
    Broken(fn(&Error) -> bool),
}

fn expect(name: &str) -> Expect {
    match name {
        // Public samples with wrong SE01 (hand-edited examples) or IEA02.
        "tigershark_4010_271_dependent_benefits.x12"
        | "tigershark_4010_271_related_entity.x12"
        | "tigershark_5010_271_example_1.x12"
        | "tigershark_4010_835_example.x12"
        | "oopfactory_hipaa_5010_3_1_2_augmented.x12"
        | "oopfactory_hipaa_5010_aaa_receiver_43_47.x12"
        | "oopfactory_hipaa_5010_dependent_aaa58.x12"
        | "oopfactory_hipaa_5010_validation_all_aaa.x12"
        | "oopfactory_hipaa_professional_claim1.x12"
        | "imsweb_277_x212_claim_status_response.x12"
        | "imsweb_999_accepted.x12"
        | "imsweb_many_claims_820.x12"
        | "imsweb_multiple_gs.x12"
        | "imsweb_multiple_isa.x12"
        | "imsweb_multiple_st.x12"
        | "imsweb_valid.x12"
        | "imsweb_valid_different_separators.x12" => Expect::Sloppy,
        // Semantic negatives: syntax is that of imsweb_valid (same wrong SE01), the defect
        // (NM1*117 code, NM1*40 without NM102, N4 before REF swapped) is beyond syntax.
        "neg_imsweb_bad_valid_code.x12"
        | "neg_imsweb_missing_elements.x12"
        | "neg_imsweb_segments_out_of_order.x12" => Expect::Sloppy,
        // Semantic negative with clean syntax: an entity code missing inside the 837P.
        "neg_oopfactory_5010_missing_entity_code.x12" => Expect::Clean,
        // The 999 answering a negative 837P is itself a valid acknowledgment (with a TA1).
        "neg_imsweb_missing_loops.x12.997" => Expect::Clean,
        // Whole loops removed: SE01 says 25, 19 segments remain.
        "neg_imsweb_missing_loops.x12" => {
            Expect::Broken(|e| matches!(e, Error::CountMismatch { segment: "SE", counted: 19, .. }))
        }
        "neg_imsweb_bad_segment_identifier.x12" => Expect::Broken(|e| matches!(e, Error::InvalidSegmentId { .. })),
        "neg_imsweb_no_isa.x12" | "badx12_bad_file_not_x12.x12" => Expect::Broken(|e| matches!(e, Error::NotX12)),
        "neg_badx12_unknown_segment_order.x12" => {
            Expect::Broken(|e| matches!(e, Error::OutsideEnvelope { segment, .. } if segment == "HL"))
        }
        "neg_oopfactory_5010_bogeyone_277ca_truncated.x12" => {
            Expect::Broken(|e| matches!(e, Error::Truncated { missing: "SE", .. }))
        }
        "neg_oopfactory_5010_latitude81uk_277ca_malformed.x12" => {
            Expect::Broken(|e| matches!(e, Error::IsaMalformed { .. }))
        }
        // GS01 HPO, SE02 differs from ST02, GE01/IEA01 say 2, IEA02 differs from ISA13.
        "neg_badx12_error_validation.x12" => {
            Expect::Broken(|e| matches!(e, Error::CountMismatch { segment: "SE", .. }))
        }
        "badx12_isa_only_no_segment_terminator.x12" => {
            Expect::Broken(|e| matches!(e, Error::Truncated { missing: "IEA", .. }))
        }
        "oopfactory_837p_utf16_truncated.x12" => Expect::Broken(|e| matches!(e, Error::Utf16)),
        _ => Expect::Clean,
    }
}

fn name_of(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or_default()
}

#[test]
fn every_fixture_reads_as_expected() {
    let files = all_files();
    assert!(files.len() >= 100, "fixtures missing: {}", files.len());
    for path in files {
        let bytes = fs::read(&path).expect("fixture readable");
        let name = rel(&path);
        match expect(name_of(&path)) {
            Expect::Clean => {
                let doc = read(&bytes).map_err(|e| format!("{name}: {e}")).expect("fixture reads");
                assert!(doc.transactions().count() >= 1, "{name}: no transaction");
                let mut streamed = Vec::new();
                stream(&bytes, &mut |_, t| streamed.push(t)).expect("streams like it reads");
                assert!(streamed.iter().eq(doc.transactions().map(|(_, t)| t)), "{name}: stream differs");
                assert!(
                    !is_negative(&path) || name.contains("missing_entity_code") || name.ends_with(".997"),
                    "{name}"
                );
            }
            Expect::Sloppy => {
                let strict = read(&bytes).expect_err(&name);
                let lenient = read_lenient(&bytes).map_err(|e| format!("{name}: {e}")).expect("fixture reads");
                assert_eq!(lenient.warnings.first(), Some(&strict), "{name}");
                for w in &lenient.warnings {
                    assert!(
                        matches!(w, Error::CountMismatch { .. } | Error::ControlNumberMismatch { .. }),
                        "{name}: unexpected warning {w}"
                    );
                }
                assert!(lenient.document.transactions().count() >= 1, "{name}");
            }
            Expect::Broken(check) => {
                assert!(is_negative(&path), "{name} is not a negative");
                let err = read(&bytes).expect_err(&name);
                assert!(check(&err), "{name}: unexpected error {err}");
                assert!(!err.to_string().is_empty());
                // the lenient read must still notice: an error or at least one warning
                if let Ok(l) = read_lenient(&bytes) {
                    assert!(!l.warnings.is_empty(), "{name}: lenient read saw nothing");
                }
            }
        }
    }
}

#[test]
fn synthetic_271_has_the_expected_envelope() {
    let bytes = fs::read(Path::new(FIXTURES).join("synthetic/271_massage_benefits.x12")).expect("fixture");
    let doc = read(&bytes).expect("valid");
    let ic = &doc.interchanges[0];
    assert_eq!((ic.sender_id(), ic.receiver_id(), ic.usage(), ic.version()), ("PAYER01", "CLINIC01", "T", "00501"));
    let g = &ic.groups[0];
    assert_eq!((g.functional_id, g.version, g.control_number), ("HB", "005010X279A1", "1"));
    let t = &g.transactions[0];
    assert_eq!((t.id, t.control_number, t.segments.len()), ("271", "0001", 33));
    let eb = t.segments_with_id("EB").nth(5).expect("sixth EB");
    assert_eq!(eb.repetitions(3).collect::<Vec<_>>(), ["98", "AE"]);
    assert_eq!(eb.element(7), Some("25"));
}

#[test]
fn pipe_separated_5010_with_bom_and_crlf_reads() {
    let bytes = fs::read(Path::new(FIXTURES).join("x12/271/tigershark_5010_271_example_1.x12")).expect("fixture");
    let l = read_lenient(&bytes).expect("readable");
    let ic = &l.document.interchanges[0];
    assert_eq!(ic.delimiters.element, b'|');
    assert_eq!(ic.delimiters.repetition, Some(b'}'));
    let (_, t) = l.document.transactions().next().expect("one");
    let eb = t.segments.iter().find(|s| s.id() == "EB" && s.repetitions(3).count() > 1).expect("repeated EB03");
    assert!(eb.repetitions(3).all(|r| !r.contains('}')));
}

#[test]
fn several_interchanges_and_0x1d_terminators() {
    let bytes = fs::read(Path::new(FIXTURES).join("x12/837p/imsweb_multiple_isa.x12")).expect("fixture");
    assert!(read_lenient(&bytes).expect("readable").document.interchanges.len() >= 2);
    let bytes =
        fs::read(Path::new(FIXTURES).join("x12/270/oopfactory_5010_ig_example1_0x1d_separators.x12")).expect("fixture");
    let doc = read(&bytes).expect("valid");
    assert_eq!(doc.interchanges[0].delimiters.segment, 0x1D);
    assert_eq!(doc.interchanges[0].delimiters.repetition, None);
}

#[test]
fn ta1_sits_at_interchange_level() {
    let bytes = fs::read(Path::new(FIXTURES).join("x12/837p/neg_imsweb_missing_loops.x12.997")).expect("fixture");
    let doc = read(&bytes).expect("valid");
    assert_eq!(doc.interchanges[0].segments.first().map(|s| s.id()), Some("TA1"));
}
