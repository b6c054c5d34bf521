//! Thin gRPC adapter for the claims API.

use rx_proto::claims::v1::claims_service_server::{ClaimsService, ClaimsServiceServer};
use rx_proto::claims::v1::*;
use sqlx::PgPool;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct Claims {
    #[allow(dead_code)] // the store arrives with the claims issue
    pool: PgPool,
}

pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    base.add_service(ClaimsServiceServer::new(Claims { pool }).max_decoding_message_size(max_message_bytes))
}

fn not_yet() -> Status {
    Status::unimplemented("this claims operation is not available yet")
}

#[tonic::async_trait]
impl ClaimsService for Claims {
    async fn record_session(&self, _: Request<RecordSessionRequest>) -> Result<Response<Session>, Status> {
        Err(not_yet())
    }

    async fn list_claims(&self, _: Request<ListClaimsRequest>) -> Result<Response<ListClaimsResponse>, Status> {
        Err(not_yet())
    }

    async fn get_claim(&self, _: Request<GetClaimRequest>) -> Result<Response<Claim>, Status> {
        Err(not_yet())
    }

    async fn correct_claim(&self, _: Request<CorrectClaimRequest>) -> Result<Response<Claim>, Status> {
        Err(not_yet())
    }

    async fn void_claim(&self, _: Request<VoidClaimRequest>) -> Result<Response<Claim>, Status> {
        Err(not_yet())
    }

    async fn post_remittance(
        &self,
        _: Request<PostRemittanceRequest>,
    ) -> Result<Response<PostRemittanceResponse>, Status> {
        Err(not_yet())
    }

    async fn get_patient_balance(
        &self,
        _: Request<GetPatientBalanceRequest>,
    ) -> Result<Response<PatientBalance>, Status> {
        Err(not_yet())
    }
}
