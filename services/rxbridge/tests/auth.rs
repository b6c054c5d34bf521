//! The services as deployed: every gRPC call and FHIR REST request needs a bearer token from
//! the configured issuer (tests/fixtures/auth holds synthetic test keys and their JWKS). A
//! missing, expired, foreign or mis-addressed token is UNAUTHENTICATED; a role that may not
//! make the call is PERMISSION_DENIED; another clinic's record is NOT_FOUND, and a client
//! cannot claim another clinic with a header.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rx_proto::audit::v1::QueryAuditRequest;
use rx_proto::audit::v1::audit_service_client::AuditServiceClient;
use rx_proto::benefits::v1::CheckEligibilityRequest;
use rx_proto::benefits::v1::benefits_service_client::BenefitsServiceClient;
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::{
    DocumentFormat, GetPrescriptionRequest, ListPatientPrescriptionsRequest, PrescriptionStatus, SubmitDocumentRequest,
};
use rxbridge_tests::db::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic::transport::Channel;

const ISSUER: &str = "https://auth.rxbridge.test/";
const AUDIENCE: &str = "rxbridge";

fn fixture(name: &str) -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/auth/").to_owned() + name
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A token signed with a test key; `edit` changes the claims before signing.
fn token(key: &str, clinic: &str, roles: &[&str], edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let (alg, kid, pem) = match key {
        "es256" => (Algorithm::ES256, "test-es256", "es256-test-key.pem"),
        "unlisted" => (Algorithm::RS256, "test-rs256", "unlisted-rs256-test-key.pem"),
        _ => (Algorithm::RS256, "test-rs256", "rs256-test-key.pem"),
    };
    let pem = std::fs::read(fixture(pem)).unwrap();
    let encoding = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut claims = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": format!("user-at-{clinic}"), "clinic_id": clinic,
        "roles": roles, "iat": now(), "exp": now() + 300,
    });
    edit(&mut claims);
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &claims, &encoding).unwrap()
}

fn with_token<T>(msg: T, token: Option<&str>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    if let Some(t) = token {
        r.metadata_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    r
}

/// One HTTP/1.1 POST to the FHIR endpoint; returns the status code and body.
async fn post_fhir(addr: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "POST /fhir/r4/Bundle HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/fhir+json\r\n{auth}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let code = response.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_need_a_valid_token_a_role_for_the_call_and_see_only_their_clinic() {
    let db = TestDb::create().await.expect("database");
    let mut env: Vec<(String, String)> =
        support::env_for(&db).into_iter().filter(|(k, _)| k != "AUTH_INSECURE_DEV_HEADERS").collect();
    let status =
        support::rxbridge().args(["migrate", "--target", "all"]).envs(env.clone()).status().await.expect("migrate");
    assert!(status.success());
    env.extend([
        ("AUTH_JWKS_FILE".to_owned(), fixture("jwks.json")),
        ("AUTH_ISSUER".to_owned(), ISSUER.to_owned()),
        ("AUTH_AUDIENCE".to_owned(), AUDIENCE.to_owned()),
        ("AUTH_LEEWAY_SECONDS".to_owned(), "5".to_owned()),
        ("INTAKE_FHIR_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("INTAKE_MLLP_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("INTAKE_NPI_CHECK".to_owned(), "shape".to_owned()),
    ]);
    let (_serve, lines) = support::spawn_until_listening(&["serve", "--target", "all"], &env, 6).await;
    let addr = |what: &str| {
        lines.iter().find_map(|l| l.split_once(&format!("{what} listening on ")).map(|(_, a)| a.to_owned())).unwrap()
    };
    let channel = |a: String| Channel::from_shared(format!("http://{a}")).unwrap().connect_lazy();
    let mut intake = IntakeServiceClient::new(channel(addr("intake grpc")));
    let mut benefits = BenefitsServiceClient::new(channel(addr("benefits grpc")));

    let orm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7"
    ))
    .unwrap();
    let submit = |content: Vec<u8>| SubmitDocumentRequest {
        content,
        format: DocumentFormat::Hl7v2.into(),
        idempotency_key: String::new(),
        source_label: "auth test".into(),
    };

    // Clinic A's integrator submits; clinic A's front desk reads it back.
    let integrator_a = token("rs256", "clinic-a", &["integrator"], |_| {});
    let rx = intake.submit_document(with_token(submit(orm.clone()), Some(&integrator_a))).await.unwrap().into_inner();
    let rx = rx.prescription.unwrap();
    assert_ne!(rx.status(), PrescriptionStatus::Unspecified);
    let desk_a = token("es256", "clinic-a", &["front_desk"], |_| {});
    let get = |id: &str| GetPrescriptionRequest { prescription_id: id.to_owned() };
    assert!(intake.get_prescription(with_token(get(&rx.id), Some(&desk_a))).await.is_ok(), "an ES256 token");

    // Broken credentials: UNAUTHENTICATED, saying what is wrong with them.
    let cases = [
        ("no token", None),
        ("expired", Some(token("rs256", "clinic-a", &["front_desk"], |c| c["exp"] = (now() - 600).into()))),
        ("another audience", Some(token("rs256", "clinic-a", &["front_desk"], |c| c["aud"] = "payments".into()))),
        ("another issuer", Some(token("rs256", "clinic-a", &["front_desk"], |c| c["iss"] = "https://evil/".into()))),
        ("an unlisted key", Some(token("unlisted", "clinic-a", &["front_desk"], |_| {}))),
        ("not yet valid", Some(token("rs256", "clinic-a", &["front_desk"], |c| c["nbf"] = (now() + 600).into()))),
        ("no clinic", Some(token("rs256", "", &["front_desk"], |_| {}))),
        ("garbage", Some("abc.def.ghi".to_owned())),
    ];
    for (what, t) in &cases {
        let e = intake.get_prescription(with_token(get(&rx.id), t.as_deref())).await.unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{what}: {e:?}");
        assert!(!e.message().contains("clinic-a") && !e.message().contains("TESTPATIENT"), "{what}: {}", e.message());
    }

    // A valid caller whose roles do not cover the call: PERMISSION_DENIED.
    let check = CheckEligibilityRequest { patient_id: rx.patient_id.clone(), ..Default::default() };
    let e = benefits.check_eligibility(with_token(check, Some(&integrator_a))).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "integrators do not read benefits");
    let ops_a = token("rs256", "clinic-a", &["ops"], |_| {});
    let e = intake.get_prescription(with_token(get(&rx.id), Some(&ops_a))).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "ops reads no patient data");

    // Clinic B sees nothing of clinic A, by id or by listing, even naming clinic A in a header.
    let desk_b = token("rs256", "clinic-b", &["front_desk"], |_| {});
    let mut forged = with_token(get(&rx.id), Some(&desk_b));
    forged.metadata_mut().insert("x-clinic-id", "clinic-a".parse().unwrap());
    let e = intake.get_prescription(forged).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "another clinic's record does not exist for B");
    let list = ListPatientPrescriptionsRequest { patient_id: rx.patient_id.clone(), page: None };
    let listed = intake.list_patient_prescriptions(with_token(list, Some(&desk_b))).await;
    assert_eq!(listed.map(|r| r.into_inner().prescriptions.len()).unwrap_or_default(), 0);

    // FHIR REST: the same tokens.
    let bundle = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../intake/domain/tests/data/fhir_bundle_massage_prescription.json"
    ))
    .unwrap();
    let fhir = addr("intake fhir");
    let (code, body) = post_fhir(&fhir, None, &bundle).await;
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("OperationOutcome"));
    let (code, body) = post_fhir(&fhir, Some(&ops_a), &bundle).await;
    assert_eq!(code, 403, "{body}");
    let (code, body) = post_fhir(&fhir, Some(&integrator_a), &bundle).await;
    assert_eq!(code, 201, "{body}");

    // The audit trail: one entry per call, with ids but no patient data, per clinic.
    let mut audit = AuditServiceClient::new(channel(addr("intake grpc")));
    let query = |patient: &str, subject: &str| QueryAuditRequest {
        patient_id: patient.into(),
        subject: subject.into(),
        ..Default::default()
    };
    let e = audit.query_audit(with_token(query("", ""), Some(&desk_a))).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "the front desk does not read the audit trail");
    let compliance_a = token("rs256", "clinic-a", &["compliance"], |_| {});
    let about = audit.query_audit(with_token(query(&rx.patient_id, ""), Some(&compliance_a))).await.unwrap();
    let about = about.into_inner().entries;
    let reads: Vec<_> = about
        .iter()
        .filter(|e| e.action.ends_with("IntakeService/GetPrescription") && e.subject == "user-at-clinic-a")
        .collect();
    assert_eq!(reads.len(), 1, "one entry for the one read: {about:?}");
    assert_eq!((reads[0].resource_type.as_str(), reads[0].resource_id.as_str()), ("prescription", rx.id.as_str()));
    assert_eq!(reads[0].outcome, "OK");
    assert_eq!(reads[0].roles, ["front_desk"]);
    assert!(!reads[0].peer.is_empty());
    let submits: Vec<_> = about.iter().filter(|e| e.action.ends_with("SubmitDocument")).collect();
    assert_eq!(submits.len(), 1, "the submission is on record once (written with the prescription): {about:?}");
    let submit_entry = submits[0];
    assert_eq!((submit_entry.resource_id.as_str(), submit_entry.outcome.as_str()), (rx.id.as_str(), "OK"));
    assert_eq!((submit_entry.roles.as_slice(), submit_entry.peer.is_empty()), (&["integrator".to_owned()][..], false));
    let all_a = audit.query_audit(with_token(query("", ""), Some(&compliance_a))).await.unwrap().into_inner().entries;
    assert!(all_a.iter().any(|e| e.outcome == "PERMISSION_DENIED" && e.roles == ["ops"]), "refusals are kept");
    assert!(all_a.iter().all(|e| e.clinic_id == "clinic-a"), "a clinic sees its own trail only");
    let text = format!("{all_a:?}");
    assert!(!text.contains("TESTPATIENT") && !text.contains("19800101"), "no patient data in the trail");
    // Clinic B's forged read is in B's trail, not A's.
    let compliance_b = token("rs256", "clinic-b", &["compliance"], |_| {});
    let all_b = audit.query_audit(with_token(query("", ""), Some(&compliance_b))).await.unwrap().into_inner().entries;
    assert!(all_b.iter().any(|e| e.action.ends_with("GetPrescription") && e.outcome == "NOT_FOUND"));

    // The service's own database role can add entries but never change or remove them.
    let intake = rx_platform::db::INTAKE;
    let intake_role = rx_platform::db::connect(&db.url_for(intake), intake, 1).await.unwrap();
    for sql in ["UPDATE audit_log SET outcome = 'OK'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let refused = sqlx::query(sql).execute(&intake_role).await.unwrap_err();
        let code = refused.as_database_error().and_then(|e| e.code()).unwrap_or_default().into_owned();
        assert_eq!(code, "42501", "{sql} is refused for want of privilege: {refused}");
    }
    let inspect = db.inspector(intake).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&inspect).await.unwrap();
    assert!(kept >= i64::try_from(all_a.len() + all_b.len()).unwrap());
}
