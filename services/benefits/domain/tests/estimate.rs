//! Cost estimates: a worked example, rounding, and the invariants as properties.

use std::str::FromStr;

use benefits_domain::{EstimateInput, FeeSchedule, NetworkBenefits, Procedure, estimate};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

fn fees() -> FeeSchedule {
    let mut f = FeeSchedule::new();
    f.insert("97124", d("40.00")).expect("fee");
    f.insert("97140", d("45.50")).expect("fee");
    f.insert("97010", d("15.00")).expect("fee");
    f
}

fn massage(minutes: u32) -> Vec<Procedure> {
    vec![Procedure { code: "97124".into(), minutes }]
}

/// The in-network AE figures of the synthetic 271.
fn synthetic_benefits() -> NetworkBenefits {
    NetworkBenefits {
        copay: Some(d("25")),
        coinsurance: Some(d("0.2")),
        deductible_remaining: Some(d("320")),
        visits_remaining: Some(14),
        ..NetworkBenefits::default()
    }
}

#[test]
fn deductible_drains_first_then_coinsurance_then_visits_run_out() {
    let procedures = massage(25); // 2 units of 97124
    let benefits = synthetic_benefits();
    let e = estimate(&EstimateInput { fees: &fees(), procedures: &procedures, sessions: 16, benefits: &benefits })
        .expect("estimates");
    assert_eq!((e.lines[0].units, e.lines[0].charge), (2, d("80.00")));
    let first = e.first_session().expect("first");
    assert_eq!((first.charge, first.patient_pays, first.plan_pays), (d("80.00"), d("80.00"), d("0.00")));
    assert_eq!(first.deductible_remaining, d("240"));
    let s5 = &e.sessions[4];
    assert_eq!((s5.patient_pays, s5.plan_pays, s5.deductible_applied), (d("16.00"), d("64.00"), d("0")));
    let s15 = &e.sessions[14];
    assert!(!s15.covered);
    assert_eq!((s15.patient_pays, s15.plan_pays), (d("80.00"), d("0")));
    // 4 x 80 deductible + 10 x 16 coinsurance + 2 x 80 beyond the 14 visits
    assert_eq!(e.total.charge, d("1280.00"));
    assert_eq!(e.total.patient_pays, d("640.00"));
    assert_eq!(e.total.plan_pays, d("640.00"));
    assert!(e.cost_share_known);
}

#[test]
fn untimed_codes_are_one_unit_and_short_timed_codes_none() {
    let procedures = vec![
        Procedure { code: "97010".into(), minutes: 30 },
        Procedure { code: "97140".into(), minutes: 7 },
        Procedure { code: "97124".into(), minutes: 38 },
    ];
    let benefits = NetworkBenefits { copay: Some(d("25")), ..NetworkBenefits::default() };
    let e = estimate(&EstimateInput { fees: &fees(), procedures: &procedures, sessions: 1, benefits: &benefits })
        .expect("estimates");
    let units: Vec<u32> = e.lines.iter().map(|l| l.units).collect();
    assert_eq!(units, [1, 0, 3]);
    assert_eq!(e.sessions[0].charge, d("135.00"));
    assert_eq!((e.sessions[0].patient_pays, e.sessions[0].plan_pays), (d("25.00"), d("110.00")));
}

#[test]
fn rounds_each_session_to_cents_half_away_from_zero() {
    let mut f = FeeSchedule::new();
    f.insert("97124", d("33.35")).expect("fee");
    let procedures = massage(15);
    let benefits = NetworkBenefits { coinsurance: Some(d("0.15")), ..NetworkBenefits::default() };
    let e = estimate(&EstimateInput { fees: &f, procedures: &procedures, sessions: 2, benefits: &benefits })
        .expect("estimates");
    // 33.35 * 0.15 = 5.0025 -> 5.00
    assert_eq!(e.sessions[0].patient_pays, d("5.00"));
    assert_eq!(e.sessions[0].plan_pays, d("28.35"));
    assert_eq!(e.total.patient_pays + e.total.plan_pays, e.total.charge);
}

#[test]
fn out_of_pocket_remaining_caps_the_patient() {
    let procedures = massage(25);
    let benefits = NetworkBenefits {
        coinsurance: Some(d("0.5")),
        out_of_pocket_remaining: Some(d("50")),
        ..NetworkBenefits::default()
    };
    let e = estimate(&EstimateInput { fees: &fees(), procedures: &procedures, sessions: 3, benefits: &benefits })
        .expect("estimates");
    let paid: Vec<Decimal> = e.sessions.iter().map(|s| s.patient_pays).collect();
    assert_eq!(paid, [d("40.00"), d("10"), d("0")]);
}

#[test]
fn not_covered_service_costs_the_full_charge() {
    let procedures = massage(25);
    let benefits = NetworkBenefits { not_covered: true, copay: Some(d("10")), ..NetworkBenefits::default() };
    let e = estimate(&EstimateInput { fees: &fees(), procedures: &procedures, sessions: 2, benefits: &benefits })
        .expect("estimates");
    assert_eq!(e.total.patient_pays, d("160.00"));
}

#[test]
fn refuses_unknown_codes_missing_fees_and_bad_benefits() {
    let b = NetworkBenefits::default();
    let unknown = vec![Procedure { code: "99213".into(), minutes: 15 }];
    assert!(estimate(&EstimateInput { fees: &fees(), procedures: &unknown, sessions: 1, benefits: &b }).is_err());
    let unpriced = vec![Procedure { code: "97110".into(), minutes: 15 }];
    assert!(estimate(&EstimateInput { fees: &fees(), procedures: &unpriced, sessions: 1, benefits: &b }).is_err());
    let bad = NetworkBenefits { coinsurance: Some(d("1.5")), ..NetworkBenefits::default() };
    assert!(estimate(&EstimateInput { fees: &fees(), procedures: &massage(20), sessions: 1, benefits: &bad }).is_err());
    assert!(FeeSchedule::new().insert("97124", d("-1")).is_err());
    assert!(
        estimate(&EstimateInput { fees: &fees(), procedures: &massage(20), sessions: 1001, benefits: &b }).is_err()
    );
}

fn money() -> impl Strategy<Value = Decimal> {
    (0i64..200_000).prop_map(|c| Decimal::new(c, 2))
}

fn benefits() -> impl Strategy<Value = NetworkBenefits> {
    (
        proptest::option::of(money()),
        proptest::option::of((0i64..=1000).prop_map(|p| Decimal::new(p, 3))),
        proptest::option::of(money()),
        proptest::option::of(money()),
        proptest::option::of(0u32..30),
        any::<bool>(),
    )
        .prop_map(|(copay, coinsurance, deductible_remaining, oop, visits_remaining, not_covered)| {
            NetworkBenefits {
                copay,
                coinsurance,
                deductible_remaining,
                out_of_pocket_remaining: oop,
                visits_remaining,
                not_covered,
                ..NetworkBenefits::default()
            }
        })
}

fn procedures() -> impl Strategy<Value = Vec<Procedure>> {
    let code = prop::sample::select(vec!["97124", "97140", "97010"]);
    prop::collection::vec((code, 0u32..90).prop_map(|(c, m)| Procedure { code: c.into(), minutes: m }), 1..4)
}

proptest! {
    #[test]
    fn patient_plus_plan_is_the_charge_and_nothing_goes_negative(
        b in benefits(), p in procedures(), sessions in 0u32..40,
    ) {
        let e = estimate(&EstimateInput { fees: &fees(), procedures: &p, sessions, benefits: &b }).expect("valid");
        prop_assert_eq!(e.sessions.len(), sessions as usize);
        let mut previous = b.deductible_remaining.unwrap_or_default();
        for s in &e.sessions {
            prop_assert_eq!(s.patient_pays + s.plan_pays, s.charge);
            prop_assert!(s.patient_pays >= Decimal::ZERO && s.plan_pays >= Decimal::ZERO);
            prop_assert_eq!(s.patient_pays, s.patient_pays.round_dp(2));
            prop_assert!(s.deductible_remaining >= Decimal::ZERO);
            prop_assert!(s.deductible_remaining <= previous);
            previous = s.deductible_remaining;
        }
        prop_assert_eq!(e.total.patient_pays + e.total.plan_pays, e.total.charge);
    }

    #[test]
    fn more_visits_remaining_never_costs_the_patient_more(
        b in benefits(), p in procedures(), sessions in 0u32..40, extra in 1u32..10,
    ) {
        let fees = fees();
        let fewer = NetworkBenefits { visits_remaining: Some(b.visits_remaining.unwrap_or(0)), ..b };
        let more = NetworkBenefits { visits_remaining: fewer.visits_remaining.map(|v| v + extra), ..b };
        let a = estimate(&EstimateInput { fees: &fees, procedures: &p, sessions, benefits: &fewer }).expect("valid");
        let c = estimate(&EstimateInput { fees: &fees, procedures: &p, sessions, benefits: &more }).expect("valid");
        prop_assert!(c.total.patient_pays <= a.total.patient_pays);
        let unlimited = NetworkBenefits { visits_remaining: None, ..b };
        let u = estimate(&EstimateInput { fees: &fees, procedures: &p, sessions, benefits: &unlimited }).expect("valid");
        prop_assert!(u.total.patient_pays <= c.total.patient_pays);
    }
}
