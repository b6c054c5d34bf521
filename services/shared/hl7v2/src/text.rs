//! Turning received bytes into text: UTF-8 when valid, otherwise ISO-8859-1 (the usual
//! single-byte HL7 character set), so that no byte sequence is unreadable.

use std::borrow::Cow;

/// Decodes message bytes, dropping a UTF-8 byte-order mark. Borrows when the bytes are UTF-8.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|b| char::from(*b)).collect()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn utf8_borrows_latin1_converts() {
        assert!(matches!(decode(b"\xEF\xBB\xBFMSH|"), Cow::Borrowed("MSH|")));
        assert_eq!(decode(b"M\xFCller"), "Müller");
        assert_eq!(decode("Müller".as_bytes()), "Müller");
    }
}
