//! X12 EDI syntax: ISA-driven reader, envelope writer, HL hierarchy helper; no I/O and no
//! knowledge of particular transaction sets.
//!
//! Read with [`read`] (strict) or [`read_lenient`], or stream one transaction set at a time
//! with [`stream`] / [`stream_lenient`] for large files; write with [`write`]; group a
//! transaction's segments into HL loops with [`HlTree::build`]. Fuzz entry point: [`read`].
//!
//! * Strict reading turns every structural problem into an [`Error`]: use it for what we
//!   write and wherever a bad envelope must be refused.
//! * Lenient reading returns the tree plus warnings for count and control-number mismatches,
//!   missing trailers, invalid segment ids and segments outside envelopes: public samples and
//!   real partners get these wrong often (several fixtures have a wrong SE01). It still fails
//!   when nothing can be read: not X12, UTF-16, invalid UTF-8, unusable ISA delimiters.
//!
//! Tolerated by both: a UTF-8 BOM, CR/LF/indentation between segments, a line break between
//! ISA16 and the real terminator, an ISA11 that clashes with another delimiter (then there is
//! no repetition separator), and a final IEA without terminator.
//!
//! ```
//! let text = b"ISA*00*          *00*          *ZZ*PAYER01        *ZZ*CLINIC01       *260115*0930*^*00501*000000001*0*T*:~\
//! GS*HB*PAYER01*CLINIC01*20260115*0930*1*X*005010X279A1~ST*271*0001*005010X279A1~\
//! EB*B*IND*98^AE*PR**27*25*****Y~SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let doc = rx_x12::read(text)?;
//! let (group, tx) = doc.transactions().next().expect("one transaction");
//! assert_eq!(group.version, "005010X279A1");
//! let eb = &tx.segments[0];
//! assert_eq!(eb.repetitions(3).collect::<Vec<_>>(), ["98", "AE"]);
//! assert_eq!(eb.element(7), Some("25"));
//! # Ok::<(), rx_x12::Error>(())
//! ```

mod delimiters;
mod envelope;
mod error;
mod hl;
mod owned;
mod reader;
mod segment;
mod tokenizer;
mod writer;

pub use delimiters::Delimiters;
pub use envelope::{Document, Group, Interchange, Transaction};
pub use error::{Error, Position};
pub use hl::{HlLoop, HlTree};
pub use owned::{Element, OwnedSegment};
pub use reader::{Lenient, read, read_lenient, stream, stream_lenient};
pub use segment::Segment;
pub use writer::{ControlNumbers, Envelope, FunctionalGroup, PartyId, TransactionSet, Usage, write};
