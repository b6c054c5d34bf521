//! Parse throughput over the synthetic massage order and the largest public sample.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rx_hl7v2::{Message, Path};

const ORM: &[u8] = include_bytes!("../../../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7");
const OMG: &[u8] = include_bytes!("../../../../tests/fixtures/hl7v2/msfhirconv_OMG-O19-01.hl7");

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("hl7v2_parse");
    group.throughput(Throughput::Elements(1));
    let orm = rx_hl7v2::decode(ORM).into_owned();
    let omg = rx_hl7v2::decode(OMG).into_owned();
    let path = Path::parse("DG1(2)-3.1").unwrap();
    group.bench_function("synthetic_orm_o01", |b| {
        b.iter(|| {
            let msg = Message::parse(black_box(&orm)).unwrap();
            black_box(msg.get(&path));
        })
    });
    group.bench_function("omg_o19_10kb", |b| b.iter(|| Message::parse(black_box(&omg)).unwrap().segments().len()));
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
