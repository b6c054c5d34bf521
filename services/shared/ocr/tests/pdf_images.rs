//! Scanned PDFs built in the test: each image codec path, the density taken from the MediaBox,
//! and the refusals (unsupported codec, deflate bomb, no content, page limit).

#![allow(clippy::panic)]

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use lopdf::{Dictionary, Document, Object, Stream, dictionary};
use rx_ocr::{Limits, OcrError, PreparedPage, prepare_document};

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// A PDF of `pages` letter-size pages, each drawing the given image XObject full-page.
fn pdf_with_image(image_dict: Dictionary, data: Vec<u8>, pages: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let img_id = doc.add_object(Stream::new(image_dict, data));
    let mut kids: Vec<Object> = Vec::new();
    for _ in 0..pages {
        let content_id = doc.add_object(Stream::new(dictionary! {}, b"q 612 0 0 792 0 0 cm /Im0 Do Q".to_vec()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => img_id } },
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects
        .insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    let _ = doc.save_to(&mut out);
    out
}

/// 850 × 1100 grey page (100 dpi on letter) with dark bars where text would be.
fn gray_page() -> (u32, u32, Vec<u8>) {
    let (w, h) = (850u32, 1100u32);
    let mut px = vec![255u8; (w * h) as usize];
    for line in 0..20u32 {
        let y0 = 100 + line * 40;
        for y in y0..y0 + 12 {
            for x in 80..700u32 {
                if (x / 9) % 4 != 3 {
                    px[(y * w + x) as usize] = 10;
                }
            }
        }
    }
    (w, h, px)
}

fn image_dict(w: u32, h: u32, filter: &str) -> Dictionary {
    dictionary! {
        "Type" => "XObject",
        "Subtype" => "Image",
        "Width" => i64::from(w),
        "Height" => i64::from(h),
        "ColorSpace" => "DeviceGray",
        "BitsPerComponent" => 8,
        "Filter" => filter,
    }
}

fn only_image(pdf: &[u8]) -> (u32, u32) {
    match prepare_document(pdf, &Limits::default()) {
        Ok(doc) => match doc.pages.as_slice() {
            [PreparedPage::Image { width, height, .. }] => (*width, *height),
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn flate_with_png_up_predictor() {
    let (w, h, px) = gray_page();
    // PNG "up" filter on every row: each byte minus the byte above
    let mut filtered = Vec::new();
    for y in 0..h as usize {
        filtered.push(2u8);
        for x in 0..w as usize {
            let above = if y == 0 { 0 } else { px[(y - 1) * w as usize + x] };
            filtered.push(px[y * w as usize + x].wrapping_sub(above));
        }
    }
    let mut dict = image_dict(w, h, "FlateDecode");
    dict.set(
        "DecodeParms",
        dictionary! { "Predictor" => 15, "Colors" => 1, "BitsPerComponent" => 8, "Columns" => i64::from(w) },
    );
    // 100 dpi on the page → tripled to 300 dpi
    assert_eq!(only_image(&pdf_with_image(dict, zlib(&filtered), 1)), (2550, 3300));
}

#[test]
fn one_bit_image_mask() {
    let (w, h, px) = gray_page();
    let stride = (w as usize).div_ceil(8);
    let mut bits = vec![0u8; stride * h as usize];
    for y in 0..h as usize {
        for x in 0..w as usize {
            // mask samples: 0 paints (ink), 1 leaves paper
            if px[y * w as usize + x] > 128 {
                bits[y * stride + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Image",
        "Width" => i64::from(w), "Height" => i64::from(h),
        "ImageMask" => true, "Filter" => "FlateDecode",
    };
    assert_eq!(only_image(&pdf_with_image(dict, zlib(&bits), 1)), (2550, 3300));
}

#[test]
fn dct_jpeg_image() {
    let (w, h, px) = gray_page();
    let mut jpeg = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85);
    let written = image::ImageEncoder::write_image(enc, &px, w, h, image::ExtendedColorType::L8);
    assert!(written.is_ok());
    assert_eq!(only_image(&pdf_with_image(image_dict(w, h, "DCTDecode"), jpeg, 1)), (2550, 3300));
}

#[test]
fn jbig2_is_reported_as_unsupported() {
    let pdf = pdf_with_image(image_dict(100, 100, "JBIG2Decode"), vec![0; 10], 1);
    assert_eq!(
        prepare_document(&pdf, &Limits::default()),
        Err(OcrError::UnsupportedCodec { page: 1, codec: "JBIG2Decode".into() })
    );
}

#[test]
fn deflate_bomb_in_image_stream_is_refused() {
    // declares 100 × 100 grey (10 kB) but inflates to 20 MB
    let bomb = zlib(&vec![0u8; 20_000_000]);
    let pdf = pdf_with_image(image_dict(100, 100, "FlateDecode"), bomb, 1);
    assert!(matches!(prepare_document(&pdf, &Limits::default()), Err(OcrError::MalformedImage { page: 1, .. })));
}

#[test]
fn oversized_pdf_image_is_refused_from_its_dictionary() {
    let pdf = pdf_with_image(image_dict(50_000, 50_000, "FlateDecode"), vec![0; 10], 1);
    assert!(matches!(prepare_document(&pdf, &Limits::default()), Err(OcrError::PageTooLarge { width: 50_000, .. })));
}

#[test]
fn page_limit_counts_the_page_tree() {
    let (w, h, px) = gray_page();
    let pdf = pdf_with_image(image_dict(w, h, "FlateDecode"), zlib(&px), 3);
    let limits = Limits { max_pages: 2, ..Limits::default() };
    assert_eq!(prepare_document(&pdf, &limits), Err(OcrError::TooManyPages { pages: 3, limit: 2 }));
}

#[test]
fn page_without_text_or_image() {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut pdf = Vec::new();
    let _ = doc.save_to(&mut pdf);
    assert_eq!(prepare_document(&pdf, &Limits::default()), Err(OcrError::NoPageContent { page: 1 }));
}
