//! Builds the interchange / group / transaction tree from the token stream and checks the
//! envelopes: trailers present, counts and control numbers matching. A strict read stops at
//! the first problem; a lenient read records it as a warning and keeps what it can.

use crate::delimiters::ISA_WIDTHS;
use crate::envelope::{Document, Group, Interchange, Transaction};
use crate::error::{Error, Position};
use crate::segment::Segment;
use crate::tokenizer::{Token, Tokenizer};

/// Result of a lenient read: the tree plus every structural problem met on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lenient<'a> {
    pub document: Document<'a>,
    pub warnings: Vec<Error>,
}

/// Reads an X12 input strictly: the first structural problem is the error. This is the fuzz
/// entry point: it never panics, whatever the bytes.
pub fn read(input: &[u8]) -> Result<Document<'_>, Error> {
    let mut reader = Reader { strict: true, ..Reader::default() };
    reader.run(input)?;
    Ok(reader.document)
}

/// Reads an X12 input leniently: only problems that leave nothing to read (not X12, bad ISA
/// delimiters, invalid UTF-8) are errors; the rest come back as warnings next to the tree.
/// Segments outside any envelope are dropped; unclosed envelopes are kept without trailer.
pub fn read_lenient(input: &[u8]) -> Result<Lenient<'_>, Error> {
    let mut reader = Reader::default();
    reader.run(input)?;
    Ok(Lenient { document: reader.document, warnings: reader.warnings })
}

/// Receives each transaction set as soon as its SE (or what ends it) is read.
type Sink<'s, 'a> = &'s mut dyn FnMut(&Group<'a>, Transaction<'a>);

/// Streams the transaction sets of `input` to `on_transaction`, one at a time, so a large file
/// never holds more than one in memory; checks envelopes strictly like [`read`]. Transactions
/// read before a later structural error have already been handed over when the error returns.
/// The returned document holds the envelopes with empty `transactions`.
pub fn stream<'a>(
    input: &'a [u8],
    on_transaction: &mut dyn FnMut(&Group<'a>, Transaction<'a>),
) -> Result<Document<'a>, Error> {
    let mut reader = Reader { strict: true, sink: Some(on_transaction), ..Reader::default() };
    reader.run(input)?;
    Ok(reader.document)
}

/// [`stream`] with the leniency of [`read_lenient`]: warnings instead of structural errors.
pub fn stream_lenient<'a>(
    input: &'a [u8],
    on_transaction: &mut dyn FnMut(&Group<'a>, Transaction<'a>),
) -> Result<Lenient<'a>, Error> {
    let mut reader = Reader { sink: Some(on_transaction), ..Reader::default() };
    reader.run(input)?;
    Ok(Lenient { document: reader.document, warnings: reader.warnings })
}

#[derive(Default)]
struct Reader<'s, 'a> {
    strict: bool,
    warnings: Vec<Error>,
    document: Document<'a>,
    interchange: Option<Interchange<'a>>,
    group: Option<Group<'a>>,
    /// Transactions of the open group handed to the sink (they are not in `group`).
    streamed: usize,
    transaction: Option<Transaction<'a>>,
    sink: Option<Sink<'s, 'a>>,
}

/// Control numbers match when equal as numbers (leading zeros differ between senders) or,
/// failing that, as trimmed text.
fn same_control(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

impl<'a> Reader<'_, 'a> {
    fn issue(&mut self, e: Error) -> Result<(), Error> {
        if self.strict {
            Err(e)
        } else {
            self.warnings.push(e);
            Ok(())
        }
    }

    fn run(&mut self, input: &'a [u8]) -> Result<(), Error> {
        for token in Tokenizer::new(input)? {
            match token {
                Token::Segment(seg) => self.segment(seg)?,
                Token::Warning(e) => self.issue(e)?,
                // A final IEA without terminator is complete (its count and control number
                // are checked); anything else cut short is a truncated input.
                Token::Unterminated(seg) => {
                    if seg.id() != "IEA" {
                        self.issue(Error::UnterminatedSegment { at: seg.position() })?;
                    }
                    self.segment(seg)?;
                }
                Token::Fatal(e) => return Err(e),
            }
        }
        self.finish()
    }

    fn segment(&mut self, seg: Segment<'a>) -> Result<(), Error> {
        match seg.id() {
            "ISA" => self.open_interchange(seg),
            "GS" => self.open_group(seg),
            "ST" => self.open_transaction(seg),
            "SE" => self.close_transaction_with(seg),
            "GE" => self.close_group_with(seg),
            "IEA" => self.close_interchange_with(seg),
            _ => match (self.transaction.as_mut(), self.group.as_ref(), self.interchange.as_mut()) {
                (Some(t), _, _) => {
                    t.segments.push(seg);
                    Ok(())
                }
                // TA1 (interchange acknowledgment) lives between ISA and GS.
                (None, None, Some(i)) if seg.id() == "TA1" => {
                    i.segments.push(seg);
                    Ok(())
                }
                _ => self.outside(&seg),
            },
        }
    }

    fn outside(&mut self, seg: &Segment<'a>) -> Result<(), Error> {
        self.issue(Error::OutsideEnvelope { segment: seg.id().to_owned(), at: seg.position() })
    }

    /// Closes whatever is open below `level` (0 interchange, 1 group, 2 transaction) because
    /// `at` arrived before their trailers.
    fn close_open(&mut self, level: u8, at: Position) -> Result<(), Error> {
        if let Some(t) = self.transaction.take() {
            self.issue(Error::MissingTrailer { trailer: "SE", opened: t.st.position(), at })?;
            self.push_transaction(t);
        }
        if level <= 1
            && let Some(g) = self.group.take()
        {
            self.issue(Error::MissingTrailer { trailer: "GE", opened: g.gs.position(), at })?;
            self.push_group(g);
        }
        if level == 0
            && let Some(i) = self.interchange.take()
        {
            self.issue(Error::MissingTrailer { trailer: "IEA", opened: i.isa.position(), at })?;
            self.document.interchanges.push(i);
        }
        Ok(())
    }

    fn push_transaction(&mut self, t: Transaction<'a>) {
        match (self.group.as_mut(), self.sink.as_mut()) {
            (Some(g), Some(sink)) => {
                self.streamed += 1;
                sink(g, t);
            }
            (Some(g), None) => g.transactions.push(t),
            _ => {}
        }
    }

    fn push_group(&mut self, g: Group<'a>) {
        if let Some(i) = self.interchange.as_mut() {
            i.groups.push(g);
        }
    }

    fn required(&mut self, seg: &Segment<'a>, segment: &'static str, n: usize) -> Result<&'a str, Error> {
        match seg.element(n) {
            Some(v) => Ok(v),
            None => {
                self.issue(Error::MissingElement { segment, element: n, at: seg.position() })?;
                Ok("")
            }
        }
    }

    fn open_interchange(&mut self, isa: Segment<'a>) -> Result<(), Error> {
        self.close_open(0, isa.position())?;
        let widths_ok =
            isa.len() == ISA_WIDTHS.len() && isa.elements().iter().zip(ISA_WIDTHS).all(|(e, w)| e.len() == w);
        if !widths_ok {
            self.issue(Error::IsaMalformed { reason: "elements do not have their fixed widths", at: isa.position() })?;
        }
        self.required(&isa, "ISA", 13)?;
        let delimiters = isa.delimiters();
        self.interchange = Some(Interchange { isa, iea: None, delimiters, segments: Vec::new(), groups: Vec::new() });
        Ok(())
    }

    fn open_group(&mut self, gs: Segment<'a>) -> Result<(), Error> {
        if self.interchange.is_none() {
            return self.outside(&gs);
        }
        self.close_open(1, gs.position())?;
        let functional_id = self.required(&gs, "GS", 1)?;
        let control_number = self.required(&gs, "GS", 6)?;
        let version = self.required(&gs, "GS", 8)?;
        self.streamed = 0;
        self.group = Some(Group { functional_id, version, control_number, gs, ge: None, transactions: Vec::new() });
        Ok(())
    }

    fn open_transaction(&mut self, st: Segment<'a>) -> Result<(), Error> {
        if self.group.is_none() {
            return self.outside(&st);
        }
        self.close_open(2, st.position())?;
        let id = self.required(&st, "ST", 1)?;
        let control_number = self.required(&st, "ST", 2)?;
        let implementation_ref = st.element(3);
        self.transaction = Some(Transaction {
            id,
            control_number,
            implementation_ref,
            st,
            se: None,
            segments: Vec::with_capacity(32),
        });
        Ok(())
    }

    fn check_count(&mut self, trailer: &Segment<'a>, segment: &'static str, counted: usize) -> Result<(), Error> {
        let declared = trailer.element_or_empty(1);
        if declared.trim().parse::<usize>().ok() != Some(counted) {
            let declared = declared.to_owned();
            self.issue(Error::CountMismatch { segment, declared, counted, at: trailer.position() })?;
        }
        Ok(())
    }

    fn check_control(
        &mut self,
        names: (&'static str, &'static str),
        header: &str,
        trailer: &Segment<'a>,
    ) -> Result<(), Error> {
        let value = trailer.element_or_empty(2);
        if !same_control(header, value) {
            self.issue(Error::ControlNumberMismatch {
                header: names.0,
                header_value: header.to_owned(),
                trailer: names.1,
                trailer_value: value.to_owned(),
                at: trailer.position(),
            })?;
        }
        Ok(())
    }

    fn close_transaction_with(&mut self, se: Segment<'a>) -> Result<(), Error> {
        let Some(mut t) = self.transaction.take() else {
            return self.outside(&se);
        };
        self.check_count(&se, "SE", t.segments.len() + 2)?;
        self.check_control(("ST02", "SE02"), t.control_number, &se)?;
        t.se = Some(se);
        self.push_transaction(t);
        Ok(())
    }

    fn close_group_with(&mut self, ge: Segment<'a>) -> Result<(), Error> {
        if self.group.is_none() {
            return self.outside(&ge);
        }
        self.close_open(2, ge.position())?;
        let Some(mut g) = self.group.take() else {
            return Ok(());
        };
        self.check_count(&ge, "GE", g.transactions.len() + self.streamed)?;
        self.check_control(("GS06", "GE02"), g.control_number, &ge)?;
        g.ge = Some(ge);
        self.push_group(g);
        Ok(())
    }

    fn close_interchange_with(&mut self, iea: Segment<'a>) -> Result<(), Error> {
        if self.interchange.is_none() {
            return self.outside(&iea);
        }
        self.close_open(1, iea.position())?;
        let Some(mut i) = self.interchange.take() else {
            return Ok(());
        };
        self.check_count(&iea, "IEA", i.groups.len())?;
        self.check_control(("ISA13", "IEA02"), i.control_number(), &iea)?;
        i.iea = Some(iea);
        self.document.interchanges.push(i);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        if let Some(t) = self.transaction.take() {
            self.issue(Error::Truncated { missing: "SE", opened: t.st.position() })?;
            self.push_transaction(t);
        }
        if let Some(g) = self.group.take() {
            self.issue(Error::Truncated { missing: "GE", opened: g.gs.position() })?;
            self.push_group(g);
        }
        if let Some(i) = self.interchange.take() {
            self.issue(Error::Truncated { missing: "IEA", opened: i.isa.position() })?;
            self.document.interchanges.push(i);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*PAYER01        *260115*0930*^*00501*000000001*0*T*:~";

    fn doc(body: &str) -> String {
        format!("{ISA}GS*HS*A*B*20260115*0930*7*X*005010X279A1~{body}GE*1*7~IEA*1*000000001~")
    }

    #[test]
    fn reads_a_minimal_interchange() {
        let text = doc("ST*270*0001*005010X279A1~BHT*0022*13~SE*3*0001~");
        let d = read(text.as_bytes()).expect("valid");
        let (g, t) = d.transactions().next().expect("one transaction");
        assert_eq!((g.functional_id, g.version, g.control_number), ("HS", "005010X279A1", "7"));
        assert_eq!((t.id, t.control_number, t.implementation_ref), ("270", "0001", Some("005010X279A1")));
        assert_eq!(t.segments.len(), 1);
        assert_eq!(d.interchanges[0].sender_id(), "CLINIC01");
    }

    #[test]
    fn se_count_mismatch_is_an_error_with_position() {
        let text = doc("ST*270*0001~BHT*0022*13~SE*4*0001~");
        let err = read(text.as_bytes()).expect_err("bad count");
        assert!(matches!(err, Error::CountMismatch { segment: "SE", counted: 3, .. }), "{err}");
    }

    #[test]
    fn control_mismatch_is_an_error() {
        let text = doc("ST*270*0001~SE*2*0002~");
        assert!(matches!(read(text.as_bytes()), Err(Error::ControlNumberMismatch { trailer: "SE02", .. })));
    }

    #[test]
    fn lenient_read_collects_warnings_and_keeps_the_tree() {
        let text = doc("HL*1**20*1~ST*270*0001~SE*9*0002~");
        let l = read_lenient(text.as_bytes()).expect("readable");
        assert_eq!(l.warnings.len(), 3, "{:?}", l.warnings);
        assert_eq!(l.document.transactions().count(), 1);
    }

    #[test]
    fn missing_se_before_ge_is_reported() {
        let text = doc("ST*270*0001~BHT~");
        assert!(matches!(read(text.as_bytes()), Err(Error::MissingTrailer { trailer: "SE", .. })));
    }

    #[test]
    fn truncated_input_is_reported() {
        let text = format!("{ISA}GS*HS*A*B*20260115*0930*7*X*005010X279A1~ST*270*0001~");
        assert!(matches!(read(text.as_bytes()), Err(Error::Truncated { missing: "SE", .. })));
    }

    #[test]
    fn streaming_hands_over_each_transaction_and_checks_counts() {
        let text = format!(
            "{ISA}GS*HS*A*B*20260115*0930*7*X*005010X279A1~ST*270*0001~SE*2*0001~ST*270*0002~BHT~SE*3*0002~GE*2*7~IEA*1*000000001~"
        );
        let mut seen = Vec::new();
        let doc =
            stream(text.as_bytes(), &mut |g, t| seen.push((g.control_number, t.control_number, t.segments.len())))
                .expect("valid");
        assert_eq!(seen, [("7", "0001", 0), ("7", "0002", 1)]);
        assert!(doc.interchanges[0].groups[0].transactions.is_empty());
        let bad = text.replace("GE*2*7", "GE*3*7");
        assert!(matches!(
            stream(bad.as_bytes(), &mut |_, _| {}),
            Err(Error::CountMismatch { segment: "GE", counted: 2, .. })
        ));
        let lenient = stream_lenient(bad.as_bytes(), &mut |_, _| {}).expect("readable");
        assert_eq!(lenient.warnings.len(), 1);
    }

    #[test]
    fn control_numbers_compare_as_numbers() {
        assert!(same_control("000000001", "1"));
        assert!(!same_control("000000001", "2"));
        assert!(same_control("A1", "A1"));
    }
}
