//! What the network wants a device's MAC layer to use. The engine issues requests wherever
//! the device's state differs from it; building it is the caller's policy, this module only
//! offers the neutral starting point (`DesiredSettings::from_session`).

use std::time::Duration;

use lorawan_codec::{AdrParamSetupReqPayload, RejoinParamSetupReqPayload};
use lorawan_region::adr::AdrParams;
use lorawan_region::{Band, Channel};
use tern_proto::internal::v1 as pb;

use super::state::max_eirp_index;

/// The receive-window settings a session's downlink timing uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RxSettings {
    /// RX1 delay in seconds, 1 to 15.
    pub(crate) rx1_delay_s: u8,
    /// RX1DROffset.
    pub(crate) rx1_dr_offset: u8,
    /// RX2 data rate index.
    pub(crate) rx2_dr: u8,
    /// RX2 frequency in Hz.
    pub(crate) rx2_frequency_hz: u32,
}

impl RxSettings {
    /// Reads the settings of `session`.
    pub(crate) fn of_session(session: &pb::DeviceSession) -> Self {
        Self {
            rx1_delay_s: u8::try_from(session.rx1_delay_s.max(1)).unwrap_or(15),
            rx1_dr_offset: u8::try_from(session.rx1_dr_offset).unwrap_or(0),
            rx2_dr: u8::try_from(session.rx2_dr).unwrap_or(0),
            rx2_frequency_hz: session.rx2_frequency_hz,
        }
    }

    /// Returns the band's defaults (RP002-1.0.4 §2: RECEIVE_DELAY1 1 s, RX1DROffset 0, the
    /// band's RX2 channel).
    pub(crate) fn band_defaults(band: &Band) -> Self {
        let rx2 = band.rx2_params();
        Self {
            rx1_delay_s: u8::try_from(band.timing().receive_delay1.as_secs()).unwrap_or(1),
            rx1_dr_offset: 0,
            rx2_dr: rx2.data_rate,
            rx2_frequency_hz: rx2.frequency_hz,
        }
    }
}

/// A channel the network wants beyond the band's defaults (NewChannelReq, DlChannelReq).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DesiredChannel {
    /// Channel index, above the band's default channels and below 16.
    pub(crate) index: u8,
    /// Uplink frequency and data rate range.
    pub(crate) channel: Channel,
    /// RX1 frequency when it differs from the uplink one (DlChannelReq).
    pub(crate) dl_frequency_hz: Option<u32>,
}

/// TxParamSetupReq values (LoRaWAN 1.0.4 §5.8), for bands that implement it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxParams {
    /// Uplink dwell time limited to 400 ms.
    pub(crate) uplink_dwell_time: bool,
    /// Downlink dwell time limited to 400 ms.
    pub(crate) downlink_dwell_time: bool,
    /// MaxEIRP code, 0 to 15.
    pub(crate) max_eirp_index: u8,
}

impl TxParams {
    /// Returns the band's defaults: its default dwell times and maximum EIRP.
    pub(crate) fn band_defaults(band: &Band) -> Self {
        let dwell = band.default_dwell_time();
        Self {
            uplink_dwell_time: dwell.uplink == lorawan_codec::DwellTime::Limit400Ms,
            downlink_dwell_time: dwell.downlink == lorawan_codec::DwellTime::Limit400Ms,
            max_eirp_index: max_eirp_index(band.default_max_eirp_dbm()),
        }
    }
}

/// What the network wants the device to use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DesiredSettings {
    /// Receive windows (RXParamSetupReq, RXTimingSetupReq).
    pub(crate) rx: RxSettings,
    /// The receive windows a LoRaWAN 1.1 ABP device falls back to after ResetInd.
    pub(crate) reset_rx: RxSettings,
    /// Aggregated duty cycle exponent (DutyCycleReq), 0 for no limit.
    pub(crate) max_duty_cycle: u8,
    /// ADR tuning, or `None` when the network does not steer the device's data rate.
    pub(crate) adr: Option<AdrParams>,
    /// Uplink channels the device should have enabled (LinkADRReq channel masks).
    pub(crate) enabled_channels: Vec<usize>,
    /// Channels beyond the band's defaults, for dynamic-channel bands.
    pub(crate) extra_channels: Vec<DesiredChannel>,
    /// TxParamSetupReq values, or `None` to leave the device's as they are.
    pub(crate) tx_params: Option<TxParams>,
    /// LoRaWAN 1.1 ADRParamSetupReq values, or `None`.
    pub(crate) adr_param_setup: Option<AdrParamSetupReqPayload>,
    /// LoRaWAN 1.1 RejoinParamSetupReq values, or `None`.
    pub(crate) rejoin_param_setup: Option<RejoinParamSetupReqPayload>,
    /// How often the device is asked for its status; zero never asks.
    pub(crate) dev_status_interval: Duration,
}

impl DesiredSettings {
    /// Returns settings that keep the session's receive windows and duty cycle, run ADR with
    /// default tuning if the session has it on, and want the band's channels (its enabled
    /// channels and, for a dynamic plan, the channels the deployment added to it).
    pub(crate) fn from_session(
        band: &Band,
        session: &pb::DeviceSession,
        dev_status_interval: Duration,
    ) -> Self {
        let n_default = band.default_channels().len();
        let extra_channels = if band.supports_new_channel_req() {
            band.channels()
                .iter()
                .enumerate()
                .skip(n_default)
                .filter_map(|(index, channel)| {
                    Some(DesiredChannel {
                        index: u8::try_from(index).ok().filter(|index| *index < 16)?,
                        channel: *channel,
                        dl_frequency_hz: None,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            rx: RxSettings::of_session(session),
            reset_rx: RxSettings::band_defaults(band),
            max_duty_cycle: session
                .mac
                .as_ref()
                .and_then(|mac| u8::try_from(mac.max_duty_cycle).ok())
                .unwrap_or(0),
            adr: session.adr.then(AdrParams::default),
            enabled_channels: band.enabled_channels(),
            extra_channels,
            tx_params: None,
            adr_param_setup: None,
            rejoin_param_setup: None,
            dev_status_interval,
        }
    }
}
