//! What a 270 eligibility inquiry says: who asks whom about which member, for which date and
//! service types. Built by the service from a prescription, or read back from a 270.

use rx_codes::npi::Npi;
use time::Date;

/// The payer asked, and how to ask it. Service types are configurable per payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerProfile {
    /// NM103 of 2100A.
    pub name: String,
    /// NM109 of 2100A with qualifier PI (payer id).
    pub payer_id: String,
    /// EQ01 service type codes, in order of interest.
    pub service_types: Vec<String>,
    /// Send all service types as repetitions of one EQ (`EQ*AE^30`) instead of one EQ each.
    pub repeat_in_one_eq: bool,
}

impl PayerProfile {
    /// A payer asked about `AE` (physical medicine) and `30` (health benefit plan coverage),
    /// one EQ segment each. Asking 30 as well gets the plan-level answer (active status,
    /// deductible, out-of-pocket) that AE benefits fall back on, and every payer must answer 30;
    /// separate EQ loops because some payers read only the first repetition of EQ01.
    pub fn new(name: impl Into<String>, payer_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            payer_id: payer_id.into(),
            service_types: vec!["AE".to_owned(), "30".to_owned()],
            repeat_in_one_eq: false,
        }
    }
}

/// NM101 of 2100B.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// `1P` provider.
    Provider,
    /// `FA` facility.
    Facility,
    /// Any other entity code found in a 270 read back.
    Other(String),
}

impl ProviderKind {
    pub fn code(&self) -> &str {
        match self {
            Self::Provider => "1P",
            Self::Facility => "FA",
            Self::Other(c) => c,
        }
    }
}

/// How the provider is identified: an NPI (qualifier XX), or another id read from a 270.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProviderId {
    Npi(Npi),
    Other { qualifier: String, id: String },
}

/// The information receiver (2100B): the clinic or therapist asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub kind: ProviderKind,
    /// NM102 = 2 when true (organisation), 1 for a person.
    pub organization: bool,
    /// NM103: organisation name or family name.
    pub name: String,
    /// NM104 for a person.
    pub given: Option<String>,
    pub id: ProviderId,
}

/// 2100C: the subscriber.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// NM109 with qualifier MI; `None` when searching by name and birth date.
    pub member_id: Option<String>,
    pub family: String,
    pub given: Option<String>,
    pub birth_date: Option<Date>,
}

/// 2100D: a dependent who has no member id of their own.
#[derive(Clone, PartialEq, Eq)]
pub struct Dependent {
    pub family: String,
    pub given: Option<String>,
    pub birth_date: Option<Date>,
}

/// Redacts PHI from debug output: these types end up in logs.
impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber").field("member_id", &self.member_id.as_ref().map(|_| "..")).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Dependent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dependent").finish_non_exhaustive()
    }
}

/// TRN*1: our trace number, echoed by the payer as TRN*2 so answers match requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// TRN02, unique per inquiry.
    pub reference: String,
    /// TRN03: `1` + EIN or `9` + another id of the originator (10 characters).
    pub originator: String,
}

/// One eligibility inquiry: becomes one 270 transaction set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityRequest {
    pub payer: PayerProfile,
    pub provider: Provider,
    pub subscriber: Subscriber,
    /// Set when the patient is a dependent without own member id.
    pub dependent: Option<Dependent>,
    pub trace: Trace,
    /// BHT03, the submitter's reference for the inquiry; the trace reference when `None`.
    pub inquiry_reference: Option<String>,
    /// DTP*291; the payer assumes the date of the inquiry when absent.
    pub service_date: Option<Date>,
}
