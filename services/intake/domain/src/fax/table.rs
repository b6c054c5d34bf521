//! Table layouts on forms: a header row of column labels ("Patient name   Date of birth")
//! with the values on the line below ("Rosalind Achterberg   09/17/1994"). OCR keeps the
//! column order but not the column positions, so the value row is split by what each column
//! holds: a date, an id, an NPI or a number takes one token, and a free-text column (a name,
//! a payer, a body area) takes the words up to the first token the next column accepts.

use super::codes::{member_id_in, npi_in};
use super::labels::Kind;
use crate::dates::find_date;
use crate::ocr_repair::repair_digits;

/// Splits a value row into one cell per column; a typed column whose token is missing gets an
/// empty cell, and the cells keep the columns' order.
pub fn split_row(columns: &[Kind], row: &str) -> Vec<(Kind, String)> {
    let tokens: Vec<&str> = row.split_whitespace().collect();
    let mut at = 0;
    let mut out = Vec::with_capacity(columns.len());
    for (k, kind) in columns.iter().enumerate() {
        let rest = tokens.get(at..).unwrap_or_default();
        let taken = if is_typed(*kind) {
            usize::from(rest.first().is_some_and(|t| accepts(*kind, t)))
        } else if k + 1 == columns.len() {
            rest.len()
        } else {
            let next = columns.get(k + 1).copied().filter(|n| is_typed(*n));
            match next {
                Some(n) => rest.iter().position(|t| accepts(n, t)).unwrap_or(rest.len()),
                // two free-text columns side by side cannot be told apart: the first takes all
                None => rest.len(),
            }
        };
        let mut cell = rest.get(..taken).unwrap_or_default().join(" ");
        if let Some(n) = is_number_column(*kind).then(|| number_cell(&cell)).flatten() {
            cell = n;
        }
        at += taken;
        out.push((*kind, cell));
    }
    out
}

/// Whether a column holds a single token of a known shape.
fn is_typed(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Dob
            | Kind::Date
            | Kind::EndDate
            | Kind::MemberId
            | Kind::Npi
            | Kind::Sessions
            | Kind::PerWeek
            | Kind::Weeks
            | Kind::SessionLength
    )
}

/// Whether `token` can be the value of a typed column.
fn accepts(kind: Kind, token: &str) -> bool {
    match kind {
        Kind::Dob | Kind::Date | Kind::EndDate => {
            token.chars().filter(char::is_ascii_digit).count() >= 4 && find_date(token).is_some()
        }
        Kind::MemberId => token.chars().filter(char::is_ascii_digit).count() >= 4 && member_id_in(token).is_some(),
        Kind::Npi => npi_in(token).is_some(),
        Kind::Sessions | Kind::PerWeek | Kind::Weeks | Kind::SessionLength => number_cell(token).is_some(),
        _ => false,
    }
}

fn is_number_column(kind: Kind) -> bool {
    matches!(kind, Kind::Sessions | Kind::PerWeek | Kind::Weeks | Kind::SessionLength)
}

/// The digits of a number cell ("6", "45", "45min"), reading a lone `l`, `I`, `|` as 1 and
/// `O` as 0 as OCR writes them in a cell that can only hold a number.
fn number_cell(token: &str) -> Option<String> {
    let fixed = repair_digits(token);
    let digits = fixed.trim_end_matches(|c: char| c.is_ascii_lowercase() || c == '.');
    let digits = if digits.is_empty() { fixed.as_ref() } else { digits };
    let out: String = digits
        .chars()
        .map(|c| match c {
            'l' | 'I' | '|' => '1',
            'O' | 'o' => '0',
            c => c,
        })
        .collect();
    (!out.is_empty() && out.len() <= 3 && out.chars().all(|c| c.is_ascii_digit())).then_some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn cells(columns: &[Kind], row: &str) -> Vec<String> {
        split_row(columns, row).into_iter().map(|(_, c)| c).collect()
    }

    #[test]
    fn free_text_then_typed_column() {
        assert_eq!(
            cells(&[Kind::Patient, Kind::Dob], "Rosalind Achterberg 09/17/1994"),
            ["Rosalind Achterberg", "09/17/1994"]
        );
        assert_eq!(
            cells(&[Kind::Insurance, Kind::MemberId], "Synthetic Health PPO SHP630718254"),
            ["Synthetic Health PPO", "SHP630718254"]
        );
        assert_eq!(
            cells(&[Kind::Prescriber, Kind::Npi], "Kwame Adjei-Lindqvist, MD 2472605312"),
            ["Kwame Adjei-Lindqvist, MD", "2472605312"]
        );
    }

    #[test]
    fn typed_then_free_text_and_numbers() {
        assert_eq!(
            cells(&[Kind::Date, Kind::Area], "04/14/2026 Right ankle / lower leg"),
            ["04/14/2026", "Right ankle / lower leg"]
        );
        assert_eq!(
            cells(&[Kind::Sessions, Kind::PerWeek, Kind::Weeks, Kind::SessionLength], "6 1 6 45"),
            ["6", "1", "6", "45"]
        );
    }

    #[test]
    fn ocr_confusions_in_number_cells() {
        assert_eq!(
            cells(&[Kind::Sessions, Kind::PerWeek, Kind::Weeks, Kind::SessionLength], "6 l 6 45min"),
            ["6", "1", "6", "45"]
        );
        assert_eq!(cells(&[Kind::Sessions, Kind::Area], "ten ankle"), ["", "ten ankle"]);
    }

    #[test]
    fn a_missing_typed_cell_is_empty() {
        assert_eq!(cells(&[Kind::Patient, Kind::Dob], "Rosalind Achterberg"), ["Rosalind Achterberg", ""]);
        assert_eq!(cells(&[Kind::Dob, Kind::Patient], "Rosalind Achterberg"), ["", "Rosalind Achterberg"]);
    }
}
