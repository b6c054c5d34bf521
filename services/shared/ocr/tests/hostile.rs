//! Hostile and broken input: every refusal is a typed error, raised before the expensive work.

#![allow(clippy::panic)]

mod common;

use common::read_fixture;
use rx_ocr::{DocumentKind, Limits, OcrError, PreparedPage, prepare_document, read_document};

#[test]
fn empty_and_unknown_inputs() {
    assert_eq!(prepare_document(b"", &Limits::default()), Err(OcrError::Empty));
    assert_eq!(prepare_document(b"GIF89a\x01\x00\x01\x00", &Limits::default()), Err(OcrError::UnknownFormat));
    assert_eq!(
        read_document(b"just some text", &Limits::default()).map(|d| d.pages.len()),
        Err(OcrError::UnknownFormat)
    );
}

#[test]
fn document_byte_limit() {
    let bytes = read_fixture("fax", "fax_pad_lumbar.tiff");
    let limits = Limits { max_document_bytes: 1000, ..Limits::default() };
    assert_eq!(prepare_document(&bytes, &limits), Err(OcrError::DocumentTooLarge { bytes: bytes.len(), limit: 1000 }));
}

#[test]
fn page_limit_on_multi_page_tiff() {
    let bytes = read_fixture("fax-extra", "fax_twopage_lumbar.tiff");
    let limits = Limits { max_pages: 1, ..Limits::default() };
    assert_eq!(prepare_document(&bytes, &limits), Err(OcrError::TooManyPages { pages: 2, limit: 1 }));
}

#[test]
fn pixel_limit_applies_from_headers() {
    let limits = Limits { max_pixels_per_page: 1_000_000, ..Limits::default() };
    for (sub, file) in [("fax", "fax_pad_lumbar.tiff"), ("fax", "fax_letter_neck.png"), ("fax", "fax_pad_lumbar.pdf")] {
        let got = prepare_document(&read_fixture(sub, file), &limits);
        assert!(
            matches!(got, Err(OcrError::PageTooLarge { page: 1, width: 1734, height: 2156, .. })),
            "{file}: {got:?}"
        );
    }
}

/// A TIFF header declaring a 100000 × 100000 page over a few bytes of data: refused from the
/// directory alone.
#[test]
fn tiff_decompression_bomb_is_refused_before_decoding() {
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let entries: [(u16, u16, u32, u32); 8] = [
        (256, 4, 1, 100_000), // width
        (257, 4, 1, 100_000), // height
        (258, 3, 1, 1),       // bits per sample
        (259, 3, 1, 4),       // group 4
        (262, 3, 1, 0),       // white is zero
        (273, 4, 1, 200),     // strip offset
        (278, 4, 1, 100_000), // rows per strip
        (279, 4, 1, 4),       // strip byte count
    ];
    t.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, ty, count, value) in entries {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&ty.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    }
    t.extend_from_slice(&0u32.to_le_bytes());
    t.resize(204, 0);
    let got = prepare_document(&t, &Limits::default());
    assert!(matches!(got, Err(OcrError::PageTooLarge { width: 100_000, height: 100_000, .. })), "{got:?}");
}

fn png_chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(&body);
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(&body);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A PNG whose IHDR claims 60000 × 60000 over a few bytes of deflate data.
#[test]
fn png_decompression_bomb_is_refused_before_decoding() {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, b"IHDR", &ihdr);
    // zlib stream of a few zero bytes
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);
    let got = prepare_document(&png, &Limits::default());
    assert!(matches!(got, Err(OcrError::PageTooLarge { width: 60_000, .. })), "{got:?}");
}

#[test]
fn truncated_and_fake_pdfs_are_malformed() {
    let pdf = read_fixture("fax", "fax_pad_lumbar.pdf");
    let truncated = &pdf[..pdf.len() / 2];
    assert!(matches!(prepare_document(truncated, &Limits::default()), Err(OcrError::MalformedPdf { .. })));
    let fake = b"%PDF-1.7\nthis is not really a pdf\n%%EOF\n";
    assert!(matches!(prepare_document(fake, &Limits::default()), Err(OcrError::MalformedPdf { .. })));
}

#[test]
fn corrupt_tiff_is_a_typed_error() {
    let mut tiff = read_fixture("fax", "fax_pad_lumbar.tiff");
    // keep the header, scramble the directory
    for b in tiff.iter_mut().skip(8) {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    let got = prepare_document(&tiff, &Limits::default());
    assert!(
        matches!(
            got,
            Err(OcrError::MalformedImage { kind: DocumentKind::Tiff, .. })
                | Err(OcrError::PageTooLarge { .. })
                | Err(OcrError::UnsupportedCodec { .. })
                | Err(OcrError::TooManyPages { .. })
        ),
        "{got:?}"
    );
}

#[test]
fn truncated_png_and_jpeg_are_malformed() {
    let png = read_fixture("fax", "fax_letter_neck.png");
    assert!(matches!(
        prepare_document(&png[..200], &Limits::default()),
        Err(OcrError::MalformedImage { kind: DocumentKind::Png, .. })
    ));
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
    assert!(matches!(
        prepare_document(&jpeg, &Limits::default()),
        Err(OcrError::MalformedImage { kind: DocumentKind::Jpeg, .. })
    ));
}

#[test]
fn ocr_time_limit_is_reported_per_page() {
    let bytes = read_fixture("fax", "fax_pad_missing_dx.tiff");
    let limits = Limits { max_ocr_millis_per_page: 0, ..Limits::default() };
    assert!(matches!(read_document(&bytes, &limits), Err(OcrError::PageTimeExceeded { page: 1, limit: 0, .. })));
}

#[test]
fn document_budget_stops_before_the_next_page() {
    let bytes = read_fixture("fax-extra", "fax_twopage_lumbar.tiff");
    let limits = Limits { max_millis_per_document: 0, ..Limits::default() };
    // page 1 is decoded and normalised (which takes well over a millisecond); page 2 is refused
    assert!(matches!(prepare_document(&bytes, &limits), Err(OcrError::DocumentTimeExceeded { page: 2, limit: 0, .. })));
}

#[test]
fn prepared_pages_are_square_300_dpi() {
    let doc = prepare_document(&read_fixture("fax-extra", "fax_std_headache_noisy.tiff"), &Limits::default());
    let Ok(doc) = doc else {
        panic!("{doc:?}");
    };
    assert_eq!(doc.kind, DocumentKind::Tiff);
    let [PreparedPage::Image { width, height, skew_degrees, .. }] = doc.pages.as_slice() else {
        panic!("one image page expected");
    };
    // 1734 × 1078 at 204 × 98 dpi → 2550 × 3300 at 300 dpi
    assert_eq!((*width, *height), (2550, 3300));
    // make.py skews the page by 1.6 degrees
    assert!((skew_degrees.abs() - 1.6).abs() < 0.2, "skew {skew_degrees}");
}

#[test]
fn errors_never_carry_document_content() {
    let bytes = read_fixture("fax", "fax_pad_lumbar.pdf");
    let broken: Vec<u8> = bytes.iter().map(|b| if *b == b'x' { b'y' } else { *b }).collect();
    if let Err(e) = prepare_document(&broken, &Limits::default()) {
        let msg = e.to_string();
        assert!(!msg.contains("SHP") && !msg.contains("Quinlan"), "{msg}");
        assert_eq!(msg, msg.to_lowercase(), "lowercase messages");
    }
}
