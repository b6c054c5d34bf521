//! Reading codes out of OCR'd text: ICD-10-CM (repairing `O`/`0`, `l`/`1`, `S`/`5`, `B`/`8`,
//! `Z`/`2`, a leading `$` for `S`, and missing or stray dots, but only where the code table
//! makes the repair unambiguous), CPT/HCPCS, NPI and member ids.

use rx_codes::icd10::{self, Classification};

/// A code read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCode {
    /// Upper case, without dot.
    pub code: String,
    /// Whether characters had to be changed to read it.
    pub repaired: bool,
}

const TRIM: &[char] = &['(', ')', '[', ']', '{', '}', ',', ';', ':', '"', '\'', '.', '*', '/'];

/// ICD-10-CM codes in a diagnosis value ("M54.50 Low back pain", "M5450, M62.830").
pub fn icd10_in(value: &str) -> Vec<FoundCode> {
    let tokens: Vec<&str> =
        value.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|t| !t.is_empty()).collect();
    let mut found: Vec<FoundCode> = Vec::new();
    let mut skip_next = false;
    for (i, token) in tokens.iter().enumerate() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        // "M54 50" or "M54. 50": a category followed by its extension, split by OCR
        if let Some(next) = tokens.get(i + 1) {
            let joined = format!("{}{}", token.trim_matches(TRIM), next.trim_matches(TRIM));
            let head = token.trim_matches(TRIM);
            if head.chars().count() == 3
                && next.trim_matches(TRIM).chars().count() <= 4
                && let Some(code) = icd10_token(&joined).filter(|c| is_known(&c.code))
            {
                push_unique(&mut found, code);
                skip_next = true;
                continue;
            }
        }
        if let Some(code) = icd10_token(token) {
            push_unique(&mut found, code);
        }
    }
    found
}

fn push_unique(found: &mut Vec<FoundCode>, code: FoundCode) {
    if !found.iter().any(|f| f.code == code.code) {
        found.push(code);
    }
}

fn is_known(code: &str) -> bool {
    !matches!(icd10::classify(code), Classification::Unknown)
}

/// Reads one token as an ICD-10-CM code, or `None` when it is not one.
///
/// A token that needs no repair and has the strict shape (letter, two digits, optional dot
/// and up to four more) is returned even when the table does not know it, so the reviewer is
/// told the code is invalid rather than that it is missing. A token that needs repair is
/// returned only when exactly one repair (the one with fewest changes) is in the table.
pub fn icd10_token(token: &str) -> Option<FoundCode> {
    let core = token.trim_matches(TRIM);
    let compact: String = core.chars().filter(|c| !matches!(c, '.' | ',' | '-' | '\u{b7}')).collect();
    let upper: Vec<char> = compact.chars().map(|c| c.to_ascii_uppercase()).collect();
    if !(3..=7).contains(&upper.len())
        || !upper.iter().enumerate().all(|(i, c)| c.is_ascii_alphanumeric() || *c == '|' || (i == 0 && *c == '$'))
    {
        return None;
    }
    let options: Vec<Vec<char>> = upper.iter().enumerate().map(|(i, c)| alternatives(i, *c)).collect();
    if options.iter().any(Vec::is_empty) {
        return None;
    }
    let original: String = upper.iter().collect();
    let mut best: Option<(usize, String, bool)> = None; // (changes, code, billable)
    let mut tie = false;
    let mut candidate = vec![0usize; options.len()];
    'outer: loop {
        let code: String = candidate.iter().zip(&options).map(|(k, opts)| opts[*k]).collect();
        let changes = code.chars().zip(original.chars()).filter(|(a, b)| a != b).count();
        let billable = match icd10::classify(&code) {
            Classification::Billable => Some(true),
            Classification::Header { .. } => Some(false),
            Classification::Unknown => None,
        };
        if let Some(billable) = billable {
            let better = match &best {
                None => true,
                Some((c, _, b)) => (billable, std::cmp::Reverse(changes)) > (*b, std::cmp::Reverse(*c)),
            };
            let same = best.as_ref().is_some_and(|(c, _, b)| *b == billable && *c == changes);
            if better {
                best = Some((changes, code, billable));
                tie = false;
            } else if same {
                tie = true;
            }
        }
        // next combination
        for (slot, opts) in candidate.iter_mut().zip(&options) {
            *slot += 1;
            if *slot < opts.len() {
                continue 'outer;
            }
            *slot = 0;
        }
        break;
    }
    match best {
        Some((changes, code, _)) if !tie => Some(FoundCode { code, repaired: changes > 0 }),
        _ => strict_shape(&original, core).then_some(FoundCode { code: original, repaired: false }),
    }
}

/// The characters a position may really hold, given what OCR read there. The first is the
/// preferred reading.
fn alternatives(position: usize, c: char) -> Vec<char> {
    match (position, c) {
        // the first character of a code is always a letter
        (0, '0') => vec!['O'],
        (0, '1' | '|') => vec!['I'],
        (0, '5' | '$') => vec!['S'],
        (0, '8') => vec!['B'],
        (0, '2') => vec!['Z'],
        (0, c) if c.is_ascii_uppercase() => vec![c],
        (0, _) => vec![],
        // ICD-10-CM never uses the letter O after the first character
        (_, 'O') => vec!['0'],
        (_, 'I' | 'L' | '|') => vec!['1', c],
        (_, 'S') => vec!['S', '5'],
        (_, 'B') => vec!['B', '8'],
        (_, 'Z') => vec!['Z', '2'],
        (_, c) if c.is_ascii_alphanumeric() => vec![c],
        _ => vec![],
    }
}

/// Letter, two digits, then up to four letters/digits, with the dot (if any) after three.
fn strict_shape(code: &str, written: &str) -> bool {
    let b = code.as_bytes();
    let dot_ok = match written.find('.') {
        None => true,
        Some(at) => at == 3 && written.matches('.').count() == 1,
    };
    dot_ok
        && b.len() >= 3
        && b.first().is_some_and(u8::is_ascii_uppercase)
        && b.get(1).is_some_and(u8::is_ascii_digit)
        && b.get(2).is_some_and(u8::is_ascii_digit)
}

/// CPT (five digits) and HCPCS level II (letter and four digits) codes in a procedure value;
/// modifiers (`97124-GP`, `97124 GP`) are dropped.
pub fn procedures_in(value: &str) -> Vec<FoundCode> {
    let mut found: Vec<FoundCode> = Vec::new();
    for token in value.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | '(' | ')')) {
        let token = token.trim_matches(TRIM);
        let token = token.split(['-', ':']).next().unwrap_or_default();
        if token.chars().count() != 5 {
            continue;
        }
        let chars: Vec<char> = token.chars().collect();
        let digit = |c: char| match c {
            'O' | 'o' => Some(('0', true)),
            'l' | 'I' | '|' => Some(('1', true)),
            c if c.is_ascii_digit() => Some((c, false)),
            _ => None,
        };
        let as_digits: Option<Vec<(char, bool)>> = chars.iter().map(|c| digit(*c)).collect();
        let code = match as_digits {
            Some(d) if d.iter().filter(|(_, r)| *r).count() <= 2 => {
                Some(FoundCode { code: d.iter().map(|(c, _)| c).collect(), repaired: d.iter().any(|(_, r)| *r) })
            }
            _ => {
                // HCPCS: a letter then four digits
                let first = chars.first().copied().unwrap_or(' ').to_ascii_uppercase();
                let rest: Option<Vec<(char, bool)>> = chars.iter().skip(1).map(|c| digit(*c)).collect();
                match rest {
                    Some(r) if first.is_ascii_uppercase() && first != 'O' && first != 'I' => Some(FoundCode {
                        code: std::iter::once(first).chain(r.iter().map(|(c, _)| *c)).collect(),
                        repaired: r.iter().any(|(_, x)| *x),
                    }),
                    _ => None,
                }
            }
        };
        if let Some(code) = code
            && !found.iter().any(|f| f.code == code.code)
        {
            found.push(code);
        }
    }
    found
}

/// The ten NPI digits at the start of a value, allowing spaces or dashes between groups and
/// OCR confusions.
pub fn npi_in(value: &str) -> Option<FoundCode> {
    let mut digits = String::new();
    let mut repaired = false;
    for c in value.trim_start().chars() {
        match c {
            '0'..='9' => digits.push(c),
            'O' | 'o' => {
                digits.push('0');
                repaired = true;
            }
            'l' | 'I' | '|' => {
                digits.push('1');
                repaired = true;
            }
            ' ' | '-' if digits.len() < 10 => {}
            _ => break,
        }
        if digits.len() > 10 {
            return None;
        }
    }
    (digits.len() == 10).then_some(FoundCode { code: digits, repaired })
}

/// The first id-like token of a member-id value: letters and digits (with `-`), at least one
/// digit, four or more characters. Member ids mix letters and digits freely, so only the
/// numeric tail (everything after the first digit) is repaired, and only when its letters are
/// all OCR confusions (`SHP448812O97` -> `SHP448812097`).
pub fn member_id_in(value: &str) -> Option<FoundCode> {
    let token = value.split_whitespace().map(|t| t.trim_matches(TRIM)).find(|t| {
        t.chars().count() >= 4
            && t.chars().any(|c| c.is_ascii_digit())
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })?;
    let upper = token.to_ascii_uppercase();
    let first_digit = upper.find(|c: char| c.is_ascii_digit()).unwrap_or(upper.len());
    let (head, tail) = upper.split_at(first_digit);
    let confusable = |c: char| matches!(c, 'O' | 'I' | 'L');
    if tail.chars().filter(char::is_ascii_alphabetic).all(confusable) && tail.chars().any(confusable) {
        let fixed: String = tail
            .chars()
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        return Some(FoundCode { code: format!("{head}{fixed}"), repaired: true });
    }
    Some(FoundCode { code: upper, repaired: false })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn icd(value: &str) -> Vec<(String, bool)> {
        icd10_in(value).into_iter().map(|c| (c.code, c.repaired)).collect()
    }

    #[test]
    fn clean_and_noisy_icd10() {
        assert_eq!(icd("M54.50 Low back pain, unspecified"), [("M5450".into(), false)]);
        assert_eq!(icd("M5450"), [("M5450".into(), false)]);
        assert_eq!(icd("M54.5O"), [("M5450".into(), true)]);
        assert_eq!(icd("MS4.50"), [("M5450".into(), true)]);
        assert_eq!(icd("M54.2) following a motor vehicle accident in January."), [("M542".into(), false)]);
        assert_eq!(icd("m54.2"), [("M542".into(), false)]);
        assert_eq!(icd("M54 50"), [("M5450".into(), false)]);
        assert_eq!(icd("M62.83O, M54,50"), [("M62830".into(), true), ("M5450".into(), false)]);
        assert_eq!(icd("Sl3.4XXA"), [("S134XXA".into(), true)]);
        assert_eq!(icd("back pain"), []);
        assert_eq!(icd("Low back pain"), []);
    }

    #[test]
    fn header_and_unknown_codes_are_kept_for_the_reviewer() {
        assert_eq!(icd("M54.5"), [("M545".into(), false)]);
        assert_eq!(icd("M54.58"), [("M5458".into(), false)]);
        assert_eq!(icd("M54.5.8"), []);
    }

    #[test]
    fn procedures() {
        let codes = |v: &str| procedures_in(v).into_iter().map(|c| c.code).collect::<Vec<_>>();
        assert_eq!(codes("97124"), ["97124"]);
        assert_eq!(codes("97124-GP, 97140 GP"), ["97124", "97140"]);
        assert_eq!(codes("97l24"), ["97124"]);
        assert_eq!(codes("G0283"), ["G0283"]);
        assert_eq!(codes("Medical massage"), Vec::<String>::new());
        assert_eq!(codes("97124), twice weekly"), ["97124"]);
    }

    #[test]
    fn npi_and_member_id() {
        assert_eq!(npi_in("1234567893").unwrap(), FoundCode { code: "1234567893".into(), repaired: false });
        assert_eq!(npi_in("l23456789З"), None);
        assert_eq!(npi_in("123 456 7893 (office)").unwrap().code, "1234567893");
        assert_eq!(npi_in("l234567893").unwrap(), FoundCode { code: "1234567893".into(), repaired: true });
        assert_eq!(npi_in("12345678931"), None);
        let id = |v: &str| member_id_in(v).map(|c| (c.code, c.repaired));
        assert_eq!(id("SHP903311450."), Some(("SHP903311450".into(), false)));
        assert_eq!(id("SHP4488l2O97"), Some(("SHP448812097".into(), true)));
        assert_eq!(id("OHP12345"), Some(("OHP12345".into(), false)));
        assert_eq!(id("AB12CD34"), Some(("AB12CD34".into(), false)));
        assert_eq!(id("is on file"), None);
    }
}
