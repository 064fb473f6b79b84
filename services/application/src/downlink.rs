//! The application downlink queue: requests from applications (`down.push` JSON and gRPC)
//! become items encrypted with the AppSKey and pushed to the network server on `ns.queue`;
//! invalidated items (`as.queue.invalidated`) are decrypted with their old counter and pushed
//! again under new ones.
//!
//! The application server assigns the downlink frame counter (AFCntDown; for LoRaWAN 1.0.x
//! the FCntDown it shares with the network's MAC-only downlinks). When the network answers
//! `STALE`, its `next_f_cnt_down` (and the DevAddr of its session) say where to start again.
//! The queue itself lives in the network server, encrypted; the plaintext exists here only
//! while one request is handled, and the AppSKey never leaves this service.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use base64::Engine as _;
use lorawan_codec::{DevAddr, Eui64};
use lorawan_crypto::{CipherKey, Direction, encrypt_frm_payload};
use serde::{Deserialize, Serialize};
use tern_proto::ErrorCode;
use tern_proto::internal::v1 as pb;
use tracing::debug;

use crate::context::Context;
use crate::events::now_unix_ns;
use crate::formatter;
use crate::registry::{ApplicationDevice, ApplicationRegistry};
use crate::session::StoredSessions;
use crate::{Error, Result};

/// How often a push is tried again after a `STALE` answer.
const MAX_STALE_RETRIES: usize = 3;

/// A downlink as an application asks for it (the JSON of `down.push`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownlinkRequest {
    /// FPort, 1 to 223.
    pub f_port: u32,
    /// The plaintext payload, base64; or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frm_payload: Option<String>,
    /// an object for the device's formatter to encode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<serde_json::Value>,
    /// Whether the device must acknowledge it.
    #[serde(default)]
    pub confirmed: bool,
    /// Higher first.
    #[serde(default)]
    pub priority: i32,
}

/// A downlink in the device's queue, decrypted for the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedDownlink {
    /// The item's id.
    pub id: String,
    /// FPort.
    pub f_port: u32,
    /// The frame counter it is encrypted with.
    pub f_cnt_down: u32,
    /// The plaintext payload (empty when it can no longer be decrypted).
    pub frm_payload: Vec<u8>,
    /// Whether it is confirmed.
    pub confirmed: bool,
    /// Priority.
    pub priority: i32,
}

/// A plaintext downlink ready to encrypt.
#[derive(Debug, Clone)]
struct Plain {
    id: String,
    f_port: u8,
    payload: Vec<u8>,
    confirmed: bool,
    priority: i32,
    created_at_unix_ns: i64,
    expires_at_unix_ns: Option<i64>,
    /// Transmissions so far, kept across re-encryption so the network's retry limit holds.
    attempts: u32,
}

/// Returns a fresh item id: 16 random hex digits.
fn new_item_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_i64(now_unix_ns());
    format!("{:016x}", hasher.finish())
}

fn check_f_port(f_port: u32) -> Result<u8> {
    u8::try_from(f_port)
        .ok()
        .filter(|f_port| (1..=223).contains(f_port))
        .ok_or_else(|| Error::InvalidArgument(format!("f_port {f_port} is not 1 to 223")))
}

/// Returns the device if it belongs to `application_id`.
async fn device<R: ApplicationRegistry>(
    context: &Context<R>,
    application_id: &str,
    dev_eui: Eui64,
) -> Result<ApplicationDevice> {
    match context.registry.device(dev_eui).await? {
        Some(device) if device.application_id == application_id => Ok(device),
        _ => Err(Error::UnknownDevice {
            application_id: application_id.to_owned(),
            dev_eui: dev_eui.to_string(),
        }),
    }
}

async fn prepare<R: ApplicationRegistry>(
    context: &Context<R>,
    device: &ApplicationDevice,
    request: &DownlinkRequest,
) -> Result<Plain> {
    let f_port = check_f_port(request.f_port)?;
    let (payload, f_port) = match (&request.frm_payload, &request.decoded) {
        (Some(text), _) => {
            let payload = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| Error::InvalidArgument(String::from("frm_payload is not base64")))?;
            (payload, f_port)
        }
        (None, Some(object)) => {
            let (payload, f_port) =
                formatter::encode_downlink(&device.formatter, context.limits, object, f_port)
                    .await?;
            (payload, check_f_port(u32::from(f_port))?)
        }
        (None, None) => (Vec::new(), f_port),
    };
    Ok(Plain {
        id: new_item_id(),
        f_port,
        payload,
        confirmed: request.confirmed,
        priority: request.priority,
        created_at_unix_ns: now_unix_ns(),
        expires_at_unix_ns: None,
        attempts: 0,
    })
}

fn error_name(code: pb::QueueErrorCode) -> (&'static str, ErrorCode) {
    match code {
        pb::QueueErrorCode::None => ("none", ErrorCode::Internal),
        pb::QueueErrorCode::InvalidArgument => ("invalid_argument", ErrorCode::InvalidArgument),
        pb::QueueErrorCode::NoSession => ("no_session", ErrorCode::NotFound),
        pb::QueueErrorCode::Stale => ("stale", ErrorCode::Unavailable),
        pb::QueueErrorCode::Full => ("full", ErrorCode::Unavailable),
        pb::QueueErrorCode::TooLarge => ("too_large", ErrorCode::InvalidArgument),
        pb::QueueErrorCode::Unavailable => ("unavailable", ErrorCode::Unavailable),
    }
}

/// Encrypts `plains` under the device's session and sends them with `operation`, starting the
/// counters no lower than `floor`; retries after `STALE` answers. Returns the network's queue.
async fn send<R: ApplicationRegistry>(
    context: &Context<R>,
    dev_eui: Eui64,
    plains: &[Plain],
    operation: pb::QueueOperation,
    mut floor: u32,
) -> Result<pb::QueueResponse> {
    let mut sessions = context
        .sessions
        .get(dev_eui)
        .await?
        .ok_or_else(|| Error::NoSession(dev_eui.to_string()))?;
    let mut dev_addr = sessions.current.dev_addr;
    let count = u32::try_from(plains.len()).map_err(|_| Error::CounterExhausted)?;
    for _ in 0..=MAX_STALE_RETRIES {
        let session = sessions
            .by_dev_addr(dev_addr)
            .ok_or_else(|| Error::NoSession(dev_eui.to_string()))?;
        let cipher = CipherKey::new(&session.app_s_key(&context.kek)?);
        let first = if count == 0 {
            0
        } else {
            context.sessions.allocate(dev_eui, count, floor).await?
        };
        let mut items = Vec::with_capacity(plains.len());
        for (plain, f_cnt_down) in plains.iter().zip(first..) {
            let frm_payload = encrypt_frm_payload(
                &cipher,
                Direction::Downlink,
                DevAddr::from_u32(dev_addr),
                f_cnt_down,
                &plain.payload,
            )?;
            items.push(pb::DownlinkQueueItem {
                id: plain.id.clone(),
                dev_eui: dev_eui.to_u64(),
                dev_addr,
                f_cnt_down,
                f_port: u32::from(plain.f_port),
                frm_payload: frm_payload.into(),
                confirmed: plain.confirmed,
                priority: plain.priority,
                created_at_unix_ns: plain.created_at_unix_ns,
                expires_at_unix_ns: plain.expires_at_unix_ns,
                attempts: plain.attempts,
            });
        }
        let request = pb::QueueRequest {
            dev_eui: dev_eui.to_u64(),
            operation: operation as i32,
            items,
        };
        let response: pb::QueueResponse = context
            .bus
            .request(
                &context.bus.subjects().ns_queue(),
                &request,
                context.queue_timeout,
            )
            .await?;
        match response.error() {
            pb::QueueErrorCode::None => return Ok(response),
            pb::QueueErrorCode::Stale => {
                debug!(
                    next_f_cnt_down = response.next_f_cnt_down,
                    "queue request stale; encrypting again"
                );
                context.metrics.downlink("stale");
                floor = floor.max(response.next_f_cnt_down);
                if response.dev_addr != 0 && response.dev_addr != dev_addr {
                    // The network still (or already) uses another session of this device.
                    if sessions.by_dev_addr(response.dev_addr).is_none() {
                        sessions = context
                            .sessions
                            .get(dev_eui)
                            .await?
                            .ok_or_else(|| Error::NoSession(dev_eui.to_string()))?;
                    }
                    dev_addr = response.dev_addr;
                }
            }
            code => {
                let (name, error_code) = error_name(code);
                return Err(Error::QueueRefused {
                    code: name,
                    message: response.message,
                    error_code,
                });
            }
        }
    }
    Err(Error::QueueRefused {
        code: "stale",
        message: String::from("frame counter still stale after retries"),
        error_code: ErrorCode::Unavailable,
    })
}

/// Queues one downlink; returns the pushed item (its id and counter).
pub async fn push<R: ApplicationRegistry>(
    context: &Context<R>,
    application_id: &str,
    dev_eui: Eui64,
    request: &DownlinkRequest,
) -> Result<(String, u32)> {
    let device = device(context, application_id, dev_eui).await?;
    let plain = prepare(context, &device, request).await?;
    let id = plain.id.clone();
    let response = send(
        context,
        dev_eui,
        std::slice::from_ref(&plain),
        pb::QueueOperation::Push,
        0,
    )
    .await?;
    let f_cnt_down = response
        .items
        .iter()
        .find(|item| item.id == id)
        .map_or(0, |item| item.f_cnt_down);
    context.metrics.downlink("pushed");
    Ok((id, f_cnt_down))
}

/// Replaces the device's queue with `requests` (empty flushes it); returns the new queue.
pub async fn replace<R: ApplicationRegistry>(
    context: &Context<R>,
    application_id: &str,
    dev_eui: Eui64,
    requests: &[DownlinkRequest],
) -> Result<Vec<QueuedDownlink>> {
    let device = device(context, application_id, dev_eui).await?;
    let mut plains = Vec::with_capacity(requests.len());
    for request in requests {
        plains.push(prepare(context, &device, request).await?);
    }
    let response = send(context, dev_eui, &plains, pb::QueueOperation::Replace, 0).await?;
    context.metrics.downlink("replaced");
    decrypt_items(context, dev_eui, &response.items).await
}

/// Returns the device's queue, decrypted.
pub async fn list<R: ApplicationRegistry>(
    context: &Context<R>,
    application_id: &str,
    dev_eui: Eui64,
) -> Result<Vec<QueuedDownlink>> {
    device(context, application_id, dev_eui).await?;
    let request = pb::QueueRequest {
        dev_eui: dev_eui.to_u64(),
        operation: pb::QueueOperation::List as i32,
        items: Vec::new(),
    };
    let response: pb::QueueResponse = context
        .bus
        .request(
            &context.bus.subjects().ns_queue(),
            &request,
            context.queue_timeout,
        )
        .await?;
    if response.error() != pb::QueueErrorCode::None {
        let (name, error_code) = error_name(response.error());
        return Err(Error::QueueRefused {
            code: name,
            message: response.message,
            error_code,
        });
    }
    decrypt_items(context, dev_eui, &response.items).await
}

/// Decrypts one item with the session its DevAddr names.
fn decrypt_item(
    context_kek: &crate::kek::Kek,
    sessions: Option<&StoredSessions>,
    item: &pb::DownlinkQueueItem,
) -> Option<Vec<u8>> {
    let session = sessions?.by_dev_addr(item.dev_addr)?;
    let cipher = CipherKey::new(&session.app_s_key(context_kek).ok()?);
    encrypt_frm_payload(
        &cipher,
        Direction::Downlink,
        DevAddr::from_u32(item.dev_addr),
        item.f_cnt_down,
        &item.frm_payload,
    )
    .ok()
}

async fn decrypt_items<R: ApplicationRegistry>(
    context: &Context<R>,
    dev_eui: Eui64,
    items: &[pb::DownlinkQueueItem],
) -> Result<Vec<QueuedDownlink>> {
    let sessions = context.sessions.get(dev_eui).await?;
    Ok(items
        .iter()
        .map(|item| QueuedDownlink {
            id: item.id.clone(),
            f_port: item.f_port,
            f_cnt_down: item.f_cnt_down,
            frm_payload: decrypt_item(&context.kek, sessions.as_ref(), item).unwrap_or_default(),
            confirmed: item.confirmed,
            priority: item.priority,
        })
        .collect())
}

/// Re-encrypts the items the network removed and pushes them again from
/// `next_f_cnt_down`; returns the metric result.
pub(crate) async fn handle_invalidated<R: ApplicationRegistry>(
    context: &Context<R>,
    invalidated: &pb::QueueInvalidated,
) -> Result<&'static str> {
    let dev_eui = Eui64::from_u64(invalidated.dev_eui);
    let sessions = context.sessions.get(dev_eui).await?;
    let mut plains = Vec::with_capacity(invalidated.items.len());
    let mut lost = 0_usize;
    for item in &invalidated.items {
        let Some(payload) = decrypt_item(&context.kek, sessions.as_ref(), item) else {
            lost += 1;
            continue;
        };
        let Ok(f_port) = check_f_port(item.f_port) else {
            lost += 1;
            continue;
        };
        plains.push(Plain {
            id: item.id.clone(),
            f_port,
            payload,
            confirmed: item.confirmed,
            priority: item.priority,
            created_at_unix_ns: item.created_at_unix_ns,
            expires_at_unix_ns: item.expires_at_unix_ns,
            attempts: item.attempts,
        });
    }
    if lost > 0 {
        tracing::warn!(lost, "invalidated downlinks of an unknown session dropped");
    }
    if plains.is_empty() {
        return Ok(if lost > 0 {
            "invalidated_lost"
        } else {
            "invalidated_empty"
        });
    }
    send(
        context,
        dev_eui,
        &plains,
        pb::QueueOperation::Push,
        invalidated.next_f_cnt_down,
    )
    .await?;
    Ok("reencrypted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_f_port_range_and_ids_differ() {
        assert!(check_f_port(0).is_err());
        assert_eq!(check_f_port(1).unwrap(), 1);
        assert_eq!(check_f_port(223).unwrap(), 223);
        assert!(check_f_port(224).is_err());
        assert!(check_f_port(70_000).is_err());
        assert_ne!(new_item_id(), new_item_id());
    }

    #[test]
    fn parses_the_push_json() {
        let request: DownlinkRequest =
            serde_json::from_str(r#"{"f_port": 2, "frm_payload": "AQI=", "confirmed": true}"#)
                .unwrap();
        assert_eq!(request.f_port, 2);
        assert_eq!(request.frm_payload.as_deref(), Some("AQI="));
        assert!(request.confirmed);
        assert_eq!(request.priority, 0);
    }
}
