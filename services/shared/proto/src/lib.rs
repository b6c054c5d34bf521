//! Generated protobuf messages and gRPC stubs for the rxbridge APIs and events, compiled once
//! for every crate that speaks them.

#![allow(missing_debug_implementations, clippy::all, clippy::pedantic)]

/// The encoded file descriptor set of every rxbridge proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("rxbridge_descriptor");

pub mod common {
    pub mod v1 {
        tonic::include_proto!("rxbridge.common.v1");
    }
}

pub mod events {
    pub mod v1 {
        tonic::include_proto!("rxbridge.events.v1");
    }
}

pub mod intake {
    pub mod v1 {
        tonic::include_proto!("rxbridge.intake.v1");
    }
}

pub mod benefits {
    pub mod v1 {
        tonic::include_proto!("rxbridge.benefits.v1");
    }
}

pub mod claims {
    pub mod v1 {
        tonic::include_proto!("rxbridge.claims.v1");
    }
}

pub mod audit {
    pub mod v1 {
        tonic::include_proto!("rxbridge.audit.v1");
    }
}
