//! Batch files (`FHS` `BHS` {`MSH` ...} `BTS` `FTS`): splitting them into the text of each
//! message, checking the trailer counts. A single message, or several MSH-led messages back to
//! back, split the same way.

use crate::message::{segment_id, split_segments, trim_start};
use crate::{Delimiters, Hl7Error, Limits, Location, Segment};

/// The messages of a batch, each a slice of the input ready for [`crate::Message::parse`].
#[derive(Debug, Clone, Default)]
pub struct Batch<'a> {
    /// The FHS segment, when the input is a file batch.
    pub file_header: Option<&'a str>,
    /// The BHS segments, one per batch.
    pub batch_headers: Vec<&'a str>,
    /// The text of each message, from its MSH to the end of its last segment.
    pub messages: Vec<&'a str>,
}

/// Splits a batch or a run of messages. `limits` bound the whole input (bytes and segments).
pub fn split_batch<'a>(text: &'a str, limits: &Limits) -> Result<Batch<'a>, Hl7Error> {
    if text.len() > limits.max_bytes {
        return Err(Hl7Error::TooLarge { size: text.len(), limit: limits.max_bytes });
    }
    let text = trim_start(text);
    if text.trim().is_empty() {
        return Err(Hl7Error::Empty);
    }
    let head = text.get(..3).unwrap_or_default();
    if !matches!(head, "FHS" | "BHS" | "MSH") {
        return Err(Hl7Error::NotMsh);
    }
    let delims = Delimiters::from_header(text).ok_or(Hl7Error::BadDelimiters {
        segment: if head == "FHS" {
            "FHS"
        } else if head == "BHS" {
            "BHS"
        } else {
            "MSH"
        },
    })?;

    let mut batch = Batch::default();
    let mut current: Option<(usize, usize)> = None; // (start, end) of the open message
    let mut in_batch_count = 0usize;
    let mut batches = 0usize;
    for (index, (offset, raw)) in split_segments(text).enumerate() {
        if index >= limits.max_segments {
            return Err(Hl7Error::TooManySegments { limit: limits.max_segments });
        }
        let id = segment_id(raw, delims.field).ok_or_else(|| {
            let seen = raw.get(..3).filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric())).unwrap_or("");
            Hl7Error::BadSegmentId(Location::segment(index, seen, 1))
        })?;
        let segment = Segment { id, raw, index, occurrence: 1, delims };
        let structure_error = |problem| Hl7Error::Batch { location: Location::segment(index, id, 1), problem };
        match id {
            "FHS" if index != 0 => return Err(structure_error("FHS must be the first segment")),
            "FHS" => batch.file_header = Some(raw),
            "BHS" => {
                close(text, &mut current, &mut batch.messages);
                batch.batch_headers.push(raw);
                in_batch_count = 0;
                batches += 1;
            }
            "MSH" => {
                close(text, &mut current, &mut batch.messages);
                current = Some((offset, offset + raw.len()));
                in_batch_count += 1;
            }
            "BTS" => {
                close(text, &mut current, &mut batch.messages);
                check_count(&segment, "BTS", in_batch_count)?;
            }
            "FTS" => {
                close(text, &mut current, &mut batch.messages);
                check_count(&segment, "FTS", batches)?;
            }
            _ => match current.as_mut() {
                Some((_, end)) => *end = offset + raw.len(),
                None => return Err(structure_error("segment outside any message")),
            },
        }
    }
    close(text, &mut current, &mut batch.messages);
    Ok(batch)
}

fn close<'a>(text: &'a str, current: &mut Option<(usize, usize)>, messages: &mut Vec<&'a str>) {
    if let Some((start, end)) = current.take()
        && let Some(message) = text.get(start..end)
    {
        messages.push(message);
    }
}

/// BTS-1 / FTS-1 hold a count; when present it must match what was found.
fn check_count(segment: &Segment<'_>, name: &'static str, found: usize) -> Result<(), Hl7Error> {
    let declared = segment.field(1).raw().trim();
    if declared.is_empty() {
        return Ok(());
    }
    match declared.parse::<usize>() {
        Ok(declared) if declared == found => Ok(()),
        Ok(declared) => Err(Hl7Error::BatchCount { segment: name, declared, found }),
        Err(_) => Err(Hl7Error::Invalid(
            Location::segment(segment.index(), segment.id(), 1).field(1),
            "count is not a number",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::Message;

    const A04: &str = "MSH|^~\\&||ABCHS||AUSDHSV|20070101112951||ADT^A04^ADT_A01|1|P|2.5\rEVN|A04|20060705000000\rPID|1||0000112234^^^100^A\r";

    #[test]
    fn file_batch_splits_and_counts() {
        let text = format!("FHS|^~\\&||ABCHS\rBHS|^~\\&||ABCHS\r{A04}{A04}BTS|2\rFTS|1\r");
        let batch = split_batch(&text, &Limits::default()).unwrap();
        assert!(batch.file_header.is_some());
        assert_eq!(batch.batch_headers.len(), 1);
        assert_eq!(batch.messages.len(), 2);
        for m in &batch.messages {
            let msg = Message::parse(m).unwrap();
            assert_eq!(msg.segments().len(), 3);
            assert_eq!(msg.header().message_type(), ("ADT", "A04"));
        }
    }

    #[test]
    fn wrong_trailer_count_is_reported() {
        let text = format!("BHS|^~\\&\r{A04}BTS|3\r");
        assert_eq!(
            split_batch(&text, &Limits::default()).unwrap_err(),
            Hl7Error::BatchCount { segment: "BTS", declared: 3, found: 1 }
        );
    }

    #[test]
    fn plain_messages_back_to_back() {
        let text = format!("{A04}\n{A04}");
        let batch = split_batch(&text, &Limits::default()).unwrap();
        assert_eq!(batch.messages.len(), 2);
        assert!(batch.file_header.is_none());
    }

    #[test]
    fn structure_errors() {
        let err = split_batch("BHS|^~\\&\rPID|1\r", &Limits::default()).unwrap_err();
        assert!(matches!(err, Hl7Error::Batch { .. }), "{err}");
        let err = split_batch(&format!("{A04}FHS|^~\\&\r"), &Limits::default()).unwrap_err();
        assert!(matches!(err, Hl7Error::Batch { .. }), "{err}");
        assert_eq!(split_batch("EVN|1", &Limits::default()).unwrap_err(), Hl7Error::NotMsh);
    }
}
