//! `rxpk` to `UplinkFrame` and `stat` to `GatewayStats`.
//!
//! One `UplinkRxMetadata` is produced per antenna when the gateway reports `rsig` (multi-antenna
//! SX1301AR forwarders), else one for the whole packet. Encrypted fine timestamps (`etime`) are
//! not decrypted, and invalid gateway times are left out rather than failing the uplink.

use bytes::Bytes;
use semtech_udp::{DataRate, Rsig, Rxpk, Stat, UtcTime};
use tern_proto::internal::v1 as pb;

use super::{NANOS_PER_MILLI, code_rate};
use crate::error::{Error, Result};

/// Largest PHYPayload a LoRa concentrator receives (SX1301/SX1302 datasheets: 255-byte FIFO).
pub(crate) const MAX_PHY_PAYLOAD_LEN: usize = 255;

/// What the edge knows about a reception besides the rxpk itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reception {
    /// The receiving gateway.
    pub(crate) gateway_eui: u64,
    /// Random id of this copy; antenna copies get consecutive ids.
    pub(crate) uplink_id: u32,
    /// When the edge received the datagram, Unix nanoseconds.
    pub(crate) received_at_unix_ns: i64,
    /// The gateway's last reported position.
    pub(crate) location: Option<pb::Location>,
}

/// Builds the bus message of one CRC-valid rxpk (PROTOCOL.TXT §4).
pub(crate) fn uplink_frame(rxpk: &Rxpk, reception: &Reception) -> Result<pb::UplinkFrame> {
    if rxpk.data.len() > MAX_PHY_PAYLOAD_LEN {
        return Err(Error::PayloadTooLong {
            len: rxpk.data.len(),
        });
    }
    let freq_hz = rxpk.freq_hz();
    let frequency_hz = u32::try_from(freq_hz).map_err(|_| Error::FrequencyOutOfRange(freq_hz))?;
    let base = pb::UplinkRxMetadata {
        gateway_eui: reception.gateway_eui,
        uplink_id: reception.uplink_id,
        tmst: Some(rxpk.tmst),
        context: Bytes::new(),
        gps_time_ns: rxpk
            .tmms
            .and_then(|ms| i64::try_from(ms).ok())
            .and_then(|ms| ms.checked_mul(NANOS_PER_MILLI)),
        gateway_time_unix_ns: rxpk.parse_time().ok().flatten().and_then(unix_ns),
        received_at_unix_ns: reception.received_at_unix_ns,
        rssi_dbm: rxpk.rssi.map_or(0, i32::from),
        snr_db: rxpk.lsnr.map_or(0.0, |snr| snr as f32),
        channel: rxpk.chan.map_or(0, u32::from),
        rf_chain: rxpk.rfch.map_or(0, u32::from),
        antenna: 0,
        board: rxpk.brd.unwrap_or(0),
        fine_timestamp_ns: rxpk.ftime,
        location: reception.location,
        crc_status: pb::CrcStatus::Ok as i32,
    };
    let rx_metadata = if rxpk.rsig.is_empty() {
        vec![base]
    } else {
        rxpk.rsig
            .iter()
            .zip(0u32..)
            .map(|(rsig, idx)| antenna_copy(&base, rsig, idx))
            .collect()
    };
    Ok(pb::UplinkFrame {
        phy_payload: Bytes::copy_from_slice(&rxpk.data),
        tx_info: Some(pb::UplinkTxInfo {
            frequency_hz,
            modulation: Some(modulation(rxpk)),
        }),
        rx_metadata,
        received_at_unix_ns: reception.received_at_unix_ns,
    })
}

/// One antenna's view of the packet: its own signal values where `rsig` has them.
fn antenna_copy(base: &pb::UplinkRxMetadata, rsig: &Rsig, idx: u32) -> pb::UplinkRxMetadata {
    pb::UplinkRxMetadata {
        uplink_id: base.uplink_id.wrapping_add(idx),
        rssi_dbm: rsig.rssic.map_or(base.rssi_dbm, i32::from),
        snr_db: rsig.lsnr.map_or(base.snr_db, |snr| snr as f32),
        channel: rsig.chan.map_or(base.channel, u32::from),
        antenna: rsig.ant.map_or(0, u32::from),
        // The v2 forwarder prints `ftime` as a signed integer; it is passed on as The Things
        // Stack does (translation_test.go TestToGatewayUpRawMultiAntenna), negative values
        // being no timestamp.
        fine_timestamp_ns: rsig
            .ftime
            .and_then(|ns| u32::try_from(ns).ok())
            .or(base.fine_timestamp_ns),
        ..base.clone()
    }
}

fn modulation(rxpk: &Rxpk) -> pb::Modulation {
    let parameters = match rxpk.datr {
        DataRate::Lora {
            spreading_factor,
            bandwidth_hz,
        } => pb::modulation::Parameters::Lora(pb::LoraModulation {
            spreading_factor: u32::from(spreading_factor),
            bandwidth_hz,
            code_rate: code_rate(rxpk.codr, false) as i32,
        }),
        DataRate::Fsk { bit_rate } => pb::modulation::Parameters::Fsk(pb::FskModulation {
            bitrate: bit_rate,
            frequency_deviation_hz: 0,
        }),
        DataRate::LrFhss {
            operating_channel_width_hz,
            ..
        } => pb::modulation::Parameters::LrFhss(pb::LrFhssModulation {
            code_rate: code_rate(rxpk.codr, true) as i32,
            ocw_bandwidth_hz: operating_channel_width_hz,
            grid_steps: rxpk.hpw.map_or(0, u32::from),
        }),
    };
    pb::Modulation {
        parameters: Some(parameters),
    }
}

fn unix_ns(time: UtcTime) -> Option<i64> {
    time.unix_seconds
        .checked_mul(1_000_000_000)?
        .checked_add(i64::from(time.nanos))
}

/// Returns the gateway position of a `stat`, when it reports one. Forwarders without a fix
/// either leave `lati`/`long` out or send 0/0, which is treated as unknown.
pub(crate) fn location(stat: &Stat) -> Option<pb::Location> {
    let (Some(latitude_deg), Some(longitude_deg)) = (stat.lati, stat.long) else {
        return None;
    };
    if latitude_deg == 0.0 && longitude_deg == 0.0 {
        return None;
    }
    Some(pb::Location {
        latitude_deg,
        longitude_deg,
        altitude_m: stat.alti.map_or(0.0, f64::from),
        accuracy_m: 0.0,
        source: pb::LocationSource::Gps as i32,
    })
}

/// Builds the bus message of a `stat` report (PROTOCOL.TXT §4).
pub(crate) fn gateway_stats(
    stat: &Stat,
    gateway_eui: u64,
    received_at_unix_ns: i64,
) -> pb::GatewayStats {
    let mut metadata = std::collections::HashMap::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            metadata.insert(key.to_owned(), value);
        }
    };
    put("boot_time", stat.boot.clone());
    put("hal_version", stat.hal.clone());
    put("fpga_version", stat.fpga.map(|v| v.to_string()));
    put("dsp_version", stat.dsp.map(|v| v.to_string()));
    put("temperature_c", stat.temp.map(|v| v.to_string()));
    put("lost_pps", stat.lpps.map(|v| v.to_string()));
    pb::GatewayStats {
        gateway_eui,
        time_unix_ns: stat.parse_time().ok().flatten().and_then(unix_ns),
        received_at_unix_ns,
        location: location(stat),
        rx_received: stat.rxnb,
        rx_ok: stat.rxok,
        rx_forwarded: stat.rxfw,
        tx_received: stat.dwnb,
        tx_emitted: stat.txnb,
        ack_ratio_percent: stat.ackr as f32,
        metadata,
    }
}

#[cfg(test)]
mod tests;
