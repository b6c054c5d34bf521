//! PDF documents: structure checks, page counting, and per page either the text layer or the
//! scanned image.

mod flate;
mod image;
mod text_layer;

use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Document, ObjectId};

use crate::decode::SourcePage;
use crate::{Limits, OcrError};

/// What one PDF page offers for reading.
#[derive(Debug)]
pub(crate) enum PdfPage {
    /// A usable text layer: no OCR needed.
    Text(String),
    /// The scanned page to recognise.
    Image(SourcePage),
}

/// A parsed PDF with its pages counted.
#[derive(Debug)]
pub(crate) struct PdfPages {
    doc: Document,
    pages: Vec<(u32, ObjectId)>,
}

fn malformed(reason: impl Into<String>) -> OcrError {
    OcrError::MalformedPdf { reason: reason.into() }
}

impl PdfPages {
    /// Parses the document and refuses broken structure, encryption we cannot open, empty page
    /// trees and documents with too many pages.
    pub(crate) fn open(bytes: &[u8], limits: &Limits) -> Result<Self, OcrError> {
        let tail = bytes.get(bytes.len().saturating_sub(2048)..).unwrap_or(bytes);
        if !tail.windows(5).any(|w| w == b"%%EOF") {
            return Err(malformed("no %%EOF trailer marker (truncated file?)"));
        }
        let loaded =
            catch_unwind(AssertUnwindSafe(|| Document::load_mem(bytes))).map_err(|_| malformed("parser failure"))?;
        let mut doc = loaded.map_err(|e| malformed(format!("cannot parse structure ({e})")))?;
        if doc.is_encrypted() && !doc.was_encrypted() && doc.decrypt("").is_err() {
            return Err(OcrError::EncryptedPdf);
        }
        let pages: Vec<(u32, ObjectId)> = doc.get_pages().into_iter().collect();
        if pages.is_empty() {
            return Err(malformed("no pages"));
        }
        if pages.len() > limits.max_pages {
            return Err(OcrError::TooManyPages { pages: pages.len(), limit: limits.max_pages });
        }
        Ok(Self { doc, pages })
    }

    /// Number of pages.
    pub(crate) fn count(&self) -> usize {
        self.pages.len()
    }

    /// Page `index` (0-based): its text layer when usable, else its decoded image.
    pub(crate) fn page(&self, index: usize, limits: &Limits) -> Result<PdfPage, OcrError> {
        let page = index + 1;
        let &(number, id) = self.pages.get(index).ok_or(OcrError::NoPageContent { page })?;
        if let Some(text) = text_layer::page_text(&self.doc, number)
            && text_layer::is_usable(&text)
        {
            return Ok(PdfPage::Text(text));
        }
        image::page_image(&self.doc, id, page, limits).map(PdfPage::Image)
    }
}
