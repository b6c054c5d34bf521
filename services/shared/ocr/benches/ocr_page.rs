//! Time per fax page: the whole pipeline (decode, normalise, Tesseract) and the part before
//! Tesseract alone, on one 1734 × 2156 G4 fixture page.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rx_ocr::{Limits, prepare_document, read_document};

fn fixture() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures/fax/fax_pad_lumbar.tiff");
    std::fs::read(path).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let bytes = fixture();
    let limits = Limits::default();
    let mut group = c.benchmark_group("ocr_page");
    group.sample_size(10);
    group.bench_function("prepare_page_g4_tiff", |b| {
        b.iter(|| prepare_document(black_box(&bytes), &limits).map(|d| d.pages.len()))
    });
    group.bench_function("read_page_g4_tiff", |b| {
        b.iter(|| read_document(black_box(&bytes), &limits).map(|d| d.pages.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
