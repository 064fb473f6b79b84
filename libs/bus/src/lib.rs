//! Tern NATS subjects and typed publish/subscribe/request of protobuf messages.
//!
//! - [`Subjects`] is the subject map of the architecture (`up`, `gw.{eui}.down`, ...):
//!   the only place subject strings are built or parsed.
//! - [`Bus`] connects to NATS and publishes, subscribes and requests prost messages.
//!   It injects the W3C `traceparent` of the current span into NATS headers and hands
//!   the extracted context to receivers ([`Delivery::continue_trace`]), so handlers
//!   never touch headers.
//! - [`BusMetrics`] holds the `tern_bus_*` Prometheus metrics, labelled by
//!   [`SubjectKind`] only.
//!
//! This crate does not read configuration or the environment ([`BusOptions`] is handed
//! in), installs no global propagator or subscriber, and manages no JetStream streams: it
//! hands the services that own streams a JetStream context ([`Bus::jetstream`]) and publishes
//! into them with trace context ([`Bus::publish_stored`]).

mod bus;
mod error;
mod metrics;
mod options;
mod subjects;
mod subscription;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod trace;

pub use bus::Bus;
pub use error::{Error, InvalidTokenReason, Result};
pub use metrics::BusMetrics;
pub use options::BusOptions;
pub use subjects::{
    AppEvent, ParsedSubject, RegistryAction, Subject, SubjectKind, Subjects, queue_group,
    validate_token,
};
pub use subscription::{Delivery, Subscription};
