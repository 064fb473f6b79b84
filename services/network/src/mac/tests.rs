//! Table tests of the MAC-command engine: each command's issuance, answer (ACK and NACK),
//! retries and give-up, LinkADR blocks in EU868 and US915, and a property test that no
//! sequence of uplink commands breaks the MAC state.

use lorawan_region::{CodingRate, Modulation};
use tern_proto::internal::v1 as pb;

use super::UplinkFacts;

/// A LoRa 125 kHz modulation at spreading factor `spreading_factor`.
pub(super) fn sf(spreading_factor: u8) -> Option<Modulation> {
    Some(Modulation::Lora {
        spreading_factor,
        bandwidth_hz: 125_000,
        coding_rate: CodingRate::Cr4_5,
    })
}

/// One gateway's reception.
pub(super) fn rx(snr_db: f32, gps_time_ns: Option<i64>) -> pb::UplinkRxMetadata {
    pb::UplinkRxMetadata {
        snr_db,
        gps_time_ns,
        ..pb::UplinkRxMetadata::default()
    }
}

/// An SF7 (EU868 DR5) uplink without ADR bits.
pub(super) fn facts(rx_metadata: &[pb::UplinkRxMetadata]) -> UplinkFacts<'_> {
    UplinkFacts {
        dr: Some(5),
        modulation: sf(7),
        rx_metadata,
        received_at_unix_ns: 0,
        adr: false,
        adr_ack_req: false,
    }
}
