//! Claims' consumer applying a batch of events in one transaction, against the real Postgres:
//! each kind is written in one statement, and the result is what applying them one after
//! another gives (the last scope of a prescription wins, an older answer never replaces a newer
//! one); an unreadable event fails the whole batch, which then goes message by message.

use prost::Message;
use rx_claims::events::{ClaimsEventHandler, ELIGIBILITY_CHECKED, PRESCRIPTION_ACCEPTED};
use rx_messaging::{Event, Handler, HandlerError};
use rx_proto::common::v1 as common;
use rx_proto::events::v1::{CoverageDecision, EligibilityChecked, PrescriptionAccepted};
use rxbridge_tests::db::TestDb;
use sqlx::PgPool;
use uuid::Uuid;

const CLINIC: &str = "clinic-batch";

fn event(routing_key: &str, payload: Vec<u8>) -> Event {
    Event {
        id: Uuid::now_v7().to_string(),
        routing_key: routing_key.into(),
        clinic_id: CLINIC.into(),
        payload,
        headers: Default::default(),
        redelivered: false,
    }
}

fn accepted(prescription: Uuid, sessions: u32, diagnoses: &[&str]) -> Event {
    let date = |month| Some(common::Date { year: 2026, month, day: 1 });
    let p = PrescriptionAccepted {
        prescription_id: prescription.to_string(),
        patient_id: Uuid::now_v7().to_string(),
        patient_name: Some(common::PersonName { family: "TESTPATIENT".into(), given: "AVERY".into() }),
        diagnoses: diagnoses.iter().map(|d| (*d).to_owned()).collect(),
        procedures: vec!["97124".into()],
        sessions,
        body_sites: vec![common::BodySite { region: "lumbar spine".into(), laterality: String::new() }],
        valid_from: date(11),
        valid_until: date(12),
        ..Default::default()
    };
    event(PRESCRIPTION_ACCEPTED, p.encode_to_vec())
}

fn checked(prescription: Uuid, decision: CoverageDecision, at: &str) -> Event {
    let c = EligibilityChecked {
        prescription_id: prescription.to_string(),
        patient_id: Uuid::now_v7().to_string(),
        decision: decision.into(),
        checked_at: at.into(),
        payer_id: "SIMPAYER".into(),
        ..Default::default()
    };
    event(ELIGIBILITY_CHECKED, c.encode_to_vec())
}

async fn apply(pool: &PgPool, events: &[Event]) -> Result<(), HandlerError> {
    let spans: Vec<_> = events.iter().map(|e| (e, tracing::Span::none())).collect();
    let mut tx = rx_platform::tenancy::begin(pool, CLINIC).await.expect("begin");
    ClaimsEventHandler.handle_all(&mut tx, &spans).await?;
    tx.commit().await.expect("commit");
    Ok(())
}

#[tokio::test]
async fn a_batch_stores_what_applying_its_events_in_turn_would() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let pool = db.service_pool(rx_platform::db::CLAIMS, rx_claims::migrator()).await?;
    let inspect = db.inspector(rx_platform::db::CLAIMS).await?;
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    apply(
        &pool,
        &[
            accepted(first, 6, &["M54.50"]),
            checked(first, CoverageDecision::Covered, "2026-12-07T10:00:00Z"),
            accepted(second, 4, &["M62.830", "M54.2"]),
            // the scope sent again after review: this one stands
            accepted(first, 8, &["M54.50", "M54.2"]),
            // an older answer arriving later in the batch is not kept
            checked(first, CoverageDecision::NeedsAttention, "2026-12-07T09:00:00Z"),
            checked(second, CoverageDecision::NotCovered, "2026-12-07T10:00:00Z"),
        ],
    )
    .await?;
    let scope: Vec<(Uuid, i32, Vec<String>, serde_json::Value)> =
        sqlx::query_as("SELECT id, sessions, diagnoses, body_sites FROM prescriptions ORDER BY id")
            .fetch_all(&inspect)
            .await?;
    let sites = serde_json::json!([{"region": "lumbar spine", "laterality": ""}]);
    assert_eq!(
        scope,
        vec![
            (first, 8, vec!["M54.50".to_owned(), "M54.2".to_owned()], sites.clone()),
            (second, 4, vec!["M62.830".to_owned(), "M54.2".to_owned()], sites),
        ]
    );
    let decisions: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT prescription_id, decision FROM coverage_checks ORDER BY prescription_id")
            .fetch_all(&inspect)
            .await?;
    assert_eq!(decisions, vec![(first, "covered".to_owned()), (second, "not_covered".to_owned())]);

    // a later batch with an older answer changes nothing either; an unreadable event fails all
    apply(&pool, &[checked(second, CoverageDecision::Covered, "2026-12-07T08:00:00Z")]).await?;
    let third = Uuid::now_v7();
    let failed = apply(&pool, &[accepted(third, 2, &["M54.50"]), event(ELIGIBILITY_CHECKED, b"\xff".to_vec())]).await;
    assert!(matches!(failed, Err(HandlerError::Poison(_))), "{failed:?}");
    let decision: String = sqlx::query_scalar("SELECT decision FROM coverage_checks WHERE prescription_id = $1")
        .bind(second)
        .fetch_one(&inspect)
        .await?;
    assert_eq!(decision, "not_covered");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM prescriptions WHERE id = $1").bind(third).fetch_one(&inspect).await?;
    assert_eq!(stored, 0, "nothing of a failed batch is written");
    Ok(())
}
