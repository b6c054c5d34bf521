//! MLLP framing (`0x0B` payload `0x1C 0x0D`), pure: an encoder, and a decoder that reads
//! complete frames off the front of a growing buffer so a transport (e.g. a tokio codec) can
//! wrap it.
//!
//! The decoder never blocks and never loses sync: on an error it says how many bytes to drop,
//! after which decoding can continue with the next frame.

use crate::Hl7Error;

/// Start block.
pub const START: u8 = 0x0B;
/// End block, followed by [`CR`].
pub const END: u8 = 0x1C;
/// Carriage return that closes a frame.
pub const CR: u8 = 0x0D;

/// Frames `payload` for sending.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 3);
    encode_into(payload, &mut out);
    out
}

/// Appends the framed `payload` to `out`.
pub fn encode_into(payload: &[u8], out: &mut Vec<u8>) {
    out.push(START);
    out.extend_from_slice(payload);
    out.push(END);
    out.push(CR);
}

/// A complete frame found at the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'b> {
    /// The message bytes between the start and end blocks.
    pub payload: &'b [u8],
    /// How many bytes of the buffer the frame (and any whitespace before it) used.
    pub consumed: usize,
}

/// Reads frames from a byte buffer, refusing frames larger than a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    max_frame: usize,
}

impl Default for Decoder {
    /// Frames up to 1 MiB, the same as the default message limit.
    fn default() -> Self {
        Self { max_frame: 1 << 20 }
    }
}

impl Decoder {
    /// A decoder refusing payloads longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Self { max_frame }
    }

    /// Looks for one complete frame at the front of `buf`.
    ///
    /// `Ok(None)` means more bytes are needed. On `Ok(Some(frame))` drop `frame.consumed`
    /// bytes; on an error drop [`Hl7Error::discard`] bytes; then call again.
    pub fn decode<'b>(&self, buf: &'b [u8]) -> Result<Option<Frame<'b>>, Hl7Error> {
        // Line breaks between frames are common and harmless.
        let lead = buf.iter().take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t')).count();
        let Some(rest) = buf.get(lead..).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        if rest.first() != Some(&START) {
            let next = rest.iter().position(|b| *b == START).unwrap_or(rest.len());
            return Err(Hl7Error::MllpGarbage { discard: lead + next });
        }
        let body = rest.get(1..).unwrap_or_default();
        for (i, b) in body.iter().enumerate() {
            if i > self.max_frame {
                return Err(Hl7Error::MllpOversized { limit: self.max_frame, discard: lead + 1 + i });
            }
            match *b {
                START => {
                    return Err(Hl7Error::MllpNestedStart { discard: lead + 1 + i });
                }
                END => {
                    return match body.get(i + 1) {
                        None => Ok(None),
                        Some(&CR) => {
                            Ok(Some(Frame { payload: body.get(..i).unwrap_or_default(), consumed: lead + i + 3 }))
                        }
                        Some(_) => Err(Hl7Error::MllpBadTrailer { discard: lead + i + 2 }),
                    };
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Decodes every complete frame in `buf`, skipping over bad bytes; returns the payloads,
    /// the errors met on the way, and how many bytes were used (keep the rest for later).
    pub fn decode_all<'b>(&self, buf: &'b [u8]) -> (Vec<&'b [u8]>, Vec<Hl7Error>, usize) {
        let mut frames = Vec::new();
        let mut errors = Vec::new();
        let mut used = 0usize;
        while let Some(rest) = buf.get(used..) {
            match self.decode(rest) {
                Ok(Some(frame)) => {
                    frames.push(frame.payload);
                    used += frame.consumed;
                }
                Ok(None) => break,
                Err(e) => {
                    // discard is at least 1 for every error, so the loop always advances
                    used += e.discard().unwrap_or(rest.len()).max(1);
                    errors.push(e);
                }
            }
        }
        (frames, errors, used.min(buf.len()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn one_frame_and_a_partial_one() {
        let mut buf = encode(b"MSH|1");
        buf.extend_from_slice(&[START, b'M', b'S']);
        let frame = Decoder::default().decode(&buf).unwrap().unwrap();
        assert_eq!(frame.payload, b"MSH|1");
        assert_eq!(frame.consumed, 8);
        assert_eq!(Decoder::default().decode(&buf[8..]).unwrap(), None);
    }

    #[test]
    fn end_block_split_across_reads_waits_for_the_cr() {
        let buf = [START, b'A', END];
        assert_eq!(Decoder::default().decode(&buf).unwrap(), None);
    }

    #[test]
    fn garbage_nested_start_bad_trailer_and_oversize() {
        let d = Decoder::new(8);
        let mut buf = b"junk".to_vec();
        buf.extend(encode(b"OK"));
        assert_eq!(d.decode(&buf).unwrap_err(), Hl7Error::MllpGarbage { discard: 4 });
        assert_eq!(d.decode(&buf[4..]).unwrap().unwrap().payload, b"OK");

        let nested = [START, b'A', START, b'B', END, CR];
        assert_eq!(d.decode(&nested).unwrap_err(), Hl7Error::MllpNestedStart { discard: 2 });
        assert_eq!(d.decode(&nested[2..]).unwrap().unwrap().payload, b"B");

        let bad_trailer = [START, b'A', END, b'x'];
        assert_eq!(d.decode(&bad_trailer).unwrap_err(), Hl7Error::MllpBadTrailer { discard: 3 });

        let big = encode(b"0123456789");
        assert!(matches!(d.decode(&big).unwrap_err(), Hl7Error::MllpOversized { limit: 8, .. }));
        let (frames, errors, used) = d.decode_all(&big);
        assert!(frames.is_empty());
        assert!(!errors.is_empty());
        assert_eq!(used, big.len());
    }

    #[test]
    fn whitespace_between_frames_is_skipped() {
        let mut buf = encode(b"A");
        buf.extend_from_slice(b"\r\n");
        buf.extend(encode(b"B"));
        let (frames, errors, used) = Decoder::default().decode_all(&buf);
        assert_eq!(frames, [b"A".as_slice(), b"B".as_slice()]);
        assert!(errors.is_empty());
        assert_eq!(used, buf.len());
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(payloads in prop::collection::vec(
            prop::collection::vec(any::<u8>().prop_filter("no framing bytes", |b| *b != START && *b != END), 0..200), 1..5)) {
            let mut buf = Vec::new();
            for p in &payloads {
                encode_into(p, &mut buf);
            }
            let (frames, errors, used) = Decoder::default().decode_all(&buf);
            prop_assert!(errors.is_empty());
            prop_assert_eq!(used, buf.len());
            let frames: Vec<Vec<u8>> = frames.into_iter().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(frames, payloads);
        }

        #[test]
        fn decode_never_panics_and_always_advances(buf in prop::collection::vec(any::<u8>(), 0..300), max in 0usize..64) {
            let (_, _, used) = Decoder::new(max).decode_all(&buf);
            prop_assert!(used <= buf.len());
        }
    }
}
