//! Typed access to the MSH segment, and reading it alone when the rest of a message is broken
//! (a NAK still needs the sender's control id and applications).

use crate::message::{segment_id, split_segments, trim_start};
use crate::{Delimiters, Field, Hl7Error, Segment};

/// The MSH segment of a message.
#[derive(Debug, Clone, Copy)]
pub struct Header<'a> {
    pub(crate) segment: Segment<'a>,
}

impl<'a> Header<'a> {
    /// The underlying segment, for fields without a named accessor.
    pub fn segment(&self) -> Segment<'a> {
        self.segment
    }

    /// The delimiters the message declared.
    pub fn delimiters(&self) -> Delimiters {
        self.segment.delims
    }

    /// MSH-3.
    pub fn sending_application(&self) -> Field<'a> {
        self.segment.field(3)
    }

    /// MSH-4.
    pub fn sending_facility(&self) -> Field<'a> {
        self.segment.field(4)
    }

    /// MSH-5.
    pub fn receiving_application(&self) -> Field<'a> {
        self.segment.field(5)
    }

    /// MSH-6.
    pub fn receiving_facility(&self) -> Field<'a> {
        self.segment.field(6)
    }

    /// MSH-7, as written (`YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ]`).
    pub fn timestamp(&self) -> &'a str {
        self.segment.field(7).component(1).raw()
    }

    /// MSH-9.1 and MSH-9.2: message code and trigger event, e.g. `("ORM", "O01")`.
    pub fn message_type(&self) -> (&'a str, &'a str) {
        let f = self.segment.field(9);
        (f.component(1).raw(), f.component(2).raw())
    }

    /// MSH-9.3, the message structure (`ORM_O01`), empty before v2.3.1.
    pub fn message_structure(&self) -> &'a str {
        self.segment.field(9).component(3).raw()
    }

    /// MSH-10, the control id an ACK must echo in MSA-2.
    pub fn control_id(&self) -> &'a str {
        self.segment.field(10).raw()
    }

    /// MSH-11.1: `P` production, `T` training/test, `D` debugging.
    pub fn processing_id(&self) -> &'a str {
        self.segment.field(11).component(1).raw()
    }

    /// MSH-12.1, e.g. `2.3` or `2.5.1`.
    pub fn version(&self) -> &'a str {
        self.segment.field(12).component(1).raw()
    }

    /// Whether MSH-12 names a version before 2.5, where ERR uses the older ELD layout.
    pub fn is_pre_v25(&self) -> bool {
        let v = self.version();
        let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), Some(minor)) => major < 2 || (major == 2 && minor < 5),
            _ => false,
        }
    }
}

/// Reads only the MSH segment of `text`, for acknowledging a message that fails to parse.
pub fn sniff_header(text: &str) -> Result<Header<'_>, Hl7Error> {
    let text = trim_start(text);
    if text.trim().is_empty() {
        return Err(Hl7Error::Empty);
    }
    if !text.starts_with("MSH") {
        return Err(Hl7Error::NotMsh);
    }
    let delims = Delimiters::from_header(text).ok_or(Hl7Error::BadDelimiters { segment: "MSH" })?;
    let (_, raw) = split_segments(text).next().ok_or(Hl7Error::NotMsh)?;
    let id = segment_id(raw, delims.field).ok_or(Hl7Error::NotMsh)?;
    Ok(Header { segment: Segment { id, raw, index: 0, occurrence: 1, delims } })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h =
            sniff_header("MSH|^~\\&|EHR|CLIN|RX|MT|20260105101500||ORM^O01^ORM_O01|MSG0001|T|2.3\rPID|broken").unwrap();
        assert_eq!(h.sending_application().raw(), "EHR");
        assert_eq!(h.receiving_facility().raw(), "MT");
        assert_eq!(h.message_type(), ("ORM", "O01"));
        assert_eq!(h.message_structure(), "ORM_O01");
        assert_eq!(h.control_id(), "MSG0001");
        assert_eq!(h.processing_id(), "T");
        assert_eq!(h.version(), "2.3");
        assert!(h.is_pre_v25());
    }

    #[test]
    fn version_comparison() {
        for (v, pre) in [("2.3", true), ("2.4", true), ("2.5", false), ("2.5.1", false), ("2.8", false), ("", false)] {
            let text = format!("MSH|^~\\&|A|B|C|D|1||ACK|1|P|{v}");
            assert_eq!(sniff_header(&text).unwrap().is_pre_v25(), pre, "{v}");
        }
    }

    #[test]
    fn sniff_rejects_non_hl7() {
        assert_eq!(sniff_header("").unwrap_err(), Hl7Error::Empty);
        assert_eq!(sniff_header("{\"resourceType\":1}").unwrap_err(), Hl7Error::NotMsh);
        assert_eq!(sniff_header("MSHX").unwrap_err(), Hl7Error::BadDelimiters { segment: "MSH" });
    }
}
