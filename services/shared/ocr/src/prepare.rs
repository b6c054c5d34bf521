//! Everything before Tesseract: size and format checks, page decoding, text layers and
//! normalisation. Pure Rust, so it can be fuzzed and tested without the engine.

use std::io::Cursor;
use std::time::Instant;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use crate::decode::tiff::TiffPages;
use crate::decode::{SourcePage, raster};
use crate::normalise::normalise;
use crate::pdf::{PdfPage, PdfPages};
use crate::{DocumentKind, Limits, OcrError};

/// A document decoded and cleaned, waiting for OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedDocument {
    /// The detected format.
    pub kind: DocumentKind,
    /// Pages in order.
    pub pages: Vec<PreparedPage>,
}

/// One page before OCR.
#[derive(Debug, Clone, PartialEq)]
pub enum PreparedPage {
    /// A PDF page whose text layer is usable; it needs no OCR.
    TextLayer(String),
    /// A normalised page image (binary, square pixels at 300 dpi) encoded as PNG.
    Image {
        png: Vec<u8>,
        width: u32,
        height: u32,
        /// Skew removed during normalisation, in degrees.
        skew_degrees: f32,
    },
}

/// Refuses to start page `page` once the document's time budget is spent. The first page is
/// always begun: the budget stops further pages, and opening a file on a busy machine can take a
/// millisecond, so a check before page 1 would turn a tiny budget into a race.
pub(crate) fn check_budget(started: Instant, page: usize, limits: &Limits) -> Result<(), OcrError> {
    if page <= 1 {
        return Ok(());
    }
    let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if millis > limits.max_millis_per_document {
        return Err(OcrError::DocumentTimeExceeded { page, millis, limit: limits.max_millis_per_document });
    }
    Ok(())
}

/// Detects, decodes and normalises every page of `bytes` without running OCR.
pub fn prepare_document(bytes: &[u8], limits: &Limits) -> Result<PreparedDocument, OcrError> {
    if bytes.is_empty() {
        return Err(OcrError::Empty);
    }
    if bytes.len() > limits.max_document_bytes {
        return Err(OcrError::DocumentTooLarge { bytes: bytes.len(), limit: limits.max_document_bytes });
    }
    let kind = DocumentKind::detect(bytes)?;
    let started = Instant::now();
    let mut pages = Vec::new();
    match kind {
        DocumentKind::Tiff => {
            let tiff = TiffPages::open(bytes, limits)?;
            for index in 0..tiff.count() {
                check_budget(started, index + 1, limits)?;
                pages.push(image_page(tiff.decode(index)?, index + 1, limits)?);
            }
        }
        DocumentKind::Png | DocumentKind::Jpeg => {
            pages.push(image_page(raster::decode(bytes, kind, 1, limits)?, 1, limits)?);
        }
        DocumentKind::Pdf => {
            let pdf = PdfPages::open(bytes, limits)?;
            for index in 0..pdf.count() {
                check_budget(started, index + 1, limits)?;
                pages.push(match pdf.page(index, limits)? {
                    PdfPage::Text(text) => PreparedPage::TextLayer(text),
                    PdfPage::Image(src) => image_page(src, index + 1, limits)?,
                });
            }
        }
    }
    Ok(PreparedDocument { kind, pages })
}

fn image_page(src: SourcePage, page: usize, limits: &Limits) -> Result<PreparedPage, OcrError> {
    let n = normalise(src, page, limits)?;
    let (width, height) = n.image.dimensions();
    let mut png = Vec::new();
    PngEncoder::new_with_quality(Cursor::new(&mut png), CompressionType::Fast, FilterType::Sub)
        .write_image(n.image.as_raw(), width, height, ExtendedColorType::L8)
        .map_err(|e| OcrError::Engine { reason: format!("png encoding failed ({e})") })?;
    Ok(PreparedPage::Image { png, width, height, skew_degrees: n.skew_degrees })
}
