//! Writes interchanges: the caller supplies parties, date/time, usage, delimiters, control
//! numbers and transaction bodies; the writer fills ISA (fixed width), GS, ST/SE, GE and IEA
//! with their counts and control numbers.

use time::PrimitiveDateTime;

use crate::delimiters::Delimiters;
use crate::error::Error;
use crate::owned::OwnedSegment;

/// ISA15: whether the interchange is test or production traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Usage {
    Test,
    Production,
}

/// An interchange party: ISA05/07 qualifier (e.g. `ZZ`, `30`) and ISA06/08 id (max 15).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartyId {
    pub qualifier: String,
    pub id: String,
}

impl PartyId {
    pub fn new(qualifier: impl Into<String>, id: impl Into<String>) -> Self {
        Self { qualifier: qualifier.into(), id: id.into() }
    }
}

/// The control numbers for one interchange, allocated and persisted by the caller (per trading
/// partner). Groups are numbered from `group` up, transactions from `first_transaction` up
/// across the whole interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlNumbers {
    pub interchange: u32,
    pub group: u32,
    pub first_transaction: u32,
}

/// Everything about the ISA envelope. Build with [`Envelope::new`], then adjust fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    pub sender: PartyId,
    pub receiver: PartyId,
    /// ISA09/10 and GS04/05.
    pub date_time: PrimitiveDateTime,
    pub usage: Usage,
    /// ISA14: ask the receiver for a TA1.
    pub ack_requested: bool,
    /// ISA12, `00501` by default; below `00501` no repetition separator is written (ISA11 `U`).
    pub version: String,
    pub delimiters: Delimiters,
    /// Put a line feed after every segment terminator (easier to read, still valid X12).
    pub line_break: bool,
}

impl Envelope {
    /// An 005010 envelope with the default delimiters `*`, `^`, `:`, `~`, no TA1 request.
    pub fn new(sender: PartyId, receiver: PartyId, date_time: PrimitiveDateTime, usage: Usage) -> Self {
        Self {
            sender,
            receiver,
            date_time,
            usage,
            ack_requested: false,
            version: "00501".to_owned(),
            delimiters: Delimiters::default(),
            line_break: false,
        }
    }
}

/// One functional group to write.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionalGroup {
    /// GS01, e.g. `HS` for 270.
    pub functional_id: String,
    /// GS02; the ISA sender id when `None`.
    pub application_sender: Option<String>,
    /// GS03; the ISA receiver id when `None`.
    pub application_receiver: Option<String>,
    /// GS08, e.g. `005010X279A1`.
    pub version: String,
    pub transactions: Vec<TransactionSet>,
}

impl FunctionalGroup {
    pub fn new(
        functional_id: impl Into<String>,
        version: impl Into<String>,
        transactions: Vec<TransactionSet>,
    ) -> Self {
        Self {
            functional_id: functional_id.into(),
            application_sender: None,
            application_receiver: None,
            version: version.into(),
            transactions,
        }
    }
}

/// One transaction set to write: ST01, ST03 and the body between ST and SE.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionSet {
    pub id: String,
    pub implementation_ref: Option<String>,
    pub body: Vec<OwnedSegment>,
}

impl TransactionSet {
    pub fn new(id: impl Into<String>, implementation_ref: Option<&str>, body: Vec<OwnedSegment>) -> Self {
        Self { id: id.into(), implementation_ref: implementation_ref.map(str::to_owned), body }
    }
}

/// Largest control number that fits ISA13 / GS06 / ST02 (nine digits).
const MAX_CONTROL: u32 = 999_999_999;

fn bad(field: &'static str, reason: &'static str) -> Error {
    Error::InvalidValue { field, reason }
}

fn control(n: u64, field: &'static str) -> Result<u32, Error> {
    match u32::try_from(n) {
        Ok(n) if (1..=MAX_CONTROL).contains(&n) => Ok(n),
        _ => Err(bad(field, "control numbers run from 1 to 999999999")),
    }
}

/// Renders segments one after the other, with the optional line break.
struct Out {
    text: String,
    delimiters: Delimiters,
    line_break: bool,
}

impl Out {
    fn push(&mut self, seg: &OwnedSegment) -> Result<(), Error> {
        seg.render(&self.delimiters, &mut self.text)?;
        self.end_line();
        Ok(())
    }

    fn end_line(&mut self) {
        if self.line_break && self.delimiters.segment != b'\n' {
            self.text.push('\n');
        }
    }
}

/// Writes one interchange holding `groups`. Pure: returns the text, touches nothing else.
pub fn write(envelope: &Envelope, groups: &[FunctionalGroup], numbers: ControlNumbers) -> Result<String, Error> {
    let five_ten = envelope.version.as_str() >= "00501";
    let mut delimiters = envelope.delimiters;
    if !five_ten {
        delimiters.repetition = None;
    } else if delimiters.repetition.is_none() {
        return Err(bad("delimiters", "005010 needs a repetition separator"));
    }
    delimiters.validate().map_err(|reason| bad("delimiters", reason))?;
    let mut out = Out { text: String::with_capacity(4096), delimiters, line_break: envelope.line_break };
    let interchange = control(u64::from(numbers.interchange), "interchange control number")?;
    write_isa(&mut out, envelope, interchange)?;
    let mut next_st = u64::from(numbers.first_transaction);
    for (gi, group) in (0u64..).zip(groups) {
        let group_no = control(u64::from(numbers.group) + gi, "group control number")?;
        write_group(&mut out, envelope, group, group_no, &mut next_st)?;
    }
    out.push(&OwnedSegment::new("IEA").element(groups.len().to_string()).element(format!("{interchange:09}")))?;
    Ok(out.text)
}

fn write_group(
    out: &mut Out,
    envelope: &Envelope,
    group: &FunctionalGroup,
    group_no: u32,
    next_st: &mut u64,
) -> Result<(), Error> {
    let dt = envelope.date_time;
    let sender = group.application_sender.as_deref().unwrap_or(&envelope.sender.id);
    let receiver = group.application_receiver.as_deref().unwrap_or(&envelope.receiver.id);
    let gs = OwnedSegment::new("GS")
        .element(&group.functional_id)
        .element(sender)
        .element(receiver)
        .element(format!("{:04}{:02}{:02}", year(dt)?, u8::from(dt.month()), dt.day()))
        .element(format!("{:02}{:02}", dt.hour(), dt.minute()))
        .element(group_no.to_string())
        .element("X")
        .element(&group.version);
    out.push(&gs)?;
    for t in &group.transactions {
        let st_control = format!("{:04}", control(*next_st, "transaction control number")?);
        *next_st += 1;
        out.push(
            &OwnedSegment::new("ST").element(&t.id).element(&st_control).optional(t.implementation_ref.as_deref()),
        )?;
        for seg in &t.body {
            if matches!(seg.id.as_str(), "ISA" | "IEA" | "GS" | "GE" | "ST" | "SE") {
                return Err(bad("transaction body", "envelope segments are written by the writer"));
            }
            out.push(seg)?;
        }
        out.push(&OwnedSegment::new("SE").element((t.body.len() + 2).to_string()).element(st_control))?;
    }
    out.push(&OwnedSegment::new("GE").element(group.transactions.len().to_string()).element(group_no.to_string()))
}

fn year(dt: PrimitiveDateTime) -> Result<u32, Error> {
    u32::try_from(dt.year()).ok().filter(|y| *y <= 9999).ok_or(bad("date", "year must be 0..=9999"))
}

/// Pads or checks one fixed-width ISA field.
fn fixed(value: &str, width: usize, field: &'static str, d: &Delimiters) -> Result<String, Error> {
    if value.len() > width || value.is_empty() || !value.is_ascii() {
        return Err(bad(field, "does not fit its fixed-width ISA field"));
    }
    if d.collides(value) {
        return Err(Error::DelimiterInValue { segment: "ISA".to_owned(), element: 0 });
    }
    Ok(format!("{value:<width$}"))
}

fn write_isa(out: &mut Out, env: &Envelope, interchange: u32) -> Result<(), Error> {
    let d = out.delimiters;
    if env.version.len() != 5 || !env.version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("version", "ISA12 is five digits"));
    }
    let dt = env.date_time;
    let fields = [
        "00".to_owned(),
        " ".repeat(10),
        "00".to_owned(),
        " ".repeat(10),
        fixed(&env.sender.qualifier, 2, "sender qualifier", &d)?,
        fixed(&env.sender.id, 15, "sender id", &d)?,
        fixed(&env.receiver.qualifier, 2, "receiver qualifier", &d)?,
        fixed(&env.receiver.id, 15, "receiver id", &d)?,
        format!("{:02}{:02}{:02}", year(dt)? % 100, u8::from(dt.month()), dt.day()),
        format!("{:02}{:02}", dt.hour(), dt.minute()),
        char::from(d.repetition.unwrap_or(b'U')).to_string(),
        env.version.clone(),
        format!("{interchange:09}"),
        if env.ack_requested { "1" } else { "0" }.to_owned(),
        match env.usage {
            Usage::Test => "T",
            Usage::Production => "P",
        }
        .to_owned(),
        char::from(d.component).to_string(),
    ];
    out.text.push_str("ISA");
    for f in &fields {
        out.text.push(d.element as char);
        out.text.push_str(f);
    }
    out.text.push(d.segment as char);
    out.end_line();
    Ok(())
}
