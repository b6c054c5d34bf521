//! Intake running in-process against the real Postgres and RabbitMQ: documents in over gRPC,
//! FHIR REST and MLLP; the review queue; and the events that come out of the outbox, with no
//! second event for a repeated submission.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use prost::Message;
use rx_proto::events::v1::{PrescriptionAccepted, PrescriptionNeedsReview, PrescriptionRejected};
use rx_proto::intake::v1::*;
use rxbridge_tests::eventually;
use support::*;
use tonic::Code;
use tonic_types::StatusExt;

const ACCEPTED: &str = "prescription.accepted.v1";
const NEEDS_REVIEW: &str = "prescription.needs_review.v1";
const REJECTED: &str = "prescription.rejected.v1";

/// Events intake wrote, from its outbox (what the relay publishes), in order.
async fn written(h: &Harness, key: &str) -> Vec<Vec<u8>> {
    sqlx::query_scalar("SELECT payload FROM outbox WHERE routing_key = $1 ORDER BY id")
        .bind(key)
        .fetch_all(&h.inspect)
        .await
        .unwrap()
}

async fn accepted_for(h: &Harness, id: &str) -> Vec<PrescriptionAccepted> {
    written(h, ACCEPTED)
        .await
        .iter()
        .map(|p| PrescriptionAccepted::decode(p.as_slice()).unwrap())
        .filter(|e| e.prescription_id == id)
        .collect()
}

async fn settle() {
    // time for a wrongly written second event to arrive, before counting
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_submission_is_idempotent_and_announced_once_with_every_field() {
    let h = harness().await;
    let mut intake = intake_client(&h).await;
    let submit = |key: &str, content: Vec<u8>| SubmitDocumentRequest {
        content,
        format: DocumentFormat::Unspecified.into(),
        idempotency_key: key.into(),
        source_label: "ehr test feed".into(),
    };
    let first = intake.submit_document(req(submit("k-1", fixture(ORM)), None)).await.unwrap().into_inner();
    assert!(!first.duplicate);
    let rx = first.prescription.unwrap();
    assert_eq!(rx.status(), PrescriptionStatus::Accepted, "{:?}", rx.review_reasons);
    assert_eq!(rx.format(), DocumentFormat::Hl7v2);
    assert_eq!(rx.diagnoses, ["M54.50", "M62.830"]);
    assert!(rx.fields.iter().any(|f| f.name == "diagnoses" && f.source.contains("DG1") && f.confidence == 1.0));
    assert_eq!(rx.history.len(), 1);

    // the same key, and the same bytes under another key, find the same prescription
    let again = intake.submit_document(req(submit("k-1", fixture(ORM)), None)).await.unwrap().into_inner();
    let same_bytes = intake.submit_document(req(submit("k-2", fixture(ORM)), None)).await.unwrap().into_inner();
    for dup in [again, same_bytes] {
        assert!(dup.duplicate);
        assert_eq!(dup.prescription.unwrap(), rx);
    }
    // a retry under the same key answers as the first even when its bytes cannot be read
    let garbled = intake.submit_document(req(submit("k-1", b"MSH|garbled".to_vec()), None)).await.unwrap().into_inner();
    assert!(garbled.duplicate);
    assert_eq!(garbled.prescription.unwrap(), rx);

    let events = accepted_for(&h, &rx.id).await;
    assert_eq!(events.len(), 1, "one event, however often the document is submitted");
    // and it reaches a queue bound to prescription.*.v1 through the relay, exactly once
    let delivered = eventually(WAIT, || async {
        let got = h.observed.with_key(ACCEPTED);
        (!got.is_empty()).then_some(got)
    })
    .await
    .expect("the accepted event is delivered through RabbitMQ");
    settle().await;
    assert_eq!(h.observed.with_key(ACCEPTED).len(), 1);
    assert_eq!(PrescriptionAccepted::decode(delivered[0].as_slice()).unwrap().prescription_id, rx.id);
    let e = &events[0];
    assert_eq!(e.meta.as_ref().unwrap().clinic_id, CLINIC);
    assert_eq!(e.patient_id, rx.patient_id);
    assert!(!e.patient_id.is_empty());
    let name = e.patient_name.as_ref().unwrap();
    assert_eq!((name.family.as_str(), name.given.as_str()), ("TESTPATIENT", "AVERY"));
    let dob = e.patient_birth_date.as_ref().unwrap();
    assert_eq!((dob.year, dob.month, dob.day), (1980, 1, 1));
    let coverage = e.coverage.as_ref().unwrap();
    assert_eq!(coverage.member_id, "MEM0000001");
    assert_eq!(coverage.payer_name, "SYNTHETIC HEALTH PLAN");
    assert_eq!(coverage.payer_id, "PAYER01");
    assert_eq!(e.prescriber_npi, "1122334455");
    assert_eq!(e.prescriber_name.as_ref().unwrap().family, "EXAMPLEDOC");
    assert_eq!(e.diagnoses, ["M54.50", "M62.830"]);
    assert_eq!(e.procedures, ["97124"]);
    assert_eq!((e.sessions, e.per_week, e.weeks), (8, 2, 4));
    assert_eq!(e.body_sites.first().map(|b| b.region.as_str()), Some("lumbar spine"));
    let from = e.valid_from.as_ref().unwrap();
    assert_eq!((from.year, from.month, from.day), (2026, 1, 5));
    assert!(e.valid_until.is_some());
    assert_eq!(e.patient_sex, "F");
    let address = e.patient_address.as_ref().expect("PID-11 gives the patient's address");
    assert_eq!(
        (address.line1.as_str(), address.city.as_str(), address.state.as_str(), address.postal_code.as_str()),
        ("1 SAMPLE ROAD", "SPRINGFIELD", "IL", "62702")
    );

    // the patient's list holds it; documents table has exactly one readable copy
    let list = intake
        .list_patient_prescriptions(req(
            ListPatientPrescriptionsRequest { patient_id: rx.patient_id.clone(), page: None },
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.prescriptions.len(), 1);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM documents WHERE readable").await, 1);
    // the submission's answer (built from what it wrote) is what reading it back gives
    let read_back = intake
        .get_prescription(req(GetPrescriptionRequest { prescription_id: rx.id.clone() }, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read_back, rx);

    // another clinic sees nothing
    let mut other = tonic::Request::new(GetPrescriptionRequest { prescription_id: rx.id.clone() });
    other.metadata_mut().insert("x-clinic-id", "someone-else".parse().unwrap());
    assert_eq!(intake.get_prescription(other).await.unwrap_err().code(), Code::NotFound);
    // no clinic at all
    let anon = tonic::Request::new(GetPrescriptionRequest { prescription_id: rx.id.clone() });
    assert_eq!(intake.get_prescription(anon).await.unwrap_err().code(), Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_request_pointing_at_a_known_patient_is_completed_from_the_registry() {
    let h = harness().await;
    let mut intake = intake_client(&h).await;
    let submit = |content: Vec<u8>| SubmitDocumentRequest {
        content,
        format: DocumentFormat::Unspecified.into(),
        idempotency_key: String::new(),
        source_label: "fhir feed".into(),
    };
    let lone = fixture("synthetic/fhir_servicerequest_massage_prescription.json");

    // Before the patient is known, the lone ServiceRequest lacks the birth date.
    let first =
        intake.submit_document(req(submit(lone.clone()), None)).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(first.status(), PrescriptionStatus::NeedsReview);
    assert_eq!(first.review_reasons, ["patient date of birth missing"]);

    // The bundle carries Patient/synthetic-patient-1 with its birth date ...
    let bundle = intake.submit_document(req(submit(bundle()), None)).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(bundle.status(), PrescriptionStatus::Accepted, "{:?}", bundle.review_reasons);
    // ... so a later ServiceRequest for the same patient, sent alone, is complete.
    let later = String::from_utf8(lone.clone()).unwrap().replace("FAX-20260105-0001", "FAX-20260105-0002");
    let rx =
        intake.submit_document(req(submit(later.into_bytes()), None)).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(rx.status(), PrescriptionStatus::Accepted, "{:?}", rx.review_reasons);
    assert_eq!(rx.patient_id, bundle.patient_id, "the registry's patient");
    let dob = rx.patient_birth_date.as_ref().unwrap();
    assert_eq!((dob.year, dob.month, dob.day), (1980, 1, 1));
    let field = rx.fields.iter().find(|f| f.name == "patient.birth_date").unwrap();
    assert!(field.source.contains("registry") && field.source.contains("Patient/synthetic-patient-1"), "{field:?}");

    // The sender later names another person by the same reference (its record was corrected):
    // the reference follows them, and the next lone request is completed with that person.
    let corrected = String::from_utf8(support::bundle()).unwrap().replace("1980-01-01", "1981-02-02");
    let moved =
        intake.submit_document(req(submit(corrected.into_bytes()), None)).await.unwrap().into_inner().prescription;
    let moved = moved.unwrap();
    assert_ne!(moved.patient_id, bundle.patient_id, "another person");
    let third = String::from_utf8(lone.clone()).unwrap().replace("FAX-20260105-0001", "FAX-20260105-0003");
    let rx =
        intake.submit_document(req(submit(third.into_bytes()), None)).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(rx.patient_id, moved.patient_id, "the reference now names the corrected person");
    let dob = rx.patient_birth_date.as_ref().unwrap();
    assert_eq!((dob.year, dob.month, dob.day), (1981, 2, 2));

    // The registry is the clinic's own: another clinic's copy of the same request still waits.
    let mut other_clinic = tonic::Request::new(submit(lone));
    other_clinic.metadata_mut().insert("x-clinic-id", "clinic-registry-other".parse().unwrap());
    let other = intake.submit_document(other_clinic).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(other.status(), PrescriptionStatus::NeedsReview);
    assert_eq!(other.review_reasons, ["patient date of birth missing"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_corrects_approves_and_rejects_with_events() {
    let h = harness().await;
    let mut intake = intake_client(&h).await;
    let mut review = review_client(&h).await;
    let sr = fixture("synthetic/fhir_servicerequest_massage_prescription.json");
    let submitted = intake
        .submit_document(req(
            SubmitDocumentRequest { content: sr.clone(), format: DocumentFormat::FhirR4.into(), ..Default::default() },
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .prescription
        .unwrap();
    assert_eq!(submitted.status(), PrescriptionStatus::NeedsReview);
    assert_eq!(submitted.review_reasons, ["patient date of birth missing"]);
    let id = submitted.id.clone();

    let pending = review.list_pending(req(ListPendingRequest::default(), None)).await.unwrap().into_inner();
    assert_eq!(pending.prescriptions.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    let item = review
        .get_review_item(req(GetReviewItemRequest { prescription_id: id.clone() }, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(item.original, sr);
    assert_eq!(item.media_type, "application/fhir+json");

    // approving before the birth date is known is refused, naming the rule
    let refused = review.approve(req(ApproveRequest { prescription_id: id.clone() }, Some("rev-1"))).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("date of birth"), "{}", refused.message());

    // a malformed correction names the field
    let bad = review
        .correct_fields(req(
            CorrectFieldsRequest {
                prescription_id: id.clone(),
                corrections: vec![FieldCorrection {
                    name: "patient.birth_date".into(),
                    values: vec!["01/01/80".into()],
                }],
            },
            Some("rev-1"),
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad.get_details_bad_request().unwrap().field_violations[0].field, "corrections[0]");

    let corrected = review
        .correct_fields(req(
            CorrectFieldsRequest {
                prescription_id: id.clone(),
                corrections: vec![FieldCorrection {
                    name: "patient.birth_date".into(),
                    values: vec!["1980-01-01".into()],
                }],
            },
            Some("rev-1"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(corrected.status(), PrescriptionStatus::NeedsReview);
    assert!(corrected.review_reasons.is_empty(), "{:?}", corrected.review_reasons);
    let field = corrected.fields.iter().find(|f| f.name == "patient.birth_date").unwrap();
    assert_eq!((field.source.as_str(), field.confidence), ("review by rev-1", 1.0));
    let (who, old, new): (String, Vec<String>, Vec<String>) = sqlx::query_as(
        "SELECT by_subject, old_values, new_values FROM review_corrections WHERE field = 'patient.birth_date'",
    )
    .fetch_one(&h.inspect)
    .await
    .unwrap();
    assert_eq!((who.as_str(), old.len(), new), ("rev-1", 0, vec!["1980-01-01".to_owned()]));

    let approved =
        review.approve(req(ApproveRequest { prescription_id: id.clone() }, Some("rev-1"))).await.unwrap().into_inner();
    assert_eq!(approved.status(), PrescriptionStatus::Accepted);
    assert!(!approved.patient_id.is_empty());
    let last = approved.history.last().unwrap();
    assert_eq!((last.status(), last.by.as_str()), (PrescriptionStatus::Accepted, "rev-1"));
    assert_eq!(approved.history.len(), 2);

    // a second document needing review (another patient, not in the registry) is rejected
    let other =
        String::from_utf8(sr.clone()).unwrap().replace("synthetic-patient-1", "synthetic-patient-2").into_bytes();
    let second = intake
        .submit_document(req(SubmitDocumentRequest { content: other, ..Default::default() }, None))
        .await
        .unwrap()
        .into_inner()
        .prescription
        .unwrap();
    assert_ne!(second.id, id);
    let no_reason =
        review.reject(req(RejectRequest { prescription_id: second.id.clone(), reason: " ".into() }, None)).await;
    assert_eq!(no_reason.unwrap_err().code(), Code::InvalidArgument);
    let rejected = review
        .reject(req(RejectRequest { prescription_id: second.id.clone(), reason: "not our patient".into() }, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rejected.status(), PrescriptionStatus::Rejected);
    assert_eq!(rejected.history.last().unwrap().by, "unknown");
    // an accepted prescription cannot be rejected
    let late = review.reject(req(RejectRequest { prescription_id: id.clone(), reason: "late".into() }, None)).await;
    assert_eq!(late.unwrap_err().code(), Code::FailedPrecondition);

    let got = (written(&h, REJECTED).await, accepted_for(&h, &id).await);
    assert_eq!(written(&h, NEEDS_REVIEW).await.len(), 2);
    assert_eq!((got.0.len(), got.1.len()), (1, 1), "rejected once, accepted once");
    let rejected_event = PrescriptionRejected::decode(got.0[0].as_slice()).unwrap();
    assert_eq!(
        (rejected_event.prescription_id.as_str(), rejected_event.reason.as_str()),
        (second.id.as_str(), "not our patient")
    );
    let accepted_event = &got.1[0];
    assert_eq!(accepted_event.patient_birth_date.as_ref().unwrap().year, 1980);
    assert_eq!(accepted_event.minutes_per_session, 30);
    let needs_review = PrescriptionNeedsReview::decode(written(&h, NEEDS_REVIEW).await[0].as_slice()).unwrap();
    assert_eq!(needs_review.reasons, ["patient date of birth missing"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_documents_are_refused_with_field_details_and_kept() {
    let h = harness().await;
    let mut intake = intake_client(&h).await;
    let cases: Vec<(&str, Vec<u8>, DocumentFormat, &str)> = vec![
        ("empty", Vec::new(), DocumentFormat::Unspecified, "content"),
        (
            "truncated hl7",
            b"MSH|^~\\&|EHR|X|Y|Z|20260105||ORM^O01|1|T|2.3\r".to_vec(),
            DocumentFormat::Unspecified,
            "content",
        ),
        ("json not fhir", br#"{"hello":"world"}"#.to_vec(), DocumentFormat::Unspecified, "content"),
        ("not a pdf", b"%PDF-1.4 nothing here".to_vec(), DocumentFormat::Unspecified, "content"),
        ("hl7 as fhir", fixture(ORM), DocumentFormat::FhirR4, "format"),
    ];
    for (name, content, format, field) in &cases {
        let err = intake
            .submit_document(req(
                SubmitDocumentRequest { content: content.clone(), format: (*format).into(), ..Default::default() },
                None,
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{name}");
        let details = err.get_details_bad_request().unwrap_or_else(|| panic!("{name}: no field details"));
        assert_eq!(details.field_violations[0].field, *field, "{name}");
        assert!(!details.field_violations[0].description.is_empty(), "{name}");
    }
    let kept: Vec<(uuid::Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT id, content FROM documents WHERE NOT readable ORDER BY received_at, id")
            .fetch_all(&h.inspect)
            .await
            .unwrap();
    // Kept sealed, and opening to exactly what was received.
    let opened: Vec<Vec<u8>> = kept
        .iter()
        .map(|(id, blob)| keyring().open(blob, format!("{CLINIC}/{id}/content").as_bytes()).unwrap())
        .collect();
    assert_eq!(opened, cases.iter().map(|c| c.1.clone()).collect::<Vec<_>>());
    assert!(kept.iter().all(|(_, blob)| rx_seal::Keyring::key_id(blob) == Some("test-1")));
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM prescriptions").await, 0);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fhir_rest_creates_idempotently_and_answers_operation_outcomes() {
    let h = harness().await;
    let path = "/fhir/r4/Bundle";
    let headers = [("content-type", "application/fhir+json"), ("x-clinic-id", CLINIC), ("idempotency-key", "bundle-1")];
    let (status, head, body) = post(h.fhir, path, &headers, bundle()).await;
    assert_eq!(status, 201, "{body}");
    let location = head.get("location").unwrap().to_str().unwrap().to_owned();
    let id = location.strip_prefix("/fhir/r4/ServiceRequest/").expect("location form").to_owned();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert!(body["issue"][0]["diagnostics"].as_str().unwrap().contains(&id));

    // the same key again: 200, same resource
    let (status, head, _) = post(h.fhir, path, &headers, bundle()).await;
    assert_eq!(status, 200);
    assert_eq!(head.get("location").unwrap().to_str().unwrap(), location);

    let no_clinic = [("content-type", "application/fhir+json")];
    let (status, _, body) = post(h.fhir, path, &no_clinic, bundle()).await;
    assert_eq!((status, body["resourceType"].as_str()), (401, Some("OperationOutcome")));

    let sr_path = "/fhir/r4/ServiceRequest";
    let json = [("content-type", "application/json"), ("x-clinic-id", CLINIC)];
    let (status, _, body) = post(h.fhir, sr_path, &json, br#"{"hello": "world"}"#.to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["issue"][0]["severity"], "error");
    assert!(body["issue"][0]["diagnostics"].as_str().unwrap().contains("FHIR"), "{body}");
    let (status, _, body) = post(h.fhir, path, &json, fixture("fhir/r4_Patient-example.json")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) =
        post(h.fhir, sr_path, &[("content-type", "text/plain"), ("x-clinic-id", CLINIC)], bundle()).await;
    assert_eq!(status, 415);
    // a ServiceRequest for a patient this clinic has not been sent yet: created, in review
    let unknown = String::from_utf8(fixture("synthetic/fhir_servicerequest_massage_prescription.json"))
        .unwrap()
        .replace("Patient/synthetic-patient-1", "Patient/not-sent-yet");
    let (status, _, body) = post(h.fhir, sr_path, &json, unknown.into_bytes()).await;
    assert_eq!(status, 201);
    assert_eq!(body["issue"][1]["severity"], "warning", "review reasons come as warnings: {body}");

    assert_eq!(accepted_for(&h, &id).await.len(), 1, "the repeated POST made no second event");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'fhir/r4/Bundle POST' AND resource_id = $1 AND outcome = 'OK'",
    )
    .bind(&id)
    .fetch_one(&h.inspect)
    .await
    .unwrap();
    assert_eq!(audited, 2, "both POSTs of the bundle are in the audit trail");
    let peers: Vec<String> = sqlx::query_scalar("SELECT DISTINCT peer FROM audit_log WHERE action LIKE 'fhir/r4/%'")
        .fetch_all(&h.inspect)
        .await
        .unwrap();
    assert_eq!(peers, ["127.0.0.1"], "FHIR REST entries name the caller's address");
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM documents WHERE NOT readable").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mllp_acks_after_commit_and_rejects_unreadable_messages() {
    let h = harness().await;
    let orm = fixture(ORM);
    let truncated = b"MSH|^~\\&|EHR|SYNTHCLINIC|MASSAGE|SYNTHMT|20260105101500||ORM^O01|MSG0002|T|2.3\r".to_vec();
    let adt = fixture("hl7v2/msfhirconv_ADT-A01-01.hl7");
    let acks = mllp_exchange(h.mllp, &[&orm, &truncated, &orm, &adt]).await;
    let msa = |ack: &str| ack.split('\r').find(|s| s.starts_with("MSA")).unwrap_or_default().to_owned();
    assert!(msa(&acks[0]).starts_with("MSA|AA|MSG0001"), "{}", acks[0]);
    assert!(msa(&acks[1]).starts_with("MSA|AR|MSG0002"), "{}", acks[1]);
    assert!(acks[1].contains("\rERR|"), "an AR names the problem: {}", acks[1]);
    assert!(msa(&acks[2]).starts_with("MSA|AA|MSG0001"), "a resend is accepted again: {}", acks[2]);
    assert!(msa(&acks[3]).starts_with("MSA|AR"), "{}", acks[3]);
    assert!(acks[3].contains("|200"), "unsupported message type code: {}", acks[3]);

    let (id, clinic): (uuid::Uuid, String) =
        sqlx::query_as("SELECT id, clinic_id FROM prescriptions").fetch_one(&h.inspect).await.unwrap();
    assert_eq!(clinic, MLLP_CLINIC);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM documents WHERE NOT readable").await, 2);
    assert_eq!(accepted_for(&h, &id.to_string()).await.len(), 1, "the resend made no second event");
    let audited: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT subject, outcome, peer FROM audit_log WHERE action = 'mllp/hl7v2' AND clinic_id = $1 ORDER BY id",
    )
    .bind(MLLP_CLINIC)
    .fetch_all(&h.inspect)
    .await
    .unwrap();
    assert!(audited.iter().any(|(who, outcome, _)| who == "mllp:EHR/SYNTHCLINIC" && outcome == "OK"), "{audited:?}");
    assert!(audited.iter().any(|(_, outcome, _)| outcome == "INVALID_ARGUMENT"), "refused messages too: {audited:?}");
    assert!(
        audited.iter().all(|(_, _, peer)| peer == "127.0.0.1"),
        "entries name the connection's address: {audited:?}"
    );

    // bytes outside a frame close the connection
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(h.mllp).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, stream.read(&mut buf)).await.expect("closed in time").unwrap_or(0);
    assert_eq!(n, 0, "garbage gets no answer, only a close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faxes_are_read_by_ocr_and_their_pages_kept_for_review() {
    let h = harness().await;
    let mut intake = intake_client(&h).await;
    let mut review = review_client(&h).await;
    let fax = fixture("fax/fax_pad_missing_dx.tiff");
    let rx = intake
        .submit_document(req(SubmitDocumentRequest { content: fax.clone(), ..Default::default() }, None))
        .await
        .unwrap()
        .into_inner()
        .prescription
        .unwrap();
    assert_eq!(rx.format(), DocumentFormat::Fax);
    assert_eq!(rx.status(), PrescriptionStatus::NeedsReview);
    assert!(rx.review_reasons.iter().any(|r| r == "diagnosis code missing"), "{:?}", rx.review_reasons);
    assert!(rx.fields.iter().any(|f| f.source.starts_with("fax line") && f.confidence < 1.0));
    let item =
        review.get_review_item(req(GetReviewItemRequest { prescription_id: rx.id }, None)).await.unwrap().into_inner();
    assert_eq!(item.original, fax);
    assert_eq!(item.media_type, "image/tiff");
    assert!(!item.pages.is_empty());
    assert!(item.pages[0].image_png.starts_with(b"\x89PNG"));
    assert!(!item.pages[0].text.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mllp_answers_ae_when_the_database_is_down() {
    let h = harness().await;
    let pool = h.db.service_pool(rx_platform::db::INTAKE, rx_intake::migrator()).await.unwrap();
    pool.close().await;
    let app = rx_intake::App::new(pool, config());
    let ack = rx_intake::mllp::answer(&app, MLLP_CLINIC, fixture(ORM)).await;
    assert!(ack.contains("\rMSA|AE|MSG0001"), "{ack}");
    assert!(ack.contains("\rERR|") && ack.contains("207"), "application internal error: {ack}");
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM prescriptions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_sealed_at_rest_and_still_open_after_key_rotation() {
    let h = harness().await;
    let mut intake = intake_client(&h).await;
    let orm = fixture(ORM);
    let request = SubmitDocumentRequest { content: orm.clone(), ..Default::default() };
    let rx = intake.submit_document(req(request, None)).await.unwrap().into_inner().prescription.unwrap();
    let (document_id, stored): (uuid::Uuid, Vec<u8>) = sqlx::query_as(
        "SELECT d.id, d.content FROM documents d JOIN prescriptions p ON p.document_id = d.id WHERE p.id = $1",
    )
    .bind(uuid::Uuid::parse_str(&rx.id).unwrap())
    .fetch_one(&h.inspect)
    .await
    .unwrap();
    assert_eq!(rx_seal::Keyring::key_id(&stored), Some("test-1"));
    assert!(!stored.windows(11).any(|w| w == b"TESTPATIENT"), "no patient data in the stored bytes");

    let open = |keyring: &rx_seal::Keyring| {
        let pool = h.pool.clone();
        let keyring = keyring.clone();
        async move {
            let mut conn = rx_platform::tenancy::begin(&pool, CLINIC).await.unwrap();
            let sealer = rx_intake::store::Sealer { keyring: Some(&keyring), plaintext: false };
            rx_intake::store::document(&mut conn, CLINIC, document_id, sealer).await.map(|(content, _, _)| content)
        }
    };
    assert_eq!(open(&keyring()).await.unwrap(), orm, "the original, byte for byte");
    let stranger = r#"{"current": "x", "keys": {"x": "c29tZW9uZS1lbHNlcy1rZXktMzItYnl0ZXMtbG9uZyE="}}"#;
    assert!(open(&rx_seal::Keyring::from_json(stranger).unwrap()).await.is_err(), "only its key opens it");
    // Rotation: a new current key, the old one kept until every data key is re-wrapped.
    let rotated = rx_seal::Keyring::from_json(
        r#"{"current": "test-2", "keys": {"test-1": "dGVzdC1vbmx5LWtleS1mb3ItcnhicmlkZ2UtdGVzdHM=",
                                          "test-2": "c2Vjb25kLXRlc3Qta2V5LWZvci1yeGJyaWRnZS10c3Q="}}"#,
    )
    .unwrap();
    assert_eq!(open(&rotated).await.unwrap(), orm, "readable while both keys are held");
    let pass = rx_intake::store::rewrap_documents(&h.pool, &rotated, 10).await.unwrap();
    assert_eq!((pass.examined, pass.rewrapped), (1, 1));
    let again = rx_intake::store::rewrap_documents(&h.pool, &rotated, 10).await.unwrap();
    assert_eq!(again.rewrapped, 0, "a second pass finds nothing left to move");
    let only_new = rx_seal::Keyring::from_json(
        r#"{"current": "test-2", "keys": {"test-2": "c2Vjb25kLXRlc3Qta2V5LWZvci1yeGJyaWRnZS10c3Q="}}"#,
    )
    .unwrap();
    assert_eq!(open(&only_new).await.unwrap(), orm, "readable after the old key is retired");
}
