//! Document format detection from magic bytes, never from a file name or a declared MIME type.

use std::fmt;

use crate::OcrError;

/// The container a fax arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Portable Document Format (text layer or scanned page images).
    Pdf,
    /// Tagged Image File Format, the native fax container (often multi-page, CCITT G3/G4).
    Tiff,
    /// Portable Network Graphics.
    Png,
    /// JPEG / JFIF.
    Jpeg,
}

impl DocumentKind {
    /// Identifies the format from the first bytes.
    ///
    /// PDF headers may be preceded by junk (the spec lets readers look in the first 1024 bytes),
    /// which fax servers sometimes add; the other formats must start at byte 0.
    pub fn detect(bytes: &[u8]) -> Result<Self, OcrError> {
        if bytes.is_empty() {
            return Err(OcrError::Empty);
        }
        if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            return Ok(Self::Tiff);
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Ok(Self::Png);
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Ok(Self::Jpeg);
        }
        let head = bytes.get(..bytes.len().min(1024)).unwrap_or(bytes);
        if head.windows(5).any(|w| w == b"%PDF-") {
            return Ok(Self::Pdf);
        }
        Err(OcrError::UnknownFormat)
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pdf => "pdf",
            Self::Tiff => "tiff",
            Self::Png => "png",
            Self::Jpeg => "jpeg",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_magic() {
        assert_eq!(DocumentKind::detect(b"II*\0rest"), Ok(DocumentKind::Tiff));
        assert_eq!(DocumentKind::detect(b"MM\0*rest"), Ok(DocumentKind::Tiff));
        assert_eq!(DocumentKind::detect(b"\x89PNG\r\n\x1a\nxx"), Ok(DocumentKind::Png));
        assert_eq!(DocumentKind::detect(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(DocumentKind::Jpeg));
        assert_eq!(DocumentKind::detect(b"%PDF-1.4\n"), Ok(DocumentKind::Pdf));
        assert_eq!(DocumentKind::detect(b"\r\nfax-gw\r\n%PDF-1.3"), Ok(DocumentKind::Pdf));
    }

    #[test]
    fn rejects_empty_and_unknown() {
        assert_eq!(DocumentKind::detect(b""), Err(OcrError::Empty));
        assert_eq!(DocumentKind::detect(b"GIF89a......"), Err(OcrError::UnknownFormat));
        assert_eq!(DocumentKind::detect(b"II*"), Err(OcrError::UnknownFormat));
        assert_eq!(DocumentKind::detect(b"hello, this is plain text"), Err(OcrError::UnknownFormat));
    }
}
