//! DeviceTimeReq → DeviceTimeAns (LoRaWAN 1.0.4 §5.9): the GPS time of the end of the
//! uplink.

use std::time::Duration;

use lorawan_codec::{DeviceTimeAnsPayload, MacCommand};

use super::UplinkFacts;

/// Seconds from the Unix epoch to the GPS epoch (1980-01-06T00:00:00Z).
const GPS_EPOCH_UNIX_SECS: u64 = 315_964_800;
/// Leap seconds GPS time is ahead of UTC, since 2017-01-01 (IERS Bulletin C).
const GPS_LEAP_SECONDS: u64 = 18;

/// Answers DeviceTimeReq, or nothing when the uplink's time is unknown or out of range.
pub(super) fn device_time_ans(facts: &UplinkFacts<'_>) -> Option<MacCommand> {
    device_time(facts)
        .and_then(|time| DeviceTimeAnsPayload::from_duration(time).ok())
        .map(MacCommand::DeviceTimeAns)
}

/// The GPS time of the uplink: a gateway's GNSS timestamp when one has it, otherwise the
/// edge's reception time converted from Unix time.
fn device_time(facts: &UplinkFacts<'_>) -> Option<Duration> {
    if let Some(gps_time_ns) = facts.rx_metadata.iter().find_map(|rx| rx.gps_time_ns) {
        return u64::try_from(gps_time_ns).ok().map(Duration::from_nanos);
    }
    let unix = Duration::from_nanos(u64::try_from(facts.received_at_unix_ns).ok()?);
    unix.checked_sub(Duration::from_secs(GPS_EPOCH_UNIX_SECS))
        .map(|since_gps_epoch| since_gps_epoch + Duration::from_secs(GPS_LEAP_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::tests::{facts, rx};

    #[test]
    fn device_time_prefers_the_gateway_gps_time() {
        let rx_metadata = [rx(1.0, None), rx(0.0, Some(1_400_000_000_500_000_000))];
        let facts = UplinkFacts {
            received_at_unix_ns: 1_715_000_000_000_000_000,
            ..facts(&rx_metadata)
        };
        assert_eq!(
            device_time(&facts),
            Some(Duration::from_nanos(1_400_000_000_500_000_000))
        );
    }

    #[test]
    fn device_time_converts_unix_time_with_leap_seconds() {
        // 2024-05-06T12:53:20Z is Unix 1715000000 and GPS 1399035218 (18 leap seconds).
        let facts = UplinkFacts {
            received_at_unix_ns: 1_715_000_000_250_000_000,
            ..facts(&[])
        };
        assert_eq!(
            device_time(&facts),
            Some(Duration::from_nanos(1_399_035_218_250_000_000))
        );
    }

    #[test]
    fn device_time_before_the_gps_epoch_is_not_answered() {
        let facts = UplinkFacts {
            received_at_unix_ns: 1_000,
            ..facts(&[])
        };
        assert_eq!(device_time_ans(&facts), None);
    }
}
