//! Serves `js.keys`: sets and deletes devices' root keys on request of the identity service,
//! through the same [`JoinStore`] the join handler reads.
//!
//! Every request gets a `DeviceKeysAnswer`; a malformed one is refused as invalid and changes
//! nothing. Keys are never logged. Requests are handled one at a time: key changes are rare,
//! provisioning-time operations.

use bytes::Bytes;
use futures::StreamExt;
use lorawan_codec::{Aes128Key, Eui64};
use prost::Message;
use tern_bus::{Delivery, Subscription};
use tern_proto::internal::v1 as pb;
use tern_telemetry::Shutdown;
use tracing::{info, warn};

use crate::MacVersion;
use crate::store::{DeviceRootKeys, JoinStore};

/// Serves `subscription` until shutdown, then drains it.
pub(crate) async fn serve<S: JoinStore>(
    mut subscription: Subscription<Bytes>,
    store: S,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    loop {
        tokio::select! {
            biased;
            () = shutdown.wait() => {
                if let Err(error) = subscription.drain().await {
                    warn!(error = %error, "drain js.keys subscription");
                }
                // Answer what arrived before the drain took effect.
                while let Some(delivery) = subscription.next().await {
                    answer(&store, delivery).await;
                }
                info!("js.keys stopped");
                return Ok(());
            }
            delivery = subscription.next() => match delivery {
                Some(delivery) => answer(&store, delivery).await,
                None => anyhow::bail!("js.keys subscription ended: the nats connection was closed"),
            },
        }
    }
}

fn refusal(error: pb::DeviceKeysError, message: impl Into<String>) -> pb::DeviceKeysAnswer {
    pb::DeviceKeysAnswer {
        ok: false,
        error: error as i32,
        message: message.into(),
    }
}

fn key(name: &str, bytes: &[u8]) -> Result<Aes128Key, pb::DeviceKeysAnswer> {
    <[u8; 16]>::try_from(bytes)
        .map(Aes128Key::from_bytes)
        .map_err(|_| {
            refusal(
                pb::DeviceKeysError::Invalid,
                format!("{name} must be 16 bytes, got {}", bytes.len()),
            )
        })
}

/// Handles one request; returns the answer to send.
async fn handle<S: JoinStore>(store: &S, request: pb::DeviceKeysRequest) -> pb::DeviceKeysAnswer {
    let dev_eui = Eui64::from_u64(request.dev_eui);
    let ok = pb::DeviceKeysAnswer {
        ok: true,
        ..pb::DeviceKeysAnswer::default()
    };
    let unavailable = |error: crate::Error| {
        warn!(dev_eui = %dev_eui, error = %error, "store device keys");
        refusal(
            pb::DeviceKeysError::Unavailable,
            "join server could not store the change",
        )
    };
    match request.action {
        Some(pb::device_keys_request::Action::Set(set)) => {
            let Ok(mac_version) = set.mac_version.parse::<MacVersion>() else {
                return refusal(
                    pb::DeviceKeysError::Invalid,
                    format!("unknown mac_version {:?}", set.mac_version),
                );
            };
            let app_key = match key("app_key", &set.app_key) {
                Ok(app_key) => app_key,
                Err(answer) => return answer,
            };
            let nwk_key = match (set.nwk_key.is_empty(), mac_version.is_1_1()) {
                (true, false) => None,
                (false, true) => match key("nwk_key", &set.nwk_key) {
                    Ok(nwk_key) => Some(nwk_key),
                    Err(answer) => return answer,
                },
                (true, true) => {
                    return refusal(pb::DeviceKeysError::Invalid, "LoRaWAN 1.1 needs a nwk_key");
                }
                (false, false) => {
                    return refusal(
                        pb::DeviceKeysError::Invalid,
                        "LoRaWAN 1.0.x devices have no nwk_key",
                    );
                }
            };
            let device = DeviceRootKeys {
                dev_eui,
                join_eui: Eui64::from_u64(set.join_eui),
                mac_version,
                app_key,
                nwk_key,
            };
            match store.set_device(&device).await {
                Ok(()) => ok,
                Err(error) => unavailable(error),
            }
        }
        Some(pb::device_keys_request::Action::Delete(_)) => {
            match store.delete_device(dev_eui).await {
                Ok(true) => ok,
                Ok(false) => refusal(
                    pb::DeviceKeysError::NotFound,
                    format!("device {dev_eui} has no root keys"),
                ),
                Err(error) => unavailable(error),
            }
        }
        None => refusal(pb::DeviceKeysError::Invalid, "request names no action"),
    }
}

async fn answer<S: JoinStore>(store: &S, delivery: Delivery<Bytes>) {
    if !delivery.expects_reply() {
        warn!("js.keys request without reply subject dropped");
        return;
    }
    let answer = match pb::DeviceKeysRequest::decode(delivery.message().clone()) {
        Ok(request) => handle(store, request).await,
        Err(_) => refusal(pb::DeviceKeysError::Invalid, "request does not decode"),
    };
    if let Err(error) = delivery.reply(&answer).await {
        warn!(error = %error, "reply on js.keys");
    }
}
