//! Compiles the public gRPC API under `proto/tern/api/v1` with prost and tonic.
//!
//! Uses the `protoc` shipped by `protoc-bin-vendored`, so no system protoc is needed.

use std::path::PathBuf;

use anyhow::Context;

/// The `.proto` files of package `tern.api.v1`, relative to the proto root.
const API_V1: &[&str] = &[
    "tern/api/v1/downlink.proto",
    "tern/api/v1/registry.proto",
    "tern/api/v1/auth.proto",
    "tern/api/v1/events.proto",
];

fn main() -> anyhow::Result<()> {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").context("read CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let protos: Vec<PathBuf> = API_V1.iter().map(|p| proto_root.join(p)).collect();
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }
    let protoc = protoc_bin_vendored::protoc_bin_path().context("locate vendored protoc")?;
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").context("read OUT_DIR")?);
    tonic_prost_build::configure()
        // Server reflection serves the API's descriptors from this file.
        .file_descriptor_set_path(out_dir.join("tern_api_v1_descriptor.bin"))
        .compile_with_config(config, &protos, &[proto_root])
        .context("compile proto/tern/api/v1")?;
    Ok(())
}
