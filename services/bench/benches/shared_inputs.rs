//! rxbridge on the very files the Python peers read (`rx-bench inputs`): HL7 v2 parse and
//! parse + map, X12 tokenizing, 271 read + interpret, 835 read and 837P build, each over
//! interchanges or batches of 1, 100 and 10,000 items. Throughput is declared in items (messages,
//! transactions, claims), so `rx-bench report` turns criterion's estimates into items per second.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rx_bench::inputs::{Manifest, SIZES, generate, hl7_messages};

fn manifest() -> Manifest {
    let dir = std::env::var_os("RX_BENCH_INPUTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench/inputs")));
    Manifest::read(&dir).or_else(|_| generate(&dir)).unwrap()
}

fn load(m: &Manifest, name: &str) -> Vec<u8> {
    std::fs::read(&m.get(name).unwrap().path).unwrap()
}

fn hl7(c: &mut Criterion, m: &Manifest) {
    let mut g = c.benchmark_group("hl7v2_parse");
    let mut names: Vec<String> = SIZES.iter().map(|n| format!("hl7v2_orm_{n}")).collect();
    names.push("hl7v2_public_samples".into());
    for name in &names {
        let bytes = load(m, name);
        let messages: Vec<String> =
            hl7_messages(&bytes).into_iter().map(|b| rx_hl7v2::decode(b).into_owned()).collect();
        g.throughput(Throughput::Elements(messages.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| {
                let mut segments = 0;
                for text in &messages {
                    segments += rx_hl7v2::Message::parse(black_box(text)).unwrap().segments().len();
                }
                segments
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("hl7v2_parse_map");
    for n in SIZES {
        let name = format!("hl7v2_orm_{n}");
        let bytes = load(m, &name);
        let messages = hl7_messages(&bytes);
        g.throughput(Throughput::Elements(messages.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| {
                messages
                    .iter()
                    .map(|msg| intake_domain::from_hl7v2(black_box(msg)).unwrap().procedures.len())
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

fn x12(c: &mut Criterion, m: &Manifest) {
    let mut g = c.benchmark_group("x12_tokenize");
    for kind in ["271", "837p", "835"] {
        for n in SIZES {
            let name = format!("x12_{kind}_{n}");
            let bytes = load(m, &name);
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(name.as_str(), |b| b.iter(|| rx_x12::read(black_box(&bytes)).unwrap().interchanges.len()));
        }
    }
    g.finish();
    let mut g = c.benchmark_group("read_271_interpret");
    for n in SIZES {
        let name = format!("x12_271_{n}");
        let bytes = load(m, &name);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| {
                let i = benefits_domain::interpret_271(black_box(&bytes)).unwrap();
                assert_eq!(i.responses.len(), n);
                i.responses
                    .iter()
                    .map(|r| benefits_domain::benefits_for(r, "AE").in_network.visits_remaining.unwrap_or(0))
                    .sum::<u32>()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("read_835");
    for n in SIZES {
        let name = format!("x12_835_{n}");
        let bytes = load(m, &name);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| claims_domain::remit835::read_835(black_box(&bytes)).unwrap().transactions.len())
        });
    }
    g.finish();
    let mut g = c.benchmark_group("build_837p_claims");
    for n in SIZES {
        let name = format!("x12_837p_{n}");
        g.throughput(Throughput::Elements(n as u64));
        let built = rx_bench::inputs::claims_for_837p(n);
        g.bench_function(name.as_str(), |b| b.iter(|| built.build().unwrap().len()));
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    let m = manifest();
    hl7(c, &m);
    x12(c, &m);
}

criterion_group!(benches, all);
criterion_main!(benches);
