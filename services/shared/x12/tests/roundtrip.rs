//! Writer/reader round trip: whatever the writer writes, the reader reads back identically,
//! with correct envelope counts and control numbers.

use proptest::prelude::*;
use rx_x12::{
    ControlNumbers, Delimiters, Element, Envelope, Error, FunctionalGroup, OwnedSegment, PartyId, TransactionSet,
    Usage, read, write,
};
use time::macros::datetime;

fn envelope() -> Envelope {
    Envelope::new(
        PartyId::new("ZZ", "CLINIC01"),
        PartyId::new("ZZ", "PAYER01"),
        datetime!(2026-01-15 09:30),
        Usage::Test,
    )
}

fn numbers() -> ControlNumbers {
    ControlNumbers { interchange: 42, group: 7, first_transaction: 1 }
}

#[test]
fn writes_a_fixed_width_isa_and_matching_trailers() {
    let body =
        vec![OwnedSegment::new("BHT").element("0022").element("13"), OwnedSegment::new("EQ").repeated(["30", "AE"])];
    let group =
        FunctionalGroup::new("HS", "005010X279A1", vec![TransactionSet::new("270", Some("005010X279A1"), body)]);
    let text = write(&envelope(), &[group], numbers()).expect("writes");
    let isa_end = text.find('~').expect("terminator");
    assert_eq!(isa_end + 1, 106, "ISA is fixed width");
    assert!(text.starts_with(
        "ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*PAYER01        *260115*0930*^*00501*000000042*0*T*:~"
    ));
    assert!(text.contains("GS*HS*CLINIC01*PAYER01*20260115*0930*7*X*005010X279A1~"));
    assert!(text.contains("ST*270*0001*005010X279A1~BHT*0022*13~EQ*30^AE~SE*4*0001~GE*1*7~IEA*1*000000042~"));
    read(text.as_bytes()).expect("reads back strictly");
}

#[test]
fn numbers_transactions_across_groups() {
    let tx = || TransactionSet::new("270", None, vec![OwnedSegment::new("BHT").element("0022")]);
    let groups = [
        FunctionalGroup::new("HS", "005010X279A1", vec![tx(), tx()]),
        FunctionalGroup::new("HS", "005010X279A1", vec![tx()]),
    ];
    let text = write(&envelope(), &groups, numbers()).expect("writes");
    let doc = read(text.as_bytes()).expect("reads back");
    let controls: Vec<(&str, &str)> = doc.transactions().map(|(g, t)| (g.control_number, t.control_number)).collect();
    assert_eq!(controls, [("7", "0001"), ("7", "0002"), ("8", "0003")]);
}

#[test]
fn refuses_values_with_delimiters_and_bad_envelope_fields() {
    let body = vec![OwnedSegment::new("NM1").element("IL").element("O~NEIL")];
    let group = FunctionalGroup::new("HS", "005010X279A1", vec![TransactionSet::new("270", None, body)]);
    assert_eq!(
        write(&envelope(), std::slice::from_ref(&group), numbers()),
        Err(Error::DelimiterInValue { segment: "NM1".into(), element: 2 })
    );
    let mut env = envelope();
    env.sender.id = "A SENDER ID THAT IS TOO LONG".into();
    assert!(matches!(write(&env, &[], numbers()), Err(Error::InvalidValue { .. })));
    let zero = ControlNumbers { interchange: 0, ..numbers() };
    assert!(matches!(write(&envelope(), &[], zero), Err(Error::InvalidValue { .. })));
    let envelope_in_body = vec![OwnedSegment::new("SE").element("1")];
    let g = FunctionalGroup::new("HS", "005010X279A1", vec![TransactionSet::new("270", None, envelope_in_body)]);
    assert!(write(&envelope(), &[g], numbers()).is_err());
}

#[test]
fn version_4010_writes_u_and_refuses_repetitions() {
    let mut env = envelope();
    env.version = "00401".into();
    let plain = FunctionalGroup::new(
        "HS",
        "004010X092A1",
        vec![TransactionSet::new("270", None, vec![OwnedSegment::new("EQ").element("30")])],
    );
    let text = write(&env, &[plain], numbers()).expect("writes");
    assert!(text.contains("*U*00401*"));
    let doc = read(text.as_bytes()).expect("reads");
    assert_eq!(doc.interchanges[0].delimiters.repetition, None);
    let rep = FunctionalGroup::new(
        "HS",
        "004010X092A1",
        vec![TransactionSet::new("270", None, vec![OwnedSegment::new("EQ").repeated(["30", "AE"])])],
    );
    assert!(write(&env, &[rep], numbers()).is_err());
}

const DELIMS: &[u8] = b"*|^:~!#%+@{}<>?=\x1d";

fn delimiters() -> impl Strategy<Value = (Delimiters, bool)> {
    (proptest::sample::subsequence(DELIMS.to_vec(), 4).prop_shuffle(), any::<bool>(), any::<bool>()).prop_map(
        |(d, newline_terminator, line_break)| {
            let segment = if newline_terminator { b'\n' } else { d[3] };
            (Delimiters { element: d[0], repetition: Some(d[1]), component: d[2], segment }, line_break)
        },
    )
}

fn value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 .,/()&'é-]{0,12}"
}

fn element() -> impl Strategy<Value = Element> {
    prop::collection::vec(prop::collection::vec(value(), 1..4), 1..4).prop_map(|repetitions| Element { repetitions })
}

fn segment() -> impl Strategy<Value = OwnedSegment> {
    ("[A-Z][A-Z0-9]{1,2}", prop::collection::vec(element(), 0..10))
        .prop_filter("not an envelope id", |(id, _)| !matches!(id.as_str(), "ISA" | "IEA" | "GS" | "GE" | "ST" | "SE"))
        .prop_map(|(id, elements)| OwnedSegment { id, elements })
}

fn groups() -> impl Strategy<Value = Vec<FunctionalGroup>> {
    let tx =
        prop::collection::vec(segment(), 0..12).prop_map(|body| TransactionSet::new("837", Some("005010X222A1"), body));
    let group = prop::collection::vec(tx, 0..4).prop_map(|t| FunctionalGroup::new("HC", "005010X222A1", t));
    prop::collection::vec(group, 0..3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn what_the_writer_writes_the_reader_reads_back(
        (delimiters, line_break) in delimiters(),
        groups in groups(),
        interchange in 1u32..=999_999_999,
        group in 1u32..=999_000_000,
        first in 1u32..=999_000_000,
    ) {
        let mut env = envelope();
        env.delimiters = delimiters;
        env.line_break = line_break;
        let text = write(&env, &groups, ControlNumbers { interchange, group, first_transaction: first })
            .expect("valid input writes");
        let doc = read(text.as_bytes()).expect("written text reads strictly");
        prop_assert_eq!(doc.interchanges.len(), 1);
        let ic = &doc.interchanges[0];
        prop_assert_eq!(ic.delimiters, delimiters);
        prop_assert_eq!(ic.control_number().parse::<u32>().ok(), Some(interchange));
        prop_assert_eq!(ic.groups.len(), groups.len());
        let mut st = u64::from(first);
        for (gi, (read_g, g)) in ic.groups.iter().zip(&groups).enumerate() {
            prop_assert_eq!(read_g.control_number.parse::<u64>().ok(), Some(u64::from(group) + gi as u64));
            prop_assert_eq!(read_g.transactions.len(), g.transactions.len());
            for (read_t, t) in read_g.transactions.iter().zip(&g.transactions) {
                prop_assert_eq!(read_t.control_number.parse::<u64>().ok(), Some(st));
                st += 1;
                let back: Vec<OwnedSegment> = read_t.segments.iter().map(OwnedSegment::from_segment).collect();
                let sent: Vec<OwnedSegment> = t.body.iter().map(OwnedSegment::normalized).collect();
                prop_assert_eq!(back, sent);
            }
        }
    }
}
