//! fax documents to page text: PDF text layers, image normalisation, Tesseract OCR
//!
//! The one crate of rxbridge that calls a native library (Tesseract and Leptonica through
//! `leptess`). It does no network, file or database I/O: bytes in, pages of text out.
//!
//! Two entry points:
//! - [`read_document`]: the full pipeline, including Tesseract. Blocking and slow (seconds per
//!   page): call it from `spawn_blocking`.
//! - [`prepare_document`]: everything before Tesseract (format detection, decoding, limits,
//!   text layers, normalisation). Pure Rust, no engine: the fuzzing entry point.
//!
//! Runtime needs: the Debian packages in `install-deps.sh` (Tesseract 5 with English data).
//! Debian's Tesseract is built with OpenMP; a service that runs several pages in parallel should
//! set `OMP_THREAD_LIMIT=1` in its environment, or the OpenMP threads oversubscribe the cores.
//!
//! Not decoded (reported as [`OcrError::UnsupportedCodec`]): JBIG2 and JPEG 2000 in PDFs, LZW
//! and ASCII filters in PDF image streams, indexed-colour PDF images, tiled CCITT TIFFs.

mod decode;
mod document;
mod engine;
mod error;
mod kind;
mod limits;
mod normalise;
mod pdf;
mod prepare;
mod tsv;

pub use document::{Document, Line, Page, TextSource};
pub use error::OcrError;
pub use kind::DocumentKind;
pub use limits::Limits;
pub use prepare::{PreparedDocument, PreparedPage, prepare_document};

use std::time::Instant;

/// Reads every page of a fax document: text layers where a PDF has them, OCR elsewhere.
///
/// Blocking; each thread keeps its own Tesseract instance. Limits are enforced as documented
/// on [`Limits`].
pub fn read_document(bytes: &[u8], limits: &Limits) -> Result<Document, OcrError> {
    let started = Instant::now();
    let prepared = prepare_document(bytes, limits)?;
    let mut pages = Vec::with_capacity(prepared.pages.len());
    for (index, prepared_page) in prepared.pages.into_iter().enumerate() {
        let page = index + 1;
        prepare::check_budget(started, page, limits)?;
        pages.push(match prepared_page {
            PreparedPage::TextLayer(text) => Page::from_text_layer(&text),
            PreparedPage::Image { png, .. } => ocr_page(png, page, limits)?,
        });
    }
    Ok(Document { kind: prepared.kind, pages })
}

fn ocr_page(png: Vec<u8>, page: usize, limits: &Limits) -> Result<Page, OcrError> {
    let out = engine::recognise(&png)?;
    if out.millis > limits.max_ocr_millis_per_page {
        return Err(OcrError::PageTimeExceeded { page, millis: out.millis, limit: limits.max_ocr_millis_per_page });
    }
    let rec = tsv::parse(&out.tsv);
    Ok(Page {
        text: rec.text,
        lines: rec.lines,
        mean_confidence: rec.mean_confidence,
        source: TextSource::Ocr,
        image_png: Some(png),
        ocr_millis: out.millis,
    })
}
