//! Reads X12 for this crate: leniently, because payers' envelopes often carry wrong counts or
//! control numbers (several public 271 samples do), but refusing problems that lose or
//! misplace data: segments outside an envelope, missing trailers, truncation, invalid ids.

use rx_x12::{Document, Error as X12Error, Group, Transaction};

use crate::error::Error;

/// The document plus the tolerated envelope warnings.
pub(crate) fn read_x12(input: &[u8]) -> Result<(Document<'_>, Vec<X12Error>), Error> {
    let lenient = rx_x12::read_lenient(input)?;
    let warnings = checked(lenient.warnings)?;
    Ok((lenient.document, warnings))
}

/// Streams the transaction sets of `input` (one in memory at a time) with the same policy;
/// returns the tolerated warnings.
pub(crate) fn stream_x12<'a>(
    input: &'a [u8],
    on_transaction: &mut dyn FnMut(&Group<'a>, Transaction<'a>),
) -> Result<Vec<X12Error>, Error> {
    let lenient = rx_x12::stream_lenient(input, on_transaction)?;
    checked(lenient.warnings)
}

fn checked(warnings: Vec<X12Error>) -> Result<Vec<X12Error>, Error> {
    match warnings.iter().find(|w| !tolerated(w)) {
        Some(severe) => Err(Error::X12(severe.clone())),
        None => Ok(warnings),
    }
}

/// Envelope bookkeeping problems that leave every segment where it belongs.
fn tolerated(w: &X12Error) -> bool {
    matches!(w, X12Error::CountMismatch { .. } | X12Error::ControlNumberMismatch { .. } | X12Error::IsaMalformed { .. })
}
