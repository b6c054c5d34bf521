//! One 2110C/2110D benefit: the EB segment read field by field, with what follows it inside the
//! loop (HSD delivery patterns, MSG texts, DTP dates, 2120 related entities).

use rust_decimal::Decimal;
use rx_x12::Segment;
use time::Date;

use crate::values::{parse_decimal, parse_dtp};

/// EB12: which network a benefit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// `Y`
    In,
    /// `N`
    Out,
    /// `W` (not applicable) or not sent: the figure applies to both networks.
    Both,
}

impl Network {
    fn parse(code: Option<&str>) -> Self {
        match code {
            Some("Y") => Self::In,
            Some("N") => Self::Out,
            _ => Self::Both,
        }
    }

    /// Whether a benefit for `self` applies to a question about `asked` (`In` or `Out`).
    pub fn applies_to(self, asked: Network) -> bool {
        self == Network::Both || self == asked
    }
}

/// HSD: how many of something per period, e.g. `HSD*VS*20***22` = 20 visits per service year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// HSD01 quantity qualifier (`VS` visits, `DY` days...).
    pub qualifier: Option<&'a str>,
    /// HSD02 quantity.
    pub quantity: Option<Decimal>,
    /// HSD03 unit or basis (`DA` day, `WK` week...).
    pub unit: Option<&'a str>,
    /// HSD05 time period qualifier (same codes as EB06).
    pub period: Option<&'a str>,
    /// HSD06 number of periods.
    pub periods: Option<Decimal>,
}

/// A 2120 related entity (NM1 inside LS/LE): primary care provider, carve-out vendor, other payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedEntity<'a> {
    /// NM101 entity code (`P3` PCP, `VN` vendor, `PR` payer...).
    pub entity: &'a str,
    /// NM103 (organisation or family name).
    pub name: Option<&'a str>,
    /// NM109 identifier.
    pub id: Option<&'a str>,
}

/// A DTP inside the benefit loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenefitDate<'a> {
    pub qualifier: &'a str,
    pub begin: Date,
    pub end: Date,
}

/// One EB segment and its loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benefit<'a> {
    /// EB01 eligibility or benefit code (`1` active, `B` copay, `C` deductible...).
    pub code: &'a str,
    /// EB02 coverage level (`IND`, `FAM`, `EMP`...).
    pub coverage_level: Option<&'a str>,
    /// EB03 as sent: service type codes separated by the repetition separator.
    pub service_types_raw: &'a str,
    /// The interchange's repetition separator (none in 004010).
    pub repetition: Option<u8>,
    /// EB04 insurance type.
    pub insurance_type: Option<&'a str>,
    /// EB05 plan coverage description.
    pub description: Option<&'a str>,
    /// EB06 time period qualifier (`29` remaining, `23` calendar year...).
    pub time_period: Option<&'a str>,
    /// EB07 monetary amount.
    pub amount: Option<Decimal>,
    /// EB08 percent as a fraction (`0.2` = 20 %).
    pub percent: Option<Decimal>,
    /// EB09 quantity qualifier (`VS` visits...).
    pub quantity_qualifier: Option<&'a str>,
    /// EB10 quantity.
    pub quantity: Option<Decimal>,
    /// EB11: `Some(true)` Y, `Some(false)` N, `None` U or not sent.
    pub auth_required: Option<bool>,
    /// EB12.
    pub network: Network,
    /// EB13-2: the procedure the benefit is limited to.
    pub procedure: Option<&'a str>,
    pub delivery: Vec<Delivery<'a>>,
    pub messages: Vec<&'a str>,
    pub dates: Vec<BenefitDate<'a>>,
    pub related: Vec<RelatedEntity<'a>>,
}

impl<'a> Benefit<'a> {
    /// Reads the EB segment itself; the loop's other segments are added by the caller.
    pub fn from_eb(eb: &Segment<'a>) -> Self {
        Self {
            code: eb.element_or_empty(1),
            coverage_level: eb.element(2),
            service_types_raw: eb.element_or_empty(3),
            repetition: eb.delimiters().repetition,
            insurance_type: eb.element(4),
            description: eb.element(5),
            time_period: eb.element(6),
            amount: eb.element(7).and_then(parse_decimal),
            percent: eb.element(8).and_then(parse_decimal),
            quantity_qualifier: eb.element(9),
            quantity: eb.element(10).and_then(parse_decimal),
            auth_required: match eb.element(11) {
                Some("Y") => Some(true),
                Some("N") => Some(false),
                _ => None,
            },
            network: Network::parse(eb.element(12)),
            procedure: eb.component(13, 2),
            delivery: Vec::new(),
            messages: Vec::new(),
            dates: Vec::new(),
            related: Vec::new(),
        }
    }

    /// Adds a segment that belongs to this benefit's loop (outside 2120).
    pub(crate) fn attach(&mut self, seg: &Segment<'a>) {
        match seg.id() {
            "HSD" => self.delivery.push(Delivery {
                qualifier: seg.element(1),
                quantity: seg.element(2).and_then(parse_decimal),
                unit: seg.element(3),
                period: seg.element(5),
                periods: seg.element(6).and_then(parse_decimal),
            }),
            "MSG" => self.messages.extend(seg.element(1)),
            "DTP" => {
                if let (Some(q), Some((begin, end))) =
                    (seg.element(1), parse_dtp(seg.element_or_empty(2), seg.element_or_empty(3)))
                {
                    self.dates.push(BenefitDate { qualifier: q, begin, end });
                }
            }
            _ => {}
        }
    }

    /// Adds a 2120 NM1.
    pub(crate) fn attach_related(&mut self, nm1: &Segment<'a>) {
        self.related.push(RelatedEntity { entity: nm1.element_or_empty(1), name: nm1.element(3), id: nm1.element(9) });
    }

    /// EB03 service type codes, repetitions split (kept unsplit to save an allocation per EB:
    /// reading 271s is a hot path).
    pub fn service_types(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let raw = self.service_types_raw;
        let sep = self.repetition.map(char::from);
        let mut parts = raw.split(move |c| Some(c) == sep);
        std::iter::from_fn(move || parts.next()).filter(|s| !s.is_empty())
    }

    /// Whether EB03 names the service type.
    pub fn covers_service(&self, service_type: &str) -> bool {
        self.service_types().any(|s| s == service_type)
    }

    /// Whether this benefit is about the plan in general: service type 30, or none given.
    pub fn is_plan_level(&self) -> bool {
        self.service_types_raw.is_empty() || self.covers_service("30")
    }

    /// Whether EB06 says the amount or quantity is what remains (29, or 33 lifetime remaining).
    pub fn is_remaining(&self) -> bool {
        matches!(self.time_period, Some("29" | "33"))
    }
}
