//! Tesseract's TSV output to lines of words with confidences.

use crate::Line;

/// The words Tesseract recognised on a page, grouped into lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recognised {
    /// Page text: lines separated by `\n`, a blank line between blocks.
    pub text: String,
    /// Non-empty lines with their confidences.
    pub lines: Vec<Line>,
    /// Character-weighted mean word confidence, `0.0..=1.0`.
    pub mean_confidence: f32,
}

struct Word<'a> {
    block: u32,
    line_key: (u32, u32, u32),
    conf: f32,
    text: &'a str,
}

fn parse_word(row: &str) -> Option<Word<'_>> {
    let mut f = row.split('\t');
    let level: u32 = f.next()?.trim().parse().ok()?;
    if level != 5 {
        return None;
    }
    let _page = f.next()?;
    let block: u32 = f.next()?.parse().ok()?;
    let par: u32 = f.next()?.parse().ok()?;
    let line: u32 = f.next()?.parse().ok()?;
    // word_num, left, top, width, height
    let mut f = f.skip(5);
    let conf: f32 = f.next()?.trim().parse().ok()?;
    let text = f.next().unwrap_or("").trim();
    if conf < 0.0 || text.is_empty() {
        return None;
    }
    Some(Word { block, line_key: (block, par, line), conf: (conf / 100.0).clamp(0.0, 1.0), text })
}

/// Parses TSV rows (with or without the header line); rows other than words are ignored.
pub(crate) fn parse(tsv: &str) -> Recognised {
    let words: Vec<Word<'_>> = tsv.lines().filter_map(parse_word).collect();
    let mut lines: Vec<Line> = Vec::new();
    let mut text = String::new();
    let (mut all_weighted, mut all_chars) = (0f32, 0f32);
    let mut i = 0;
    let mut prev_block: Option<u32> = None;
    while let Some(first) = words.get(i) {
        let key = first.line_key;
        let mut j = i;
        let (mut weighted, mut chars) = (0f32, 0f32);
        let mut parts: Vec<&str> = Vec::new();
        while let Some(w) = words.get(j).filter(|w| w.line_key == key) {
            let n = w.text.chars().count() as f32;
            weighted += w.conf * n;
            chars += n;
            parts.push(w.text);
            j += 1;
        }
        all_weighted += weighted;
        all_chars += chars;
        let line_text = parts.join(" ");
        if prev_block.is_some_and(|b| b != first.block) {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&line_text);
        prev_block = Some(first.block);
        lines.push(Line { text: line_text, confidence: if chars > 0.0 { weighted / chars } else { 0.0 } });
        i = j;
    }
    Recognised { text, lines, mean_confidence: if all_chars > 0.0 { all_weighted / all_chars } else { 0.0 } }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t2550\t3300\t-1\t
2\t1\t1\t0\t0\t0\t10\t10\t500\t40\t-1\t
5\t1\t1\t1\t1\t1\t10\t10\t100\t40\t90.000000\tMember
5\t1\t1\t1\t1\t2\t120\t10\t100\t40\t70.000000\tID:
5\t1\t1\t1\t2\t1\t10\t60\t100\t40\t50\tnext
5\t1\t1\t1\t2\t2\t10\t60\t100\t40\t-1\t
5\t1\t2\t1\t1\t1\t10\t200\t100\t40\t100\tDx
";

    #[test]
    fn groups_words_into_lines_with_weighted_confidence() {
        let r = parse(SAMPLE);
        assert_eq!(r.text, "Member ID:\nnext\n\nDx");
        assert_eq!(r.lines.len(), 3);
        // (0.9*6 + 0.7*3) / 9
        assert!((r.lines[0].confidence - 0.8333).abs() < 0.001);
        assert!((r.lines[1].confidence - 0.5).abs() < 0.001);
        let mean = (0.9 * 6.0 + 0.7 * 3.0 + 0.5 * 4.0 + 1.0 * 2.0) / 15.0;
        assert!((r.mean_confidence - mean).abs() < 0.001);
    }

    #[test]
    fn empty_output_has_no_lines_and_zero_confidence() {
        let r = parse("");
        assert!(r.lines.is_empty());
        assert_eq!(r.mean_confidence, 0.0);
        assert_eq!(parse("garbage\tlines\n5\tx").lines.len(), 0);
    }
}
