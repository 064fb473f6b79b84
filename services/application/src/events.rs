//! Application events: the JSON documents published on `app.{application_id}.{dev_eui}.{event}`
//! and kept in the JetStream event stream, and the publisher that stores each one and hands it
//! to the application's integrations.
//!
//! The schema is documented in `docs/events.md`; the types here derive both `Serialize` and
//! `Deserialize`, so consumers in Rust (and tests) read the same shapes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::stream;
use bytes::Bytes;
use lorawan_codec::{DevAddr, Eui64};
use serde::{Deserialize, Serialize};
use tern_bus::{AppEvent, Bus};
use tern_proto::internal::v1 as pb;

use crate::integrations::Dispatcher;
use crate::metrics::ApplicationMetrics;
use crate::registry::ApplicationDevice;
use crate::{Error, Result};

/// The identifiers every event carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIds {
    /// The application.
    pub application_id: String,
    /// The device's id within the application.
    pub device_id: String,
    /// DevEUI, 16 lowercase hex digits.
    pub dev_eui: String,
    /// JoinEUI, 16 lowercase hex digits (zeros when unknown).
    pub join_eui: String,
    /// DevAddr of the session, 8 lowercase hex digits (empty when unknown).
    pub dev_addr: String,
}

impl DeviceIds {
    /// Builds the identifiers of `device` in a session with `join_eui` and `dev_addr`.
    pub fn new(device: &ApplicationDevice, join_eui: u64, dev_addr: Option<u32>) -> DeviceIds {
        DeviceIds {
            application_id: device.application_id.clone(),
            device_id: device.device_id.clone(),
            dev_eui: device.dev_eui.to_string(),
            join_eui: Eui64::from_u64(join_eui).to_string(),
            dev_addr: dev_addr
                .map(|dev_addr| DevAddr::from_u32(dev_addr).to_string())
                .unwrap_or_default(),
        }
    }
}

/// One event: its name, time and device, and the body named after the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When the application server published it, RFC 3339.
    pub time: String,
    /// The device.
    pub device: DeviceIds,
    /// The body, under the event's name (`"up": {...}`).
    #[serde(flatten)]
    pub body: EventBody,
}

/// The body of an event, serialised under its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventBody {
    /// A decrypted uplink.
    Up(Box<UpEvent>),
    /// A new session.
    Join(JoinEvent),
    /// A confirmed downlink was acknowledged.
    Ack(DownlinkEventBody),
    /// A confirmed downlink was not acknowledged.
    Nack(DownlinkEventBody),
    /// A gateway transmitted a downlink.
    Txack(DownlinkEventBody),
    /// A device status report.
    Status(StatusEvent),
    /// Something went wrong with the device's traffic.
    Error(ErrorEvent),
}

impl EventBody {
    /// Returns the subject token of the event.
    pub fn app_event(&self) -> AppEvent {
        match self {
            EventBody::Up(_) => AppEvent::Up,
            EventBody::Join(_) => AppEvent::Join,
            EventBody::Ack(_) => AppEvent::Ack,
            EventBody::Nack(_) => AppEvent::Nack,
            EventBody::Txack(_) => AppEvent::TxAck,
            EventBody::Status(_) => AppEvent::Status,
            EventBody::Error(_) => AppEvent::Error,
        }
    }
}

/// A decrypted uplink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpEvent {
    /// FPort, 1 to 223.
    pub f_port: u32,
    /// Full 32-bit FCntUp.
    pub f_cnt: u32,
    /// The decrypted FRMPayload, base64.
    pub frm_payload: String,
    /// The formatter's object; absent without a formatter or when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<serde_json::Value>,
    /// The formatter's warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decode_warnings: Vec<String>,
    /// Whether it was a confirmed uplink.
    pub confirmed: bool,
    /// The ADR bit.
    pub adr: bool,
    /// Data rate index in the device's band.
    pub data_rate_index: u32,
    /// Band name.
    pub band: String,
    /// Frequency, Hz.
    pub frequency_hz: u32,
    /// Modulation.
    pub modulation: Option<Modulation>,
    /// Every gateway's reception, best SNR first.
    pub rx_metadata: Vec<RxMetadata>,
    /// When the network received the first copy, RFC 3339.
    pub received_at: String,
}

/// The modulation of an uplink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modulation {
    /// LoRa.
    Lora {
        /// Spreading factor, 5 to 12.
        spreading_factor: u32,
        /// Bandwidth, Hz.
        bandwidth_hz: u32,
        /// Code rate, e.g. `4/5`.
        code_rate: String,
    },
    /// FSK.
    Fsk {
        /// Bit rate, bit/s.
        bitrate: u32,
    },
    /// LR-FHSS.
    LrFhss {
        /// Operating channel width, Hz.
        ocw_bandwidth_hz: u32,
        /// Code rate.
        code_rate: String,
    },
}

/// One gateway's reception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RxMetadata {
    /// Gateway EUI, 16 lowercase hex digits.
    pub gateway_eui: String,
    /// RSSI, dBm.
    pub rssi_dbm: i32,
    /// SNR, dB.
    pub snr_db: f32,
    /// Channel of the concentrator.
    pub channel: u32,
    /// Concentrator counter at reception (`tmst`), µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmst: Option<u32>,
    /// When the gateway says it received it, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_time: Option<String>,
    /// GPS time of reception, ns since the GPS epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_time_ns: Option<i64>,
    /// When the edge received it, RFC 3339.
    pub received_at: String,
    /// Gateway location, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude, degrees.
    pub latitude: f64,
    /// Longitude, degrees.
    pub longitude: f64,
    /// Altitude, m.
    pub altitude: f64,
}

/// A new session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinEvent {
    /// LoRaWAN version, e.g. `1.0.4`.
    pub mac_version: String,
    /// JoinNonce of the join-accept.
    pub join_nonce: u32,
    /// DevNonce of the join-request.
    pub dev_nonce: u32,
    /// When the session was created, RFC 3339.
    pub created_at: String,
}

/// What happened to a downlink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownlinkEventBody {
    /// The queue item's id.
    pub id: String,
    /// Its frame counter.
    pub f_cnt_down: u32,
    /// FPort.
    pub f_port: u32,
    /// Whether it was confirmed.
    pub confirmed: bool,
    /// The gateway that transmitted it (txack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_eui: Option<String>,
    /// When the network saw the outcome, RFC 3339.
    pub at: String,
}

/// A device status report (DevStatusAns, LoRaWAN 1.0.4 §5.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// Battery level 1 (empty) to 254 (full); absent when the device cannot measure it or is
    /// externally powered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<u8>,
    /// Whether the device is externally powered.
    pub external_power: bool,
    /// Demodulation margin of the last DevStatusReq, dB.
    pub margin_db: i32,
}

/// Something went wrong with the device's traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// A stable name: `formatter`, `webhook`, `mqtt`, `integration_queue_full`,
    /// `downlink_failed`, `downlink_expired`.
    pub kind: String,
    /// A message for people.
    pub message: String,
    /// FCnt of the uplink concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_cnt: Option<u32>,
    /// Id of the downlink or the integration concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
}

/// Formats Unix nanoseconds as RFC 3339 (UTC, nanoseconds).
pub fn rfc3339(unix_ns: i64) -> String {
    let time = u64::try_from(unix_ns)
        .map(|ns| UNIX_EPOCH + Duration::from_nanos(ns))
        .unwrap_or(UNIX_EPOCH);
    humantime::format_rfc3339_nanos(time).to_string()
}

/// Returns now as Unix nanoseconds.
pub fn now_unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
        })
}

/// Converts a `pb::MacVersion` to its dotted name.
pub fn mac_version_name(mac_version: i32) -> String {
    let name = pb::MacVersion::try_from(mac_version)
        .map(|version| version.as_str_name())
        .unwrap_or("MAC_VERSION_UNSPECIFIED");
    name.trim_start_matches("MAC_VERSION_").replace('_', ".")
}

/// Stores events in the event stream and hands them to integrations.
#[derive(Debug, Clone)]
pub struct EventPublisher {
    bus: Bus,
    dispatcher: Dispatcher,
    metrics: ApplicationMetrics,
}

/// Retention of the event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// Stream name.
    pub name: String,
    /// Longest age of an event.
    pub max_age: Duration,
    /// Most bytes kept.
    pub max_bytes: u64,
}

/// Creates the event stream capturing `app.*.*.*` when missing, or updates its retention.
pub async fn ensure_stream(bus: &Bus, settings: &StreamSettings) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let jetstream = bus.jetstream();
    let config = stream::Config {
        name: settings.name.clone(),
        subjects: vec![bus.subjects().app_event_all().as_str().to_owned()],
        max_age: settings.max_age,
        max_bytes: i64::try_from(settings.max_bytes).unwrap_or(i64::MAX),
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::Old,
        ..stream::Config::default()
    };
    let existing = jetstream.get_stream(&settings.name).await.ok();
    if let Some(mut existing) = existing {
        let info = existing.info().await.context("read event stream")?;
        // Another deployment (another subject root) may own a stream of this name; taking it
        // over would silently stop its event history.
        anyhow::ensure!(
            info.config.subjects == config.subjects,
            "jetstream stream {} captures {:?}, not {:?}; set application.events_stream",
            settings.name,
            info.config.subjects,
            config.subjects
        );
        jetstream
            .update_stream(config)
            .await
            .context("update event stream")?;
    } else {
        jetstream
            .get_or_create_stream(config)
            .await
            .context("create event stream")?;
    }
    Ok(())
}

impl EventPublisher {
    /// Creates the publisher.
    pub fn new(bus: Bus, dispatcher: Dispatcher, metrics: ApplicationMetrics) -> EventPublisher {
        EventPublisher {
            bus,
            dispatcher,
            metrics,
        }
    }

    /// Stores `body` as an event of `device` and hands it to the application's integrations.
    pub async fn publish(
        &self,
        device: &ApplicationDevice,
        ids: DeviceIds,
        body: EventBody,
    ) -> Result<()> {
        let app_event = body.app_event();
        let event = Event {
            time: rfc3339(now_unix_ns()),
            device: ids,
            body,
        };
        let payload = Bytes::from(serde_json::to_vec(&event).map_err(Error::EncodeEvent)?);
        let subject = self.bus.subjects().app_event(
            &device.application_id,
            device.dev_eui.to_u64(),
            app_event,
        )?;
        self.bus.publish_stored(&subject, payload.clone()).await?;
        self.metrics.event(app_event.as_str());
        self.dispatcher
            .deliver(device, app_event, payload, self)
            .await;
        Ok(())
    }

    /// Publishes an `error` event on the bus and stream only (not to integrations, so a failing
    /// integration cannot feed itself).
    pub async fn publish_error(&self, device: &ApplicationDevice, error: ErrorEvent) -> Result<()> {
        let event = Event {
            time: rfc3339(now_unix_ns()),
            device: DeviceIds::new(device, 0, None),
            body: EventBody::Error(error),
        };
        let payload = Bytes::from(serde_json::to_vec(&event).map_err(Error::EncodeEvent)?);
        let subject = self.bus.subjects().app_event(
            &device.application_id,
            device.dev_eui.to_u64(),
            AppEvent::Error,
        )?;
        self.bus.publish_stored(&subject, payload).await?;
        self.metrics.event(AppEvent::Error.as_str());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_and_versions() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339(1_715_000_000_123_456_789),
            "2024-05-06T12:53:20.123456789Z"
        );
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            mac_version_name(pb::MacVersion::MacVersion104 as i32),
            "1.0.4"
        );
        assert_eq!(mac_version_name(pb::MacVersion::MacVersion11 as i32), "1.1");
    }

    #[test]
    fn bodies_serialise_under_the_event_name() {
        let event = Event {
            time: rfc3339(0),
            device: DeviceIds {
                application_id: String::from("app"),
                device_id: String::from("dev"),
                dev_eui: String::from("0000000000000001"),
                join_eui: String::from("0000000000000002"),
                dev_addr: String::from("26011234"),
            },
            body: EventBody::Status(StatusEvent {
                battery: Some(200),
                external_power: false,
                margin_db: 7,
            }),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["status"]["battery"], 200);
        assert_eq!(json["device"]["device_id"], "dev");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
