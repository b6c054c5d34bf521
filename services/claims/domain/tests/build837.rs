//! 837P builder: golden files (byte for byte, fixed control numbers and dates), the synthetic
//! fixture reproduced, and structural refusals. Golden files were checked with pyx12's
//! x12valid; regenerate with `UPDATE_GOLDEN=1 cargo test -p claims-domain --test build837`.
//!
//! With `DUMP_837_DIR=<dir>` every interchange these tests build is also written there, so that
//! `x12valid <dir>/*.x12` can check them all.

mod common;

use claims_domain::ClaimsError;
use claims_domain::build837::{build_837p, build_837p_split};
use claims_domain::claim::Claim;
use common::*;

type Res = Result<(), Box<dyn std::error::Error>>;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

fn build(claims: Vec<Claim>, control: u32) -> Result<String, ClaimsError> {
    dump(build_837p(&batch(claims), &fees(), &envelope(), numbers(control)))
}

/// Writes a built interchange to `DUMP_837_DIR`, named by its content hash.
fn dump(built: Result<String, ClaimsError>) -> Result<String, ClaimsError> {
    use std::hash::{Hash, Hasher};
    if let (Ok(text), Some(dir)) = (&built, std::env::var_os("DUMP_837_DIR")) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let path = std::path::Path::new(&dir).join(format!("{:016x}.x12", h.finish()));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(path, text);
    }
    built
}

/// The five golden interchanges: name and how to build it.
fn goldens() -> Vec<(&'static str, Result<String, ClaimsError>)> {
    let mut one_line = claim();
    one_line.lines.truncate(1);
    one_line.diagnoses.truncate(2);
    vec![
        ("837p_original.x12", build(vec![one_line], 1)),
        ("837p_dependent_patient.x12", build(vec![dependent_claim()], 2)),
        ("837p_two_service_lines.x12", build(vec![claim()], 3)),
        ("837p_replacement_freq7.x12", build(vec![replacement_claim()], 4)),
        ("837p_void_freq8.x12", build(vec![void_claim()], 5)),
    ]
}

#[test]
fn golden_files_match_byte_for_byte() -> Res {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, built) in goldens() {
        let built = built?;
        let path = format!("{GOLDEN}/{name}");
        if update {
            std::fs::create_dir_all(GOLDEN)?;
            std::fs::write(&path, &built)?;
        }
        let expected = std::fs::read_to_string(&path)?;
        assert_eq!(built, expected, "{name} differs from its golden file");
    }
    Ok(())
}

#[test]
fn reproduces_the_synthetic_original_fixture() -> Res {
    let built = build(vec![claim()], 1)?;
    let fixture = String::from_utf8(fixture("synthetic/837p_massage_original_freq1.x12"))?;
    assert_eq!(built, fixture);
    Ok(())
}

/// The fixture puts REF*F8 before REF*9F; we follow the implementation guide's order (9F, G1,
/// F8). Apart from that the replacement and void fixtures are reproduced exactly.
#[test]
fn reproduces_replacement_and_void_fixtures_up_to_ref_order() -> Res {
    for (claim, file, control) in [
        (replacement_claim(), "synthetic/837p_massage_replacement_freq7.x12", 2),
        (void_claim(), "synthetic/837p_massage_void_freq8.x12", 3),
    ] {
        let built = build(vec![claim], control)?;
        let fixture = String::from_utf8(fixture(file))?;
        let swapped = fixture
            .replace("REF*F8*PAYERCLM778899~\nREF*9F*REFNUM12345~", "REF*9F*REFNUM12345~\nREF*F8*PAYERCLM778899~");
        assert_eq!(built, swapped, "{file}");
    }
    Ok(())
}

#[test]
fn reads_back_with_counts_and_hierarchy() -> Res {
    let built = build(vec![claim(), dependent_claim(), replacement_claim()], 9)?;
    let doc = rx_x12::read(built.as_bytes())?;
    let (group, tx) = doc.transactions().next().ok_or("no transaction")?;
    assert_eq!((group.functional_id, group.version), ("HC", "005010X222A1"));
    assert_eq!(tx.implementation_ref, Some("005010X222A1"));
    let tree = rx_x12::HlTree::build(&tx.segments)?;
    let levels: Vec<&str> = tree.loops.iter().map(|l| l.level).collect();
    assert_eq!(levels, ["20", "22", "22", "23", "22"]);
    let clm: Vec<(&str, &str, &str)> = tx
        .segments_with_id("CLM")
        .map(|s| (s.element_or_empty(1), s.element_or_empty(2), s.component(5, 3).unwrap_or("")))
        .collect();
    assert_eq!(clm, [("PCN0001", "190", "1"), ("PCN0002", "120", "1"), ("PCN0001", "190", "7")]);
    let hi: Vec<&str> = tx.segments_with_id("HI").map(|s| s.elements()[0]).collect();
    assert_eq!(hi, ["ABK:M5450", "ABK:M25571", "ABK:M5450"]);
    // the dependent's claim carries its prior authorization
    assert!(built.contains("REF*G1*AUTH556677~"));
    Ok(())
}

#[test]
fn large_batches_split_into_transactions() -> Res {
    let built = dump(build_837p_split(&batch(many_claims(7)), &fees(), &envelope(), numbers(1), 3))?;
    let doc = rx_x12::read(built.as_bytes())?;
    let controls: Vec<&str> = doc.transactions().map(|(_, t)| t.control_number).collect();
    assert_eq!(controls, ["0001", "0002", "0003"]);
    let claims: Vec<usize> = doc.transactions().map(|(_, t)| t.segments_with_id("CLM").count()).collect();
    assert_eq!(claims, [3, 3, 1]);
    let bht: Vec<&str> = doc
        .transactions()
        .filter_map(|(_, t)| t.segments_with_id("BHT").next().map(|s| s.element_or_empty(3)))
        .collect();
    assert_eq!(bht, ["BATCH0001", "BATCH0001-2", "BATCH0001-3"]);
    Ok(())
}

fn refusal(claim: Claim) -> Option<String> {
    build(vec![claim], 1).err().map(|e| e.to_string())
}

#[test]
fn refuses_structurally_invalid_claims() {
    let mut c = replacement_claim();
    c.payer_claim_control_number = None;
    assert_eq!(refusal(c).as_deref(), Some("claim 0: a replacement or void needs the payer claim control number"));
    let mut c = claim();
    c.lines[0].diagnosis_pointers = vec![4];
    assert_eq!(refusal(c).as_deref(), Some("claim 0: a diagnosis pointer names no diagnosis of the claim"));
    let mut c = claim();
    c.lines.clear();
    assert_eq!(refusal(c).as_deref(), Some("claim 0: the claim has no service line"));
    let mut c = claim();
    c.diagnoses = (0..13).map(|i| format!("M54.{i}")).collect();
    assert_eq!(refusal(c).as_deref(), Some("claim 0: the claim has more than 12 diagnoses"));
    let mut c = claim();
    c.diagnoses[1] = "62.830".into();
    assert_eq!(refusal(c).as_deref(), Some("claim 0: a diagnosis code is not in ICD-10-CM form"));
    let mut c = claim();
    c.subscriber.birth_date = None;
    assert!(refusal(c).is_some_and(|m| m.contains("birth date")));
    let mut c = claim();
    c.lines[0].procedure_code = "97530".into();
    assert_eq!(refusal(c).as_deref(), Some("the fee schedule has no charge for procedure code 97530"));
    let mut c = claim();
    c.subscriber.name.last = "O*BRIEN".into();
    assert_eq!(refusal(c).as_deref(), Some("x12: NM103 contains a delimiter (x12 has no escape)"));
    assert!(build(vec![], 1).is_err());
}

#[test]
fn line_place_of_service_only_when_it_differs() -> Res {
    let mut c = claim();
    c.lines[0].place_of_service = Some("11".into());
    c.lines[1].place_of_service = Some("12".into());
    let built = build(vec![c], 1)?;
    assert!(built.contains("SV1*HC:97124:GP*110*UN*2***1:2~"));
    assert!(built.contains("SV1*HC:97140:GP*80*UN*1*12**1:3~"));
    Ok(())
}

mod properties {
    use super::*;
    use claims_domain::lifecycle::ClaimFrequency;
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    const CODES: [&str; 4] = ["97124", "97140", "97110", "97010"];
    const DIAGNOSES: [&str; 12] = [
        "M54.50", "M62.830", "M54.2", "M25.571", "M79.18", "M54.6", "M53.3", "S13.4XXA", "M62.81", "M54.16", "G44.209",
        "M25.511",
    ];

    fn arb_claim() -> impl Strategy<Value = Claim> {
        let arb_line =
            (0..CODES.len(), 1u32..=8, prop::collection::vec(prop::sample::select(vec!["GP", "59", "KX"]), 0..=2));
        (
            prop::collection::vec(arb_line, 1..=6),
            1usize..=12,
            0usize..3,
            any::<bool>(),
            prop::collection::vec(any::<prop::sample::Index>(), 1..=4),
        )
            .prop_map(|(lines, n_dx, freq, dependent, pointer_picks)| {
                let mut c = if dependent { dependent_claim() } else { claim() };
                c.diagnoses = DIAGNOSES.iter().take(n_dx).map(|d| d.to_string()).collect();
                c.frequency = [ClaimFrequency::Original, ClaimFrequency::Replacement, ClaimFrequency::Void][freq];
                c.payer_claim_control_number = (freq > 0).then(|| "PAYERCLM778899".to_string());
                c.lines = lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (code, units, mods))| {
                        let mut l = line(CODES[code], units, 15 * units, &[1], &format!("LINE{i:04}"));
                        l.modifiers = mods.into_iter().map(String::from).collect();
                        let mut pointers: Vec<u8> = pointer_picks.iter().map(|p| (p.index(n_dx) + 1) as u8).collect();
                        pointers.dedup();
                        l.diagnosis_pointers = pointers;
                        l
                    })
                    .collect();
                c
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever valid claim goes in, the interchange reads back strictly (counts and
        /// control numbers right) and carries the claim's charges, units and pointers.
        #[test]
        fn built_claims_read_back(claims in prop::collection::vec(arb_claim(), 1..=4)) {
            let built = dump(build_837p(&batch(claims.clone()), &fees(), &envelope(), numbers(42)))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let doc = rx_x12::read(built.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (_, tx) = doc.transactions().next().ok_or_else(|| TestCaseError::fail("no transaction"))?;
            let clms: Vec<_> = tx.segments_with_id("CLM").collect();
            prop_assert_eq!(clms.len(), claims.len());
            let sv1: Vec<_> = tx.segments_with_id("SV1").collect();
            prop_assert_eq!(sv1.len(), claims.iter().map(|c| c.lines.len()).sum::<usize>());
            let mut lines = sv1.iter();
            for (clm, c) in clms.iter().zip(&claims) {
                let mut total = Decimal::ZERO;
                for l in &c.lines {
                    let seg = lines.next().ok_or_else(|| TestCaseError::fail("missing SV1"))?;
                    let charge = Decimal::from_str(seg.element_or_empty(2)).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(Some(charge), fees().line_charge(&l.procedure_code, l.units).ok());
                    total += charge;
                    prop_assert_eq!(seg.element_or_empty(4), l.units.to_string());
                    let pointers: Vec<String> = seg.components(7).map(str::to_owned).collect();
                    prop_assert_eq!(pointers, l.diagnosis_pointers.iter().map(u8::to_string).collect::<Vec<_>>());
                    prop_assert_eq!(seg.components(1).skip(2).count(), l.modifiers.len());
                }
                prop_assert_eq!(Decimal::from_str(clm.element_or_empty(2)).ok(), Some(total));
                prop_assert_eq!(clm.component(5, 3), Some(c.frequency.code()));
            }
        }
    }
}
