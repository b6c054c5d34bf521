//! Resource limits that keep hostile or broken documents from exhausting the service.

/// Caps applied while reading a document; every breach is a distinct [`crate::OcrError`].
///
/// What is enforced and when:
/// - `max_document_bytes`: before anything is parsed.
/// - `max_pages`: while counting pages (TIFF directory chain, PDF page tree), before decoding.
/// - `max_pixels_per_page`: from the image header (TIFF tags, PNG IHDR, JPEG SOF, PDF image
///   dictionary) before the pixel data is decompressed, and again for the 300 dpi normalised page.
/// - `max_ocr_millis_per_page`: measured around Tesseract and reported after it returns; the
///   safe binding offers no way to interrupt recognition, so the page limit bounds the damage only
///   together with the pixel limit. Callers that need a hard deadline wrap the call in a timeout
///   on their side (the blocking thread then finishes in the background).
/// - `max_millis_per_document`: checked before each page after the first starts, so a many-page
///   document stops early instead of running `pages × per-page` time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_document_bytes: usize,
    /// Most pages read from one document.
    pub max_pages: usize,
    /// Most pixels of one page image, before and after normalisation to 300 dpi.
    pub max_pixels_per_page: u64,
    /// Longest accepted Tesseract run on one page, in milliseconds.
    pub max_ocr_millis_per_page: u64,
    /// Longest accepted time for the whole document, in milliseconds.
    pub max_millis_per_document: u64,
}

impl Default for Limits {
    /// Sized for faxes: a 20-page letter-size fax at 300 dpi is about 8.4 Mpx a page; 40 Mpx
    /// still admits a legal-size page scanned at 600 dpi.
    fn default() -> Self {
        Self {
            max_document_bytes: 25 * 1024 * 1024,
            max_pages: 20,
            max_pixels_per_page: 40_000_000,
            max_ocr_millis_per_page: 60_000,
            max_millis_per_document: 300_000,
        }
    }
}
