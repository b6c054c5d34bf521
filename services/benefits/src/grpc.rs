//! Thin gRPC adapter for the benefits API.

use rx_proto::benefits::v1::benefits_service_server::{BenefitsService, BenefitsServiceServer};
use rx_proto::benefits::v1::*;
use sqlx::PgPool;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct Benefits {
    #[allow(dead_code)] // the store arrives with the benefits issue
    pool: PgPool,
}

pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    base.add_service(BenefitsServiceServer::new(Benefits { pool }).max_decoding_message_size(max_message_bytes))
}

fn not_yet() -> Status {
    Status::unimplemented("this benefits operation is not available yet")
}

#[tonic::async_trait]
impl BenefitsService for Benefits {
    async fn upsert_coverage(&self, _: Request<UpsertCoverageRequest>) -> Result<Response<Coverage>, Status> {
        Err(not_yet())
    }

    async fn check_eligibility(
        &self,
        _: Request<CheckEligibilityRequest>,
    ) -> Result<Response<EligibilitySummary>, Status> {
        Err(not_yet())
    }

    async fn get_coverage_summary(
        &self,
        _: Request<GetCoverageSummaryRequest>,
    ) -> Result<Response<EligibilitySummary>, Status> {
        Err(not_yet())
    }

    async fn estimate_cost(&self, _: Request<EstimateCostRequest>) -> Result<Response<CostEstimate>, Status> {
        Err(not_yet())
    }
}
