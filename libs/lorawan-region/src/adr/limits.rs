//! Band-derived limits the ADR engine works within: the data rate range, the largest TX power
//! index, and the SNR each data rate needs to be demodulated.
//!
//! The caller fills these from its band tables; this module deliberately knows no band, so
//! the ADR engine does not change when the band tables do.

use super::error::{Error, Result};

/// Number of data rates a LoRaWAN DataRate field can address (4 bits, LoRaWAN 1.0.4 §5.3).
pub const DATA_RATE_COUNT: usize = 16;

/// Returns the SNR in dB a LoRa receiver needs to demodulate a 125 kHz signal at `sf`, or
/// `None` for a spreading factor outside SF6 to SF12.
///
/// These are the Semtech SX1301/SX1302 demodulation floors that both reference network
/// servers use: ChirpStack `chirpstack/src/config.rs` (`get_required_snr_for_sf`) and The
/// Things Stack `pkg/networkserver/mac/adr.go` (`demodulationFloor`, 125 kHz column) give
/// SF6 −5, SF7 −7.5, SF8 −10, SF9 −12.5, SF10 −15, SF11 −17.5 and SF12 −20 dB.
pub fn required_snr_db_for_sf(sf: u8) -> Option<f32> {
    match sf {
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

/// Band-derived limits for one device's ADR decision (RP002-1.0.4, each band's data rate
/// and TXPower tables).
///
/// ADR only moves within `min_data_rate..=max_data_rate`; the caller passes the range of
/// LoRa data rates it wants ADR to use (ChirpStack, for one, keeps ADR to 125 kHz LoRa data
/// rates). TX power index 0 is the highest power; `max_tx_power_index` is the lowest power
/// the band defines.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdrLimits {
    /// Lowest data rate ADR may assign.
    pub min_data_rate: u8,
    /// Highest data rate ADR may assign.
    pub max_data_rate: u8,
    /// Largest TX power index the band defines (the lowest output power).
    pub max_tx_power_index: u8,
    /// SNR in dB needed to demodulate each data rate, indexed by data rate; `None` where the
    /// band has no such data rate or it is not a LoRa one.
    pub required_snr_db: [Option<f32>; DATA_RATE_COUNT],
}

impl AdrLimits {
    /// Builds limits from the spreading factor of each data rate, starting at DR0, at
    /// 125 kHz (e.g. `[12, 11, 10, 9, 8, 7]` for EU863-870 DR0 to DR5, RP002-1.0.4
    /// EU863-870 data rate table).
    ///
    /// Returns [`Error::UnknownSpreadingFactor`] for a spreading factor outside SF6 to SF12
    /// and [`Error::TooManyDataRates`] for more than 16 entries.
    pub fn from_spreading_factors(
        min_data_rate: u8,
        max_data_rate: u8,
        max_tx_power_index: u8,
        spreading_factors: &[u8],
    ) -> Result<Self> {
        if spreading_factors.len() > DATA_RATE_COUNT {
            return Err(Error::TooManyDataRates(spreading_factors.len()));
        }
        let mut required_snr_db = [None; DATA_RATE_COUNT];
        for (slot, &sf) in required_snr_db.iter_mut().zip(spreading_factors) {
            *slot = Some(required_snr_db_for_sf(sf).ok_or(Error::UnknownSpreadingFactor(sf))?);
        }
        Ok(Self {
            min_data_rate,
            max_data_rate,
            max_tx_power_index,
            required_snr_db,
        })
    }

    /// Returns the SNR in dB needed to demodulate `data_rate`, if the limits hold one.
    pub fn required_snr_db(&self, data_rate: u8) -> Option<f32> {
        self.required_snr_db
            .get(usize::from(data_rate))
            .copied()
            .flatten()
    }

    /// Checks that the data rate range is non-empty and addressable by LinkADRReq.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.min_data_rate > self.max_data_rate
            || usize::from(self.max_data_rate) >= DATA_RATE_COUNT
        {
            return Err(Error::InvalidDataRateRange {
                min: self.min_data_rate,
                max: self.max_data_rate,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_snr_matches_reference_demodulation_floors() {
        // Values from ChirpStack chirpstack/src/config.rs `get_required_snr_for_sf` and
        // The Things Stack pkg/networkserver/mac/adr.go `demodulationFloor` (125 kHz).
        let table = [
            (5, None),
            (6, Some(-5.0)),
            (7, Some(-7.5)),
            (8, Some(-10.0)),
            (9, Some(-12.5)),
            (10, Some(-15.0)),
            (11, Some(-17.5)),
            (12, Some(-20.0)),
            (13, None),
        ];
        for (sf, expected) in table {
            assert_eq!(required_snr_db_for_sf(sf), expected, "SF{sf}");
        }
    }

    #[test]
    fn from_spreading_factors_maps_each_data_rate() {
        // EU863-870 DR0..DR5 are SF12..SF7 at 125 kHz (RP002-1.0.4, EU863-870 data rate table).
        let limits = AdrLimits::from_spreading_factors(0, 5, 7, &[12, 11, 10, 9, 8, 7]).unwrap();
        assert_eq!(limits.required_snr_db(0), Some(-20.0));
        assert_eq!(limits.required_snr_db(5), Some(-7.5));
        assert_eq!(limits.required_snr_db(6), None);
        assert_eq!(limits.required_snr_db(200), None);
    }

    #[test]
    fn from_spreading_factors_rejects_unknown_and_too_many() {
        assert_eq!(
            AdrLimits::from_spreading_factors(0, 1, 7, &[12, 4]),
            Err(Error::UnknownSpreadingFactor(4))
        );
        assert_eq!(
            AdrLimits::from_spreading_factors(0, 1, 7, &[7; 17]),
            Err(Error::TooManyDataRates(17))
        );
    }

    #[test]
    fn validate_rejects_empty_or_unaddressable_range() {
        let mut limits =
            AdrLimits::from_spreading_factors(0, 5, 7, &[12, 11, 10, 9, 8, 7]).unwrap();
        assert_eq!(limits.validate(), Ok(()));
        limits.min_data_rate = 6;
        assert_eq!(
            limits.validate(),
            Err(Error::InvalidDataRateRange { min: 6, max: 5 })
        );
        limits.min_data_rate = 0;
        limits.max_data_rate = 16;
        assert_eq!(
            limits.validate(),
            Err(Error::InvalidDataRateRange { min: 0, max: 16 })
        );
    }
}
