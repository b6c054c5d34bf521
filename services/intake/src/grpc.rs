//! Thin gRPC adapters for the intake and review APIs: request to use case, record to proto.

use rx_platform::audit::{CallEntry, concerning};
use rx_proto::common::v1::PersonName;
use rx_proto::intake::v1::intake_service_server::{IntakeService, IntakeServiceServer};
use rx_proto::intake::v1::review_service_server::{ReviewService, ReviewServiceServer};
use rx_proto::intake::v1::*;
use time::format_description::well_known::Rfc3339;
use tonic::metadata::MetadataMap;
use tonic::service::Routes;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::{App, Submission, View};
use crate::canonical as c;
use crate::error::ServiceError;
use crate::events::{body_sites, proto_date, split_name};
use crate::reader::Requested;

/// Adds both services, sharing one [`App`].
pub fn routes(base: Routes, app: App, max_message_bytes: usize) -> Routes {
    base.add_service(IntakeServiceServer::new(app.clone()).max_decoding_message_size(max_message_bytes))
        .add_service(ReviewServiceServer::new(app).max_decoding_message_size(max_message_bytes))
}

/// The caller's clinic, from metadata `x-clinic-id` until authentication lands.
pub fn clinic(metadata: &MetadataMap) -> Result<String, ServiceError> {
    metadata
        .get("x-clinic-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .map(str::to_owned)
        .ok_or(ServiceError::Unauthenticated)
}

/// Who is acting, from metadata `x-subject` until authentication lands.
pub fn subject(metadata: &MetadataMap) -> String {
    metadata
        .get("x-subject")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(128).collect())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn parse_id(field: &str, raw: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(raw.trim())
        .map_err(|_| ServiceError::InvalidArgument { field: field.into(), reason: "must be a UUID".into() })
}

/// Page size and offset from a page request (the token is the offset of the next page).
fn page(p: Option<&rx_proto::common::v1::PageRequest>) -> Result<(i64, i64), ServiceError> {
    let size = p.map(|p| p.page_size).filter(|s| *s > 0).unwrap_or(50).min(200);
    let offset = match p.map(|p| p.page_token.trim()).filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| ServiceError::InvalidArgument {
            field: "page.page_token".into(),
            reason: "not a token from an earlier response".into(),
        })?,
    };
    Ok((i64::from(size), offset))
}

fn status_of(name: &str) -> PrescriptionStatus {
    match name {
        "accepted" => PrescriptionStatus::Accepted,
        "needs_review" => PrescriptionStatus::NeedsReview,
        "rejected" => PrescriptionStatus::Rejected,
        _ => PrescriptionStatus::Unspecified,
    }
}

/// The API form of a stored prescription.
pub fn to_proto(view: &View) -> Prescription {
    let r = &view.record;
    let cn = &r.canonical;
    let text = |name| cn.first(name).unwrap_or_default().to_owned();
    Prescription {
        id: r.id.to_string(),
        patient_id: r.patient_id.map(|p| p.to_string()).unwrap_or_default(),
        status: status_of(&r.status).into(),
        review_reasons: r.review_reasons.clone(),
        patient_name: Some(PersonName { family: text(c::FAMILY), given: text(c::GIVEN) }),
        patient_birth_date: cn.date(c::BIRTH_DATE).map(proto_date),
        member_id: text(c::MEMBER_ID),
        payer_name: text(c::PAYER_NAME),
        prescriber_npi: text(c::NPI),
        prescriber_name: cn.first(c::PRESCRIBER_NAME).map(split_name),
        diagnoses: cn.values(c::DIAGNOSES).to_vec(),
        procedures: cn.values(c::PROCEDURES).to_vec(),
        sessions: cn.number(c::SESSIONS).unwrap_or_default(),
        per_week: cn.number(c::PER_WEEK).unwrap_or_default(),
        weeks: cn.number(c::WEEKS).unwrap_or_default(),
        minutes_per_session: cn.number(c::MINUTES).unwrap_or_default(),
        body_sites: body_sites(cn),
        written_on: cn.date(c::WRITTEN_ON).map(proto_date),
        valid_until: r.valid_until.map(proto_date),
        format: match r.format.as_str() {
            "fax" => DocumentFormat::Fax,
            "fhir_r4" => DocumentFormat::FhirR4,
            "hl7v2" => DocumentFormat::Hl7v2,
            _ => DocumentFormat::Unspecified,
        }
        .into(),
        fields: cn
            .fields
            .iter()
            .map(|f| ExtractedField {
                name: f.name.clone(),
                values: f.values.clone(),
                confidence: f.confidence,
                source: f.source.clone(),
            })
            .collect(),
        history: view
            .history
            .iter()
            .map(|h| StatusChange {
                status: status_of(&h.status).into(),
                at: h.at.format(&Rfc3339).unwrap_or_default(),
                by: h.by.clone(),
                reason: h.reason.clone(),
            })
            .collect(),
    }
}

fn list(views: &[View], size: i64, offset: i64) -> ListPrescriptionsResponse {
    let full = i64::try_from(views.len()).unwrap_or(i64::MAX) == size;
    ListPrescriptionsResponse {
        prescriptions: views.iter().map(to_proto).collect(),
        next_page_token: if full { (offset + size).to_string() } else { String::new() },
    }
}

/// A prescription reply, marked for the audit trail with the prescription and its patient.
fn audited(p: Prescription) -> Response<Prescription> {
    let (id, patient) = (p.id.clone(), p.patient_id.clone());
    concerning(Response::new(p), "prescription", id, patient)
}

/// A list reply, marked with the patient listed (or nothing, for the review queue).
fn audited_list(reply: ListPrescriptionsResponse, patient: &str) -> Response<ListPrescriptionsResponse> {
    concerning(Response::new(reply), "patient", patient, patient)
}

#[tonic::async_trait]
impl IntakeService for App {
    async fn submit_document(
        &self,
        request: Request<SubmitDocumentRequest>,
    ) -> Result<Response<SubmitDocumentResponse>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let audit = CallEntry::of(&request);
        let r = request.into_inner();
        let requested = match DocumentFormat::try_from(r.format) {
            Ok(DocumentFormat::Unspecified) => Requested::Auto,
            Ok(DocumentFormat::Fax) => Requested::Fax,
            Ok(DocumentFormat::FhirR4) => Requested::Fhir,
            Ok(DocumentFormat::Hl7v2) => Requested::Hl7v2,
            Err(_) => {
                return Err(
                    ServiceError::InvalidArgument { field: "format".into(), reason: "unknown format".into() }.into()
                );
            }
        };
        let submitted = self
            .submit(Submission {
                clinic_id,
                content: r.content.into(),
                requested,
                idempotency_key: Some(r.idempotency_key),
                source_label: r.source_label.chars().take(200).collect(),
                channel: "grpc",
                audit,
            })
            .await?;
        let prescription = to_proto(&submitted.view);
        let (id, patient) = (prescription.id.clone(), prescription.patient_id.clone());
        let reply = SubmitDocumentResponse { prescription: Some(prescription), duplicate: submitted.duplicate };
        Ok(concerning(Response::new(reply), "prescription", id, patient))
    }

    async fn get_prescription(
        &self,
        request: Request<GetPrescriptionRequest>,
    ) -> Result<Response<Prescription>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let id = parse_id("prescription_id", &request.get_ref().prescription_id)?;
        Ok(audited(to_proto(&self.get(&clinic_id, id).await?)))
    }

    async fn list_patient_prescriptions(
        &self,
        request: Request<ListPatientPrescriptionsRequest>,
    ) -> Result<Response<ListPrescriptionsResponse>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let r = request.into_inner();
        let patient = parse_id("patient_id", &r.patient_id)?;
        let (size, offset) = page(r.page.as_ref())?;
        let views = self.list_patient(&clinic_id, patient, size, offset).await?;
        Ok(audited_list(list(&views, size, offset), &patient.to_string()))
    }
}

#[tonic::async_trait]
impl ReviewService for App {
    async fn list_pending(
        &self,
        request: Request<ListPendingRequest>,
    ) -> Result<Response<ListPrescriptionsResponse>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let (size, offset) = page(request.get_ref().page.as_ref())?;
        let views = App::list_pending(self, &clinic_id, size, offset).await?;
        Ok(audited_list(list(&views, size, offset), ""))
    }

    async fn get_review_item(&self, request: Request<GetReviewItemRequest>) -> Result<Response<ReviewItem>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let id = parse_id("prescription_id", &request.get_ref().prescription_id)?;
        let (view, original, media_type, pages) = self.review_item(&clinic_id, id).await?;
        let patient = view.record.patient_id.map(|p| p.to_string()).unwrap_or_default();
        let item = Response::new(ReviewItem {
            prescription: Some(to_proto(&view)),
            original,
            media_type,
            pages: pages
                .into_iter()
                .map(|p| ReviewPage {
                    image_png: p.image_png.unwrap_or_default(),
                    text: p.text,
                    confidence: p.confidence,
                })
                .collect(),
        });
        Ok(concerning(item, "prescription", id, patient))
    }

    async fn correct_fields(&self, request: Request<CorrectFieldsRequest>) -> Result<Response<Prescription>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let by = subject(request.metadata());
        let r = request.into_inner();
        let id = parse_id("prescription_id", &r.prescription_id)?;
        let corrections = r.corrections.into_iter().map(|c| (c.name, c.values)).collect();
        Ok(audited(to_proto(&self.correct(&clinic_id, id, corrections, &by).await?)))
    }

    async fn approve(&self, request: Request<ApproveRequest>) -> Result<Response<Prescription>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let by = subject(request.metadata());
        let id = parse_id("prescription_id", &request.get_ref().prescription_id)?;
        Ok(audited(to_proto(&App::approve(self, &clinic_id, id, &by).await?)))
    }

    async fn reject(&self, request: Request<RejectRequest>) -> Result<Response<Prescription>, Status> {
        let clinic_id = clinic(request.metadata())?;
        let by = subject(request.metadata());
        let r = request.into_inner();
        let id = parse_id("prescription_id", &r.prescription_id)?;
        Ok(audited(to_proto(&App::reject(self, &clinic_id, id, &by, &r.reason).await?)))
    }
}
