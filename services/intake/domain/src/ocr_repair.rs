//! Undoing the commonest OCR confusions in numbers: `O`/`o` read for `0`, and `l`, `I`, `|`,
//! `!` read for `1`. Only tokens that are otherwise numeric are touched, so words and mixed
//! identifiers (member ids) keep their letters. Replacements keep byte offsets unchanged.

use std::borrow::Cow;

fn as_digit(c: char) -> Option<char> {
    match c {
        'O' | 'o' => Some('0'),
        'l' | 'I' => Some('1'),
        _ => None,
    }
}

/// Repairs confusable characters inside numeric tokens: runs of non-whitespace with at least
/// one digit whose letters are all confusable ones. A `|` between two digits is read as `1`.
/// Borrows when nothing changes.
pub fn repair_digits(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut start = 0usize;
    for token in text.split_inclusive(char::is_whitespace) {
        let has_digit = token.bytes().any(|b| b.is_ascii_digit());
        if !has_digit || !token.contains(['O', 'o', 'l', 'I', '|']) {
            // nothing to repair without a digit and a confusable; copy only once a repair started
            if let Some(buf) = out.as_mut() {
                buf.push_str(token);
            }
            start += token.len();
            continue;
        }
        let letters_confusable =
            token.chars().filter(|c| c.is_alphanumeric()).all(|c| c.is_ascii_digit() || as_digit(c).is_some());
        let chars: Vec<char> = token.chars().collect();
        let repaired: String = chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let digit_near = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(char::is_ascii_digit);
                match c {
                    '|' if digit_near(i.checked_sub(1)) && digit_near(Some(i + 1)) => '1',
                    c if has_digit && letters_confusable => as_digit(c).unwrap_or(c),
                    c => c,
                }
            })
            .collect();
        if repaired != token {
            out.get_or_insert_with(|| text.get(..start).unwrap_or_default().to_owned()).push_str(&repaired);
        } else if let Some(buf) = out.as_mut() {
            buf.push_str(token);
        }
        start += token.len();
    }
    out.map_or(Cow::Borrowed(text), Cow::Owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn repairs_numbers_only() {
        assert_eq!(repair_digits("DOB: O3/l4/l975"), "DOB: 03/14/1975");
        assert_eq!(repair_digits("l0 visits, 6O min"), "10 visits, 60 min");
        assert_eq!(repair_digits("NPI: l2345678g3"), "NPI: l2345678g3", "g is not a confusion we repair");
        assert_eq!(repair_digits("Member ID: SHP448812O97"), "Member ID: SHP448812O97");
        assert_eq!(repair_digits("I am Ollie"), "I am Ollie");
        assert_eq!(repair_digits("2x per week"), "2x per week");
        assert_eq!(repair_digits("12|3"), "1213");
        assert!(matches!(repair_digits("nothing here 123"), Cow::Borrowed(_)));
    }

    #[test]
    fn keeps_byte_offsets() {
        let s = "Date: O1/O5/2O26 and Ü 4l";
        assert_eq!(repair_digits(s).len(), s.len());
    }
}
