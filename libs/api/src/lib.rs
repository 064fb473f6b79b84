//! Tern public gRPC API generated from `proto/tern/api/`.
//!
//! [`v1`] holds package `tern.api.v1`: the downlink queue service of the application server
//! (`DownlinkService`), the registry services of the identity service (`TenantService`,
//! `ApplicationService`, `DeviceProfileService`, `DeviceService`, `GatewayService`,
//! `UserService`, `ApiKeyService`), their clients and their server traits.
//! [`FILE_DESCRIPTOR_SET`] holds the encoded descriptors for gRPC server reflection.
//! It is a separate crate from `tern-proto` because it is an API boundary for applications,
//! with its own compatibility rules, while `tern-proto` holds the internal bus messages.
//!
//! This crate holds no service logic and no I/O of its own.

/// Package `tern.api.v1`.
pub mod v1 {
    // Generated code carries the .proto comments as docs, but not on every item.
    #![allow(missing_docs)]
    #![allow(clippy::all, clippy::pedantic)]
    include!(concat!(env!("OUT_DIR"), "/tern.api.v1.rs"));
}

/// The encoded `FileDescriptorSet` of package `tern.api.v1`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tern_api_v1_descriptor.bin"));
