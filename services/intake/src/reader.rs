//! From bytes to a prescription: detect the format, parse HL7 v2 and FHIR directly, and run
//! faxes through OCR (blocking, seconds per page) and the fax extractor. The same function
//! serves the gRPC, FHIR REST and MLLP paths and the offline `rxbridge intake parse`.

use intake_domain::{FaxImage, FaxLine, FaxText, Format, IntakeError, Prescription, format_detect};
use rx_ocr::{Limits, OcrError};

use crate::error::{ServiceError, Unreadable};

/// The format a caller says a document has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Requested {
    /// Detect it from the bytes.
    #[default]
    Auto,
    Fax,
    Fhir,
    Hl7v2,
}

/// One page as read, kept for reviewers.
#[derive(Debug, Clone, PartialEq)]
pub struct PageText {
    pub text: String,
    pub confidence: f32,
    pub image_png: Option<Vec<u8>>,
}

/// A readable document.
#[derive(Debug, Clone)]
pub struct ReadDocument {
    pub prescription: Prescription,
    pub format: Format,
    /// Fax pages (empty for structured formats).
    pub pages: Vec<PageText>,
}

/// The stored name of a format.
pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::Fhir => "fhir_r4",
        Format::Hl7v2 => "hl7v2",
        Format::Fax(_) => "fax",
        Format::Unknown => "unknown",
    }
}

/// The media type a document of this format is kept under.
pub fn media_type(format: Format) -> &'static str {
    match format {
        Format::Fhir => "application/fhir+json",
        Format::Hl7v2 => "x-application/hl7-v2+er7",
        Format::Fax(FaxImage::Pdf) => "application/pdf",
        Format::Fax(FaxImage::Tiff) => "image/tiff",
        Format::Fax(FaxImage::Png) => "image/png",
        Format::Fax(FaxImage::Jpeg) => "image/jpeg",
        Format::Unknown => "application/octet-stream",
    }
}

/// Works out which format to parse: the detected one, or the requested one when detection
/// cannot tell. A request that contradicts the bytes is refused on `format`.
pub fn resolve_format(bytes: &[u8], requested: Requested) -> Result<Format, Unreadable> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(unreadable("content", "document is empty".into()));
    }
    let detected = format_detect(bytes);
    let fits = matches!(
        (requested, detected),
        (Requested::Auto, _)
            | (_, Format::Unknown)
            | (Requested::Fax, Format::Fax(_))
            | (Requested::Fhir, Format::Fhir)
            | (Requested::Hl7v2, Format::Hl7v2)
    );
    if !fits {
        return Err(unreadable(
            "format",
            format!("the content is {}, not the format requested", format_name(detected).replace('_', " ")),
        ));
    }
    Ok(match (requested, detected) {
        (_, Format::Unknown) => match requested {
            Requested::Fhir => Format::Fhir,
            Requested::Hl7v2 => Format::Hl7v2,
            // a JSON document that is not FHIR still gets FHIR's explanation
            Requested::Auto if looks_like_json(bytes) => Format::Fhir,
            _ => Format::Unknown,
        },
        (_, detected) => detected,
    })
}

fn looks_like_json(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    matches!(text.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'['))
}

fn unreadable(field: &'static str, reason: String) -> Unreadable {
    Unreadable { field, reason, hl7: None }
}

fn from_intake(e: &IntakeError, format: Format) -> Unreadable {
    let reason = match format {
        Format::Fhir if matches!(e, IntakeError::Fhir(_)) => format!("not a FHIR R4 resource: {e}"),
        _ => e.to_string(),
    };
    Unreadable { field: "content", reason, hl7: Some(Box::new(e.hl7_nak())) }
}

/// Why OCR failed, as an unreadable document or an internal failure.
fn from_ocr(e: OcrError) -> ServiceError {
    match e {
        OcrError::Engine { .. } => ServiceError::Internal(e.to_string()),
        other => ServiceError::Unreadable(unreadable("content", other.to_string())),
    }
}

/// Parses a structured document, or says why not. Fax images need [`read_fax_blocking`].
pub fn read_structured(bytes: &[u8], format: Format) -> Result<Prescription, Unreadable> {
    let parsed = match format {
        Format::Hl7v2 => intake_domain::from_hl7v2(bytes),
        Format::Fhir => intake_domain::from_fhir_json(bytes),
        Format::Fax(_) | Format::Unknown => {
            return Err(unreadable(
                "content",
                "not a recognised prescription format (FHIR R4 JSON, HL7 v2, or a PDF, TIFF, PNG or JPEG fax)".into(),
            ));
        }
    };
    parsed.map_err(|e| from_intake(&e, format))
}

/// OCRs a fax and extracts the prescription. Blocking: seconds per page.
pub fn read_fax_blocking(bytes: &[u8], limits: &Limits) -> Result<(Prescription, Vec<PageText>), ServiceError> {
    let document = rx_ocr::read_document(bytes, limits).map_err(from_ocr)?;
    let mut lines = Vec::new();
    let mut pages = Vec::with_capacity(document.pages.len());
    for page in document.pages {
        if !pages.is_empty() {
            // A form feed tells the extractor where a page (e.g. a cover sheet) ends.
            lines.push(FaxLine { text: "\u{c}".to_owned(), confidence: 1.0 });
        }
        lines.extend(page.lines.iter().map(|l| FaxLine { text: l.text.clone(), confidence: l.confidence }));
        pages.push(PageText { text: page.text, confidence: page.mean_confidence, image_png: page.image_png });
    }
    let rx = intake_domain::from_fax_text(&FaxText::new(lines))
        .map_err(|e| ServiceError::Unreadable(from_intake(&e, Format::Fax(FaxImage::Pdf))))?;
    Ok((rx, pages))
}

/// Reads any document synchronously (the offline tool).
pub fn read_blocking(bytes: &[u8], requested: Requested, limits: &Limits) -> Result<ReadDocument, ServiceError> {
    let format = resolve_format(bytes, requested).map_err(ServiceError::Unreadable)?;
    if let Format::Fax(_) = format {
        let (prescription, pages) = read_fax_blocking(bytes, limits)?;
        return Ok(ReadDocument { prescription, format, pages });
    }
    let prescription = read_structured(bytes, format).map_err(ServiceError::Unreadable)?;
    Ok(ReadDocument { prescription, format, pages: Vec::new() })
}

/// At most one fax per core is OCR'd at a time; others wait their turn instead of piling
/// blocking threads onto two cores.
fn ocr_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    })
}

/// Reads any document; fax OCR runs on the blocking pool so the runtime keeps serving.
pub async fn read(bytes: bytes::Bytes, requested: Requested, limits: Limits) -> Result<ReadDocument, ServiceError> {
    let format = resolve_format(&bytes, requested).map_err(ServiceError::Unreadable)?;
    if let Format::Fax(_) = format {
        let _slot = ocr_slots().acquire().await.map_err(|_| ServiceError::Internal("ocr slots closed".into()))?;
        let (prescription, pages) = tokio::task::spawn_blocking(move || read_fax_blocking(&bytes, &limits))
            .await
            .map_err(|e| ServiceError::Internal(format!("ocr worker failed: {e}")))??;
        return Ok(ReadDocument { prescription, format, pages });
    }
    let prescription = read_structured(&bytes, format).map_err(ServiceError::Unreadable)?;
    Ok(ReadDocument { prescription, format, pages: Vec::new() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn formats_resolve_and_contradictions_blame_the_format_field() {
        assert_eq!(resolve_format(b"", Requested::Auto).unwrap_err().field, "content");
        assert_eq!(resolve_format(b"{\"a\":1}", Requested::Auto).unwrap(), Format::Fhir);
        assert_eq!(resolve_format(b"MSH|^~\\&|", Requested::Hl7v2).unwrap(), Format::Hl7v2);
        let e = resolve_format(b"MSH|^~\\&|", Requested::Fhir).unwrap_err();
        assert_eq!(e.field, "format");
        assert!(e.reason.contains("hl7v2"), "{}", e.reason);
        assert_eq!(resolve_format(b"hello", Requested::Auto).unwrap(), Format::Unknown);
    }

    #[test]
    fn json_that_is_not_fhir_says_so() {
        let e = read_blocking(b"{\"id\": 1}", Requested::Auto, &Limits::default()).unwrap_err();
        let ServiceError::Unreadable(u) = e else { panic!("expected unreadable") };
        assert!(u.reason.contains("FHIR"), "{}", u.reason);
    }
}
