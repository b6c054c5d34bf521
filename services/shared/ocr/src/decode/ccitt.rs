//! CCITT fax decoding: T.4 Group 3 (one- and two-dimensional) and T.6 Group 4, as found in fax
//! TIFFs and in PDF `CCITTFaxDecode` streams.
//!
//! The code tables come from the `fax` crate (`fax::maps`); the line logic (EOL and fill-bit
//! handling, 2D modes, byte alignment, bit order) is ours because the crate decodes neither 2D
//! Group 3 nor LSB-first data. Decoding is lenient the way fax receivers are: a corrupt line ends
//! the strip and the rows already decoded are kept.

use fax::BitReader;
use fax::maps::{Mode, black, mode, white};

/// The three CCITT codings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// Modified Huffman without EOLs, every row byte aligned (TIFF compression 2).
    HuffmanRle,
    /// T.4 Group 3; `two_d` is TIFF T4Options bit 0 or PDF `K > 0`.
    Group3 { two_d: bool },
    /// T.6 Group 4 (TIFF compression 4, PDF `K < 0`).
    Group4,
}

/// How one CCITT stream is laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CcittParams {
    pub coding: Coding,
    pub width: u32,
    pub rows: u32,
    /// Each row starts on a byte boundary (PDF `EncodedByteAlign`).
    pub byte_align: bool,
    /// Bits are stored least significant first (TIFF FillOrder 2).
    pub lsb_first: bool,
}

/// Why a stream yielded no rows at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CcittError {
    /// Width zero or above the 65535 the code tables can express.
    BadWidth,
    /// Not even the first row decoded.
    NoRows,
}

/// Bit reader over a slice; reads past the end as zero bits so that the last short code of a
/// stream still matches a lookup table wider than what remains.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    lsb_first: bool,
}

impl Bits<'_> {
    fn total(&self) -> usize {
        self.data.len().saturating_mul(8)
    }

    fn exhausted(&self) -> bool {
        self.pos >= self.total()
    }

    fn bit(&self, index: usize) -> u16 {
        let Some(byte) = self.data.get(index / 8) else {
            return 0;
        };
        let shift = if self.lsb_first { index % 8 } else { 7 - index % 8 };
        u16::from((byte >> shift) & 1)
    }

    fn align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }

    /// True when the next 12 bits are an EOL code (eleven zeros then a one).
    fn at_eol(&self) -> bool {
        self.peek(12) == Some(1)
    }

    /// Position just after the EOL that comes next (after any fill zeros), if one does.
    fn eol_end(&self) -> Option<usize> {
        let mut probe = self.pos;
        while probe < self.total() && self.bit(probe) == 0 {
            probe += 1;
        }
        // at least eleven zeros then the terminating one bit
        (probe < self.total() && probe - self.pos >= 11).then_some(probe + 1)
    }

    fn eol_ahead(&self) -> bool {
        self.eol_end().is_some()
    }

    /// Skips fill zeros and one EOL if an EOL (possibly after fill) comes next.
    fn skip_eol(&mut self) -> bool {
        match self.eol_end() {
            Some(end) => {
                self.pos = end;
                true
            }
            None => false,
        }
    }
}

impl BitReader for Bits<'_> {
    type Error = ();

    fn peek(&self, bits: u8) -> Option<u16> {
        if bits > 16 || self.exhausted() {
            return None;
        }
        let mut out = 0u16;
        for i in 0..usize::from(bits) {
            out = (out << 1) | self.bit(self.pos + i);
        }
        Some(out)
    }

    fn consume(&mut self, bits: u8) -> Result<(), ()> {
        if self.exhausted() {
            return Err(());
        }
        self.pos += usize::from(bits);
        Ok(())
    }

    fn bits_to_byte_boundary(&self) -> u8 {
        // always < 8
        ((8 - self.pos % 8) % 8) as u8
    }
}

/// Decodes `data` into `out` (row-major, one byte per pixel, `width * rows` long, pre-filled by
/// the caller with white 255). Fax-white runs stay 255, fax-black runs become 0; the caller maps
/// them to the image's photometric meaning. Returns the number of rows decoded.
pub(crate) fn decode_into(data: &[u8], p: &CcittParams, out: &mut [u8]) -> Result<u32, CcittError> {
    if p.width == 0 || p.width > u32::from(u16::MAX) {
        return Err(CcittError::BadWidth);
    }
    let width = p.width as usize;
    let mut bits = Bits { data, pos: 0, lsb_first: p.lsb_first };
    // changing elements of the previous row (positions where the colour flips, white first)
    let mut reference: Vec<u32> = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    let mut rows = 0u32;
    while rows < p.rows {
        let row_ok = match p.coding {
            Coding::HuffmanRle => {
                if rows > 0 {
                    bits.align();
                }
                one_d_row(&mut bits, p.width, &mut current)
            }
            Coding::Group3 { two_d } => {
                // fill bits before an EOL are skipped with it; rows without EOLs that are
                // byte aligned (PDF EncodedByteAlign) start at the next byte
                if !bits.skip_eol() && p.byte_align && rows > 0 {
                    bits.align();
                }
                if rows > 0 && bits.eol_ahead() {
                    // a second EOL in a row starts the return-to-control sequence
                    break;
                }
                let one_d = if two_d {
                    let tag = bits.peek(1);
                    if bits.consume(1).is_err() {
                        break;
                    }
                    tag == Some(1)
                } else {
                    true
                };
                if one_d {
                    one_d_row(&mut bits, p.width, &mut current)
                } else {
                    two_d_row(&mut bits, p.width, &reference, &mut current)
                }
            }
            Coding::Group4 => {
                if p.byte_align && rows > 0 {
                    bits.align();
                }
                if bits.at_eol() {
                    // EOFB
                    break;
                }
                two_d_row(&mut bits, p.width, &reference, &mut current)
            }
        };
        if !row_ok {
            break;
        }
        let start = rows as usize * width;
        if let Some(row) = out.get_mut(start..start + width) {
            paint_row(&current, row);
        }
        std::mem::swap(&mut reference, &mut current);
        current.clear();
        rows += 1;
        if bits.exhausted() {
            break;
        }
    }
    if rows == 0 {
        return Err(CcittError::NoRows);
    }
    Ok(rows)
}

/// Sets the black runs of one row; `changes` alternate white→black, black→white.
fn paint_row(changes: &[u32], row: &mut [u8]) {
    let width = row.len();
    for pair in changes.chunks(2) {
        let start = pair.first().map_or(width, |&s| (s as usize).min(width));
        let end = pair.get(1).map_or(width, |&e| (e as usize).min(width));
        if let Some(run) = row.get_mut(start..end.max(start)) {
            run.fill(0);
        }
    }
}

/// Reads one run length of the given colour: make-up codes (≥ 64) then one terminating code.
fn run_length(bits: &mut Bits<'_>, is_white: bool) -> Option<u32> {
    let mut total = 0u32;
    // a row never needs more than a handful of make-up codes; bound the loop against garbage
    for _ in 0..64 {
        let code = if is_white { white::decode(bits)? } else { black::decode(bits)? };
        total = total.checked_add(u32::from(code))?;
        if code < 64 {
            return Some(total);
        }
    }
    None
}

/// Modified Huffman row: alternating white and black runs until the row is full.
fn one_d_row(bits: &mut Bits<'_>, width: u32, changes: &mut Vec<u32>) -> bool {
    let mut pos = 0u32;
    let mut is_white = true;
    while pos < width {
        let Some(run) = run_length(bits, is_white) else {
            return false;
        };
        pos = pos.saturating_add(run);
        if pos > width {
            return false;
        }
        if pos < width {
            changes.push(pos);
        }
        is_white = !is_white;
    }
    true
}

/// First changing element on `reference` right of `a0` whose new colour is the opposite of
/// the current colour (even index = change to black), and the element after it.
fn b1_b2(reference: &[u32], a0: i64, is_white: bool, width: u32) -> (u32, u32) {
    let first_right = reference.partition_point(|&c| i64::from(c) <= a0);
    let wanted_parity = usize::from(!is_white);
    let idx = if first_right % 2 == wanted_parity { first_right } else { first_right + 1 };
    let b1 = reference.get(idx).copied().unwrap_or(width);
    let b2 = reference.get(idx + 1).copied().unwrap_or(width);
    (b1, b2)
}

/// Two-dimensional row coded against the previous row (T.4 2D lines and all of T.6).
fn two_d_row(bits: &mut Bits<'_>, width: u32, reference: &[u32], changes: &mut Vec<u32>) -> bool {
    let mut a0: i64 = -1;
    let mut is_white = true;
    while a0 < i64::from(width) {
        let Some(m) = mode::decode(bits) else {
            return false;
        };
        match m {
            Mode::Pass => {
                let (_, b2) = b1_b2(reference, a0, is_white, width);
                a0 = i64::from(b2);
            }
            Mode::Vertical(delta) => {
                let (b1, _) = b1_b2(reference, a0, is_white, width);
                let a1 = i64::from(b1) + i64::from(delta);
                if a1 < a0.max(0) || a1 > i64::from(width) {
                    return false;
                }
                if a1 < i64::from(width) {
                    changes.push(a1 as u32);
                }
                a0 = a1;
                is_white = !is_white;
            }
            Mode::Horizontal => {
                let start = a0.max(0);
                let (Some(r1), Some(r2)) = (run_length(bits, is_white), run_length(bits, !is_white)) else {
                    return false;
                };
                let a1 = start + i64::from(r1);
                let a2 = a1 + i64::from(r2);
                if a2 > i64::from(width) {
                    return false;
                }
                if a1 < i64::from(width) {
                    changes.push(a1 as u32);
                }
                if a2 < i64::from(width) {
                    changes.push(a2 as u32);
                }
                a0 = a2;
            }
            Mode::Extension | Mode::EOF => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use fax::encoder::Encoder;
    use fax::{Color, VecWriter};

    fn rows_of(image: &[Vec<bool>]) -> Vec<Vec<Color>> {
        image.iter().map(|r| r.iter().map(|&b| if b { Color::Black } else { Color::White }).collect()).collect()
    }

    fn sample(width: usize, height: usize) -> Vec<Vec<bool>> {
        (0..height).map(|y| (0..width).map(|x| (x / 3 + y / 2) % 5 == 0 || (x > 10 && x < 14)).collect()).collect()
    }

    fn encode_g4(image: &[Vec<bool>]) -> Vec<u8> {
        let mut enc = Encoder::new(VecWriter::new());
        for row in rows_of(image) {
            let _ = enc.encode_line(row.into_iter(), image[0].len() as u16);
        }
        match enc.finish() {
            Ok(w) => w.finish(),
            Err(_) => Vec::new(),
        }
    }

    #[test]
    fn group4_round_trips_the_fax_crate_encoder() {
        let image = sample(37, 23);
        let data = encode_g4(&image);
        let params = CcittParams { coding: Coding::Group4, width: 37, rows: 23, byte_align: false, lsb_first: false };
        let mut out = vec![255u8; 37 * 23];
        assert_eq!(decode_into(&data, &params, &mut out), Ok(23));
        for (y, row) in image.iter().enumerate() {
            for (x, &black) in row.iter().enumerate() {
                assert_eq!(out[y * 37 + x] == 0, black, "pixel {x},{y}");
            }
        }
    }

    #[test]
    fn lsb_first_is_the_same_stream_bit_reversed() {
        let image = sample(20, 9);
        let data: Vec<u8> = encode_g4(&image).iter().map(|b| b.reverse_bits()).collect();
        let params = CcittParams { coding: Coding::Group4, width: 20, rows: 9, byte_align: false, lsb_first: true };
        let mut out = vec![255u8; 20 * 9];
        assert_eq!(decode_into(&data, &params, &mut out), Ok(9));
        assert_eq!(out[11], 0);
        assert_eq!(out[5], 255);
    }

    #[test]
    fn garbage_yields_an_error_or_rows_never_a_panic() {
        let params = CcittParams {
            coding: Coding::Group3 { two_d: true },
            width: 100,
            rows: 10,
            byte_align: false,
            lsb_first: false,
        };
        let mut out = vec![255u8; 1000];
        let _ = decode_into(&[0xFF; 64], &params, &mut out);
        let _ = decode_into(&[0x00; 64], &params, &mut out);
        let zero_width = CcittParams { width: 0, ..params };
        assert_eq!(decode_into(&[0x00], &zero_width, &mut out), Err(CcittError::BadWidth));
    }
}
