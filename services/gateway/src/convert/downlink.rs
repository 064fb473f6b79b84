//! `DownlinkTxItem` to `txpk`, and TX_ACK codes to `TxAckStatus`.
//!
//! Timing follows the Semtech forwarder: delay timing becomes `tmst` (the uplink's counter plus
//! the delay, wrapping at 2^32 like the counter), GPS timing becomes `tmms` and immediate
//! timing `imme`. Which item to try and when to give up is the edge's business, not this
//! module's.

use semtech_udp::{CodingRate, DataRate, TxAckCode, Txpk, TxpkAck};
use tern_proto::internal::v1 as pb;

use super::{NANOS_PER_MILLI, coding_rate};
use crate::error::{Error, Result};

/// Builds the `txpk` of one downlink item (PROTOCOL.TXT §6).
pub(crate) fn txpk(item: &pb::DownlinkTxItem) -> Result<Txpk> {
    let parameters = item
        .modulation
        .as_ref()
        .and_then(|modulation| modulation.parameters.as_ref())
        .ok_or(Error::MissingModulation)?;
    let (datr, codr, fdev, lora) = match parameters {
        pb::modulation::Parameters::Lora(lora) => {
            let spreading_factor = u8::try_from(lora.spreading_factor).map_err(|_| {
                Error::DownlinkFieldOutOfRange {
                    field: "datr",
                    value: i64::from(lora.spreading_factor),
                }
            })?;
            let code_rate = pb::CodeRate::try_from(lora.code_rate).unwrap_or_default();
            // The forwarder refuses a LoRa txpk without `codr`; LoRaWAN always uses 4/5
            // (RP002-1.0.4 §2.x), so that is the default.
            let codr = coding_rate(code_rate).unwrap_or(CodingRate::lora(5));
            let datr = DataRate::Lora {
                spreading_factor,
                bandwidth_hz: lora.bandwidth_hz,
            };
            (datr, Some(codr), None, true)
        }
        pb::modulation::Parameters::Fsk(fsk) => {
            // A deviation of half the bit rate is LoRaWAN's FSK setting (50 kbit/s, 25 kHz).
            let fdev = match fsk.frequency_deviation_hz {
                0 => fsk.bitrate / 2,
                deviation => deviation,
            };
            let datr = DataRate::Fsk {
                bit_rate: fsk.bitrate,
            };
            (datr, None, Some(fdev), false)
        }
        pb::modulation::Parameters::LrFhss(_) => {
            return Err(Error::UnsupportedModulation("LR-FHSS"));
        }
    };
    let mut txpk = Txpk {
        imme: false,
        tmst: None,
        tmms: None,
        time: None,
        freq: semtech_udp::hz_to_mhz(u64::from(item.frequency_hz)),
        rfch: narrow("rfch", item.rf_chain)?,
        powe: Some(
            i8::try_from(item.power_dbm).map_err(|_| Error::DownlinkFieldOutOfRange {
                field: "powe",
                value: i64::from(item.power_dbm),
            })?,
        ),
        ant: match item.antenna {
            0 => None,
            antenna => Some(narrow("ant", antenna)?),
        },
        brd: (item.board != 0).then_some(item.board),
        datr,
        codr,
        fdev,
        ipol: item.invert_polarization,
        prea: None,
        // LoRaWAN downlinks carry no PHY payload CRC (LoRaWAN 1.0.4 §3.1); FSK frames keep
        // theirs.
        ncrc: lora,
        nhdr: false,
        data: item.phy_payload.to_vec(),
    };
    let timing = item
        .timing
        .as_ref()
        .and_then(|timing| timing.timing.as_ref())
        .ok_or(Error::MissingTiming)?;
    match timing {
        pb::downlink_timing::Timing::Immediately(_) => txpk.imme = true,
        pb::downlink_timing::Timing::Delay(delay) => {
            // Semtech UDP needs no context beyond `tmst`; a context of 4 bytes holding the
            // counter big-endian (as ChirpStack's bridge writes it) is accepted as well.
            let uplink_tmst = delay
                .tmst
                .or_else(|| {
                    let bytes: [u8; 4] = delay.context.get(..4)?.try_into().ok()?;
                    Some(u32::from_be_bytes(bytes))
                })
                .ok_or(Error::MissingTmst)?;
            let delay_us = u32::try_from(delay.delay_ns / 1_000).map_err(|_| {
                Error::DownlinkFieldOutOfRange {
                    field: "tmst",
                    value: i64::try_from(delay.delay_ns).unwrap_or(i64::MAX),
                }
            })?;
            // The concentrator counter wraps at 2^32 µs, so the target time wraps with it.
            txpk.tmst = Some(uplink_tmst.wrapping_add(delay_us));
        }
        pb::downlink_timing::Timing::GpsEpoch(gps) => {
            let millis = u64::try_from(gps.gps_time_ns / NANOS_PER_MILLI)
                .map_err(|_| Error::NegativeGpsTime(gps.gps_time_ns))?;
            txpk.tmms = Some(millis);
        }
    }
    Ok(txpk)
}

fn narrow(field: &'static str, value: u32) -> Result<u8> {
    u8::try_from(value).map_err(|_| Error::DownlinkFieldOutOfRange {
        field,
        value: i64::from(value),
    })
}

/// Maps the `txpk_ack` of a TX_ACK to the status of the item it acknowledges; no JSON, no
/// `error` or `NONE` mean accepted (SX1302 forwarder PROTOCOL.md §5.5, §6). A warning such as
/// `TX_POWER` still means the packet was scheduled.
pub(crate) fn tx_ack_status(txpk_ack: Option<&TxpkAck>) -> pb::TxAckStatus {
    let Some(code) = txpk_ack.and_then(TxpkAck::rejection) else {
        return pb::TxAckStatus::Ok;
    };
    match code {
        TxAckCode::None => pb::TxAckStatus::Ok,
        TxAckCode::TooLate => pb::TxAckStatus::TooLate,
        TxAckCode::TooEarly => pb::TxAckStatus::TooEarly,
        TxAckCode::Full => pb::TxAckStatus::QueueFull,
        TxAckCode::CollisionPacket => pb::TxAckStatus::CollisionPacket,
        TxAckCode::CollisionBeacon => pb::TxAckStatus::CollisionBeacon,
        TxAckCode::TxFreq => pb::TxAckStatus::TxFreq,
        TxAckCode::TxPower => pb::TxAckStatus::TxPower,
        TxAckCode::GpsUnlocked => pb::TxAckStatus::GpsUnlocked,
        TxAckCode::Empty | TxAckCode::Unknown(_) => pb::TxAckStatus::InternalError,
    }
}

/// Returns the metric label of a status, e.g. `"too_late"`.
pub(crate) fn status_label(status: pb::TxAckStatus) -> &'static str {
    match status {
        pb::TxAckStatus::Ignored => "ignored",
        pb::TxAckStatus::Ok => "ok",
        pb::TxAckStatus::TooLate => "too_late",
        pb::TxAckStatus::TooEarly => "too_early",
        pb::TxAckStatus::CollisionPacket => "collision_packet",
        pb::TxAckStatus::CollisionBeacon => "collision_beacon",
        pb::TxAckStatus::TxFreq => "tx_freq",
        pb::TxAckStatus::TxPower => "tx_power",
        pb::TxAckStatus::GpsUnlocked => "gps_unlocked",
        pb::TxAckStatus::QueueFull => "queue_full",
        pb::TxAckStatus::InternalError => "internal_error",
        pb::TxAckStatus::Timeout => "timeout",
    }
}

#[cfg(test)]
mod tests;
