//! 837P building speed: claims per second for interchanges of 1, 100 and 10,000 claims.

#[path = "../tests/common/mod.rs"]
mod common;

use claims_domain::build837::build_837p;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn build(c: &mut Criterion) {
    let fees = common::fees();
    let envelope = common::envelope();
    let mut group = c.benchmark_group("build_837p");
    for n in [1usize, 100, 10_000] {
        let batch = common::batch(common::many_claims(n));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &batch, |b, batch| {
            b.iter(|| build_837p(batch, &fees, &envelope, common::numbers(1)).map(|s| s.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, build);
criterion_main!(benches);
