//! MAC commands a device piggybacks in the FOpts of an uplink, and the network's answers
//! (LoRaWAN 1.0.4 §5): LinkCheckReq → LinkCheckAns, DeviceTimeReq → DeviceTimeAns.
//!
//! Only the requests that need nothing but the uplink itself are answered. Of the answers to
//! the network's own requests, DevStatusAns is read out; the others (LinkADRAns, ...) are
//! ignored, since the network sends no such requests yet. Callers decrypt LoRaWAN 1.1 FOpts before handing them in.

use std::time::Duration;

use lorawan_codec::{
    DevStatusAnsPayload, DeviceTimeAnsPayload, Direction, LinkCheckAnsPayload, MacCommand,
    decode_mac_commands,
};
use lorawan_region::Modulation;
use tern_proto::internal::v1 as pb;

/// Seconds from the Unix epoch to the GPS epoch (1980-01-06T00:00:00Z).
const GPS_EPOCH_UNIX_SECS: u64 = 315_964_800;
/// Leap seconds GPS time is ahead of UTC, since 2017-01-01 (IERS Bulletin C).
const GPS_LEAP_SECONDS: u64 = 18;

/// What the answers need to know about the uplink.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UplinkFacts<'a> {
    /// The uplink's modulation, for the demodulation floor of LinkCheckAns.
    pub(crate) modulation: Option<Modulation>,
    /// Every gateway's reception, best SNR first.
    pub(crate) rx_metadata: &'a [pb::UplinkRxMetadata],
    /// When the edge received the uplink, Unix nanoseconds (a fallback for the GPS time).
    pub(crate) received_at_unix_ns: i64,
}

/// What the MAC commands of one uplink lead to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct MacOutcome {
    /// Answers to send, in request order.
    pub(crate) answers: Vec<MacCommand>,
    /// The device status, when the uplink carried DevStatusAns.
    pub(crate) dev_status: Option<DevStatusAnsPayload>,
}

/// Answers the requests in `f_opts` and reads out the device's answers. Decoding stops at the
/// first unknown or truncated command; the commands before it still count.
pub(crate) fn answer(f_opts: &[u8], facts: UplinkFacts<'_>) -> MacOutcome {
    let commands = decode_mac_commands(f_opts, Direction::Uplink);
    let mut outcome = MacOutcome::default();
    for command in &commands.commands {
        match command {
            MacCommand::LinkCheckReq => outcome
                .answers
                .push(MacCommand::LinkCheckAns(link_check_ans(facts))),
            MacCommand::DeviceTimeReq => {
                if let Some(payload) = device_time(facts)
                    .and_then(|time| DeviceTimeAnsPayload::from_duration(time).ok())
                {
                    outcome.answers.push(MacCommand::DeviceTimeAns(payload));
                }
            }
            MacCommand::DevStatusAns(payload) => outcome.dev_status = Some(*payload),
            _ => {}
        }
    }
    outcome
}

/// LinkCheckAns, LoRaWAN 1.0.4 §5.1: the margin in dB above the demodulation floor of the
/// best reception, and how many gateways received the request.
fn link_check_ans(facts: UplinkFacts<'_>) -> LinkCheckAnsPayload {
    let max_snr_db = facts.rx_metadata.first().map_or(f32::MIN, |rx| rx.snr_db);
    let margin = facts
        .modulation
        .and_then(required_snr_db)
        .map_or(0.0, |floor| (max_snr_db - floor).floor());
    LinkCheckAnsPayload {
        // Clamped to the field's range: 255 is reserved.
        margin: margin.clamp(0.0, 254.0) as u8,
        gw_cnt: u8::try_from(facts.rx_metadata.len()).unwrap_or(u8::MAX),
    }
}

/// The SNR a LoRa demodulator needs per spreading factor (Semtech SX1276 datasheet, table 13,
/// the values The Things Stack and ChirpStack use for LinkCheckAns and ADR); `None` for
/// other modulations.
fn required_snr_db(modulation: Modulation) -> Option<f32> {
    let Modulation::Lora {
        spreading_factor, ..
    } = modulation
    else {
        return None;
    };
    match spreading_factor {
        5 => Some(-2.5),
        6 => Some(-5.0),
        7 => Some(-7.5),
        8 => Some(-10.0),
        9 => Some(-12.5),
        10 => Some(-15.0),
        11 => Some(-17.5),
        12 => Some(-20.0),
        _ => None,
    }
}

/// The GPS time of the uplink, LoRaWAN 1.0.4 §5.9: a gateway's GNSS timestamp when one has
/// it, otherwise the edge's reception time converted from Unix time.
fn device_time(facts: UplinkFacts<'_>) -> Option<Duration> {
    if let Some(gps_time_ns) = facts.rx_metadata.iter().find_map(|rx| rx.gps_time_ns) {
        return u64::try_from(gps_time_ns).ok().map(Duration::from_nanos);
    }
    let unix = Duration::from_nanos(u64::try_from(facts.received_at_unix_ns).ok()?);
    unix.checked_sub(Duration::from_secs(GPS_EPOCH_UNIX_SECS))
        .map(|since_gps_epoch| since_gps_epoch + Duration::from_secs(GPS_LEAP_SECONDS))
}

#[cfg(test)]
mod tests {
    use lorawan_region::CodingRate;

    use super::*;

    fn sf(spreading_factor: u8) -> Option<Modulation> {
        Some(Modulation::Lora {
            spreading_factor,
            bandwidth_hz: 125_000,
            coding_rate: CodingRate::Cr4_5,
        })
    }

    fn rx(snr_db: f32, gps_time_ns: Option<i64>) -> pb::UplinkRxMetadata {
        pb::UplinkRxMetadata {
            snr_db,
            gps_time_ns,
            ..pb::UplinkRxMetadata::default()
        }
    }

    #[test]
    fn link_check_margin_table() {
        // (modulation, best SNR, gateways, margin, gw_cnt)
        let cases = [
            (sf(7), 5.0, 2, 12, 2),
            (sf(12), -19.2, 1, 0, 1),
            (sf(12), -25.0, 1, 0, 1),
            (sf(9), 3.9, 3, 16, 3),
            (None, 3.0, 1, 0, 1),
        ];
        for (modulation, snr_db, n, margin, gw_cnt) in cases {
            let rx_metadata = vec![rx(snr_db, None); n];
            let facts = UplinkFacts {
                modulation,
                rx_metadata: &rx_metadata,
                received_at_unix_ns: 0,
            };
            assert_eq!(
                link_check_ans(facts),
                LinkCheckAnsPayload { margin, gw_cnt },
                "{modulation:?} {snr_db}"
            );
        }
    }

    #[test]
    fn device_time_prefers_the_gateway_gps_time() {
        let rx_metadata = [rx(1.0, None), rx(0.0, Some(1_400_000_000_500_000_000))];
        let facts = UplinkFacts {
            modulation: sf(7),
            rx_metadata: &rx_metadata,
            received_at_unix_ns: 1_715_000_000_000_000_000,
        };
        assert_eq!(
            device_time(facts),
            Some(Duration::from_nanos(1_400_000_000_500_000_000))
        );
    }

    #[test]
    fn device_time_converts_unix_time_with_leap_seconds() {
        // 2024-05-06T12:53:20Z is Unix 1715000000 and GPS 1399035218 (18 leap seconds).
        let facts = UplinkFacts {
            modulation: sf(7),
            rx_metadata: &[],
            received_at_unix_ns: 1_715_000_000_250_000_000,
        };
        assert_eq!(
            device_time(facts),
            Some(Duration::from_nanos(1_399_035_218_250_000_000))
        );
    }

    #[test]
    fn answers_requests_in_order_and_ignores_answers() {
        // LinkCheckReq, DevStatusAns (battery 255, margin 10), DeviceTimeReq.
        let f_opts = [0x02, 0x06, 0xff, 0x0a, 0x0d];
        let rx_metadata = [rx(-2.0, Some(1_000_000_000_000_000_000))];
        let facts = UplinkFacts {
            modulation: sf(7),
            rx_metadata: &rx_metadata,
            received_at_unix_ns: 0,
        };
        let outcome = answer(&f_opts, facts);
        assert_eq!(
            outcome.dev_status,
            Some(DevStatusAnsPayload {
                battery: 255,
                margin: 10
            })
        );
        assert_eq!(
            outcome.answers,
            vec![
                MacCommand::LinkCheckAns(LinkCheckAnsPayload {
                    margin: 5,
                    gw_cnt: 1
                }),
                MacCommand::DeviceTimeAns(DeviceTimeAnsPayload {
                    gps_epoch_seconds: 1_000_000_000,
                    fractional_second: 0
                }),
            ]
        );
    }
}
