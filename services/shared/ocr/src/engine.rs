//! The Tesseract engine: one instance per thread (the C++ object is not thread-safe and costs
//! ~100 ms to load), fed a normalised page as PNG.

use std::cell::RefCell;
use std::time::Instant;

use leptess::{LepTess, Variable};

use crate::OcrError;
use crate::normalise::TARGET_DPI;

thread_local! {
    static ENGINE: RefCell<Option<LepTess>> = const { RefCell::new(None) };
}

/// Raw recognition result of one page.
#[derive(Debug)]
pub(crate) struct EngineOutput {
    pub tsv: String,
    pub millis: u64,
}

fn engine_err(reason: impl Into<String>) -> OcrError {
    OcrError::Engine { reason: reason.into() }
}

fn start() -> Result<LepTess, OcrError> {
    // data path None: TESSDATA_PREFIX or the distribution's tessdata directory
    let mut lt = LepTess::new(None, "eng").map_err(|e| engine_err(format!("cannot load english model ({e})")))?;
    // automatic page segmentation: faxes mix letters, forms and tables
    lt.set_variable(Variable::TesseditPagesegMode, "3").map_err(|_| engine_err("cannot set page segmentation mode"))?;
    Ok(lt)
}

/// Recognises one page image (PNG bytes at `TARGET_DPI`).
pub(crate) fn recognise(png: &[u8]) -> Result<EngineOutput, OcrError> {
    ENGINE.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|_| engine_err("engine re-entered on the same thread"))?;
        if slot.is_none() {
            *slot = Some(start()?);
        }
        let lt = slot.as_mut().ok_or_else(|| engine_err("engine not started"))?;
        lt.set_image_from_mem(png).map_err(|_| engine_err("engine could not read the page image"))?;
        lt.set_source_resolution(TARGET_DPI as i32);
        let started = Instant::now();
        let tsv = lt.get_tsv_text(0).map_err(|_| engine_err("engine returned invalid utf-8"))?;
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(EngineOutput { tsv, millis })
    })
}
