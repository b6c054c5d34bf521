//! Telling the formats apart from the first bytes: FHIR JSON, HL7 v2 (MSH/FHS/BHS, possibly
//! inside an MLLP frame or after a byte-order mark), and fax images (PDF, TIFF, PNG, JPEG).

/// An image or document format a fax arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxImage {
    Pdf,
    Tiff,
    Png,
    Jpeg,
}

/// What an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Fhir,
    Hl7v2,
    Fax(FaxImage),
    Unknown,
}

/// Detects the format of `bytes`.
pub fn format_detect(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"%PDF-") {
        return Format::Fax(FaxImage::Pdf);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Format::Fax(FaxImage::Tiff);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Format::Fax(FaxImage::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Format::Fax(FaxImage::Jpeg);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = text.strip_prefix(&[rx_hl7v2::mllp::START]).unwrap_or(text);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let text = text.get(start..).unwrap_or_default();
    let header = |id: &[u8]| {
        text.starts_with(id) && text.get(3).is_some_and(|b| b.is_ascii_graphic() && !b.is_ascii_alphanumeric())
    };
    if header(b"MSH") || header(b"FHS") || header(b"BHS") {
        return Format::Hl7v2;
    }
    if text.first() == Some(&b'{') && contains(text, b"\"resourceType\"") {
        return Format::Fhir;
    }
    Format::Unknown
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_and_text_headers() {
        assert_eq!(format_detect(b"%PDF-1.3\n"), Format::Fax(FaxImage::Pdf));
        assert_eq!(format_detect(b"II*\0\x08"), Format::Fax(FaxImage::Tiff));
        assert_eq!(format_detect(b"MM\0*"), Format::Fax(FaxImage::Tiff));
        assert_eq!(format_detect(b"\x89PNG\r\n\x1a\nxx"), Format::Fax(FaxImage::Png));
        assert_eq!(format_detect(&[0xFF, 0xD8, 0xFF, 0xE0]), Format::Fax(FaxImage::Jpeg));
        assert_eq!(format_detect(b"MSH|^~\\&|"), Format::Hl7v2);
        assert_eq!(format_detect(b"\xEF\xBB\xBFMSH|^~\\&|"), Format::Hl7v2);
        assert_eq!(format_detect(b"\x0bMSH|^~\\&|x\x1c\r"), Format::Hl7v2);
        assert_eq!(format_detect(b"FHS|^~\\&"), Format::Hl7v2);
        assert_eq!(format_detect(b"  {\"resourceType\": \"Bundle\"}"), Format::Fhir);
        assert_eq!(format_detect(b"{\"id\": 1}"), Format::Unknown);
        assert_eq!(format_detect(b"MSHX"), Format::Unknown);
        assert_eq!(format_detect(b""), Format::Unknown);
        assert_eq!(format_detect(b"Patient: Avery"), Format::Unknown);
    }
}
