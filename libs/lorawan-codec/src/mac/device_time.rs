//! DeviceTimeAns (CID 0x0D): the network tells a device the GPS time at the end of the uplink
//! that carried its DeviceTimeReq, LoRaWAN 1.0.4 §5.9 and 1.1 §5.12.
//!
//! DeviceTimeReq has no payload and is a unit variant of `MacCommand`. The codec does not read a
//! clock: callers pass the time in, as a duration since the GPS epoch (1980-01-06T00:00:00Z,
//! without leap seconds).

use std::time::Duration;

use super::wire::FixedPayload;
use crate::{Error, Result};

/// Nanoseconds in one fractional-second step (1/256 s).
const NANOS_PER_STEP: u32 = 3_906_250;

/// DeviceTimeAns payload (downlink, CID 0x0D), LoRaWAN 1.0.4 §5.9.
///
/// Wire layout (5 bytes): seconds since the GPS epoch (32 bits, little-endian), then the
/// fractional second in 1/256 s steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceTimeAnsPayload {
    /// Whole seconds since the GPS epoch.
    pub gps_epoch_seconds: u32,
    /// Fractional second in steps of 1/256 s (about 3.9 ms).
    pub fractional_second: u8,
}

impl DeviceTimeAnsPayload {
    /// Creates the payload for a time given as the duration since the GPS epoch, rounding the
    /// fraction down to 1/256 s; fails if the seconds do not fit in 32 bits (after 2116).
    pub fn from_duration(since_gps_epoch: Duration) -> Result<Self> {
        let seconds = since_gps_epoch.as_secs();
        let gps_epoch_seconds = u32::try_from(seconds).map_err(|_| Error::OutOfRange {
            field: "DeviceTimeAns seconds",
            value: seconds,
        })?;
        let steps = since_gps_epoch.subsec_nanos() / NANOS_PER_STEP;
        let fractional_second = u8::try_from(steps).expect("subsec_nanos < 1e9 gives steps < 256");
        Ok(Self {
            gps_epoch_seconds,
            fractional_second,
        })
    }

    /// Returns the time as the duration since the GPS epoch.
    pub fn to_duration(&self) -> Duration {
        Duration::new(
            u64::from(self.gps_epoch_seconds),
            u32::from(self.fractional_second) * NANOS_PER_STEP,
        )
    }
}

impl FixedPayload<5> for DeviceTimeAnsPayload {
    fn from_bytes([s0, s1, s2, s3, fractional_second]: [u8; 5]) -> Self {
        Self {
            gps_epoch_seconds: u32::from_le_bytes([s0, s1, s2, s3]),
            fractional_second,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 5]> {
        let [s0, s1, s2, s3] = self.gps_epoch_seconds.to_le_bytes();
        Ok([s0, s1, s2, s3, self.fractional_second])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_durations_rounding_the_fraction_down() {
        let payload =
            DeviceTimeAnsPayload::from_duration(Duration::new(1_000, 500_000_000)).unwrap();
        assert_eq!(
            payload,
            DeviceTimeAnsPayload {
                gps_epoch_seconds: 1_000,
                fractional_second: 128
            }
        );
        assert_eq!(payload.to_duration(), Duration::new(1_000, 500_000_000));

        // 3.9 ms is just under one step of 3.90625 ms.
        let payload = DeviceTimeAnsPayload::from_duration(Duration::new(7, 3_900_000)).unwrap();
        assert_eq!(payload.fractional_second, 0);
        let payload = DeviceTimeAnsPayload::from_duration(Duration::new(7, 999_999_999)).unwrap();
        assert_eq!(payload.fractional_second, 255);
    }

    #[test]
    fn rejects_times_beyond_32_bit_seconds() {
        let too_late = Duration::from_secs(u64::from(u32::MAX) + 1);
        assert_eq!(
            DeviceTimeAnsPayload::from_duration(too_late),
            Err(Error::OutOfRange {
                field: "DeviceTimeAns seconds",
                value: u64::from(u32::MAX) + 1
            })
        );
    }
}
