//! Throughput of reading a prescription from each channel: HL7 v2 parse + map (the synthetic
//! ORM^O01), FHIR parse + map (the synthetic Bundle), and fax-text extraction (the OCR text of
//! the lumbar prescription pad). Each iteration is one message.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use intake_domain::{FaxLine, FaxText, from_fax_text, from_fhir_json, from_hl7v2};

const ORM: &[u8] = include_bytes!("../../../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7");
const BUNDLE: &[u8] = include_bytes!("../tests/data/fhir_bundle_massage_prescription.json");
const FAX: &str = include_str!("../tests/data/fax_pad_lumbar.ocr.tsv");

fn fax() -> FaxText {
    FaxText::new(
        FAX.lines()
            .skip(1)
            .filter_map(|row| row.split_once('\t'))
            .map(|(c, t)| FaxLine { text: t.to_owned(), confidence: c.parse().unwrap() })
            .collect(),
    )
}

fn parse_map(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_map");
    group.throughput(Throughput::Elements(1));
    group.bench_function("hl7v2_orm_o01", |b| b.iter(|| from_hl7v2(black_box(ORM)).unwrap()));
    group.bench_function("fhir_bundle", |b| b.iter(|| from_fhir_json(black_box(BUNDLE)).unwrap()));
    let fax = fax();
    group.bench_function("fax_text_pad", |b| b.iter(|| from_fax_text(black_box(&fax)).unwrap()));
    group.finish();
}

criterion_group!(benches, parse_map);
criterion_main!(benches);
