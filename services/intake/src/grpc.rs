//! Thin gRPC adapters for the intake and review APIs.

use rx_proto::intake::v1::intake_service_server::{IntakeService, IntakeServiceServer};
use rx_proto::intake::v1::review_service_server::{ReviewService, ReviewServiceServer};
use rx_proto::intake::v1::*;
use sqlx::PgPool;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct Intake {
    #[allow(dead_code)] // the store arrives with the intake issue
    pool: PgPool,
}

pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    let intake = Intake { pool };
    base.add_service(IntakeServiceServer::new(intake.clone()).max_decoding_message_size(max_message_bytes))
        .add_service(ReviewServiceServer::new(intake).max_decoding_message_size(max_message_bytes))
}

fn not_yet() -> Status {
    Status::unimplemented("this intake operation is not available yet")
}

#[tonic::async_trait]
impl IntakeService for Intake {
    async fn submit_document(
        &self,
        _: Request<SubmitDocumentRequest>,
    ) -> Result<Response<SubmitDocumentResponse>, Status> {
        Err(not_yet())
    }

    async fn get_prescription(&self, _: Request<GetPrescriptionRequest>) -> Result<Response<Prescription>, Status> {
        Err(not_yet())
    }

    async fn list_patient_prescriptions(
        &self,
        _: Request<ListPatientPrescriptionsRequest>,
    ) -> Result<Response<ListPrescriptionsResponse>, Status> {
        Err(not_yet())
    }
}

#[tonic::async_trait]
impl ReviewService for Intake {
    async fn list_pending(
        &self,
        _: Request<ListPendingRequest>,
    ) -> Result<Response<ListPrescriptionsResponse>, Status> {
        Err(not_yet())
    }

    async fn get_review_item(&self, _: Request<GetReviewItemRequest>) -> Result<Response<ReviewItem>, Status> {
        Err(not_yet())
    }

    async fn correct_fields(&self, _: Request<CorrectFieldsRequest>) -> Result<Response<Prescription>, Status> {
        Err(not_yet())
    }

    async fn approve(&self, _: Request<ApproveRequest>) -> Result<Response<Prescription>, Status> {
        Err(not_yet())
    }

    async fn reject(&self, _: Request<RejectRequest>) -> Result<Response<Prescription>, Status> {
        Err(not_yet())
    }
}
