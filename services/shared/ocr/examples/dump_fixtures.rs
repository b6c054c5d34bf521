//! Runs the OCR pipeline over every fax fixture, prints the text, and writes it to
//! `tests/data/<file>.ocr.txt` for the intake extractor's tests. Re-run after any pipeline
//! change: `cargo run -p rx-ocr --example dump_fixtures [--release]`.

#![allow(clippy::print_stdout)]

use std::fs;
use std::path::Path;
use std::time::Instant;

use rx_ocr::{Limits, TextSource, read_document};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = crate_dir.join("../../../tests/fixtures");
    let out_dir = crate_dir.join("tests/data");
    fs::create_dir_all(&out_dir)?;
    let filter = std::env::args().nth(1).unwrap_or_default();
    for sub in ["fax", "fax-extra"] {
        let dir = fixtures.join(sub);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            let is_doc = [".tiff", ".tif", ".png", ".pdf", ".jpg"].iter().any(|e| name.ends_with(e));
            if !is_doc || !name.contains(&filter) {
                continue;
            }
            let bytes = fs::read(&path)?;
            let started = Instant::now();
            let doc = read_document(&bytes, &Limits::default())?;
            println!("===== {sub}/{name}: {} page(s), {} ms", doc.pages.len(), started.elapsed().as_millis());
            let mut text = String::new();
            for (i, page) in doc.pages.iter().enumerate() {
                let source = match page.source {
                    TextSource::TextLayer => "text layer",
                    TextSource::Ocr => "ocr",
                };
                println!(
                    "--- page {} ({source}, mean confidence {:.2}, ocr {} ms)",
                    i + 1,
                    page.mean_confidence,
                    page.ocr_millis
                );
                println!("{}", page.text);
                // OCR_DUMP_PNG=<dir> also saves the normalised page images for a look
                if let (Ok(dir), Some(png)) = (std::env::var("OCR_DUMP_PNG"), &page.image_png) {
                    fs::write(Path::new(&dir).join(format!("{name}.p{}.png", i + 1)), png)?;
                }
                if i > 0 {
                    text.push('\u{c}');
                }
                text.push_str(&page.text);
                text.push('\n');
            }
            fs::write(out_dir.join(format!("{name}.ocr.txt")), text)?;
        }
    }
    Ok(())
}
