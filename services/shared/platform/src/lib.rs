//! What every rxbridge service needs besides its domain: configuration from the environment,
//! telemetry (logs, traces, metrics), Postgres pools with one schema per service, the gRPC
//! server with health and reflection, and orderly shutdown.

pub mod audit;
pub mod auth;
pub mod config;
pub mod db;
pub mod grpc;
pub mod jwks;
pub mod metrics_http;
pub mod shutdown;
pub mod telemetry;
pub mod tenancy;
pub mod tls;
