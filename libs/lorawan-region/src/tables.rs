//! The band tables: one const [`BandTable`] per band and plan, one file per band, all data.
//!
//! Values follow LoRaWAN Regional Parameters RP002-1.0.4 (CN779-787: RP002-1.0.3; ISM2400:
//! Semtech's 2.4 GHz parameters) and were cross-checked against The Things Stack
//! `pkg/band/*_rp2_v1_0_4.go`, ChirpStack `lrwn/src/region/*.rs` and Semtech LoRaMac-node
//! `src/mac/region/Region*.h`. Where those disagree, the band file says which one it follows.

mod as923;
mod au915;
mod cn470;
mod cn779;
mod eu433;
mod eu868;
mod in865;
mod ism2400;
mod kr920;
mod ru864;
mod us915;

use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, Rx1DrTable};
use crate::{ChMaskRule, DutyCycleSubBand, DwellTimes, Revision, Rx1FrequencyRule, RxWindow};

/// Everything RP002 says about one band (or one channel plan of CN470-510).
#[derive(Debug, PartialEq)]
pub(crate) struct BandTable {
    /// Configuration name of the band without a sub-band suffix, e.g. `eu868`, `as923_2`.
    pub id: &'static str,
    /// Name the specification uses, e.g. `EU863-870`.
    pub common_name: &'static str,
    pub revision: Revision,
    /// Data rate table, indexed by DataRate; `None` is RFU.
    pub data_rates: &'static [Option<DataRateEntry>],
    /// RX1 data rate for each uplink data rate and RX1DROffset.
    pub rx1_dr: Rx1DrTable,
    /// RX1 data rate table that applies under a downlink dwell time limit, when different.
    pub rx1_dr_dwell: Option<Rx1DrTable>,
    /// Largest MACPayload when the device may be reached through a repeater.
    pub repeater_max_mac_payload: u8,
    /// Data rate range ADR may assign (lowest and highest uplink data rate of the default
    /// channels).
    pub adr_data_rates: (u8, u8),
    /// TX power offsets in dB from the maximum EIRP, indexed by TXPower.
    pub tx_power_offsets_db: &'static [i8],
    pub default_max_eirp_dbm: f32,
    pub plan: ChannelPlan,
    pub rx1_frequency: Rx1FrequencyRule,
    pub ch_mask: ChMaskRule,
    pub rx2: RxWindow,
    pub beacon: BeaconTable,
    pub duty_cycle_sub_bands: &'static [DutyCycleSubBand],
    pub tx_param_setup: bool,
    pub default_dwell: DwellTimes,
    /// Unit of frequencies in CFList, NewChannelReq, DlChannelReq, RXParamSetupReq.
    pub frequency_step_hz: u32,
}

/// Class B defaults as const data.
#[derive(Debug, PartialEq)]
pub(crate) struct BeaconTable {
    pub data_rate: u8,
    pub frequencies: &'static [u32],
    pub ping_slot_frequencies: &'static [u32],
}

/// Every band table, in the order [`crate::Band::names`] lists them.
pub(crate) const BANDS: &[&BandTable] = &[
    &eu868::EU868,
    &us915::US915,
    &au915::AU915,
    &cn470::CN470_20A,
    &cn470::CN470_20B,
    &cn470::CN470_26A,
    &cn470::CN470_26B,
    &as923::AS923_1,
    &as923::AS923_2,
    &as923::AS923_3,
    &as923::AS923_4,
    &kr920::KR920,
    &in865::IN865,
    &ru864::RU864,
    &eu433::EU433,
    &cn779::CN779,
    &ism2400::ISM2400,
];

/// Other names accepted for a band: (alias, band id).
pub(crate) const ALIASES: &[(&str, &str)] = &[("as923", "as923_1")];

/// RX1 data rate rows "DR − offset, not below DR0" for DR0 to DR7 and RX1DROffset 0 to 5,
/// the table most dynamic-channel bands share (RP002-1.0.4 §2.4 EU863-870, and others).
pub(crate) const RX1_DR_DOWN_TO_DR0: [&[u8]; 8] = [
    &[0, 0, 0, 0, 0, 0],
    &[1, 0, 0, 0, 0, 0],
    &[2, 1, 0, 0, 0, 0],
    &[3, 2, 1, 0, 0, 0],
    &[4, 3, 2, 1, 0, 0],
    &[5, 4, 3, 2, 1, 0],
    &[6, 5, 4, 3, 2, 1],
    &[7, 6, 5, 4, 3, 2],
];

/// Largest MACPayload through a repeater in the sub-GHz bands (RP002-1.0.4 payload tables,
/// "repeater compatible" column, as ChirpStack encodes them).
pub(crate) const REPEATER_MAX_MAC_PAYLOAD: u8 = 230;

/// No dwell time limit in either direction.
pub(crate) const NO_DWELL: DwellTimes = DwellTimes {
    uplink: lorawan_codec::DwellTime::NoLimit,
    downlink: lorawan_codec::DwellTime::NoLimit,
};

/// A 400 ms uplink dwell time limit, none for downlinks.
pub(crate) const UPLINK_DWELL: DwellTimes = DwellTimes {
    uplink: lorawan_codec::DwellTime::Limit400Ms,
    downlink: lorawan_codec::DwellTime::NoLimit,
};

/// Finds a band table by its id or alias.
pub(crate) fn find(id: &str) -> Option<&'static BandTable> {
    let id = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(id))
        .map_or(id, |(_, target)| target);
    BANDS
        .iter()
        .copied()
        .find(|table| table.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_rate(table: &BandTable, dr: u8, downlink: bool) -> bool {
        match table.data_rates.get(usize::from(dr)) {
            Some(Some(entry)) if downlink => entry.data_rate.downlink,
            Some(Some(entry)) => entry.data_rate.uplink,
            _ => false,
        }
    }

    #[test]
    fn rx1_tables_map_uplink_rates_to_downlink_rates() {
        for table in BANDS {
            assert!(table.data_rates.len() <= 16, "{}", table.id);
            for rx1 in [Some(table.rx1_dr), table.rx1_dr_dwell]
                .into_iter()
                .flatten()
            {
                for (dr, row) in (0u8..).zip(rx1.iter()) {
                    assert!(
                        row.is_empty() || is_rate(table, dr, false),
                        "{} DR{dr}",
                        table.id
                    );
                    for down in *row {
                        assert!(
                            is_rate(table, *down, true),
                            "{} DR{dr} -> DR{down}",
                            table.id
                        );
                    }
                }
            }
            assert!(is_rate(table, table.rx2.data_rate, true), "{}", table.id);
            assert!(is_rate(table, table.beacon.data_rate, true), "{}", table.id);
            assert!(!table.tx_power_offsets_db.is_empty(), "{}", table.id);
        }
    }

    #[test]
    fn channels_name_defined_uplink_rates_and_join_channels_their_index() {
        for table in BANDS {
            let channels: Vec<crate::Channel> = match table.plan {
                ChannelPlan::Dynamic {
                    default_channels,
                    extra_join_channels,
                    ..
                } => [default_channels, extra_join_channels].concat(),
                ChannelPlan::Fixed {
                    groups,
                    join_channels,
                    ..
                } => {
                    for (index, join) in join_channels {
                        let found = crate::channel::index_in_groups(groups, join.frequency_hz);
                        assert_eq!(found, Some(*index), "{} {}", table.id, join.frequency_hz);
                    }
                    crate::channel::expand_groups(groups)
                }
            };
            for channel in channels {
                assert!(
                    is_rate(table, channel.min_dr, false),
                    "{} {channel:?}",
                    table.id
                );
                assert!(
                    is_rate(table, channel.max_dr, false),
                    "{} {channel:?}",
                    table.id
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_and_lowercase() {
        for (i, table) in BANDS.iter().enumerate() {
            assert_eq!(table.id, table.id.to_ascii_lowercase());
            assert!(BANDS[i + 1..].iter().all(|other| other.id != table.id));
        }
        assert_eq!(find("AS923").map(|t| t.id), Some("as923_1"));
        assert_eq!(find("nowhere"), None);
    }
}
