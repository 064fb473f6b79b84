//! Compiles the internal bus messages under `proto/tern/internal/v1` with prost.
//!
//! Uses the `protoc` shipped by `protoc-bin-vendored`, so no system protoc is needed.

use std::path::PathBuf;

use anyhow::Context;

/// The `.proto` files of package `tern.internal.v1`, relative to the proto root.
const INTERNAL_V1: &[&str] = &[
    "tern/internal/v1/common.proto",
    "tern/internal/v1/uplink.proto",
    "tern/internal/v1/downlink.proto",
    "tern/internal/v1/gateway.proto",
    "tern/internal/v1/join.proto",
    "tern/internal/v1/network.proto",
    "tern/internal/v1/queue.proto",
    "tern/internal/v1/registry.proto",
    "tern/internal/v1/keys.proto",
    "tern/internal/v1/provision.proto",
];

fn main() -> anyhow::Result<()> {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").context("read CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let protos: Vec<PathBuf> = INTERNAL_V1.iter().map(|p| proto_root.join(p)).collect();
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }

    let protoc = protoc_bin_vendored::protoc_bin_path().context("locate vendored protoc")?;
    prost_build::Config::new()
        .protoc_executable(protoc)
        // Payloads arrive from NATS as `Bytes`; decoding into `Bytes` avoids a copy.
        .bytes(["."])
        .compile_protos(&protos, &[proto_root])
        .context("compile proto/tern/internal/v1")?;
    Ok(())
}
