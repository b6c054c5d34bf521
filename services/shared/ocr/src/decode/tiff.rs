//! Multi-page TIFF: page counting and size checks from the directory chain, CCITT pages through
//! our decoder (Group 3 is not in the `tiff` crate), other codecs through the `tiff` crate.

use std::io::Cursor;

use image::GrayImage;
use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

use super::ccitt::{self, CcittParams, Coding};
use super::{Resolution, SourcePage, check_pixels, fix_inverted, gray_from_bits};
use crate::{DocumentKind, Limits, OcrError};

/// A TIFF whose pages have been counted and size-checked, ready to decode one page at a time.
#[derive(Debug)]
pub(crate) struct TiffPages<'a> {
    bytes: &'a [u8],
    count: usize,
    limits: Limits,
}

fn malformed(page: usize, reason: impl Into<String>) -> OcrError {
    OcrError::MalformedImage { kind: DocumentKind::Tiff, page, reason: reason.into() }
}

fn tiff_err(page: usize, e: &tiff::TiffError) -> OcrError {
    match e {
        tiff::TiffError::UnsupportedError(u) => OcrError::UnsupportedCodec { page, codec: u.to_string() },
        other => malformed(page, other.to_string()),
    }
}

fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Decoder<Cursor<&'a [u8]>>, OcrError> {
    let mut tl = tiff::decoder::Limits::default();
    let bytes_cap = usize::try_from(limits.max_pixels_per_page.saturating_mul(4)).unwrap_or(usize::MAX);
    tl.decoding_buffer_size = bytes_cap;
    tl.intermediate_buffer_size = bytes_cap;
    Decoder::new(Cursor::new(bytes)).map(|d| d.with_limits(tl)).map_err(|e| tiff_err(1, &e))
}

impl<'a> TiffPages<'a> {
    /// Walks the directory chain, refusing too many pages or any oversized page before any
    /// pixel data is read.
    pub(crate) fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, OcrError> {
        let mut dec = open(bytes, limits)?;
        let mut count = 0usize;
        loop {
            count += 1;
            if count > limits.max_pages {
                return Err(OcrError::TooManyPages { pages: count, limit: limits.max_pages });
            }
            let (w, h) = dec.dimensions().map_err(|e| tiff_err(count, &e))?;
            check_pixels(count, u64::from(w), u64::from(h), limits)?;
            if !dec.more_images() {
                break;
            }
            dec.next_image().map_err(|e| tiff_err(count + 1, &e))?;
        }
        Ok(Self { bytes, count, limits: limits.clone() })
    }

    /// Number of pages (directories) in the file.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Decodes page `index` (0-based).
    pub(crate) fn decode(&self, index: usize) -> Result<SourcePage, OcrError> {
        let page = index + 1;
        let mut dec = open(self.bytes, &self.limits)?;
        dec.seek_to_image(index).map_err(|e| tiff_err(page, &e))?;
        let (width, height) = dec.dimensions().map_err(|e| tiff_err(page, &e))?;
        let tag = |dec: &mut Decoder<_>, t: Tag| -> Option<u64> { dec.find_tag_unsigned::<u64>(t).ok().flatten() };
        let compression = tag(&mut dec, Tag::Compression).unwrap_or(1);
        let photometric = tag(&mut dec, Tag::PhotometricInterpretation);
        let resolution = resolution(&mut dec);
        let mut gray = match compression {
            2..=4 => {
                let params = CcittParams {
                    coding: match compression {
                        2 => Coding::HuffmanRle,
                        3 => Coding::Group3 { two_d: tag(&mut dec, Tag::Unknown(292)).unwrap_or(0) & 1 == 1 },
                        _ => Coding::Group4,
                    },
                    width,
                    rows: height,
                    byte_align: false,
                    lsb_first: tag(&mut dec, Tag::FillOrder) == Some(2),
                };
                let mut gray = decode_ccitt_strips(self.bytes, &mut dec, &params, page)?;
                // fax codes white runs as 0 bits; BlackIsZero (1) makes 0 bits black
                if photometric == Some(1) {
                    image::imageops::invert(&mut gray);
                }
                gray
            }
            _ => decode_other(&mut dec, width, height, photometric, page)?,
        };
        fix_inverted(&mut gray);
        Ok(SourcePage { gray, resolution })
    }
}

/// XResolution / YResolution / ResolutionUnit of the current directory.
fn resolution(dec: &mut Decoder<Cursor<&[u8]>>) -> Option<Resolution> {
    let rational = |v: tiff::decoder::ifd::Value| -> Option<f32> {
        match v {
            tiff::decoder::ifd::Value::Rational(n, d) if d != 0 => Some(n as f32 / d as f32),
            tiff::decoder::ifd::Value::Float(f) => Some(f),
            _ => None,
        }
    };
    let x = rational(dec.find_tag(Tag::XResolution).ok()??)?;
    let y = rational(dec.find_tag(Tag::YResolution).ok()??)?;
    match dec.find_tag_unsigned::<u16>(Tag::ResolutionUnit).ok().flatten() {
        Some(1) => Resolution::new(x, y, false),
        Some(3) => Resolution::new(x * 2.54, y * 2.54, true),
        _ => Resolution::new(x, y, true),
    }
}

/// Decodes every strip of a CCITT page with our decoder, each strip coded independently.
fn decode_ccitt_strips(
    bytes: &[u8],
    dec: &mut Decoder<Cursor<&[u8]>>,
    params: &CcittParams,
    page: usize,
) -> Result<GrayImage, OcrError> {
    let offsets = dec
        .get_tag_u64_vec(Tag::StripOffsets)
        .map_err(|_| malformed(page, "missing strip offsets (tiled ccitt is not supported)"))?;
    let counts = dec.get_tag_u64_vec(Tag::StripByteCounts).map_err(|_| malformed(page, "missing strip byte counts"))?;
    let rows_per_strip = dec
        .find_tag_unsigned::<u32>(Tag::RowsPerStrip)
        .ok()
        .flatten()
        .unwrap_or(params.rows)
        .clamp(1, params.rows.max(1));
    let width = params.width as usize;
    let mut pixels = vec![255u8; width * params.rows as usize];
    let mut decoded_any = false;
    for (i, (&off, &len)) in offsets.iter().zip(counts.iter()).enumerate() {
        let first_row = (i as u64).saturating_mul(u64::from(rows_per_strip));
        if first_row >= u64::from(params.rows) {
            break;
        }
        let rows = (u64::from(params.rows) - first_row).min(u64::from(rows_per_strip)) as u32;
        let start = usize::try_from(off).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
        let data = bytes.get(start..end.min(bytes.len())).ok_or_else(|| malformed(page, "strip outside the file"))?;
        let out_start = first_row as usize * width;
        let Some(out) = pixels.get_mut(out_start..out_start + rows as usize * width) else {
            break;
        };
        let strip_params = CcittParams { rows, ..*params };
        if ccitt::decode_into(data, &strip_params, out).is_ok() {
            decoded_any = true;
        }
    }
    if !decoded_any {
        return Err(malformed(page, "ccitt data did not decode"));
    }
    GrayImage::from_raw(params.width, params.rows, pixels).ok_or_else(|| malformed(page, "pixel buffer size"))
}

/// Uncompressed, LZW, Deflate, PackBits and JPEG pages through the `tiff` crate.
fn decode_other(
    dec: &mut Decoder<Cursor<&[u8]>>,
    width: u32,
    height: u32,
    photometric: Option<u64>,
    page: usize,
) -> Result<GrayImage, OcrError> {
    let color = dec.colortype().map_err(|e| tiff_err(page, &e))?;
    let data = dec.read_image().map_err(|e| tiff_err(page, &e))?;
    let white_is_zero = photometric == Some(0);
    let n = width as usize * height as usize;
    let gray = match (color, data) {
        (ColorType::Gray(1), DecodingResult::U8(bits)) => gray_from_bits(width, height, &bits, !white_is_zero),
        (ColorType::Gray(8), DecodingResult::U8(mut v)) => {
            if white_is_zero {
                v.iter_mut().for_each(|p| *p = 255 - *p);
            }
            v.truncate(n);
            GrayImage::from_raw(width, height, v)
        }
        (ColorType::Gray(16), DecodingResult::U16(v)) => {
            let v: Vec<u8> = v
                .iter()
                .take(n)
                .map(|&p| {
                    let b = (p >> 8) as u8;
                    if white_is_zero { 255 - b } else { b }
                })
                .collect();
            GrayImage::from_raw(width, height, v)
        }
        (ColorType::RGB(8), DecodingResult::U8(v)) => luma(&v, 3, width, height),
        (ColorType::RGBA(8), DecodingResult::U8(v)) => luma(&v, 4, width, height),
        (other, _) => {
            return Err(OcrError::UnsupportedCodec { page, codec: format!("tiff colour type {other:?}") });
        }
    };
    gray.ok_or_else(|| malformed(page, "pixel buffer size"))
}

/// Rec. 601 luma of interleaved RGB(A) samples.
fn luma(v: &[u8], channels: usize, width: u32, height: u32) -> Option<GrayImage> {
    let out: Vec<u8> = v
        .chunks_exact(channels)
        .map(|c| {
            let (r, g, b) = (u32::from(c[0]), u32::from(c[1]), u32::from(c[2]));
            ((r * 299 + g * 587 + b * 114) / 1000) as u8
        })
        .collect();
    GrayImage::from_raw(width, height, out)
}
