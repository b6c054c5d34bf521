//! Page and check-box layout: which lines of a fax speak for the prescription.
//!
//! A multi-page fax (pages split by a form feed) often opens with a cover sheet whose "Re:",
//! "To:" and "Date:" lines look like patient fields; only the pages that carry prescription
//! labels (diagnosis, procedure, birth date, member id, NPI) are read when any page does.
//! On a check-box form, an option whose box is empty (`[_]`, `[ ]`, `☐`) was not chosen and
//! says nothing; an option with a ticked box or none left (scanners often drop a filled box)
//! next to empty ones was chosen.

use super::codes::{FoundCode, procedures_in};
use super::labels::{self, Kind};

/// The page of each line: a line holding a form feed begins a new page.
pub fn pages(raw: &[&str]) -> Vec<usize> {
    let mut page = 0;
    let mut pending = false;
    raw.iter()
        .map(|line| {
            if std::mem::take(&mut pending) {
                page += 1;
            }
            if let Some((_, after)) = line.rsplit_once('\u{c}') {
                // a form feed ending a line: the next line starts the page
                if after.trim().is_empty() {
                    pending = true;
                } else {
                    page += 1;
                }
            }
            page
        })
        .collect()
}

/// The lines on pages that carry no prescription label, when another page does (a cover
/// sheet); empty for a single page.
pub fn cover_lines(lines: &[String], page_of: &[usize]) -> Vec<usize> {
    let count = page_of.iter().max().map_or(1, |m| m + 1);
    if count < 2 {
        return Vec::new();
    }
    let mut clinical = vec![false; count];
    for (i, line) in lines.iter().enumerate() {
        let found = labels::find(line).iter().any(|l| {
            matches!(l.kind, Kind::Dob | Kind::MemberId | Kind::Npi | Kind::Diagnosis | Kind::Procedure)
                && !l.value.is_empty()
        });
        if found && let Some(slot) = page_of.get(i).and_then(|p| clinical.get_mut(*p)) {
            *slot = true;
        }
    }
    if !clinical.iter().any(|c| *c) {
        return Vec::new();
    }
    (0..lines.len()).filter(|i| page_of.get(*i).and_then(|p| clinical.get(*p)) == Some(&false)).collect()
}

/// What a line's leading check box says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Box {
    Empty,
    Ticked,
    None,
}

const EMPTY: &[&str] = &["[_]", "[ ]", "[]", "[__]", "(_)", "( )", "\u{2610}", "\u{25a1}", "\u{25a2}"];
const TICKED: &[&str] = &[
    "[x]",
    "[X]",
    "[v]",
    "[V]",
    "[/]",
    "[\u{2713}]",
    "[\u{2714}]",
    "(x)",
    "(X)",
    "\u{2611}",
    "\u{2612}",
    "\u{25a0}",
    "\u{2713}",
    "\u{2714}",
    "\u{25cf}",
];

/// The check box at the start of a line.
pub fn leading_box(line: &str) -> Box {
    let t = line.trim_start();
    if EMPTY.iter().any(|m| t.starts_with(m)) {
        Box::Empty
    } else if TICKED.iter().any(|m| t.starts_with(m)) {
        Box::Ticked
    } else {
        Box::None
    }
}

/// The options of check-box lists that were not chosen: lines starting with an empty box and
/// holding no ticked one ("[_] Left  [x] Right" is kept).
pub fn unchecked_lines(lines: &[String]) -> Vec<usize> {
    let ticked_inside = |l: &str| TICKED.iter().any(|m| l.contains(m));
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| leading_box(l) == Box::Empty && !ticked_inside(l))
        .map(|(i, _)| i)
        .collect()
}

/// The procedure codes chosen in check-box lists: in each run of adjacent lines (blank lines
/// between them allowed) that each name a procedure code and at least one of which has an
/// empty box, the lines whose box is ticked or gone. Returns (line, code).
pub fn chosen_procedures(lines: &[String]) -> Vec<(usize, FoundCode)> {
    let mut out = Vec::new();
    let mut run: Vec<(usize, Vec<FoundCode>)> = Vec::new();
    let flush = |run: &mut Vec<(usize, Vec<FoundCode>)>, out: &mut Vec<(usize, FoundCode)>| {
        let boxes: Vec<Box> = run.iter().filter_map(|(i, _)| lines.get(*i)).map(|l| leading_box(l)).collect();
        if boxes.contains(&Box::Empty) {
            for ((i, codes), b) in run.drain(..).zip(boxes) {
                if b != Box::Empty {
                    out.extend(codes.into_iter().map(|c| (i, c)));
                }
            }
        }
        run.clear();
    };
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let codes = procedures_in(line);
        if codes.is_empty() {
            flush(&mut run, &mut out);
        } else {
            run.push((i, codes));
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn owned(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn form_feeds_split_pages() {
        assert_eq!(pages(&["a", "b", "\u{c}c", "d"]), [0, 0, 1, 1]);
        assert_eq!(pages(&["a", "b\u{c}", "c"]), [0, 0, 1]);
        assert_eq!(pages(&["a", "b"]), [0, 0]);
    }

    #[test]
    fn a_cover_sheet_without_prescription_labels_is_set_aside() {
        let lines = owned("FAX\nRe: Massage therapy referral\n\u{c}Patient: Avery Quinlan\nDx: M54.50");
        let raw: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(cover_lines(&lines, &pages(&raw)), [0, 1]);
        // one page, or no page with prescription labels: nothing is set aside
        assert!(cover_lines(&lines[..2], &[0, 0]).is_empty());
        assert!(cover_lines(&owned("a\nb"), &[0, 1]).is_empty());
    }

    #[test]
    fn the_option_without_an_empty_box_is_chosen() {
        let form = owned("Services:\nMassage 97124\n[_] Manual therapy 97140\n[ ] Therapeutic exercise 97110\n");
        let chosen: Vec<(usize, String)> = chosen_procedures(&form).into_iter().map(|(i, c)| (i, c.code)).collect();
        assert_eq!(chosen, [(1, "97124".to_owned())]);
        assert_eq!(unchecked_lines(&form), [2, 3]);
        let ticked = owned("[x] Manual therapy 97140\n[_] Massage 97124");
        assert_eq!(chosen_procedures(&ticked).into_iter().map(|(_, c)| c.code).collect::<Vec<_>>(), ["97140"]);
        let spaced = owned("[_] Massage 97124\n\n[x] Manual therapy 97140\nNotes: none\n[_] Exercise 97110");
        assert_eq!(chosen_procedures(&spaced).into_iter().map(|(_, c)| c.code).collect::<Vec<_>>(), ["97140"]);
        assert_eq!(unchecked_lines(&owned("[_] Left [x] Right\n[ ] Both")), [1]);
        // codes listed without boxes are not a check-box list
        assert!(chosen_procedures(&owned("97124 massage\n97140 manual therapy")).is_empty());
    }
}
