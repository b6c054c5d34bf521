//! Person names as written on faxes: "Avery Quinlan", "Quinlan, Avery", "Dana Whitfield, MD",
//! with OCR digits inside words repaired (`Quin1an` → `Quinlan`).

/// A name split into given and family parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    pub given: String,
    pub family: String,
    pub repaired: bool,
}

impl PersonName {
    /// "Given Family".
    pub fn full(&self) -> String {
        format!("{} {}", self.given, self.family)
    }
}

const CREDENTIALS: &[&str] = &[
    "md", "do", "dc", "np", "pa", "pa-c", "aprn", "fnp", "dpt", "pt", "rn", "phd", "dds", "dpm", "od", "mbbs", "facp",
    "faafp", "jr", "sr", "ii", "iii",
];
const TITLES: &[&str] = &["dr", "mr", "mrs", "ms", "miss", "mx", "doctor"];

/// Parses a name value. "Family, Given [Middle]" when a comma separates two name parts,
/// otherwise "Given [Middle] Family"; titles and credentials are dropped.
pub fn parse(value: &str) -> Option<PersonName> {
    let mut repaired = false;
    // words, with commas kept as separate markers
    let mut words: Vec<String> = Vec::new();
    for raw in value.split_whitespace() {
        let (body, comma) = match raw.strip_suffix(',') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        let body = body.trim_matches(|c: char| matches!(c, '.' | ';' | ':' | '(' | ')' | '"'));
        if !body.is_empty() {
            let (fixed, was) = repair_word(body);
            repaired |= was;
            words.push(fixed);
        }
        if comma {
            words.push(",".to_owned());
        }
    }
    let is_dropped = |w: &str| {
        let l: String = w.chars().filter(|c| *c != '.').collect::<String>().to_ascii_lowercase();
        CREDENTIALS.contains(&l.as_str()) || TITLES.contains(&l.as_str())
    };
    words.retain(|w| w == "," || !is_dropped(w));
    while words.last().is_some_and(|w| w == ",") {
        words.pop();
    }
    while words.first().is_some_and(|w| w == ",") {
        words.remove(0);
    }
    if words.iter().any(|w| w != "," && !is_name_word(w)) {
        return None;
    }
    let comma = words.iter().position(|w| w == ",");
    let parts: Vec<&String> = words.iter().filter(|w| *w != ",").collect();
    if parts.len() < 2 || parts.len() > 5 {
        return None;
    }
    let (given, family) = match comma {
        Some(1) => ((*parts.get(1)?).clone(), (*parts.first()?).clone()),
        _ => ((*parts.first()?).clone(), (*parts.last()?).clone()),
    };
    Some(PersonName { given, family, repaired })
}

/// Letters, apostrophes and hyphens, starting with a letter.
fn is_name_word(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_alphabetic) && w.chars().all(|c| c.is_alphabetic() || matches!(c, '\'' | '-'))
}

/// Turns OCR digits inside an otherwise alphabetic word back into letters.
fn repair_word(word: &str) -> (String, bool) {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    let digits = word.chars().filter(|c| c.is_ascii_digit() || *c == '|').count();
    if digits == 0 || letters < 2 || digits > 2 {
        return (word.to_owned(), false);
    }
    let fixed: String = word
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            '0' if i == 0 => 'O',
            '0' => 'o',
            '|' if i == 0 => 'I',
            '1' | '|' => 'l',
            '5' if i == 0 => 'S',
            '5' => 's',
            c => c,
        })
        .collect();
    let changed = fixed != word;
    (fixed, changed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn gf(v: &str) -> Option<(String, String)> {
        parse(v).map(|n| (n.given, n.family))
    }

    #[test]
    fn name_orders_titles_and_credentials() {
        assert_eq!(gf("Avery Quinlan"), Some(("Avery".into(), "Quinlan".into())));
        assert_eq!(gf("Morgan Ellery,"), Some(("Morgan".into(), "Ellery".into())));
        assert_eq!(gf("Quinlan, Avery J."), Some(("Avery".into(), "Quinlan".into())));
        assert_eq!(gf("Dana Whitfield, MD"), Some(("Dana".into(), "Whitfield".into())));
        assert_eq!(gf("Dr. Priya Natarajan, D.O."), Some(("Priya".into(), "Natarajan".into())));
        assert_eq!(gf("Mary-Kate O'Neil"), Some(("Mary-Kate".into(), "O'Neil".into())));
    }

    #[test]
    fn ocr_digits_in_names() {
        let n = parse("Avery Quin1an").unwrap();
        assert_eq!(n.family, "Quinlan");
        assert!(n.repaired);
        assert_eq!(gf("0rtega, Jules").unwrap().1, "Ortega");
        // a capital I read as a bar
        assert_eq!(gf("|magen Castellanos-Reyes"), Some(("Imagen".into(), "Castellanos-Reyes".into())));
    }

    #[test]
    fn not_names() {
        assert_eq!(gf("Avery"), None);
        assert_eq!(gf("for medical massage therapy to treat cervicalgia"), None);
        assert_eq!(gf("SHP448812097"), None);
        assert_eq!(gf("/s/ electronically signed"), None);
    }
}
