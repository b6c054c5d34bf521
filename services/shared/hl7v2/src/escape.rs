//! HL7 escape sequences: `\F\ \S\ \T\ \R\ \E\` for the delimiters, `\Xhh..\` for raw bytes,
//! `\.br\` for a line break; highlighting and character-set switches are dropped.
//!
//! Unescaping is applied to leaf values after splitting, never before, or an escaped `^` would
//! split a component.

use std::borrow::Cow;

use crate::Delimiters;

/// Replaces escape sequences in a leaf value; borrows when there is nothing to replace.
pub fn unescape<'a>(raw: &'a str, delims: &Delimiters) -> Cow<'a, str> {
    let Some(esc) = delims.escape else {
        return Cow::Borrowed(raw);
    };
    if !raw.as_bytes().contains(&esc) {
        return Cow::Borrowed(raw);
    }
    let esc_char = char::from(esc);
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find(esc_char) {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 1..).unwrap_or_default();
        let Some(end) = after.find(esc_char) else {
            // An unterminated sequence is kept as written.
            out.push_str(rest.get(start..).unwrap_or_default());
            return Cow::Owned(out);
        };
        let sequence = after.get(..end).unwrap_or_default();
        if !expand(sequence, delims, &mut out) {
            out.push(esc_char);
            out.push_str(sequence);
            out.push(esc_char);
        }
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Appends the meaning of one sequence (without its escape characters); false if unknown.
fn expand(sequence: &str, delims: &Delimiters, out: &mut String) -> bool {
    let push_delim = |out: &mut String, b: Option<u8>| b.map(|b| out.push(char::from(b))).is_some();
    match sequence {
        "F" => {
            out.push(char::from(delims.field));
            true
        }
        "S" => {
            out.push(char::from(delims.component));
            true
        }
        "R" => push_delim(out, delims.repetition),
        "T" => push_delim(out, delims.subcomponent),
        "E" => push_delim(out, delims.escape),
        ".br" => {
            out.push('\n');
            true
        }
        "H" | "N" => true,
        s if s.starts_with('X') => hex(s.get(1..).unwrap_or_default(), out),
        // Character-set switches (\C..\, \M..\) and formatting commands (\.sp\, \.in\ ...) carry
        // no text of their own.
        s if (s.starts_with('C') || s.starts_with('M')) && s.len() > 1 => true,
        s if s.starts_with('.') && s.len() > 1 => true,
        _ => false,
    }
}

fn hex(digits: &str, out: &mut String) -> bool {
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return false;
    }
    let mut bytes = Vec::with_capacity(digits.len() / 2);
    for pair in digits.as_bytes().chunks(2) {
        let Some(b) = std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()) else {
            return false;
        };
        bytes.push(b);
    }
    match String::from_utf8(bytes) {
        Ok(s) => out.push_str(&s),
        // Not UTF-8: read the bytes as ISO-8859-1, the usual single-byte HL7 character set.
        Err(e) => out.extend(e.into_bytes().into_iter().map(char::from)),
    }
    true
}

/// Escapes delimiters and line breaks so `text` can be written as one leaf value.
pub fn escape<'a>(text: &'a str, delims: &Delimiters) -> Cow<'a, str> {
    let needs = text.bytes().any(|b| delims.is_any(b) || b == b'\r' || b == b'\n');
    if !needs {
        return Cow::Borrowed(text);
    }
    let Some(esc) = delims.escape.map(char::from) else {
        // Without an escape character the delimiters cannot be written: replace them.
        return Cow::Owned(
            text.chars()
                .map(|c| if c.is_ascii() && (delims.is_any(c as u8) || c == '\r' || c == '\n') { ' ' } else { c })
                .collect(),
        );
    };
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        let code = match c {
            '\r' => Some("X0D"),
            '\n' => Some(".br"),
            c if c.is_ascii() => {
                let b = c as u8;
                if b == delims.field {
                    Some("F")
                } else if b == delims.component {
                    Some("S")
                } else if Some(b) == delims.repetition {
                    Some("R")
                } else if Some(b) == delims.subcomponent {
                    Some("T")
                } else if Some(b) == delims.escape {
                    Some("E")
                } else {
                    None
                }
            }
            _ => None,
        };
        match code {
            Some(code) => {
                out.push(esc);
                out.push_str(code);
                out.push(esc);
            }
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d() -> Delimiters {
        Delimiters::default()
    }

    #[test]
    fn delimiter_sequences() {
        assert_eq!(unescape(r"a\F\b\S\c\T\d\R\e\E\f", &d()), r"a|b^c&d~e\f");
        assert!(matches!(unescape("plain", &d()), Cow::Borrowed("plain")));
    }

    #[test]
    fn hex_line_break_and_formatting() {
        assert_eq!(unescape(r"caf\XC3A9\", &d()), "café");
        assert_eq!(unescape(r"caf\XE9\", &d()), "café");
        assert_eq!(unescape(r"one\.br\two", &d()), "one\ntwo");
        assert_eq!(unescape(r"\H\bold\N\", &d()), "bold");
        assert_eq!(unescape(r"x\X4\y", &d()), r"x\X4\y");
        assert_eq!(unescape(r"x\Q\y", &d()), r"x\Q\y");
        assert_eq!(unescape(r"dangling\F", &d()), r"dangling\F");
    }

    #[test]
    fn url_with_escaped_ampersands_from_the_omg_fixture() {
        let raw = r"index.php?ContainerType=CaseView\T\ContainerID=0";
        assert_eq!(unescape(raw, &d()), "index.php?ContainerType=CaseView&ContainerID=0");
    }

    #[test]
    fn custom_escape_character() {
        let custom = Delimiters::from_header("MSH#$*@!#").unwrap();
        assert_eq!(unescape("a@F@b@S@c", &custom), "a#b$c");
        assert_eq!(escape("a#b$c", &custom), "a@F@b@S@c");
    }

    proptest! {
        #[test]
        fn escape_then_unescape_is_identity(s in "\\PC{0,40}") {
            let escaped = escape(&s, &d());
            for b in ["|", "^", "~", "&", "\r", "\n"] {
                prop_assert!(!escaped.contains(b));
            }
            prop_assert_eq!(unescape(&escaped, &d()).into_owned(), s.clone());
        }

        #[test]
        fn unescape_never_panics(s in "\\PC{0,40}") {
            let _ = unescape(&s, &d());
        }
    }
}
