//! PDF text layers through `pdf-extract`, and the test of whether a layer is worth trusting.

use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::Document;
use pdf_extract::{PlainTextOutput, output_doc_page};

/// The text layer of page `page_num` (1-based), or `None` when there is none or extraction
/// failed. `pdf-extract` panics on some malformed fonts; the panic is contained here and the
/// page falls back to its image.
pub(crate) fn page_text(doc: &Document, page_num: u32) -> Option<String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut s = String::new();
        let ok = {
            let mut out = PlainTextOutput::new(&mut s);
            output_doc_page(doc, &mut out, page_num).is_ok()
        };
        ok.then_some(s)
    }));
    result.ok().flatten()
}

/// True when extracted text looks like real words rather than an empty layer, whitespace,
/// or glyph garbage from a font without a Unicode map.
pub(crate) fn is_usable(text: &str) -> bool {
    let visible: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if visible.is_empty() {
        return false;
    }
    let alnum = visible.iter().filter(|c| c.is_ascii_alphanumeric()).count();
    let plain = visible.iter().filter(|c| c.is_ascii_graphic() || c.is_alphabetic()).count();
    let words = text.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| w.len() >= 3).count();
    alnum >= 16 && plain * 100 >= visible.len() * 90 && alnum * 100 >= visible.len() * 50 && words >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_text_is_usable() {
        assert!(is_usable("Prescription for massage therapy\nPatient: Jane Example DOB 01/02/1980"));
    }

    #[test]
    fn blank_and_garbage_layers_are_not() {
        assert!(!is_usable(""));
        assert!(!is_usable("   \n\n\t  "));
        assert!(!is_usable("\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd} ab"));
        assert!(!is_usable("#$%& *()! ~~~ ### @@@ {}{}{} ^^^ ::: ;;;; 12"));
        assert!(!is_usable("\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}abcdefgh"));
    }
}
