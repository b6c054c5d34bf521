//! Every fax coding of the same strip decodes to the same pixels: CCITT G3 1D, G3 2D (with and
//! without EOL fill, several strips), G4, LSB-first bit order, against LZW and PackBits decoded
//! by the `tiff` crate as the reference. Files made by tests/data/codec/make.sh.

#![allow(clippy::panic)]

use rx_ocr::{Limits, PreparedPage, prepare_document};

fn prepared(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/codec/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    match prepare_document(&bytes, &Limits::default()) {
        Ok(doc) => match doc.pages.into_iter().next() {
            Some(PreparedPage::Image { png, .. }) => png,
            other => panic!("{name}: {other:?}"),
        },
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn all_codings_decode_to_identical_pages() {
    let reference = prepared("strip_lzw.tiff");
    for name in [
        "strip_packbits.tiff",
        "strip_g4.tiff",
        "strip_g4_lsb.tiff",
        "strip_g3_1d.tiff",
        "strip_g3_2d.tiff",
        "strip_g3_2d_lsb.tiff",
        "strip_g3_2d_fill_strips.tiff",
    ] {
        assert!(prepared(name) == reference, "{name} differs from the lzw reference");
    }
}
