//! The one error type of the crate: every way a document can be refused or fail to read.

use thiserror::Error;

use crate::DocumentKind;

/// Why a document could not be turned into page text.
///
/// Messages name the limit, the page or the codec, never document content, so they are safe
/// to log even though faxes carry PHI.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcrError {
    /// Zero bytes were given: usually an upload or transport fault upstream.
    #[error("document is empty")]
    Empty,
    /// The bytes match none of the formats a fax arrives in.
    #[error("unrecognised document format (expected pdf, tiff, png or jpeg)")]
    UnknownFormat,
    /// The document is bigger than `Limits::max_document_bytes`.
    #[error("document has {bytes} bytes, limit is {limit}")]
    DocumentTooLarge { bytes: usize, limit: usize },
    /// The document has more pages than `Limits::max_pages`; `pages` may be a lower bound
    /// because counting stops once the limit is passed.
    #[error("document has at least {pages} pages, limit is {limit}")]
    TooManyPages { pages: usize, limit: usize },
    /// A page's pixel count (from its header, before decoding) exceeds the limit: the usual
    /// shape of a decompression bomb.
    #[error("page {page} is {width}x{height} pixels, limit is {limit} pixels")]
    PageTooLarge { page: usize, width: u64, height: u64, limit: u64 },
    /// OCR of one page took longer than `Limits::max_ocr_millis_per_page` (checked after
    /// recognition finishes: Tesseract cannot be interrupted through the safe binding).
    #[error("ocr of page {page} took {millis} ms, limit is {limit} ms")]
    PageTimeExceeded { page: usize, millis: u64, limit: u64 },
    /// The whole document took longer than `Limits::max_millis_per_document`; checked before
    /// each page after the first starts, so no further page is begun once the budget is spent.
    #[error("document processing took {millis} ms before page {page}, limit is {limit} ms")]
    DocumentTimeExceeded { page: usize, millis: u64, limit: u64 },
    /// The file claims to be a PDF but its structure (header, xref, trailer, page tree) is broken.
    #[error("malformed pdf: {reason}")]
    MalformedPdf { reason: String },
    /// The PDF is encrypted; faxes never are, and we hold no password.
    #[error("pdf is encrypted")]
    EncryptedPdf,
    /// A page of an image document could not be decoded.
    #[error("malformed {kind} image on page {page}: {reason}")]
    MalformedImage { kind: DocumentKind, page: usize, reason: String },
    /// The page image uses a codec this crate does not decode (for example JBIG2 in a PDF).
    #[error("page {page} uses unsupported image encoding {codec}")]
    UnsupportedCodec { page: usize, codec: String },
    /// A PDF page has neither a usable text layer nor an image to recognise.
    #[error("page {page} has no text layer and no image")]
    NoPageContent { page: usize },
    /// Tesseract could not be started or failed on a page (missing language data, bad image).
    #[error("ocr engine failure: {reason}")]
    Engine { reason: String },
}
