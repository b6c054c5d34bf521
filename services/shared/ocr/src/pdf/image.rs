//! The scanned image of a PDF page: the largest image XObject drawn on it (fax PDFs carry one per
//! page), decoded from CCITT, DCT or Flate samples with the size checked before inflating.

use image::GrayImage;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::flate::{self, FlateError};
use crate::decode::ccitt::{self, CcittParams, Coding};
use crate::decode::{Resolution, SourcePage, check_pixels, fix_inverted, raster};
use crate::{DocumentKind, Limits, OcrError};

fn malformed(page: usize, reason: impl Into<String>) -> OcrError {
    OcrError::MalformedImage { kind: DocumentKind::Pdf, page, reason: reason.into() }
}

fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    doc.dereference(obj).map(|(_, o)| o).unwrap_or(obj)
}

fn dict_get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    dict.get(key).ok().map(|o| resolve(doc, o))
}

fn int(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<i64> {
    dict_get(doc, dict, key).and_then(|o| o.as_i64().ok())
}

/// Image XObjects reachable from a resource dictionary, through nested forms up to `depth`.
fn collect_images<'a>(doc: &'a Document, resources: &'a Dictionary, depth: u8, out: &mut Vec<&'a Stream>) {
    let Some(Ok(xobjects)) = dict_get(doc, resources, b"XObject").map(Object::as_dict) else {
        return;
    };
    for (_, obj) in xobjects.iter() {
        let Ok(stream) = resolve(doc, obj).as_stream() else {
            continue;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => out.push(stream),
            Ok(b"Form") if depth > 0 => {
                if let Some(Ok(res)) = dict_get(doc, &stream.dict, b"Resources").map(Object::as_dict) {
                    collect_images(doc, res, depth - 1, out);
                }
            }
            _ => {}
        }
    }
}

/// The largest image on the page, if any.
fn largest_image(doc: &Document, page_id: ObjectId) -> Option<&Stream> {
    let mut images = Vec::new();
    if let Ok((direct, inherited)) = doc.get_page_resources(page_id) {
        if let Some(res) = direct {
            collect_images(doc, res, 2, &mut images);
        }
        for id in inherited {
            if let Ok(res) = doc.get_dictionary(id) {
                collect_images(doc, res, 2, &mut images);
            }
        }
    }
    images.into_iter().max_by_key(|s| {
        let w = int(doc, &s.dict, b"Width").unwrap_or(0);
        let h = int(doc, &s.dict, b"Height").unwrap_or(0);
        w.saturating_mul(h)
    })
}

/// Pixel density from the image size and the page's MediaBox, assuming the scan fills the page
/// (true of fax PDFs); this is how a standard-resolution fax's half-height rows are detected.
fn page_resolution(doc: &Document, page_id: ObjectId, w: i64, h: i64) -> Option<Resolution> {
    let page = doc.get_dictionary(page_id).ok()?;
    let mut node = page;
    let mut media = None;
    for _ in 0..16 {
        if let Some(Ok(arr)) = dict_get(doc, node, b"MediaBox").map(Object::as_array) {
            media = Some(arr);
            break;
        }
        node = dict_get(doc, node, b"Parent")?.as_dict().ok()?;
    }
    let nums: Vec<f32> = media?.iter().filter_map(|o| resolve(doc, o).as_float().ok()).collect();
    let [x0, y0, x1, y1] = nums.as_slice() else {
        return None;
    };
    let (wi, hi) = ((x1 - x0).abs() / 72.0, (y1 - y0).abs() / 72.0);
    Resolution::new(w as f32 / wi, h as f32 / hi, true)
}

/// Filter names and their parameter dictionaries, in application order.
fn filters<'a>(doc: &'a Document, dict: &'a Dictionary) -> Vec<(&'a [u8], Option<&'a Dictionary>)> {
    let names: Vec<&[u8]> = match dict_get(doc, dict, b"Filter") {
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a.iter().filter_map(|o| resolve(doc, o).as_name().ok()).collect(),
        _ => Vec::new(),
    };
    let parms: Vec<Option<&Dictionary>> = match dict_get(doc, dict, b"DecodeParms") {
        Some(Object::Dictionary(d)) => vec![Some(d)],
        Some(Object::Array(a)) => a.iter().map(|o| resolve(doc, o).as_dict().ok()).collect(),
        _ => Vec::new(),
    };
    names.into_iter().enumerate().map(|(i, n)| (n, parms.get(i).copied().flatten())).collect()
}

/// Decodes the page's scanned image.
pub(crate) fn page_image(
    doc: &Document,
    page_id: ObjectId,
    page: usize,
    limits: &Limits,
) -> Result<SourcePage, OcrError> {
    let stream = largest_image(doc, page_id).ok_or(OcrError::NoPageContent { page })?;
    let dict = &stream.dict;
    let w = int(doc, dict, b"Width").unwrap_or(0);
    let h = int(doc, dict, b"Height").unwrap_or(0);
    if w <= 0 || h <= 0 {
        return Err(malformed(page, "image without a positive width and height"));
    }
    check_pixels(page, w as u64, h as u64, limits)?;
    let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
        return Err(malformed(page, "image dimensions out of range"));
    };
    let resolution = page_resolution(doc, page_id, i64::from(w), i64::from(h));
    let is_mask = dict_get(doc, dict, b"ImageMask").and_then(|o| o.as_bool().ok()).unwrap_or(false);
    let bpc = if is_mask { 1 } else { int(doc, dict, b"BitsPerComponent").unwrap_or(8) };
    let decode_inverted = matches!(
        dict_get(doc, dict, b"Decode").map(Object::as_array),
        Some(Ok(a)) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0)
    );
    let mut data: Vec<u8> = stream.content.clone();
    let chain = filters(doc, dict);
    let mut gray: Option<GrayImage> = None;
    for (i, (name, parms)) in chain.iter().enumerate() {
        let last = i + 1 == chain.len();
        match *name {
            b"FlateDecode" | b"Fl" => {
                let colors = components(doc, dict);
                let row = (w as usize * colors * bpc.max(1) as usize).div_ceil(8);
                let cap = (row + 1).saturating_mul(h as usize).saturating_add(4096);
                data = flate::inflate(&data, cap).map_err(|e| match e {
                    FlateError::TooLarge => malformed(page, "image stream inflates past its declared size"),
                    _ => malformed(page, "corrupt flate image stream"),
                })?;
                let predictor = parms.and_then(|p| int(doc, p, b"Predictor")).unwrap_or(1);
                data = flate::unpredict(&data, predictor, colors, bpc.max(1) as usize, w as usize)
                    .map_err(|_| OcrError::UnsupportedCodec { page, codec: format!("flate predictor {predictor}") })?;
            }
            b"CCITTFaxDecode" | b"CCF" if last => {
                gray = Some(decode_ccitt(doc, &data, *parms, w, h, page)?);
            }
            b"DCTDecode" | b"DCT" if last => {
                gray = Some(raster::decode(&data, DocumentKind::Jpeg, page, limits)?.gray);
            }
            other => {
                return Err(OcrError::UnsupportedCodec { page, codec: String::from_utf8_lossy(other).into_owned() });
            }
        }
    }
    let mut gray = match gray {
        Some(g) => g,
        None => samples_to_gray(doc, dict, &data, w, h, bpc, page)?,
    };
    if decode_inverted {
        image::imageops::invert(&mut gray);
    }
    fix_inverted(&mut gray);
    Ok(SourcePage { gray, resolution })
}

fn decode_ccitt(
    doc: &Document,
    data: &[u8],
    parms: Option<&Dictionary>,
    w: u32,
    h: u32,
    page: usize,
) -> Result<GrayImage, OcrError> {
    let get_i = |k: &[u8]| parms.and_then(|p| int(doc, p, k));
    let get_b = |k: &[u8]| parms.and_then(|p| dict_get(doc, p, k)).and_then(|o| o.as_bool().ok()).unwrap_or(false);
    let k = get_i(b"K").unwrap_or(0);
    let columns = get_i(b"Columns").unwrap_or(1728).clamp(1, i64::from(u16::MAX)) as u32;
    let rows = get_i(b"Rows").filter(|&r| r > 0).map_or(h, |r| r as u32).min(h.max(1));
    if columns != w {
        return Err(malformed(page, "ccitt columns differ from image width"));
    }
    let params = CcittParams {
        coding: match k {
            k if k < 0 => Coding::Group4,
            0 => Coding::Group3 { two_d: false },
            _ => Coding::Group3 { two_d: true },
        },
        width: columns,
        rows,
        byte_align: get_b(b"EncodedByteAlign"),
        lsb_first: false,
    };
    let mut pixels = vec![255u8; columns as usize * rows as usize];
    ccitt::decode_into(data, &params, &mut pixels).map_err(|_| malformed(page, "ccitt data did not decode"))?;
    let mut gray = GrayImage::from_raw(columns, rows, pixels).ok_or_else(|| malformed(page, "pixel buffer size"))?;
    // decoded fax-white is 255; BlackIs1 means white runs were stored as 0 = black samples
    if get_b(b"BlackIs1") {
        image::imageops::invert(&mut gray);
    }
    Ok(gray)
}

/// Colour components of the image's colour space (1 for masks and unknown spaces).
fn components(doc: &Document, dict: &Dictionary) -> usize {
    match dict_get(doc, dict, b"ColorSpace") {
        Some(Object::Name(n)) => match n.as_slice() {
            b"DeviceRGB" | b"CalRGB" | b"RGB" => 3,
            b"DeviceCMYK" | b"CMYK" => 4,
            _ => 1,
        },
        Some(Object::Array(a)) => match a.first().and_then(|o| o.as_name().ok()) {
            Some(b"ICCBased") => a
                .get(1)
                .map(|o| resolve(doc, o))
                .and_then(|o| o.as_stream().ok())
                .and_then(|s| int(doc, &s.dict, b"N"))
                .map_or(1, |n| n.clamp(1, 4) as usize),
            Some(b"CalRGB") | Some(b"Lab") => 3,
            _ => 1,
        },
        _ => 1,
    }
}

/// Raw samples (after Flate or uncompressed) to grey: 1, 2, 4, 8 or 16 bits, grey, RGB or CMYK.
fn samples_to_gray(
    doc: &Document,
    dict: &Dictionary,
    data: &[u8],
    w: u32,
    h: u32,
    bpc: i64,
    page: usize,
) -> Result<GrayImage, OcrError> {
    let colors = components(doc, dict);
    let indexed = matches!(
        dict_get(doc, dict, b"ColorSpace").map(Object::as_array),
        Some(Ok(a)) if a.first().and_then(|o| o.as_name().ok()) == Some(b"Indexed")
    );
    if indexed || !matches!(bpc, 1 | 2 | 4 | 8 | 16) {
        return Err(OcrError::UnsupportedCodec {
            page,
            codec: format!("pdf image with {bpc} bits, indexed {indexed}"),
        });
    }
    let bpc = bpc as usize;
    let row_bits = w as usize * colors * bpc;
    let stride = row_bits.div_ceil(8);
    if data.len() < stride * h as usize {
        return Err(malformed(page, "image stream shorter than its dimensions"));
    }
    let max = ((1u32 << bpc.min(16)) - 1) as f32;
    let sample = |row: &[u8], i: usize| -> f32 {
        let bit = i * bpc;
        let v = match bpc {
            16 => {
                u32::from(row.get(bit / 8).copied().unwrap_or(0)) << 8
                    | u32::from(row.get(bit / 8 + 1).copied().unwrap_or(0))
            }
            8 => u32::from(row.get(bit / 8).copied().unwrap_or(0)),
            _ => {
                let byte = row.get(bit / 8).copied().unwrap_or(0);
                let shift = 8 - bpc - bit % 8;
                u32::from((byte >> shift) & ((1u8 << bpc) - 1))
            }
        };
        v as f32 / max
    };
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for row in data.chunks(stride).take(h as usize) {
        for x in 0..w as usize {
            let base = x * colors;
            let lum = match colors {
                3 => 0.299 * sample(row, base) + 0.587 * sample(row, base + 1) + 0.114 * sample(row, base + 2),
                4 => {
                    let k = sample(row, base + 3);
                    let rgb: f32 = (0..3).map(|c| (1.0 - sample(row, base + c)) * (1.0 - k)).sum();
                    rgb / 3.0
                }
                _ => sample(row, base),
            };
            out.push((lum * 255.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    GrayImage::from_raw(w, h, out).ok_or_else(|| malformed(page, "pixel buffer size"))
}
