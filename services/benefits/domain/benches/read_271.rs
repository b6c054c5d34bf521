//! 271 read + interpret throughput, in transactions per second: the synthetic massage 271, and
//! generated interchanges of 100 and 10,000 copies of its transaction set.

use std::hint::black_box;

use benefits_domain::{benefits_for, interpret_271, read_271};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rx_x12::{ControlNumbers, Envelope, FunctionalGroup, OwnedSegment, PartyId, TransactionSet, Usage, read, write};

const SYNTHETIC: &[u8] = include_bytes!("../../../../tests/fixtures/synthetic/271_massage_benefits.x12");

/// An interchange holding `n` copies of the synthetic 271 transaction set.
fn interchange(n: usize) -> Vec<u8> {
    let doc = read(SYNTHETIC).expect("synthetic 271 reads");
    let (_, t) = doc.transactions().next().expect("one transaction");
    let body: Vec<OwnedSegment> = t.segments.iter().map(OwnedSegment::from_segment).collect();
    let tx = TransactionSet::new("271", Some("005010X279A1"), body);
    let group = FunctionalGroup::new("HB", "005010X279A1", vec![tx; n]);
    let env = Envelope::new(
        PartyId::new("ZZ", "PAYER01"),
        PartyId::new("ZZ", "CLINIC01"),
        time::macros::datetime!(2026-01-15 09:30),
        Usage::Test,
    );
    write(&env, &[group], ControlNumbers { interchange: 1, group: 1, first_transaction: 1 })
        .expect("writes")
        .into_bytes()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("read_271");
    g.throughput(Throughput::Elements(1));
    g.bench_function("synthetic_report", |b| b.iter(|| read_271(black_box(SYNTHETIC), "AE").expect("reads")));
    let hundred = interchange(100);
    g.throughput(Throughput::Elements(100));
    g.bench_function("x12_syntax_only_100_transactions", |b| {
        b.iter(|| read(black_box(&hundred)).expect("reads").interchanges.len())
    });
    for n in [100usize, 10_000] {
        let input = interchange(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("interpret_{n}_transactions"), |b| {
            b.iter(|| {
                let i = interpret_271(black_box(&input)).expect("reads");
                let mut visits = 0u32;
                for m in &i.responses {
                    visits += benefits_for(m, "AE").in_network.visits_remaining.unwrap_or(0);
                }
                assert_eq!(i.responses.len(), n);
                visits
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
