//! Compiles every proto under `proto/rxbridge` once, with a descriptor set for server reflection.

#![allow(unsafe_code)] // set_var below: build scripts are single threaded

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../proto");
    let protos = [
        "rxbridge/common/v1/common.proto",
        "rxbridge/events/v1/events.proto",
        "rxbridge/intake/v1/intake.proto",
        "rxbridge/benefits/v1/benefits.proto",
        "rxbridge/claims/v1/claims.proto",
        "rxbridge/audit/v1/audit.proto",
    ]
    .map(|p| root.join(p));
    if std::env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()?;
        // Build scripts are single threaded, so setting the variable cannot race.
        unsafe { std::env::set_var("PROTOC", protoc) };
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("rxbridge_descriptor.bin"))
        .compile_protos(&protos, &[root])?;
    for p in &protos {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    Ok(())
}
