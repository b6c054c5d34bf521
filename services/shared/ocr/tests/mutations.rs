//! Damaged documents never panic: random byte corruption of small real files must end in a page
//! or a typed error. (Deeper coverage belongs to the fuzz target on `prepare_document`.)

use proptest::prelude::*;
use rx_ocr::{Limits, prepare_document};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/codec/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_default()
}

fn text_pdf() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures/fax-extra/fax_letter_shoulder.pdf"))
        .unwrap_or_default()
}

fn corrupt(mut bytes: Vec<u8>, edits: &[(usize, u8)], skip_header: usize) -> Vec<u8> {
    let len = bytes.len().saturating_sub(skip_header).max(1);
    for &(pos, val) in edits {
        if let Some(b) = bytes.get_mut(skip_header + pos % len) {
            *b = val;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_ccitt_tiffs_do_not_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..40),
    ) {
        let name = ["strip_g4.tiff", "strip_g3_2d.tiff", "strip_g3_1d.tiff"][which];
        let bytes = corrupt(data(name), &edits, 8);
        let _ = prepare_document(&bytes, &Limits::default());
    }

    #[test]
    fn corrupted_pdfs_do_not_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..20),
    ) {
        let bytes = corrupt(text_pdf(), &edits, 9);
        let _ = prepare_document(&bytes, &Limits::default());
    }

    #[test]
    fn truncated_documents_do_not_panic(cut in 0usize..7000, which in 0usize..2) {
        let bytes = if which == 0 { data("strip_g3_2d.tiff") } else { text_pdf() };
        let _ = prepare_document(&bytes[..cut.min(bytes.len())], &Limits::default());
    }
}
