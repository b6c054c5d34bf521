//! The stored form of a prescription: a list of named fields, each with its values, the
//! reader's confidence and where it was read. The same list is the `canonical` JSON column,
//! the API's `ExtractedField`s and what a reviewer corrects; it converts back into the domain
//! model so a corrected prescription can be validated again.

use intake_domain::{
    Diagnosis, Frequency, PostalAddress, Prescription, Sex, Source, SourceKind, Sourced, find_body_sites,
    parse_fhir_date,
};
use serde::{Deserialize, Serialize};
use time::Date;

/// Field names, as clients see them in `ExtractedField.name` and send in corrections.
pub const FAMILY: &str = "patient.family";
pub const GIVEN: &str = "patient.given";
pub const BIRTH_DATE: &str = "patient.birth_date";
pub const SEX: &str = "patient.sex";
pub const MEMBER_ID: &str = "patient.member_id";
pub const PAYER_NAME: &str = "patient.payer_name";
pub const PAYER_ID: &str = "patient.payer_id";
pub const REFERENCES: &str = "patient.references";
pub const ADDRESS_LINE1: &str = "patient.address.line1";
pub const ADDRESS_LINE2: &str = "patient.address.line2";
pub const ADDRESS_CITY: &str = "patient.address.city";
pub const ADDRESS_STATE: &str = "patient.address.state";
pub const ADDRESS_POSTAL_CODE: &str = "patient.address.postal_code";
pub const NPI: &str = "prescriber.npi";
pub const PRESCRIBER_NAME: &str = "prescriber.name";
pub const DIAGNOSES: &str = "diagnoses";
pub const PROCEDURES: &str = "procedures";
pub const SESSIONS: &str = "sessions";
pub const PER_WEEK: &str = "frequency.per_week";
pub const PER_WEEK_MIN: &str = "frequency.per_week_min";
pub const WEEKS: &str = "frequency.weeks";
pub const MINUTES: &str = "minutes_per_session";
pub const BODY_SITES: &str = "body_sites";
pub const WRITTEN_ON: &str = "written_on";
pub const END_OF_TREATMENT: &str = "end_of_treatment";

/// Every field name, in display order.
pub const NAMES: &[&str] = &[
    FAMILY,
    GIVEN,
    BIRTH_DATE,
    SEX,
    MEMBER_ID,
    PAYER_NAME,
    PAYER_ID,
    REFERENCES,
    ADDRESS_LINE1,
    ADDRESS_LINE2,
    ADDRESS_CITY,
    ADDRESS_STATE,
    ADDRESS_POSTAL_CODE,
    NPI,
    PRESCRIBER_NAME,
    DIAGNOSES,
    PROCEDURES,
    SESSIONS,
    PER_WEEK,
    PER_WEEK_MIN,
    WEEKS,
    MINUTES,
    BODY_SITES,
    WRITTEN_ON,
    END_OF_TREATMENT,
];

/// One extracted (or corrected) field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub values: Vec<String>,
    pub confidence: f32,
    pub source: String,
}

/// A prescription as stored: its channel and its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Canonical {
    pub kind: String,
    pub fields: Vec<Field>,
}

/// A patient the clinic's registry knows by one of the document's references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPatient {
    pub id: uuid::Uuid,
    pub reference: String,
    pub family: String,
    pub given: String,
    pub birth_date: Date,
    pub member_id: String,
}

/// Why a field value cannot be used (a reviewer's correction that does not parse).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: &'static str,
}

fn kind_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Hl7v2 => "hl7v2",
        SourceKind::Fhir => "fhir_r4",
        SourceKind::Fax => "fax",
    }
}

/// ISO `YYYY-MM-DD`.
pub fn iso(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

fn sex_name(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}

struct Builder(Vec<Field>);

impl Builder {
    fn one<T>(&mut self, name: &str, value: Option<&Sourced<T>>, show: impl Fn(&T) -> String) {
        if let Some(v) = value {
            self.0.push(Field {
                name: name.to_owned(),
                values: vec![show(&v.value)],
                confidence: v.confidence(),
                source: v.provenance.source.to_string(),
            });
        }
    }

    fn many<T>(&mut self, name: &str, values: &[Sourced<T>], show: impl Fn(&T) -> String) {
        if values.is_empty() {
            return;
        }
        let confidence = values.iter().map(Sourced::confidence).fold(1.0_f32, f32::min);
        let mut sources: Vec<String> = Vec::new();
        for v in values {
            let s = v.provenance.source.to_string();
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        self.0.push(Field {
            name: name.to_owned(),
            values: values.iter().map(|v| show(&v.value)).collect(),
            confidence,
            source: sources.join("; "),
        });
    }
}

impl Canonical {
    /// The fields of a freshly read prescription.
    pub fn from_prescription(rx: &Prescription) -> Self {
        let mut b = Builder(Vec::new());
        let p = &rx.patient;
        b.one(FAMILY, p.family.as_ref(), Clone::clone);
        b.one(GIVEN, p.given.as_ref(), Clone::clone);
        b.one(BIRTH_DATE, p.birth_date.as_ref(), |d| iso(*d));
        b.one(SEX, p.sex.as_ref(), |s| sex_name(*s).to_owned());
        b.one(MEMBER_ID, p.member_id.as_ref(), Clone::clone);
        b.one(PAYER_NAME, p.payer_name.as_ref(), Clone::clone);
        b.one(PAYER_ID, p.payer_id.as_ref(), Clone::clone);
        b.many(REFERENCES, &p.references, Clone::clone);
        if let Some(a) = &p.address {
            b.one(ADDRESS_LINE1, Some(a), |a: &PostalAddress| a.line1.clone());
            if !a.value.line2.is_empty() {
                b.one(ADDRESS_LINE2, Some(a), |a: &PostalAddress| a.line2.clone());
            }
            b.one(ADDRESS_CITY, Some(a), |a: &PostalAddress| a.city.clone());
            b.one(ADDRESS_STATE, Some(a), |a: &PostalAddress| a.state.clone());
            b.one(ADDRESS_POSTAL_CODE, Some(a), |a: &PostalAddress| a.postal_code.clone());
        }
        b.one(NPI, rx.prescriber.npi.as_ref(), Clone::clone);
        b.one(PRESCRIBER_NAME, rx.prescriber.name.as_ref(), Clone::clone);
        b.many(DIAGNOSES, &rx.diagnoses, Diagnosis::dotted);
        b.many(PROCEDURES, &rx.procedures, Clone::clone);
        b.one(SESSIONS, rx.sessions.as_ref(), ToString::to_string);
        if let Some(f) = &rx.frequency {
            b.one(PER_WEEK, Some(f), |f: &Frequency| f.per_week.to_string());
            if f.value.per_week_min.is_some() {
                b.one(PER_WEEK_MIN, Some(f), |f: &Frequency| f.per_week_min.unwrap_or_default().to_string());
            }
            if f.value.weeks.is_some() {
                b.one(WEEKS, Some(f), |f: &Frequency| f.weeks.unwrap_or_default().to_string());
            }
        }
        b.one(MINUTES, rx.minutes_per_session.as_ref(), ToString::to_string);
        b.many(BODY_SITES, &rx.body_sites, ToString::to_string);
        b.one(WRITTEN_ON, rx.written_on.as_ref(), |d| iso(*d));
        b.one(END_OF_TREATMENT, rx.end_of_treatment.as_ref(), |d| iso(*d));
        Self { kind: kind_name(rx.source_kind).to_owned(), fields: b.0 }
    }

    /// The field of that name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The first value of a field.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(|f| f.values.first()).map(String::as_str)
    }

    /// All values of a field (empty when absent).
    pub fn values(&self, name: &str) -> &[String] {
        self.field(name).map(|f| f.values.as_slice()).unwrap_or_default()
    }

    /// A number field, when present and numeric.
    pub fn number(&self, name: &str) -> Option<u32> {
        self.first(name).and_then(|v| v.trim().parse().ok())
    }

    /// A date field, when present and a valid `YYYY-MM-DD`.
    pub fn date(&self, name: &str) -> Option<Date> {
        self.first(name).and_then(parse_fhir_date)
    }

    /// Fills the patient fields this document lacks (or gives only uncertainly, such as a name
    /// from a reference's display text) from the clinic's registry entry for the patient it
    /// refers to; the values say where they came from.
    pub fn complete_patient(&mut self, known: &KnownPatient) {
        let from = format!("registry, as {}", known.reference);
        let mut fill = |name: &str, value: Option<String>| {
            let certain = self.field(name).is_some_and(|f| f.confidence >= 1.0);
            if let Some(v) = value.filter(|v| !v.trim().is_empty() && !certain) {
                self.fields.retain(|f| f.name != name);
                self.fields.push(Field {
                    name: name.to_owned(),
                    values: vec![v],
                    confidence: 1.0,
                    source: from.clone(),
                });
            }
        };
        fill(FAMILY, Some(known.family.clone()));
        fill(GIVEN, Some(known.given.clone()));
        fill(BIRTH_DATE, Some(iso(known.birth_date)));
        fill(MEMBER_ID, Some(known.member_id.clone()));
        self.fields.sort_by_key(|f| NAMES.iter().position(|n| *n == f.name));
    }

    /// The patient's postal address, when its fields make a complete one.
    pub fn address(&self) -> Option<PostalAddress> {
        let part = |name| self.first(name).unwrap_or_default();
        PostalAddress::new(
            part(ADDRESS_LINE1),
            part(ADDRESS_LINE2),
            part(ADDRESS_CITY),
            part(ADDRESS_STATE),
            part(ADDRESS_POSTAL_CODE),
        )
    }

    /// Replaces (or, with no values, removes) a field as a reviewer corrected it; the value is
    /// then certain. Returns the old values.
    pub fn correct(&mut self, name: &str, values: Vec<String>, by: &str) -> Result<Vec<String>, FieldError> {
        let Some(known) = NAMES.iter().find(|n| **n == name) else {
            return Err(FieldError { field: name.chars().take(40).collect(), reason: "is not a known field name" });
        };
        check_values(known, &values)?;
        let old = self.values(name).to_vec();
        self.fields.retain(|f| f.name != name);
        if !values.is_empty() {
            self.fields.push(Field {
                name: (*known).to_owned(),
                values,
                confidence: 1.0,
                source: format!("review by {by}"),
            });
            self.fields.sort_by_key(|f| NAMES.iter().position(|n| *n == f.name));
        }
        Ok(old)
    }

    /// Marks every field as checked by a person (an approving reviewer has seen them all).
    pub fn confirm_all(&mut self) {
        for f in &mut self.fields {
            f.confidence = 1.0;
        }
    }

    /// Back into the domain model, for validation.
    pub fn to_prescription(&self) -> Prescription {
        let kind = match self.kind.as_str() {
            "hl7v2" => SourceKind::Hl7v2,
            "fhir_r4" => SourceKind::Fhir,
            _ => SourceKind::Fax,
        };
        let mut rx = Prescription::new(kind);
        let sourced = |name: &str| {
            let f = self.field(name)?;
            Some((Source::Derived { from: f.source.clone() }, f.confidence))
        };
        let text = |name: &str| {
            let (src, c) = sourced(name)?;
            Some(Sourced::with_confidence(self.first(name)?.to_owned(), src, c))
        };
        let date = |name: &str| {
            let (src, c) = sourced(name)?;
            Some(Sourced::with_confidence(self.date(name)?, src, c))
        };
        let number = |name: &str| {
            let (src, c) = sourced(name)?;
            Some(Sourced::with_confidence(self.number(name)?, src, c))
        };
        rx.patient.family = text(FAMILY);
        rx.patient.given = text(GIVEN);
        rx.patient.birth_date = date(BIRTH_DATE);
        rx.patient.sex = sourced(SEX).and_then(|(src, c)| {
            let sex = match self.first(SEX)? {
                "female" => Sex::Female,
                "male" => Sex::Male,
                "other" => Sex::Other,
                _ => Sex::Unknown,
            };
            Some(Sourced::with_confidence(sex, src, c))
        });
        rx.patient.member_id = text(MEMBER_ID);
        rx.patient.payer_name = text(PAYER_NAME);
        rx.patient.payer_id = text(PAYER_ID);
        if let Some((src, c)) = sourced(REFERENCES) {
            for v in self.values(REFERENCES) {
                rx.patient.references.push(Sourced::with_confidence(v.clone(), src.clone(), c));
            }
        }
        rx.patient.address = self.address().and_then(|a| {
            let (src, c) = [ADDRESS_LINE1, ADDRESS_CITY, ADDRESS_STATE, ADDRESS_POSTAL_CODE]
                .into_iter()
                .filter_map(sourced)
                .min_by(|a, b| a.1.total_cmp(&b.1))?;
            Some(Sourced::with_confidence(a, src, c))
        });
        rx.prescriber.npi = text(NPI);
        rx.prescriber.name = text(PRESCRIBER_NAME);
        if let Some((src, c)) = sourced(DIAGNOSES) {
            for v in self.values(DIAGNOSES) {
                let code = v.trim().replace('.', "").to_ascii_uppercase();
                rx.add_diagnosis(Sourced::with_confidence(Diagnosis { code, text: None }, src.clone(), c));
            }
        }
        if let Some((src, c)) = sourced(PROCEDURES) {
            for v in self.values(PROCEDURES) {
                rx.add_procedure(Sourced::with_confidence(v.trim().to_ascii_uppercase(), src.clone(), c));
            }
        }
        rx.sessions = number(SESSIONS);
        rx.frequency = number(PER_WEEK).map(|per_week| {
            let f = Frequency {
                per_week: per_week.value,
                per_week_min: self.number(PER_WEEK_MIN),
                weeks: self.number(WEEKS),
            };
            Sourced::with_confidence(f, per_week.provenance.source, per_week.provenance.confidence)
        });
        rx.minutes_per_session = number(MINUTES);
        if let Some((src, c)) = sourced(BODY_SITES) {
            for v in self.values(BODY_SITES) {
                for site in find_body_sites(v) {
                    rx.add_body_site(Sourced::with_confidence(site, src.clone(), c));
                }
            }
        }
        rx.written_on = date(WRITTEN_ON);
        rx.end_of_treatment = date(END_OF_TREATMENT);
        rx
    }
}

/// Checks corrected values have the shape their field needs.
fn check_values(name: &str, values: &[String]) -> Result<(), FieldError> {
    let err = |reason| Err(FieldError { field: name.to_owned(), reason });
    let single = !matches!(name, DIAGNOSES | PROCEDURES | BODY_SITES | REFERENCES);
    if single && values.len() > 1 {
        return err("takes one value");
    }
    for v in values {
        if v.trim().is_empty() || v.len() > 200 {
            return err("values must be 1 to 200 characters");
        }
        match name {
            BIRTH_DATE | WRITTEN_ON | END_OF_TREATMENT if parse_fhir_date(v).is_none() || v.len() != 10 => {
                return err("must be a date YYYY-MM-DD");
            }
            SESSIONS | PER_WEEK | PER_WEEK_MIN | WEEKS | MINUTES if v.trim().parse::<u32>().is_err() => {
                return err("must be a whole number");
            }
            BODY_SITES if find_body_sites(v).is_empty() => return err("names no known body site"),
            ADDRESS_STATE if v.trim().len() != 2 || !v.trim().chars().all(|c| c.is_ascii_alphabetic()) => {
                return err("must be a two-letter state code");
            }
            ADDRESS_POSTAL_CODE if PostalAddress::new("x", "", "x", "XX", v).is_none() => {
                return err("must be a ZIP code of 5 or 9 digits");
            }
            SEX if !matches!(v.as_str(), "female" | "male" | "other" | "unknown") => {
                return err("must be female, male, other or unknown");
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const ORM: &[u8] = include_bytes!("../../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7");

    #[test]
    fn fields_round_trip_through_the_domain_model() {
        let rx = intake_domain::from_hl7v2(ORM).expect("sample reads");
        let canonical = Canonical::from_prescription(&rx);
        let back = Canonical::from_prescription(&canonical.to_prescription());
        let values = |c: &Canonical| c.fields.iter().map(|f| (f.name.clone(), f.values.clone())).collect::<Vec<_>>();
        assert_eq!(values(&canonical), values(&back));
        assert!(canonical.field(DIAGNOSES).is_some());
    }

    #[test]
    fn corrections_replace_values_and_are_checked() {
        let mut c = Canonical { kind: "fax".into(), fields: Vec::new() };
        assert!(c.correct(SESSIONS, vec!["twelve".into()], "r").is_err());
        assert!(c.correct(BIRTH_DATE, vec!["1990-13-01".into()], "r").is_err());
        assert!(c.correct("patient.ssn", vec!["1".into()], "r").is_err());
        assert_eq!(c.correct(SESSIONS, vec!["12".into()], "r").expect("valid"), Vec::<String>::new());
        assert_eq!(c.correct(SESSIONS, vec!["10".into()], "r").expect("valid"), vec!["12".to_owned()]);
        assert_eq!(c.number(SESSIONS), Some(10));
        assert_eq!(c.field(SESSIONS).map(|f| f.source.as_str()), Some("review by r"));
    }
}
