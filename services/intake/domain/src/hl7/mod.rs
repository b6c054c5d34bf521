//! Mapping HL7 v2 orders and referrals (ORM^O01, OMG^O19, REF^I12..I15) to a prescription,
//! following STANDARDS.md §9 for where each value lives.

mod order;
mod parties;
mod timing;

use rx_hl7v2::{Hl7Error, Limits, Location, Message, Segment, split_batch};

use crate::IntakeError;
use crate::complete::complete;
use crate::error::sanitize_type;
use crate::model::{Prescription, Source, SourceKind};

/// Reads one HL7 v2 message (ER7 text, optionally MLLP-framed or after a byte-order mark).
pub fn from_hl7v2(bytes: &[u8]) -> Result<Prescription, IntakeError> {
    let bytes = unframe(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IntakeError::Empty);
    }
    let text = rx_hl7v2::decode(bytes);
    let trimmed = text.trim_start_matches(['\u{feff}', '\r', '\n', ' ', '\t']);
    if trimmed.starts_with("MSH") {
        // the common case, parsed once: a single message (a second MSH means several)
        let msg = Message::parse(trimmed)?;
        let count = msg.segments_with_id("MSH").count();
        if count > 1 {
            return Err(IntakeError::Hl7Batch(count));
        }
        return map_message(&msg);
    }
    let batch = split_batch(&text, &Limits::default())?;
    let message = match batch.messages.as_slice() {
        [] => return Err(Hl7Error::Empty.into()),
        [one] => *one,
        many => return Err(IntakeError::Hl7Batch(many.len())),
    };
    let msg = Message::parse(message)?;
    map_message(&msg)
}

/// Maps a parsed message.
pub fn map_message(msg: &Message<'_>) -> Result<Prescription, IntakeError> {
    let (code, trigger) = msg.header().message_type();
    if code.is_empty() {
        return Err(Hl7Error::Required(Location::segment(0, "MSH", 1).field(9)).into());
    }
    let needs = |segments: &[&'static str]| -> Result<(), IntakeError> {
        if segments.iter().any(|s| msg.segment(s).is_some()) {
            Ok(())
        } else {
            Err(IntakeError::MissingSegment {
                message: sanitize_type(code),
                segment: segments.first().copied().unwrap_or(""),
            })
        }
    };
    match code {
        "ORM" | "OMG" => needs(&["ORC", "OBR"])?,
        "REF" => needs(&["RF1"])?,
        _ => return Err(IntakeError::UnsupportedMessage(sanitize_type(&format!("{code}^{trigger}")))),
    }
    let mut rx = Prescription::new(SourceKind::Hl7v2);
    parties::patient(msg, &mut rx);
    parties::insurance(msg, &mut rx);
    parties::prescriber(msg, &mut rx);
    order::diagnoses(msg, &mut rx);
    order::procedures(msg, &mut rx);
    timing::timing(msg, &mut rx);
    order::free_text(msg, &mut rx);
    order::dates(msg, &mut rx);
    complete(&mut rx);
    Ok(rx)
}

/// Strips an MLLP start block and end block if present.
fn unframe(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let Some(inner) = bytes.get(start..).and_then(|b| b.strip_prefix(&[rx_hl7v2::mllp::START])) else {
        return bytes;
    };
    let end = inner.iter().position(|b| *b == rx_hl7v2::mllp::END).unwrap_or(inner.len());
    inner.get(..end).unwrap_or(inner)
}

/// The provenance of a value at `field` (and `component`) of `segment`, e.g. `DG1(2)-3.1`.
pub(crate) fn at(segment: &Segment<'_>, field: usize, component: Option<usize>) -> Source {
    let occurrence = segment.occurrence();
    let mut path = String::with_capacity(12);
    path.push_str(segment.id());
    if occurrence > 1 {
        path.push('(');
        push_number(&mut path, occurrence);
        path.push(')');
    }
    path.push('-');
    push_number(&mut path, field);
    if let Some(c) = component {
        path.push('.');
        push_number(&mut path, c);
    }
    Source::Hl7 { path }
}

/// Appends a number without the formatting machinery (provenance paths are built for every
/// value of every message).
fn push_number(out: &mut String, n: usize) {
    if n >= 10 {
        push_number(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
