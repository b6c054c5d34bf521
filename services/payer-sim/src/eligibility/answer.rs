//! Builds the simulated payer's 271 for a 270: the payer and provider loops, the member echoed
//! with our trace (TRN*2), then active status, plan and the EB segments of every configured
//! service type (or AAA when the member cannot be found).

use rust_decimal::Decimal;
use rx_x12::{ControlNumbers, Envelope, FunctionalGroup, OwnedSegment, PartyId, TransactionSet, Usage};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use benefits_domain::{EligibilityRequest, ProviderId, X279A1};

use super::{Config, Member, ServiceBenefit, Tier};

fn d8(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

fn money(d: Decimal) -> String {
    d.round_dp(2).to_string()
}

/// Why a member lookup failed: the AAA03 code to answer with.
fn lookup<'c>(config: &'c Config, r: &EligibilityRequest) -> Result<&'c Member, &'static str> {
    let Some(id) = r.subscriber.member_id.as_deref() else { return Err("75") };
    let m = config
        .members
        .iter()
        .find(|m| m.member_id == id && m.payer_id.as_deref().is_none_or(|p| p == r.payer.payer_id))
        .ok_or("75")?;
    // A member entry describes the subscriber: compare the subscriber's birth date (the
    // simulator knows nothing of dependents beyond accepting them).
    if let (Some(want), Some(asked)) = (m.birth_date.as_deref(), r.subscriber.birth_date)
        && want != asked.to_string()
    {
        return Err("71");
    }
    Ok(m)
}

/// The whole 271 interchange answering `x270`; `aaa42` answers "unable to respond now".
pub(super) fn respond(config: &Config, x270: &[u8], aaa42: bool, control: u32) -> Result<String, &'static str> {
    let requests = benefits_domain::parse_270(x270).map_err(|_| "the payload is not a readable 270")?;
    let doc = rx_x12::read_lenient(x270).map_err(|_| "the payload is not readable x12")?;
    let isa = doc.document.interchanges.first().ok_or("the payload has no interchange")?;
    let now = OffsetDateTime::now_utc();
    let envelope = Envelope::new(
        PartyId::new(isa.receiver_qualifier(), isa.receiver_id()),
        PartyId::new(isa.sender_qualifier(), isa.sender_id()),
        PrimitiveDateTime::new(now.date(), now.time()),
        if isa.usage() == "P" { Usage::Production } else { Usage::Test },
    );
    let transactions =
        requests.iter().map(|r| TransactionSet::new("271", Some(X279A1), body(config, r, aaa42, now))).collect();
    let group = FunctionalGroup::new("HB", X279A1, transactions);
    rx_x12::write(&envelope, &[group], ControlNumbers { interchange: control, group: control, first_transaction: 1 })
        .map_err(|_| "the answer could not be written")
}

fn body(config: &Config, r: &EligibilityRequest, aaa42: bool, now: OffsetDateTime) -> Vec<OwnedSegment> {
    let mut segs = vec![
        OwnedSegment::new("BHT")
            .element("0022")
            .element("11")
            .element(r.inquiry_reference.as_deref().unwrap_or(&r.trace.reference))
            .element(d8(now.date()))
            .element(format!("{:02}{:02}", now.hour(), now.minute())),
        OwnedSegment::new("HL").element("1").empty().element("20").element(if aaa42 { "0" } else { "1" }),
        OwnedSegment::new("NM1")
            .element("PR")
            .element("2")
            .element(&config.payer_name)
            .empty()
            .empty()
            .empty()
            .empty()
            .element("PI")
            .element(&config.payer_id),
    ];
    if aaa42 {
        // An error-only answer: the payer cannot respond; nothing below the payer loop.
        segs.push(OwnedSegment::new("AAA").element("Y").empty().element("42").element("R"));
        return segs;
    }
    let p = &r.provider;
    let (qualifier, id) = match &p.id {
        ProviderId::Npi(npi) => ("XX", npi.as_str()),
        ProviderId::Other { qualifier, id } => (qualifier.as_str(), id.as_str()),
    };
    segs.push(OwnedSegment::new("HL").element("2").element("1").element("21").element("1"));
    segs.push(
        OwnedSegment::new("NM1")
            .element(p.kind.code())
            .element(if p.organization { "2" } else { "1" })
            .element(&p.name)
            .optional(p.given.as_deref())
            .empty()
            .empty()
            .empty()
            .element(qualifier)
            .element(id),
    );
    let dependent = r.dependent.as_ref();
    segs.push(OwnedSegment::new("HL").element("3").element("2").element("22").element(if dependent.is_some() {
        "1"
    } else {
        "0"
    }));
    let trace = OwnedSegment::new("TRN").element("2").element(&r.trace.reference).element(&r.trace.originator);
    let found = lookup(config, r);
    let s = &r.subscriber;
    let subscriber_nm1 = |m: Option<&Member>| {
        let family = m.map_or(s.family.as_str(), |m| m.family.as_str());
        let given = m.map_or(s.given.as_deref(), |m| m.given.as_deref());
        let mut nm1 = OwnedSegment::new("NM1").element("IL").element("1").element(family).optional(given);
        if let Some(id) = &s.member_id {
            nm1 = nm1.empty().empty().empty().element("MI").element(id);
        }
        nm1
    };
    match dependent {
        None => {
            segs.push(trace);
            segs.push(subscriber_nm1(found.ok()));
            if let Some(dob) = s.birth_date {
                segs.push(OwnedSegment::new("DMG").element("D8").element(d8(dob)));
            }
        }
        Some(d) => {
            segs.push(subscriber_nm1(None));
            segs.push(OwnedSegment::new("HL").element("4").element("3").element("23").element("0"));
            segs.push(trace);
            segs.push(
                OwnedSegment::new("NM1").element("03").element("1").element(&d.family).optional(d.given.as_deref()),
            );
            if let Some(dob) = d.birth_date {
                segs.push(OwnedSegment::new("DMG").element("D8").element(d8(dob)));
            }
        }
    }
    match found {
        Err(code) => segs.push(OwnedSegment::new("AAA").element("N").empty().element(code).element("C")),
        Ok(m) => member_benefits(m, r, now, &mut segs),
    }
    segs
}

fn member_benefits(m: &Member, r: &EligibilityRequest, now: OffsetDateTime, segs: &mut Vec<OwnedSegment>) {
    let year = now.year();
    if let (Ok(begin), Ok(end)) = (
        Date::from_calendar_date(year, time::Month::January, 1),
        Date::from_calendar_date(year, time::Month::December, 31),
    ) {
        segs.push(OwnedSegment::new("DTP").element("346").element("RD8").element(format!("{}-{}", d8(begin), d8(end))));
    }
    let plan = m.plan_name.as_deref().unwrap_or("SIMULATED PLAN");
    let status = if m.active { "1" } else { "6" };
    segs.push(OwnedSegment::new("EB").element(status).element("IND").element("30").empty().element(plan));
    if !m.active {
        return;
    }
    for asked in &r.payer.service_types {
        if let Some(b) = m.benefits.iter().find(|b| &b.service_type == asked) {
            service(b, segs);
        }
    }
}

/// An EB with EB01..EB12 given by position (1-based), empties in between.
fn eb(fields: &[(usize, String)]) -> OwnedSegment {
    let last = fields.iter().map(|(i, _)| *i).max().unwrap_or(1);
    let mut seg = OwnedSegment::new("EB");
    for i in 1..=last {
        seg = match fields.iter().find(|(n, _)| *n == i) {
            Some((_, v)) => seg.element(v.clone()),
            None => seg.empty(),
        };
    }
    seg
}

fn service(b: &ServiceBenefit, segs: &mut Vec<OwnedSegment>) {
    tier(&b.service_type, &b.in_network, "Y", segs);
    if let Some(out) = &b.out_of_network {
        tier(&b.service_type, out, "N", segs);
    }
}

fn tier(service_type: &str, t: &Tier, network: &str, segs: &mut Vec<OwnedSegment>) {
    let st = service_type.to_owned();
    let auth = if t.auth_required { "Y" } else { "N" };
    let base = |code: &str| vec![(1, code.to_owned()), (2, "IND".to_owned()), (3, st.clone())];
    let with = |mut f: Vec<(usize, String)>, more: &[(usize, String)]| {
        f.extend_from_slice(more);
        f.push((11, auth.to_owned()));
        f.push((12, network.to_owned()));
        eb(&f)
    };
    if t.not_covered {
        segs.push(with(base("I"), &[]));
        return;
    }
    if let Some(c) = t.copay {
        segs.push(with(base("B"), &[(6, "27".into()), (7, money(c))]));
    }
    if let Some(c) = t.coinsurance {
        segs.push(with(base("A"), &[(6, "27".into()), (8, c.normalize().to_string())]));
    }
    if let Some(d) = t.deductible {
        segs.push(with(base("C"), &[(6, "23".into()), (7, money(d))]));
        let left = (d - t.deductible_met.unwrap_or_default()).max(Decimal::ZERO);
        segs.push(with(base("C"), &[(6, "29".into()), (7, money(left))]));
    }
    if let Some(o) = t.out_of_pocket {
        segs.push(with(base("G"), &[(6, "23".into()), (7, money(o))]));
        let left = (o - t.out_of_pocket_met.unwrap_or_default()).max(Decimal::ZERO);
        segs.push(with(base("G"), &[(6, "29".into()), (7, money(left))]));
    }
    if let Some(v) = t.visit_limit {
        segs.push(with(base("F"), &[(6, "23".into()), (9, "VS".into()), (10, v.to_string())]));
        let left = v.saturating_sub(t.visits_used.unwrap_or(0));
        segs.push(with(base("F"), &[(6, "29".into()), (9, "VS".into()), (10, left.to_string())]));
    }
    if t.copay.is_none() && t.coinsurance.is_none() && t.deductible.is_none() && t.visit_limit.is_none() {
        // Covered with nothing to share: say so with an active-coverage EB for the service.
        segs.push(with(base("1"), &[]));
    }
}

#[cfg(test)]
mod tests {
    use benefits_domain::{
        AttentionReason, CoverageDecision, Dependent, EligibilityRequest, PayerProfile, Provider, ProviderId,
        ProviderKind, Subscriber, Trace, benefits_for, build_270, decide, interpret_271,
    };
    use rust_decimal::Decimal;
    use rx_x12::{ControlNumbers, Envelope, PartyId, Usage};
    use time::macros::{date, datetime};

    use super::respond;
    use crate::SimConfig;

    const PLANS: &str = include_str!("../../examples/plans.json");

    fn config() -> super::Config {
        let sim: SimConfig = serde_json::from_str(PLANS).expect("example config parses");
        sim.eligibility
    }

    fn inquiry(member_id: &str, birth: time::Date, dependent: Option<Dependent>) -> String {
        let r = EligibilityRequest {
            payer: PayerProfile::new("SIMULATED HEALTH PLAN", "SIMPAYER"),
            provider: Provider {
                kind: ProviderKind::Provider,
                organization: true,
                name: "SYNTHETIC MASSAGE CLINIC".into(),
                given: None,
                id: ProviderId::Other { qualifier: "XX".into(), id: "1234567893".into() },
            },
            subscriber: Subscriber {
                member_id: Some(member_id.into()),
                family: "TESTPATIENT".into(),
                given: Some("ALEX".into()),
                birth_date: Some(birth),
            },
            dependent,
            trace: Trace { reference: "TRACE42".into(), originator: "9999999999".into() },
            inquiry_reference: None,
            service_date: Some(date!(2026 - 01 - 15)),
        };
        let env = Envelope::new(
            PartyId::new("ZZ", "CLINIC01"),
            PartyId::new("ZZ", "SIMPAYER"),
            datetime!(2026-01-15 09:30),
            Usage::Test,
        );
        build_270(&[r], &env, ControlNumbers { interchange: 7, group: 7, first_transaction: 1 }).expect("270")
    }

    fn decision_of(x271: &str) -> (CoverageDecision, benefits_domain::ServiceBenefits) {
        let i = interpret_271(x271.as_bytes()).expect("the simulator writes readable 271s");
        let m = i.responses.first().expect("one member answer");
        let b = benefits_for(m, "AE");
        (decide(m, &b), b)
    }

    #[test]
    fn copay_member_round_trips_through_the_domain() {
        let x271 =
            respond(&config(), inquiry("SIM100001", date!(1980 - 04 - 12), None).as_bytes(), false, 1).expect("answer");
        let i = interpret_271(x271.as_bytes()).expect("readable");
        let m = i.responses.first().expect("member");
        assert_eq!(m.traces, vec!["TRACE42"]);
        assert_eq!(m.plan, Some("SIM PPO GOLD"));
        let (decision, b) = decision_of(&x271);
        assert_eq!(decision, CoverageDecision::Covered);
        let n = b.in_network;
        assert_eq!(n.copay, Some(Decimal::new(2500, 2)));
        assert_eq!(n.deductible_remaining, Some(Decimal::ZERO));
        assert_eq!(n.out_of_pocket_remaining, Some(Decimal::new(280000, 2)));
        assert_eq!((n.visits_limit, n.visits_remaining), (Some(20), Some(12)));
        assert_eq!(n.prior_auth_required, Some(false));
        assert_eq!(b.out_of_network.coinsurance, Some(Decimal::new(40, 2)));
        assert_eq!(b.out_of_network.deductible_remaining, Some(Decimal::new(100000, 2)));
    }

    #[test]
    fn every_example_member_gets_its_decision() {
        let cases = [
            ("SIM100002", date!(1975 - 09 - 30), CoverageDecision::Covered),
            ("SIM100003", date!(1990 - 01 - 01), CoverageDecision::PriorAuthRequired),
            ("SIM100004", date!(1966 - 06 - 06), CoverageDecision::NeedsAttention(AttentionReason::Inactive)),
            ("SIM100005", date!(2001 - 02 - 03), CoverageDecision::NotCovered),
            ("SIM100006", date!(1985 - 12 - 24), CoverageDecision::NeedsAttention(AttentionReason::NoVisitsRemaining)),
            ("NOSUCHID", date!(1985 - 12 - 24), CoverageDecision::NeedsAttention(AttentionReason::MemberNotFound)),
            (
                "SIM100001",
                date!(1999 - 01 - 01),
                CoverageDecision::NeedsAttention(AttentionReason::Rejected { code: "71".into(), retry: false }),
            ),
        ];
        for (id, dob, want) in cases {
            let x271 = respond(&config(), inquiry(id, dob, None).as_bytes(), false, 3).expect("answer");
            assert_eq!(decision_of(&x271).0, want, "member case {id}");
        }
    }

    #[test]
    fn dependents_are_answered_in_their_own_loop() {
        let dep = Dependent {
            family: "TESTPATIENT".into(),
            given: Some("KID".into()),
            birth_date: Some(date!(2015 - 03 - 03)),
        };
        let x271 = respond(&config(), inquiry("SIM100002", date!(1975 - 09 - 30), Some(dep)).as_bytes(), false, 4)
            .expect("answer");
        let i = interpret_271(x271.as_bytes()).expect("readable");
        let m = i.responses.first().expect("member");
        assert_eq!(m.relationship, benefits_domain::Relationship::Dependent);
        assert_eq!(decision_of(&x271).0, CoverageDecision::Covered);
    }

    #[test]
    fn aaa42_is_a_retryable_payer_rejection() {
        let x271 =
            respond(&config(), inquiry("SIM100001", date!(1980 - 04 - 12), None).as_bytes(), true, 5).expect("answer");
        let want = CoverageDecision::NeedsAttention(AttentionReason::Rejected { code: "42".into(), retry: true });
        assert_eq!(decision_of(&x271).0, want);
    }

    #[test]
    fn a_payload_that_is_not_a_270_is_refused() {
        assert!(respond(&config(), b"hello", false, 1).is_err());
    }
}
