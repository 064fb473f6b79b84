//! Helpers for tests that talk to the loopback NATS server (feature `testsuite`).
//!
//! Each call to [`test_options`] gets its own subject root, so tests sharing one
//! server run in parallel without seeing each other's messages.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::BusOptions;

/// The NATS server tests use: the standard port on loopback.
pub const TEST_NATS_URL: &str = "nats://127.0.0.1:4222";

/// Returns a fresh subject root, `test_` followed by 16 random hex digits.
pub fn unique_subject_root() -> String {
    // Each `RandomState` carries distinct random keys, so no counter or RNG crate is
    // needed; the clock and process id only add entropy.
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("test_{:016x}", hasher.finish())
}

/// Returns options for the loopback server with a fresh subject root.
pub fn test_options() -> BusOptions {
    BusOptions {
        url: TEST_NATS_URL.to_owned(),
        subject_root: unique_subject_root(),
        name: "tern-test".to_owned(),
        ..BusOptions::default()
    }
}

/// Sample messages with every field set, for round-trip tests of bus users.
pub mod samples {
    use bytes::Bytes;
    use tern_proto::internal::v1 as pb;

    fn lora_sf7_bw125() -> pb::Modulation {
        pb::Modulation {
            parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
                spreading_factor: 7,
                bandwidth_hz: 125_000,
                code_rate: pb::CodeRate::Cr45 as i32,
            })),
        }
    }

    fn location() -> pb::Location {
        pb::Location {
            latitude_deg: 52.3676,
            longitude_deg: 4.9041,
            altitude_m: 12.5,
            accuracy_m: 3.0,
            source: pb::LocationSource::Gps as i32,
        }
    }

    /// Returns an uplink as received by two gateways, the first one GPS-synchronised.
    pub fn uplink_frame(gateway_eui: u64) -> pb::UplinkFrame {
        let rx_gps = pb::UplinkRxMetadata {
            gateway_eui,
            uplink_id: 0x1234_5678,
            tmst: Some(3_512_348_611),
            context: Bytes::from_static(&[0xd1, 0x5a, 0x3c, 0x00]),
            gps_time_ns: Some(1_400_000_000_123_456_789),
            gateway_time_unix_ns: Some(1_715_000_000_123_456_789),
            received_at_unix_ns: 1_715_000_000_200_000_000,
            rssi_dbm: -35,
            snr_db: 5.1,
            channel: 2,
            rf_chain: 1,
            antenna: 0,
            board: 0,
            fine_timestamp_ns: Some(123_456_789),
            location: Some(location()),
            crc_status: pb::CrcStatus::Ok as i32,
        };
        let rx_plain = pb::UplinkRxMetadata {
            gateway_eui: gateway_eui.wrapping_add(1),
            uplink_id: 7,
            tmst: Some(1),
            rssi_dbm: -120,
            snr_db: -17.5,
            crc_status: pb::CrcStatus::Ok as i32,
            ..pb::UplinkRxMetadata::default()
        };
        pb::UplinkFrame {
            // An unconfirmed data up with FCnt 1, not a real session.
            phy_payload: Bytes::from_static(&[
                0x40, 0x04, 0x03, 0x02, 0x01, 0x80, 0x01, 0x00, 0x01, 0xa6, 0x94, 0x64, 0x26, 0x15,
                0xd6, 0xc3, 0xb5, 0x82,
            ]),
            tx_info: Some(pb::UplinkTxInfo {
                frequency_hz: 868_100_000,
                modulation: Some(lora_sf7_bw125()),
            }),
            rx_metadata: vec![rx_gps, rx_plain],
            received_at_unix_ns: 1_715_000_000_200_500_000,
        }
    }

    /// Returns a class A downlink with an RX1 and an RX2 option.
    pub fn downlink_frame(gateway_eui: u64) -> pb::DownlinkFrame {
        let rx1 = pb::DownlinkTxItem {
            phy_payload: Bytes::from_static(&[0x60, 0x04, 0x03, 0x02, 0x01, 0x20, 0x01, 0x00]),
            frequency_hz: 868_100_000,
            power_dbm: 14,
            modulation: Some(lora_sf7_bw125()),
            timing: Some(pb::DownlinkTiming {
                timing: Some(pb::downlink_timing::Timing::Delay(pb::DelayTiming {
                    tmst: Some(3_512_348_611),
                    context: Bytes::from_static(&[0xd1, 0x5a, 0x3c, 0x00]),
                    delay_ns: 1_000_000_000,
                })),
            }),
            invert_polarization: true,
            rf_chain: 0,
            antenna: 0,
            board: 0,
            slot: pb::DownlinkSlot::Rx1 as i32,
        };
        let rx2 = pb::DownlinkTxItem {
            frequency_hz: 869_525_000,
            power_dbm: 27,
            modulation: Some(pb::Modulation {
                parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
                    spreading_factor: 12,
                    bandwidth_hz: 125_000,
                    code_rate: pb::CodeRate::Cr45 as i32,
                })),
            }),
            timing: Some(pb::DownlinkTiming {
                timing: Some(pb::downlink_timing::Timing::GpsEpoch(pb::GpsEpochTiming {
                    gps_time_ns: 1_400_000_002_000_000_000,
                })),
            }),
            slot: pb::DownlinkSlot::Rx2 as i32,
            ..rx1.clone()
        };
        pb::DownlinkFrame {
            downlink_id: 0xdead_beef,
            gateway_eui,
            items: vec![rx1, rx2],
        }
    }

    /// Returns the acknowledgement of [`downlink_frame`]: RX1 too late, RX2 sent.
    pub fn downlink_tx_ack(gateway_eui: u64) -> pb::DownlinkTxAck {
        let item = |status: pb::TxAckStatus| pb::DownlinkTxAckItem {
            status: status as i32,
        };
        pb::DownlinkTxAck {
            downlink_id: 0xdead_beef,
            gateway_eui,
            items: vec![item(pb::TxAckStatus::TooLate), item(pb::TxAckStatus::Ok)],
        }
    }

    /// Returns a statistics report with location and metadata.
    pub fn gateway_stats(gateway_eui: u64) -> pb::GatewayStats {
        pb::GatewayStats {
            gateway_eui,
            time_unix_ns: Some(1_715_000_030_000_000_000),
            received_at_unix_ns: 1_715_000_030_001_000_000,
            location: Some(location()),
            rx_received: 12,
            rx_ok: 10,
            rx_forwarded: 10,
            tx_received: 3,
            tx_emitted: 2,
            ack_ratio_percent: 100.0,
            metadata: [("platform".to_owned(), "rak7248".to_owned())]
                .into_iter()
                .collect(),
        }
    }
}
