//! Bounded FlateDecode with PNG predictors for PDF image streams: a stream may not inflate
//! beyond what its image dictionary declares, which defuses deflate bombs.

use std::io::Read;

use flate2::read::{DeflateDecoder, ZlibDecoder};

/// Why inflating failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlateError {
    /// Neither zlib nor raw deflate framing decoded.
    Corrupt,
    /// More output than `cap` bytes: a bomb or a lying dictionary.
    TooLarge,
    /// A predictor other than none, or PNG (10..=15).
    Predictor,
}

/// Inflates `data`, refusing output larger than `cap` bytes.
pub(crate) fn inflate(data: &[u8], cap: usize) -> Result<Vec<u8>, FlateError> {
    let read_capped = |mut r: Box<dyn Read + '_>| -> Result<Vec<u8>, FlateError> {
        let mut out = Vec::new();
        let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
        let read = r.by_ref().take(limit).read_to_end(&mut out);
        match read {
            Ok(_) if out.len() > cap => Err(FlateError::TooLarge),
            Ok(_) => Ok(out),
            // truncated streams are common; keep what inflated
            Err(_) if !out.is_empty() => Ok(out),
            Err(_) => Err(FlateError::Corrupt),
        }
    };
    match read_capped(Box::new(ZlibDecoder::new(data))) {
        Err(FlateError::Corrupt) => read_capped(Box::new(DeflateDecoder::new(data))),
        other => other,
    }
}

/// Reverses the PNG row filters (PDF `Predictor` 10..=15) of `data`.
pub(crate) fn unpredict(
    data: &[u8],
    predictor: i64,
    colors: usize,
    bits_per_component: usize,
    columns: usize,
) -> Result<Vec<u8>, FlateError> {
    if predictor <= 1 {
        return Ok(data.to_vec());
    }
    if !(10..=15).contains(&predictor) {
        return Err(FlateError::Predictor);
    }
    let bpp = (colors * bits_per_component).div_ceil(8).max(1);
    let row_len = (columns * colors * bits_per_component).div_ceil(8);
    if row_len == 0 {
        return Err(FlateError::Corrupt);
    }
    let mut out: Vec<u8> = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&filter, row)) = chunk.split_first() else {
            break;
        };
        let mut cur = row.to_vec();
        cur.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            let add = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => return Err(FlateError::Corrupt),
            };
            cur[i] = cur[i].wrapping_add(add);
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use proptest::prelude::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        let _ = e.write_all(data);
        e.finish().unwrap_or_default()
    }

    #[test]
    fn bomb_is_refused() {
        let big = vec![0u8; 1_000_000];
        assert_eq!(inflate(&zlib(&big), 10_000), Err(FlateError::TooLarge));
        assert_eq!(inflate(&zlib(&big), 1_000_000).map(|v| v.len()), Ok(1_000_000));
    }

    #[test]
    fn garbage_is_corrupt() {
        assert_eq!(inflate(&[0xFF; 16], 100), Err(FlateError::Corrupt));
    }

    #[test]
    fn png_up_filter_adds_previous_row() {
        // two rows of 3 bytes: row 1 raw, row 2 "up" deltas
        let data = [0, 1, 2, 3, 2, 1, 1, 1];
        assert_eq!(unpredict(&data, 15, 1, 8, 3), Ok(vec![1, 2, 3, 2, 3, 4]));
        assert_eq!(unpredict(&data, 2, 1, 8, 3), Err(FlateError::Predictor));
    }

    proptest! {
        #[test]
        fn inflate_round_trips(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            prop_assert_eq!(inflate(&zlib(&data), data.len()), Ok(data));
        }

        #[test]
        fn unpredict_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512),
                                  cols in 1usize..64, colors in 1usize..4) {
            let _ = unpredict(&data, 15, colors, 8, cols);
        }
    }
}
