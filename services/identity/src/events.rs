//! Registry change events on `registry.{kind}.{id}.{created,updated,deleted}`.
//!
//! An event follows a committed change. Publishing is best effort: the change stands when
//! NATS is briefly unreachable, and the failure is logged, because consumers use the events
//! only to drop cached copies.

use std::time::{SystemTime, UNIX_EPOCH};

use tern_bus::{Bus, RegistryAction};
use tern_proto::internal::v1::RegistryEvent;
use tracing::warn;

/// Entity kinds as they appear in registry subjects.
pub mod kind {
    /// Tenants.
    pub const TENANT: &str = "tenant";
    /// Applications.
    pub const APPLICATION: &str = "application";
    /// Device profiles.
    pub const DEVICE_PROFILE: &str = "device_profile";
    /// Devices (id: DevEUI).
    pub const DEVICE: &str = "device";
    /// Gateways (id: gateway EUI).
    pub const GATEWAY: &str = "gateway";
    /// Users (id: username).
    pub const USER: &str = "user";
    /// API keys.
    pub const API_KEY: &str = "api_key";
}

/// Publishes registry events on one bus.
#[derive(Debug, Clone)]
pub struct Events {
    bus: Bus,
}

impl Events {
    /// Creates a publisher on `bus`.
    pub fn new(bus: Bus) -> Events {
        Events { bus }
    }

    /// Returns the bus the events go out on.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Publishes one change.
    pub async fn publish(
        &self,
        kind: &'static str,
        id: &str,
        action: RegistryAction,
        tenant_id: &str,
        application_id: &str,
    ) {
        let subject = match self.bus.subjects().registry(kind, id, action) {
            Ok(subject) => subject,
            Err(error) => {
                warn!(kind, error = %error, "registry event subject");
                return;
            }
        };
        let event = RegistryEvent {
            kind: kind.to_owned(),
            id: id.to_owned(),
            action: action.as_str().to_owned(),
            tenant_id: tenant_id.to_owned(),
            application_id: application_id.to_owned(),
            time_unix_nanos: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        };
        if let Err(error) = self.bus.publish(&subject, &event).await {
            warn!(kind, error = %error, "publish registry event");
        }
    }
}
