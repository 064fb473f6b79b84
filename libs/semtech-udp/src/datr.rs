//! Modulation parameters: `datr` (data rate), `codr` (coding rate) and `modu` (modulation).
//!
//! `datr` is a string for LoRa (`"SF7BW125"`) and LR-FHSS (`"M0CW137"`) and a number for
//! FSK (bits per second), PROTOCOL.TXT §4 and §6. This module parses and formats those forms;
//! it deliberately does not check them against a region's data-rate table.

use std::fmt;

use crate::error::{Error, Result};

/// Modulation identifier, the `modu` field (PROTOCOL.TXT §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modulation {
    /// `"LORA"`.
    Lora,
    /// `"FSK"`.
    Fsk,
    /// `"LR-FHSS"` (also read as `"LRFHSS"`, as The Things Stack accepts).
    LrFhss,
}

impl Modulation {
    /// Parses a `modu` value.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "LORA" => Ok(Modulation::Lora),
            "FSK" => Ok(Modulation::Fsk),
            "LR-FHSS" | "LRFHSS" => Ok(Modulation::LrFhss),
            other => Err(Error::UnknownModulation(other.to_owned())),
        }
    }

    /// Returns the `modu` value written on encode.
    pub fn as_str(self) -> &'static str {
        match self {
            Modulation::Lora => "LORA",
            Modulation::Fsk => "FSK",
            Modulation::LrFhss => "LR-FHSS",
        }
    }
}

/// Data rate, the `datr` field (PROTOCOL.TXT §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataRate {
    /// LoRa, `"SF<sf>BW<kHz>"`, e.g. `"SF12BW500"`.
    Lora {
        /// Spreading factor, 5 to 12.
        spreading_factor: u8,
        /// Bandwidth in Hz; a whole number of kHz on the wire.
        bandwidth_hz: u32,
    },
    /// FSK, a JSON number in bits per second, e.g. `50000`.
    Fsk {
        /// Bit rate in bits per second; never 0.
        bit_rate: u32,
    },
    /// LR-FHSS, `"M<type>CW<kHz>"`, e.g. `"M0CW137"` (operating channel width 137 kHz, as
    /// the Semtech LR-FHSS forwarders and ChirpStack write it).
    LrFhss {
        /// Modulation type number after `M`.
        modulation_type: u8,
        /// Operating channel width in Hz; a whole number of kHz on the wire.
        operating_channel_width_hz: u32,
    },
}

/// Smallest and largest LoRa spreading factor a Semtech concentrator reports (SX1302 adds 5, 6).
const SPREADING_FACTORS: std::ops::RangeInclusive<u8> = 5..=12;

impl DataRate {
    /// Returns the modulation this data rate belongs to.
    pub fn modulation(&self) -> Modulation {
        match self {
            DataRate::Lora { .. } => Modulation::Lora,
            DataRate::Fsk { .. } => Modulation::Fsk,
            DataRate::LrFhss { .. } => Modulation::LrFhss,
        }
    }

    /// Parses the string form of `datr` (LoRa or LR-FHSS).
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || Error::InvalidDataRate(text.to_owned());
        if let Some(rest) = text.strip_prefix("SF") {
            let (sf, bw) = rest.split_once("BW").ok_or_else(invalid)?;
            let spreading_factor: u8 = parse_digits(sf).ok_or_else(invalid)?;
            let bandwidth_hz = khz_to_hz(bw).ok_or_else(invalid)?;
            if !SPREADING_FACTORS.contains(&spreading_factor) {
                return Err(invalid());
            }
            return Ok(DataRate::Lora {
                spreading_factor,
                bandwidth_hz,
            });
        }
        if let Some(rest) = text.strip_prefix('M') {
            let (modulation_type, ocw) = rest.split_once("CW").ok_or_else(invalid)?;
            let modulation_type: u8 = parse_digits(modulation_type).ok_or_else(invalid)?;
            let operating_channel_width_hz = khz_to_hz(ocw).ok_or_else(invalid)?;
            return Ok(DataRate::LrFhss {
                modulation_type,
                operating_channel_width_hz,
            });
        }
        Err(invalid())
    }

    /// Builds an FSK data rate from the numeric form of `datr`.
    pub fn fsk(bit_rate: u64) -> Result<Self> {
        match u32::try_from(bit_rate) {
            Ok(bit_rate) if bit_rate > 0 => Ok(DataRate::Fsk { bit_rate }),
            _ => Err(Error::InvalidDataRate(bit_rate.to_string())),
        }
    }

    /// Checks that this value can be written and read back unchanged.
    pub fn validate(&self) -> Result<()> {
        let valid = match *self {
            DataRate::Lora {
                spreading_factor,
                bandwidth_hz,
            } => {
                SPREADING_FACTORS.contains(&spreading_factor)
                    && bandwidth_hz > 0
                    && bandwidth_hz % 1000 == 0
            }
            DataRate::Fsk { bit_rate } => bit_rate > 0,
            DataRate::LrFhss {
                operating_channel_width_hz,
                ..
            } => operating_channel_width_hz > 0 && operating_channel_width_hz % 1000 == 0,
        };
        if valid {
            Ok(())
        } else {
            // Debug, not Display: Display would round the bandwidth to whole kHz.
            Err(Error::InvalidDataRate(format!("{self:?}")))
        }
    }
}

impl fmt::Display for DataRate {
    /// Formats the wire form: `SF7BW125`, `M0CW137`, or the FSK bit rate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DataRate::Lora {
                spreading_factor,
                bandwidth_hz,
            } => write!(f, "SF{spreading_factor}BW{}", bandwidth_hz / 1000),
            DataRate::Fsk { bit_rate } => write!(f, "{bit_rate}"),
            DataRate::LrFhss {
                modulation_type,
                operating_channel_width_hz,
            } => write!(
                f,
                "M{modulation_type}CW{}",
                operating_channel_width_hz / 1000
            ),
        }
    }
}

/// Parses a non-empty run of ASCII digits (no sign, no spaces).
fn parse_digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses a whole number of kHz into a non-zero number of Hz.
fn khz_to_hz(text: &str) -> Option<u32> {
    let khz: u32 = parse_digits(text)?;
    khz.checked_mul(1000).filter(|hz| *hz > 0)
}

/// Forward-error-correction coding rate, the `codr` field (PROTOCOL.TXT §4).
///
/// Kept as the numerator and denominator the gateway wrote, without reducing: LR-FHSS
/// forwarders write `"4/6"` for 2/3 and `"2/6"` for 1/3, LoRa 2.4 GHz gateways add the
/// long-interleaving suffix `LI` (`"4/8LI"`), and SX1302 writes `"OFF"` for CR0 false syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodingRate {
    /// `"OFF"`: no coding rate.
    Off,
    /// `"<k>/<n>"`, optionally suffixed `LI`.
    Ratio {
        /// Numerator, 1 to 8.
        k: u8,
        /// Denominator, greater than `k`, at most 9.
        n: u8,
        /// Long interleaving (`LI` suffix).
        long_interleaving: bool,
    },
}

impl CodingRate {
    /// Parses a `codr` value.
    pub fn parse(text: &str) -> Result<Self> {
        if text == "OFF" {
            return Ok(CodingRate::Off);
        }
        let invalid = || Error::InvalidCodingRate(text.to_owned());
        let (ratio, long_interleaving) = match text.strip_suffix("LI") {
            Some(ratio) => (ratio, true),
            None => (text, false),
        };
        let (k, n) = ratio.split_once('/').ok_or_else(invalid)?;
        let k: u8 = parse_digits(k).ok_or_else(invalid)?;
        let n: u8 = parse_digits(n).ok_or_else(invalid)?;
        let rate = CodingRate::Ratio {
            k,
            n,
            long_interleaving,
        };
        rate.validate().map_err(|_| invalid())?;
        Ok(rate)
    }

    /// Builds a plain LoRa coding rate `4/n`, e.g. `CodingRate::lora(5)` for `"4/5"`.
    pub fn lora(n: u8) -> Self {
        CodingRate::Ratio {
            k: 4,
            n,
            long_interleaving: false,
        }
    }

    /// Checks that this value can be written and read back unchanged.
    pub fn validate(&self) -> Result<()> {
        match *self {
            CodingRate::Off => Ok(()),
            CodingRate::Ratio { k, n, .. } if k >= 1 && k < n && n <= 9 => Ok(()),
            CodingRate::Ratio { .. } => Err(Error::InvalidCodingRate(self.to_string())),
        }
    }
}

impl fmt::Display for CodingRate {
    /// Formats the wire form, e.g. `4/5`, `4/8LI` or `OFF`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CodingRate::Off => f.write_str("OFF"),
            CodingRate::Ratio {
                k,
                n,
                long_interleaving,
            } => {
                write!(f, "{k}/{n}")?;
                if long_interleaving {
                    f.write_str("LI")?;
                }
                Ok(())
            }
        }
    }
}

/// Checks that a `modu` value, when present, agrees with the data rate.
pub(crate) fn check_modulation(modu: Option<&str>, datr: &DataRate) -> Result<()> {
    let Some(modu) = modu else {
        return Ok(());
    };
    if Modulation::parse(modu)? == datr.modulation() {
        Ok(())
    } else {
        Err(Error::ModulationMismatch {
            modu: modu.to_owned(),
            datr: datr.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_data_rate_strings_from_real_forwarders() {
        // Forms from PROTOCOL.TXT §4 and §6, SX1302 lora_pkt_fwd (SF5, SF6), ChirpStack
        // push_data_test.go (M0CW137) and The Things Stack packet_data_test.go (M0CW123).
        let cases = [
            (
                "SF7BW125",
                DataRate::Lora {
                    spreading_factor: 7,
                    bandwidth_hz: 125_000,
                },
            ),
            (
                "SF12BW500",
                DataRate::Lora {
                    spreading_factor: 12,
                    bandwidth_hz: 500_000,
                },
            ),
            (
                "SF5BW250",
                DataRate::Lora {
                    spreading_factor: 5,
                    bandwidth_hz: 250_000,
                },
            ),
            (
                "SF12BW812",
                DataRate::Lora {
                    spreading_factor: 12,
                    bandwidth_hz: 812_000,
                },
            ),
            (
                "M0CW137",
                DataRate::LrFhss {
                    modulation_type: 0,
                    operating_channel_width_hz: 137_000,
                },
            ),
            (
                "M0CW1523",
                DataRate::LrFhss {
                    modulation_type: 0,
                    operating_channel_width_hz: 1_523_000,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(DataRate::parse(text), Ok(expected), "{text}");
            assert_eq!(expected.to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_data_rate_strings() {
        // "SF?" and "BW?" are what SX1302 lora_pkt_fwd writes for unknown values.
        let cases = [
            "",
            "SF",
            "SF7",
            "SF7BW",
            "SFBW125",
            "SF?BW125",
            "SF7BW?",
            "SF4BW125",
            "SF13BW125",
            "SF7BW0",
            "SF+7BW125",
            "SF7BW125 ",
            "sf7bw125",
            "SF7BW62.5",
            "SF7BW9999999",
            "M0",
            "MCW137",
            "M0CW",
            "M0CW0",
            "M256CW137",
            "50000",
            "FSK",
        ];
        for text in cases {
            assert_eq!(
                DataRate::parse(text),
                Err(Error::InvalidDataRate(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn fsk_rejects_zero_and_oversized_bit_rates() {
        assert_eq!(
            DataRate::fsk(50_000),
            Ok(DataRate::Fsk { bit_rate: 50_000 })
        );
        assert_eq!(DataRate::fsk(0), Err(Error::InvalidDataRate("0".into())));
        assert!(DataRate::fsk(u64::from(u32::MAX) + 1).is_err());
    }

    #[test]
    fn validate_rejects_bandwidths_that_are_not_whole_khz() {
        let rate = DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 62_500,
        };
        assert!(rate.validate().is_err());
        let rate = DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
        };
        assert!(rate.validate().is_ok());
    }

    #[test]
    fn parses_coding_rates_without_reducing_them() {
        // "OFF" from SX1302 lora_pkt_fwd; LI and LR-FHSS forms from ChirpStack push_data.go.
        let cases = [
            ("4/5", CodingRate::lora(5)),
            ("4/8", CodingRate::lora(8)),
            ("OFF", CodingRate::Off),
            (
                "2/6",
                CodingRate::Ratio {
                    k: 2,
                    n: 6,
                    long_interleaving: false,
                },
            ),
            (
                "5/6",
                CodingRate::Ratio {
                    k: 5,
                    n: 6,
                    long_interleaving: false,
                },
            ),
            (
                "4/8LI",
                CodingRate::Ratio {
                    k: 4,
                    n: 8,
                    long_interleaving: true,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(CodingRate::parse(text), Ok(expected), "{text}");
            assert_eq!(expected.to_string(), text);
        }
        for text in [
            "", "?", "4/4", "5/4", "0/5", "4/10", "4-5", "4/5L", "off", "4/ 5",
        ] {
            assert_eq!(
                CodingRate::parse(text),
                Err(Error::InvalidCodingRate(text.to_owned())),
                "{text}"
            );
        }
    }

    #[test]
    fn modulation_must_match_data_rate() {
        let lora = DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
        };
        assert_eq!(check_modulation(Some("LORA"), &lora), Ok(()));
        assert_eq!(check_modulation(None, &lora), Ok(()));
        assert_eq!(
            check_modulation(Some("FSK"), &lora),
            Err(Error::ModulationMismatch {
                modu: "FSK".into(),
                datr: "SF7BW125".into()
            })
        );
        assert_eq!(
            check_modulation(Some("GFSK"), &lora),
            Err(Error::UnknownModulation("GFSK".into()))
        );
        let lr_fhss = DataRate::LrFhss {
            modulation_type: 0,
            operating_channel_width_hz: 137_000,
        };
        assert_eq!(check_modulation(Some("LRFHSS"), &lr_fhss), Ok(()));
        assert_eq!(check_modulation(Some("LR-FHSS"), &lr_fhss), Ok(()));
    }
}
