//! HL7 v2 (ER7, "pipe and hat") message parsing, ACK building and MLLP framing, with no I/O.
//!
//! The parser is zero-copy: a [`Message`] borrows the text it was parsed from and indexes its
//! segments once; fields, repetitions, components and subcomponents are sliced on demand and
//! unescaped only when asked for their text. Encoding characters come from MSH-1/MSH-2, so
//! messages with non-default delimiters parse the same way.
//!
//! ```
//! let text = "MSH|^~\\&|EHR|CLINIC|RX|MT|20260105||ORM^O01|MSG1|P|2.3\rPID|1||MRN1||DOE^JANE";
//! let msg = rx_hl7v2::Message::parse(text).unwrap();
//! assert_eq!(msg.header().message_type(), ("ORM", "O01"));
//! assert_eq!(msg.segment("PID").unwrap().field(5).component(2).text(), "JANE");
//! ```

mod ack;
mod batch;
mod delimiters;
mod error;
mod escape;
mod header;
mod message;
pub mod mllp;
mod path;
mod segment;
mod text;

pub use ack::{AckBuilder, AckCode, AckError, ErrorCode, Severity};
pub use batch::{Batch, split_batch};
pub use delimiters::Delimiters;
pub use error::{Hl7Error, Location};
pub use escape::{escape, unescape};
pub use header::{Header, sniff_header};
pub use message::{Limits, Message};
pub use path::Path;
pub use segment::{Component, Field, Repetition, Segment};
pub use text::decode;
