//! Original-mode acknowledgements: MSH (applications and facilities swapped), MSA with the
//! original control id, and for AE/AR an ERR segment with location and a table 0357 code.
//!
//! Pure: the caller supplies the ACK's own control id and timestamp.

use crate::{Header, Location, escape::escape};

/// MSA-1 acknowledgement code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// Application accept.
    Accept,
    /// Application error: the message was understood but could not be processed.
    Error,
    /// Application reject: the message is unacceptable (bad type, version, structure).
    Reject,
}

impl AckCode {
    /// The two-letter code written in MSA-1.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "AA",
            Self::Error => "AE",
            Self::Reject => "AR",
        }
    }
}

/// HL7 table 0357, message error condition codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    MessageAccepted,
    SegmentSequenceError,
    RequiredFieldMissing,
    DataTypeError,
    TableValueNotFound,
    UnsupportedMessageType,
    UnsupportedEventCode,
    UnsupportedProcessingId,
    UnsupportedVersionId,
    UnknownKeyIdentifier,
    DuplicateKeyIdentifier,
    ApplicationRecordLocked,
    ApplicationInternalError,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Self::MessageAccepted => 0,
            Self::SegmentSequenceError => 100,
            Self::RequiredFieldMissing => 101,
            Self::DataTypeError => 102,
            Self::TableValueNotFound => 103,
            Self::UnsupportedMessageType => 200,
            Self::UnsupportedEventCode => 201,
            Self::UnsupportedProcessingId => 202,
            Self::UnsupportedVersionId => 203,
            Self::UnknownKeyIdentifier => 204,
            Self::DuplicateKeyIdentifier => 205,
            Self::ApplicationRecordLocked => 206,
            Self::ApplicationInternalError => 207,
        }
    }

    /// The table's text for the code.
    pub fn text(self) -> &'static str {
        match self {
            Self::MessageAccepted => "Message accepted",
            Self::SegmentSequenceError => "Segment sequence error",
            Self::RequiredFieldMissing => "Required field missing",
            Self::DataTypeError => "Data type error",
            Self::TableValueNotFound => "Table value not found",
            Self::UnsupportedMessageType => "Unsupported message type",
            Self::UnsupportedEventCode => "Unsupported event code",
            Self::UnsupportedProcessingId => "Unsupported processing id",
            Self::UnsupportedVersionId => "Unsupported version id",
            Self::UnknownKeyIdentifier => "Unknown key identifier",
            Self::DuplicateKeyIdentifier => "Duplicate key identifier",
            Self::ApplicationRecordLocked => "Application record locked",
            Self::ApplicationInternalError => "Application internal error",
        }
    }
}

/// ERR-4 severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    #[default]
    Error,
    Warning,
    Information,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Self::Error => "E",
            Self::Warning => "W",
            Self::Information => "I",
        }
    }
}

/// One problem to report in an ERR segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError {
    pub code: ErrorCode,
    pub location: Option<Location>,
    pub severity: Severity,
    /// Free text for the sender's support staff (ERR-7). Must not contain patient data.
    pub diagnostic: Option<String>,
}

impl AckError {
    /// An error with a code and optional location.
    pub fn new(code: ErrorCode, location: Option<Location>) -> Self {
        Self { code, location, severity: Severity::Error, diagnostic: None }
    }

    /// Adds diagnostic text (ERR-7).
    pub fn with_diagnostic(mut self, text: impl Into<String>) -> Self {
        self.diagnostic = Some(text.into());
        self
    }
}

impl From<&crate::Hl7Error> for AckError {
    fn from(e: &crate::Hl7Error) -> Self {
        Self::new(e.error_code(), e.location().cloned()).with_diagnostic(e.to_string())
    }
}

/// Builds an ACK for a message (or for input whose header could not be read).
#[derive(Debug, Clone)]
pub struct AckBuilder<'a> {
    original: Option<Header<'a>>,
    code: AckCode,
    control_id: String,
    timestamp: String,
    text: Option<String>,
    errors: Vec<AckError>,
}

impl<'a> AckBuilder<'a> {
    /// An ACK answering `original`, whose MSH the reply mirrors.
    ///
    /// `control_id` is this ACK's own MSH-10; `timestamp` its MSH-7 (`YYYYMMDDHHMMSS[+ZZZZ]`).
    pub fn new(original: Header<'a>, code: AckCode, control_id: &str, timestamp: &str) -> Self {
        Self::build_from(Some(original), code, control_id, timestamp)
    }

    /// An ACK for input with no readable MSH: default delimiters, empty applications and an
    /// empty MSA-2.
    pub fn without_original(code: AckCode, control_id: &str, timestamp: &str) -> Self {
        Self::build_from(None, code, control_id, timestamp)
    }

    fn build_from(original: Option<Header<'a>>, code: AckCode, control_id: &str, timestamp: &str) -> Self {
        Self {
            original,
            code,
            control_id: control_id.to_owned(),
            timestamp: timestamp.to_owned(),
            text: None,
            errors: Vec::new(),
        }
    }

    /// MSA-3 text message. Must not contain patient data.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Adds an ERR segment.
    pub fn error(mut self, error: AckError) -> Self {
        self.errors.push(error);
        self
    }

    /// The ACK message, segments ended by `\r`.
    pub fn build(&self) -> String {
        let d = self.original.map(|h| h.delimiters()).unwrap_or_default();
        let fs = char::from(d.field);
        let cs = char::from(d.component);
        let ss = d.subcomponent.map(char::from).unwrap_or(cs);
        let esc = |s: &str| escape(s, &d).into_owned();
        let raw = |n: usize| self.original.map(|h| h.segment().field(n).raw()).unwrap_or_default();
        let (trigger, version, processing, control) = match self.original {
            Some(h) => (h.message_type().1, h.version(), h.processing_id(), h.control_id()),
            None => ("", "2.5", "P", ""),
        };
        let pre_v25 = self.original.is_some_and(|h| h.is_pre_v25());
        let old_type = matches!(version, "2.1" | "2.2" | "2.3");

        let mut out = String::with_capacity(256);
        out.push_str("MSH");
        out.push(fs);
        out.push_str(&d.encoding_characters());
        // MSH-3..6: receiving application/facility become sending, and the reverse
        for field in [raw(5), raw(6), raw(3), raw(4)] {
            out.push(fs);
            out.push_str(field);
        }
        out.push(fs);
        out.push_str(&esc(&self.timestamp));
        out.push(fs); // MSH-8 security
        out.push(fs);
        out.push_str("ACK");
        if !trigger.is_empty() {
            out.push(cs);
            out.push_str(trigger);
            if !old_type {
                out.push(cs);
                out.push_str("ACK");
            }
        }
        for value in [esc(&self.control_id), processing.to_owned(), version.to_owned()] {
            out.push(fs);
            out.push_str(&value);
        }
        out.push('\r');

        out.push_str("MSA");
        out.push(fs);
        out.push_str(self.code.as_str());
        out.push(fs);
        out.push_str(control);
        if let Some(text) = &self.text {
            out.push(fs);
            out.push_str(&esc(text));
        }
        if pre_v25 && let Some(first) = self.errors.first() {
            // MSA-6 error condition, read by v2.3/2.4 receivers
            if self.text.is_none() {
                out.push(fs);
            }
            out.push_str(&format!("{fs}{fs}{fs}{}{cs}{}", first.code.code(), first.code.text()));
        }
        out.push('\r');

        for e in &self.errors {
            out.push_str("ERR");
            out.push(fs);
            let loc = e.location.as_ref();
            let loc_part = |l: &Location, sep: char| {
                let mut s = format!("{}{sep}{}", l.segment_id, l.occurrence);
                if let Some(f) = l.field {
                    s.push_str(&format!("{sep}{f}"));
                }
                s
            };
            if pre_v25 {
                // ERR-1 (ELD): segment^sequence^field^code&text&table
                if let Some(l) = loc {
                    out.push_str(&loc_part(l, cs));
                    if l.field.is_none() {
                        out.push(cs);
                    }
                } else {
                    out.push(cs);
                    out.push(cs);
                }
                out.push(cs);
                out.push_str(&format!("{}{ss}{}{ss}HL70357", e.code.code(), e.code.text()));
            } else {
                // ERR-2 (ERL), ERR-3 (CWE), ERR-4 severity, ERR-7 diagnostic
                out.push(fs);
                if let Some(l) = loc {
                    out.push_str(&loc_part(l, cs));
                    if l.field.is_some() && (l.repetition.is_some() || l.component.is_some()) {
                        out.push_str(&format!("{cs}{}", l.repetition.unwrap_or(1)));
                        if let Some(c) = l.component {
                            out.push_str(&format!("{cs}{c}"));
                            if let Some(sub) = l.subcomponent {
                                out.push_str(&format!("{cs}{sub}"));
                            }
                        }
                    }
                }
                out.push_str(&format!(
                    "{fs}{}{cs}{}{cs}HL70357{fs}{}",
                    e.code.code(),
                    e.code.text(),
                    e.severity.as_str()
                ));
                if let Some(diag) = &e.diagnostic {
                    out.push_str(&format!("{fs}{fs}{fs}{}", esc(diag)));
                }
            }
            out.push('\r');
        }
        out
    }
}

#[cfg(test)]
#[path = "ack_tests.rs"]
mod tests;
