//! Handlers of what the network server reports: uplinks (`as.up`), new sessions
//! (`as.session`) and downlink outcomes (`as.downlink`), each turned into application events.
//!
//! An uplink is decrypted with the AppSKey of the session its DevAddr names, run through the
//! device's formatter and published as an `up` event; a formatter failure becomes an `error`
//! event and the `up` event still carries the raw payload. FPort 0 carries MAC commands only and
//! never reaches applications. Unknown devices and missing sessions are counted rejections.

use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use lorawan_codec::{DevAddr, Eui64};
use lorawan_crypto::{CipherKey, Direction, decrypt_frm_payload};
use tern_proto::internal::v1 as pb;
use tracing::{debug, warn};

use crate::context::Context;
use crate::events::{
    DeviceIds, DownlinkEventBody, ErrorEvent, EventBody, JoinEvent, Location, Modulation,
    RxMetadata, StatusEvent, UpEvent, mac_version_name, rfc3339,
};
use crate::formatter;
use crate::registry::ApplicationRegistry;
use crate::{Error, Result};

/// Handles one uplink; returns its metric result.
pub(crate) async fn handle_uplink<R: ApplicationRegistry>(
    context: &Context<R>,
    uplink: &pb::ApplicationUplink,
) -> Result<&'static str> {
    let dev_eui = Eui64::from_u64(uplink.dev_eui);
    let Some(device) = context.registry.device(dev_eui).await? else {
        return Ok("unknown_device");
    };
    let ids = DeviceIds::new(&device, uplink.join_eui, Some(uplink.dev_addr));
    if let Some(dev_status) = &uplink.dev_status {
        let external_power = dev_status.battery == 0;
        let battery = u8::try_from(dev_status.battery)
            .ok()
            .filter(|battery| (1..=254).contains(battery));
        let body = EventBody::Status(StatusEvent {
            battery,
            external_power,
            margin_db: dev_status.margin_db,
        });
        context
            .publisher
            .publish(&device, ids.clone(), body)
            .await?;
    }
    let f_port = match uplink.f_port.map(u8::try_from) {
        Some(Ok(f_port)) if f_port > 0 => f_port,
        _ => return Ok("mac_only"),
    };
    let Some(stored) = context.sessions.get_and_touch(dev_eui).await? else {
        return Ok("no_session");
    };
    let Some(session) = stored.by_dev_addr(uplink.dev_addr) else {
        return Ok("no_session");
    };
    let app_s_key = match session.app_s_key(&context.kek) {
        Ok(key) => key,
        Err(error) => {
            warn!(error = %error, "appskey of session does not unwrap");
            return Ok("key_error");
        }
    };
    let cipher = CipherKey::new(&app_s_key);
    let payload = decrypt_frm_payload(
        &cipher,
        Direction::Uplink,
        DevAddr::from_u32(uplink.dev_addr),
        uplink.f_cnt,
        &uplink.frm_payload,
    )?;
    let received_at = u64::try_from(uplink.received_at_unix_ns)
        .map(|ns| UNIX_EPOCH + Duration::from_nanos(ns))
        .unwrap_or(UNIX_EPOCH);
    let decoded = formatter::decode_uplink(
        &device.formatter,
        context.limits,
        &payload,
        f_port,
        received_at,
    )
    .await;
    let (decoded, warnings, formatter_error) = match decoded {
        Ok(Some(decoded)) => (Some(decoded.data), decoded.warnings, None),
        Ok(None) => (None, Vec::new(), None),
        Err(error) => (None, Vec::new(), Some(error)),
    };
    let tx_info = uplink.tx_info.unwrap_or_default();
    let up = UpEvent {
        f_port: u32::from(f_port),
        f_cnt: uplink.f_cnt,
        frm_payload: base64::engine::general_purpose::STANDARD.encode(&payload),
        decoded,
        decode_warnings: warnings,
        confirmed: uplink.confirmed,
        adr: uplink.adr,
        data_rate_index: uplink.dr,
        band: uplink.band.clone(),
        frequency_hz: tx_info.frequency_hz,
        modulation: tx_info.modulation.as_ref().and_then(modulation),
        rx_metadata: uplink.rx_metadata.iter().map(rx_metadata).collect(),
        received_at: rfc3339(uplink.received_at_unix_ns),
    };
    let result = match formatter_error {
        Some(error) => {
            debug!(error = %error, "formatter failed");
            let body = EventBody::Error(ErrorEvent {
                kind: String::from("formatter"),
                message: error.describe(),
                f_cnt: Some(uplink.f_cnt),
                subject_id: None,
            });
            context
                .publisher
                .publish(&device, ids.clone(), body)
                .await?;
            "formatter_error"
        }
        None => "ok",
    };
    context
        .publisher
        .publish(&device, ids, EventBody::Up(Box::new(up)))
        .await?;
    Ok(result)
}

/// Names a code rate the usual way: `4/5`, `li-4/5`; empty when unspecified.
fn code_rate(code_rate: i32) -> String {
    let rate = pb::CodeRate::try_from(code_rate).unwrap_or(pb::CodeRate::Unspecified);
    if rate == pb::CodeRate::Unspecified {
        return String::new();
    }
    let name = rate.as_str_name().trim_start_matches("CODE_RATE_CR_");
    match name.strip_prefix("LI_") {
        Some(rest) => format!("li-{}", rest.replace('_', "/")),
        None => name.replace('_', "/"),
    }
}

fn modulation(modulation: &pb::Modulation) -> Option<Modulation> {
    match modulation.parameters.as_ref()? {
        pb::modulation::Parameters::Lora(lora) => Some(Modulation::Lora {
            spreading_factor: lora.spreading_factor,
            bandwidth_hz: lora.bandwidth_hz,
            code_rate: code_rate(lora.code_rate),
        }),
        pb::modulation::Parameters::Fsk(fsk) => Some(Modulation::Fsk {
            bitrate: fsk.bitrate,
        }),
        pb::modulation::Parameters::LrFhss(lr_fhss) => Some(Modulation::LrFhss {
            ocw_bandwidth_hz: lr_fhss.ocw_bandwidth_hz,
            code_rate: code_rate(lr_fhss.code_rate),
        }),
    }
}

fn rx_metadata(rx: &pb::UplinkRxMetadata) -> RxMetadata {
    RxMetadata {
        gateway_eui: Eui64::from_u64(rx.gateway_eui).to_string(),
        rssi_dbm: rx.rssi_dbm,
        snr_db: rx.snr_db,
        channel: rx.channel,
        tmst: rx.tmst,
        gateway_time: rx.gateway_time_unix_ns.map(rfc3339),
        gps_time_ns: rx.gps_time_ns,
        received_at: rfc3339(rx.received_at_unix_ns),
        location: rx.location.as_ref().map(|location| Location {
            latitude: location.latitude_deg,
            longitude: location.longitude_deg,
            altitude: location.altitude_m,
        }),
    }
}

/// Handles one new session: stores it and publishes a `join` event; returns its metric result.
pub(crate) async fn handle_session<R: ApplicationRegistry>(
    context: &Context<R>,
    event: &pb::SessionEvent,
) -> Result<&'static str> {
    match context.sessions.store(event, &context.kek).await {
        Ok(_) => {}
        Err(error @ (Error::KeyUnwrap(_) | Error::UnknownKekLabel { .. } | Error::KeyLength)) => {
            warn!(error = %error, "session appskey does not unwrap");
            return Ok("key_error");
        }
        Err(error) => return Err(error),
    }
    let Some(device) = context
        .registry
        .device(Eui64::from_u64(event.dev_eui))
        .await?
    else {
        // The session is kept: the device may be registered before its first uplink.
        return Ok("unknown_device");
    };
    let ids = DeviceIds::new(&device, event.join_eui, Some(event.dev_addr));
    let body = EventBody::Join(JoinEvent {
        mac_version: mac_version_name(event.mac_version),
        join_nonce: event.join_nonce,
        dev_nonce: event.dev_nonce,
        created_at: rfc3339(event.created_at_unix_ns),
    });
    context.publisher.publish(&device, ids, body).await?;
    Ok("ok")
}

/// Handles one downlink outcome: `ack`, `nack`, `txack`, or an `error` event for failed and
/// expired downlinks; returns its metric result.
pub(crate) async fn handle_downlink_event<R: ApplicationRegistry>(
    context: &Context<R>,
    event: &pb::DownlinkEvent,
) -> Result<&'static str> {
    let dev_eui = Eui64::from_u64(event.dev_eui);
    let Some(device) = context.registry.device(dev_eui).await? else {
        return Ok("unknown_device");
    };
    let session = context.sessions.get(dev_eui).await?;
    let (join_eui, dev_addr) = session.map_or((0, None), |stored| {
        (stored.current.join_eui, Some(stored.current.dev_addr))
    });
    let ids = DeviceIds::new(&device, join_eui, dev_addr);
    let body = DownlinkEventBody {
        id: event.item_id.clone(),
        f_cnt_down: event.f_cnt_down,
        f_port: event.f_port,
        confirmed: event.confirmed,
        gateway_eui: (event.gateway_eui != 0)
            .then(|| Eui64::from_u64(event.gateway_eui).to_string()),
        at: rfc3339(event.at_unix_ns),
    };
    let error = |kind: &str, message: String| {
        EventBody::Error(ErrorEvent {
            kind: kind.to_owned(),
            message,
            f_cnt: None,
            subject_id: Some(event.item_id.clone()),
        })
    };
    let body = match event.outcome() {
        pb::DownlinkOutcome::Sent => EventBody::Txack(body),
        pb::DownlinkOutcome::Ack => EventBody::Ack(body),
        pb::DownlinkOutcome::Nack => EventBody::Nack(body),
        pb::DownlinkOutcome::Failed => error(
            "downlink_failed",
            format!("no gateway could transmit the downlink: {}", event.detail),
        ),
        pb::DownlinkOutcome::Expired => error(
            "downlink_expired",
            String::from("the downlink expired before it could be sent"),
        ),
        pb::DownlinkOutcome::Unspecified => return Ok("malformed"),
    };
    context.publisher.publish(&device, ids, body).await?;
    Ok("ok")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_code_rates() {
        assert_eq!(code_rate(pb::CodeRate::Cr45 as i32), "4/5");
        assert_eq!(code_rate(pb::CodeRate::Cr48 as i32), "4/8");
        assert_eq!(code_rate(pb::CodeRate::CrLi45 as i32), "li-4/5");
        assert_eq!(code_rate(pb::CodeRate::Unspecified as i32), "");
    }
}
