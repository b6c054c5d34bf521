//! The typed tree a read produces: interchanges holding functional groups holding transaction
//! sets, each level keeping its header and trailer segments.

use crate::delimiters::Delimiters;
use crate::segment::Segment;

/// Everything read from one input: one or more interchanges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document<'a> {
    pub interchanges: Vec<Interchange<'a>>,
}

impl<'a> Document<'a> {
    /// Every transaction set of every group of every interchange, in input order, with its group.
    pub fn transactions(&self) -> impl Iterator<Item = (&Group<'a>, &Transaction<'a>)> {
        self.interchanges.iter().flat_map(|i| i.groups.iter()).flat_map(|g| g.transactions.iter().map(move |t| (g, t)))
    }
}

/// One ISA..IEA envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange<'a> {
    /// The ISA segment as read; its elements keep their fixed-width padding.
    pub isa: Segment<'a>,
    /// The IEA segment; `None` only from a lenient read of a broken input.
    pub iea: Option<Segment<'a>>,
    pub delimiters: Delimiters,
    /// Segments directly inside the interchange, outside any group: TA1 acknowledgments.
    pub segments: Vec<Segment<'a>>,
    pub groups: Vec<Group<'a>>,
}

impl<'a> Interchange<'a> {
    fn isa_trimmed(&self, n: usize) -> &'a str {
        self.isa.element_or_empty(n).trim()
    }

    /// ISA05 sender id qualifier (e.g. `ZZ`).
    pub fn sender_qualifier(&self) -> &'a str {
        self.isa_trimmed(5)
    }
    /// ISA06 sender id without its padding.
    pub fn sender_id(&self) -> &'a str {
        self.isa_trimmed(6)
    }
    /// ISA07 receiver id qualifier.
    pub fn receiver_qualifier(&self) -> &'a str {
        self.isa_trimmed(7)
    }
    /// ISA08 receiver id without its padding.
    pub fn receiver_id(&self) -> &'a str {
        self.isa_trimmed(8)
    }
    /// ISA09 date, YYMMDD.
    pub fn date(&self) -> &'a str {
        self.isa_trimmed(9)
    }
    /// ISA10 time, HHMM.
    pub fn time(&self) -> &'a str {
        self.isa_trimmed(10)
    }
    /// ISA12 version, e.g. `00501` or `00401`.
    pub fn version(&self) -> &'a str {
        self.isa_trimmed(12)
    }
    /// ISA13 interchange control number.
    pub fn control_number(&self) -> &'a str {
        self.isa_trimmed(13)
    }
    /// ISA14: whether the sender asked for a TA1 acknowledgment.
    pub fn ack_requested(&self) -> bool {
        self.isa_trimmed(14) == "1"
    }
    /// ISA15 usage indicator: `T` test, `P` production.
    pub fn usage(&self) -> &'a str {
        self.isa_trimmed(15)
    }
}

/// One GS..GE functional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    /// GS01, e.g. `HS` (270), `HB` (271), `HC` (837).
    pub functional_id: &'a str,
    /// GS08 version / implementation guide, e.g. `005010X279A1`.
    pub version: &'a str,
    /// GS06 group control number.
    pub control_number: &'a str,
    pub gs: Segment<'a>,
    /// The GE segment; `None` only from a lenient read of a broken input.
    pub ge: Option<Segment<'a>>,
    pub transactions: Vec<Transaction<'a>>,
}

impl<'a> Group<'a> {
    /// GS02 application sender code.
    pub fn sender(&self) -> &'a str {
        self.gs.element_or_empty(2)
    }
    /// GS03 application receiver code.
    pub fn receiver(&self) -> &'a str {
        self.gs.element_or_empty(3)
    }
    /// GS04 date, CCYYMMDD.
    pub fn date(&self) -> &'a str {
        self.gs.element_or_empty(4)
    }
    /// GS05 time, HHMM[SS[d..]].
    pub fn time(&self) -> &'a str {
        self.gs.element_or_empty(5)
    }
}

/// One ST..SE transaction set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction<'a> {
    /// ST01, e.g. `271`.
    pub id: &'a str,
    /// ST02 transaction set control number.
    pub control_number: &'a str,
    /// ST03 implementation convention reference (005010), if sent.
    pub implementation_ref: Option<&'a str>,
    pub st: Segment<'a>,
    /// The SE segment; `None` only from a lenient read of a broken input.
    pub se: Option<Segment<'a>>,
    /// The segments between ST and SE, both excluded.
    pub segments: Vec<Segment<'a>>,
}

impl<'a> Transaction<'a> {
    /// The body segments with a given id, in order.
    pub fn segments_with_id<'s>(&'s self, id: &'s str) -> impl Iterator<Item = &'s Segment<'a>> {
        self.segments.iter().filter(move |s| s.id() == id)
    }
}
