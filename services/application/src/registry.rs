//! The application server's own registry, filled by the identity service over `as.device`: which
//! application each device belongs to, its ids and payload formatter, and each application's
//! integrations (webhooks, MQTT).
//!
//! [`ApplicationRegistry`] is the narrow trait the service uses; [`PgApplicationRegistry`] keeps
//! the rows in the application schema. It holds no sessions or keys (those live in Redis).

pub mod cache;
mod migrations;
mod postgres;

use std::future::Future;

use lorawan_codec::Eui64;
use tern_bus::AppEvent;

use crate::Result;
use crate::formatter::Formatter;

pub use cache::CachedRegistry;
pub use postgres::PgApplicationRegistry;

/// What the application server knows of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationDevice {
    /// DevEUI.
    pub dev_eui: Eui64,
    /// The application it belongs to; a single NATS token.
    pub application_id: String,
    /// The device's id within the application.
    pub device_id: String,
    /// A display name.
    pub name: String,
    /// Its payload formatter.
    pub formatter: Formatter,
}

/// Where an integration delivers.
///
/// `Debug` hides header values and the password, which are often credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum IntegrationKind {
    /// An HTTP webhook: each event is POSTed as JSON to `url`.
    Webhook {
        /// The endpoint.
        url: String,
        /// Extra request headers (e.g. an authorization header).
        headers: Vec<(String, String)>,
    },
    /// An MQTT broker: each event is published on `v3/{application_id}/devices/{device_id}/{event}`.
    Mqtt {
        /// The broker, `mqtt://host:port`.
        url: String,
        /// User name, if the broker needs one.
        username: Option<String>,
        /// Password, if the broker needs one.
        password: Option<String>,
    },
}

impl std::fmt::Debug for IntegrationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntegrationKind::Webhook { url, headers } => f
                .debug_struct("Webhook")
                .field("url", url)
                .field(
                    "headers",
                    &headers.iter().map(|(name, _)| name).collect::<Vec<_>>(),
                )
                .finish(),
            IntegrationKind::Mqtt { url, username, .. } => f
                .debug_struct("Mqtt")
                .field("url", url)
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// One integration of an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// The application.
    pub application_id: String,
    /// The integration's id within the application.
    pub integration_id: String,
    /// Where it delivers.
    pub kind: IntegrationKind,
    /// Which events it gets; empty means all.
    pub events: Vec<AppEvent>,
}

impl Integration {
    /// Tells whether the integration wants `event`.
    pub fn wants(&self, event: AppEvent) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }
}

/// Storage of the application registry.
pub trait ApplicationRegistry: Send + Sync + 'static {
    /// Creates or replaces a device; fails with [`crate::Error::InvalidArgument`] when its
    /// application id is not a single NATS token or its ids are empty.
    fn set_device(&self, device: &ApplicationDevice) -> impl Future<Output = Result<()>> + Send;

    /// Returns a device, or `None` when unknown.
    fn device(
        &self,
        dev_eui: Eui64,
    ) -> impl Future<Output = Result<Option<ApplicationDevice>>> + Send;

    /// Deletes a device; tells whether it existed.
    fn delete_device(&self, dev_eui: Eui64) -> impl Future<Output = Result<bool>> + Send;

    /// Creates or replaces an integration.
    fn set_integration(&self, integration: &Integration)
    -> impl Future<Output = Result<()>> + Send;

    /// Returns an application's integrations.
    fn integrations(
        &self,
        application_id: &str,
    ) -> impl Future<Output = Result<Vec<Integration>>> + Send;

    /// Deletes an integration; tells whether it existed.
    fn delete_integration(
        &self,
        application_id: &str,
        integration_id: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials() {
        let webhook = IntegrationKind::Webhook {
            url: String::from("https://example.com"),
            headers: vec![(String::from("authorization"), String::from("Bearer s3cr3t"))],
        };
        let mqtt = IntegrationKind::Mqtt {
            url: String::from("mqtt://broker"),
            username: Some(String::from("user")),
            password: Some(String::from("hunter2")),
        };
        let shown = format!("{webhook:?} {mqtt:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(
            shown.contains("authorization") && shown.contains("user"),
            "{shown}"
        );
    }
}
