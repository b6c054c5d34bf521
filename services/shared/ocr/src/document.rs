//! The result types: a document is pages, a page is text lines with confidences.

use crate::DocumentKind;

/// Everything read from one document, pages in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The detected container format.
    pub kind: DocumentKind,
    /// One entry per page, first page first.
    pub pages: Vec<Page>,
}

impl Document {
    /// All page texts joined with a form feed, the conventional page separator for plain text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (i, page) in self.pages.iter().enumerate() {
            if i > 0 {
                out.push('\u{c}');
            }
            out.push_str(&page.text);
        }
        out
    }
}

/// Where a page's text came from, so downstream code can trust a text layer more than OCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    /// Text drawn by the PDF producer: exact, confidence 1.0.
    TextLayer,
    /// Text recognised by Tesseract from the page image.
    Ocr,
}

/// One page of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The page text, lines separated by `\n`.
    pub text: String,
    /// The non-empty lines of `text`, each with its confidence.
    pub lines: Vec<Line>,
    /// Mean word confidence over the page in `0.0..=1.0` (1.0 for a text layer, 0.0 when OCR
    /// found no words).
    pub mean_confidence: f32,
    /// Text layer or OCR.
    pub source: TextSource,
    /// The normalised page image (square pixels, ~300 dpi, binarised, deskewed) as PNG, kept
    /// for human review; `None` for text-layer pages, which are never rasterised.
    pub image_png: Option<Vec<u8>>,
    /// Wall time spent in Tesseract for this page (0 for a text layer).
    pub ocr_millis: u64,
}

/// One line of text with how sure the reader is of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The words of the line separated by single spaces.
    pub text: String,
    /// Mean of the word confidences weighted by word length, in `0.0..=1.0`.
    pub confidence: f32,
}

impl Page {
    /// Builds a text-layer page: every non-blank line is certain.
    pub(crate) fn from_text_layer(text: &str) -> Self {
        let lines: Vec<Line> = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .map(|text| Line { text, confidence: 1.0 })
            .collect();
        let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        Self { text, lines, mean_confidence: 1.0, source: TextSource::TextLayer, image_png: None, ocr_millis: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_layer_page_drops_blank_lines_and_collapses_spaces() {
        let page = Page::from_text_layer("  Patient:   Jane  Doe \n\n \t\nDx: M54.50\n");
        assert_eq!(page.text, "Patient: Jane Doe\nDx: M54.50");
        assert_eq!(page.lines.len(), 2);
        assert!(page.lines.iter().all(|l| (l.confidence - 1.0).abs() < f32::EPSILON));
        assert_eq!(page.source, TextSource::TextLayer);
    }

    #[test]
    fn document_text_separates_pages_with_form_feed() {
        let doc =
            Document { kind: DocumentKind::Pdf, pages: vec![Page::from_text_layer("a"), Page::from_text_layer("b")] };
        assert_eq!(doc.text(), "a\u{c}b");
    }
}
