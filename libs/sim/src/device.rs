//! [`Device`]: a virtual LoRaWAN end device as a pure state machine.
//!
//! The device keeps what a real device keeps: its root or session keys, frame counters, channel
//! plan, data rate, TX power, receive window settings and the MAC answers it owes. Frames go in
//! and out as bytes; the caller moves them over a radio (usually a [`crate::Gateway`]) and
//! passes the receive context in. There is no clock: receive windows are the caller's to time.
//!
//! Deliberately absent: class B, rejoin-requests, duty-cycle enforcement and retransmission
//! timing; the device records the settings that govern them.

mod channels;
mod config;
mod downlink;
mod join;
mod mac;
mod uplink;

use lorawan_codec::{
    DevAddr, DeviceTimeAnsPayload, DwellTime, Eui64, LinkCheckAnsPayload, MacCommand,
};
use lorawan_region::{Channel, Modulation, RxWindow};

pub use config::{DeviceClass, DeviceConfig, MacVersion, RootKeys, RxSettings, SessionKeys};
pub use downlink::{Downlink, ReceivedPayload, RxContext, RxSlot};
pub use join::JoinAccepted;
pub use uplink::{Uplink, UplinkParams};

use crate::Result;

/// How the device was activated and what OTAA state it keeps.
#[derive(Debug, Clone)]
enum Activation {
    Otaa {
        root_keys: RootKeys,
        /// Next DevNonce of a counting device.
        next_dev_nonce: u16,
        /// DevNonces a random-nonce device already used, never repeated.
        used_dev_nonces: Vec<u16>,
        /// The DevNonce of the join-request awaiting its join-accept.
        pending_dev_nonce: Option<u16>,
        /// The last JoinNonce accepted (LoRaWAN 1.1 devices require it to grow).
        last_join_nonce: Option<u32>,
        /// Frequency of the last join-request, which decides RX2 after the join in CN470.
        join_frequency_hz: u32,
    },
    Abp,
}

/// The state of an active session.
#[derive(Debug, Clone)]
struct Session {
    dev_addr: DevAddr,
    keys: SessionKeys,
    /// Whether frames use the LoRaWAN 1.1 MIC and FOpts encryption.
    lorawan_1_1: bool,
    /// The FCntUp of the next uplink.
    f_cnt_up: u32,
    /// Last NFCntDown (FCntDown in 1.0.x) received.
    n_f_cnt_down: Option<u32>,
    /// Last AFCntDown received (LoRaWAN 1.1 only).
    a_f_cnt_down: Option<u32>,
    /// The counter of a confirmed downlink not acknowledged yet.
    ack_owed: Option<u32>,
    /// The FCntUp of the last confirmed uplink and whether a downlink acknowledged it.
    confirmed_uplink: Option<(u32, bool)>,
    /// LoRaWAN 1.1 OTAA: RekeyInd rides in every uplink until RekeyConf (1.1 §5.10).
    rekey_pending: bool,
    /// LoRaWAN 1.1 ABP: ResetInd rides in every uplink until ResetConf (1.1 §5.1).
    reset_pending: bool,
}

/// A virtual LoRaWAN end device; see the module documentation.
#[derive(Debug, Clone)]
pub struct Device {
    config: DeviceConfig,
    activation: Activation,
    session: Option<Session>,
    rng: u64,
    /// Uplink channels by index; `None` is an index no channel is defined at.
    channels: Vec<Option<Channel>>,
    /// RX1 frequencies set with DlChannelReq, by channel index.
    rx1_frequencies: Vec<Option<u32>>,
    enabled: Vec<usize>,
    dr: u8,
    tx_power: u8,
    nb_trans: u8,
    max_duty_cycle: u8,
    rx: RxSettings,
    uplink_dwell_time: DwellTime,
    downlink_dwell_time: DwellTime,
    max_eirp: Option<u8>,
    adr_ack_limit_exp: Option<u8>,
    adr_ack_delay_exp: Option<u8>,
    /// ADR_ACK_CNT: uplinks since the last downlink (LoRaWAN 1.0.4 §4.3.1.1).
    adr_ack_cnt: u32,
    rejoin_max_time_n: Option<u8>,
    rejoin_max_count_n: Option<u8>,
    /// Answers sent once, in the next uplink.
    answers: Vec<MacCommand>,
    /// Answers repeated in every uplink until a class A downlink arrives.
    sticky_answers: Vec<MacCommand>,
    /// Requests (LinkCheckReq, DeviceTimeReq) for the next uplink.
    requests: Vec<MacCommand>,
    mac_received: Vec<MacCommand>,
    link_check_answers: Vec<LinkCheckAnsPayload>,
    device_time_answers: Vec<DeviceTimeAnsPayload>,
    received: Vec<ReceivedPayload>,
    /// The last data uplink without its MIC, for retransmissions.
    last_uplink: Option<uplink::LastUplink>,
}

impl Device {
    fn new(config: DeviceConfig, activation: Activation, session: Option<Session>) -> Self {
        let band = &config.band;
        let (channels, enabled) = channels::initial(band);
        let rx2 = band.rx2_params();
        let rx = RxSettings {
            rx1_delay_s: 1,
            rx1_dr_offset: 0,
            rx2_dr: rx2.data_rate,
            rx2_frequency_hz: rx2.frequency_hz,
        };
        let dwell = band.default_dwell_time();
        let rx1_frequencies = vec![None; channels.len()];
        Self {
            dr: config.dr,
            rng: config.seed,
            activation,
            session,
            channels,
            rx1_frequencies,
            enabled,
            tx_power: 0,
            nb_trans: 1,
            max_duty_cycle: 0,
            rx,
            uplink_dwell_time: dwell.uplink,
            downlink_dwell_time: dwell.downlink,
            max_eirp: None,
            adr_ack_limit_exp: None,
            adr_ack_delay_exp: None,
            adr_ack_cnt: 0,
            rejoin_max_time_n: None,
            rejoin_max_count_n: None,
            answers: Vec::new(),
            sticky_answers: Vec::new(),
            requests: Vec::new(),
            mac_received: Vec::new(),
            link_check_answers: Vec::new(),
            device_time_answers: Vec::new(),
            received: Vec::new(),
            last_uplink: None,
            config,
        }
    }

    /// Creates an OTAA device that has not joined yet; its first DevNonce (1.0.4 and 1.1) is 0.
    pub fn otaa(config: DeviceConfig, root_keys: RootKeys) -> Self {
        let activation = Activation::Otaa {
            root_keys,
            next_dev_nonce: 0,
            used_dev_nonces: Vec::new(),
            pending_dev_nonce: None,
            last_join_nonce: None,
            join_frequency_hz: 0,
        };
        Self::new(config, activation, None)
    }

    /// Creates an ABP device with its session (LoRaWAN 1.0.4 §6.1.1); a LoRaWAN 1.1 device
    /// then sends ResetInd until the network confirms (LoRaWAN 1.1 §5.1).
    pub fn abp(config: DeviceConfig, dev_addr: DevAddr, keys: SessionKeys) -> Self {
        let lorawan_1_1 = config.mac_version == MacVersion::V1_1;
        let session = Session {
            dev_addr,
            keys,
            lorawan_1_1,
            f_cnt_up: 0,
            n_f_cnt_down: None,
            a_f_cnt_down: None,
            ack_owed: None,
            confirmed_uplink: None,
            rekey_pending: false,
            reset_pending: lorawan_1_1,
        };
        Self::new(config, Activation::Abp, Some(session))
    }

    /// Moves the frame counters of the session, as a device restoring them from storage does:
    /// `f_cnt_up` for the next uplink, the downlink counters as last received.
    pub fn restore_counters(
        &mut self,
        f_cnt_up: u32,
        n_f_cnt_down: Option<u32>,
        a_f_cnt_down: Option<u32>,
    ) -> Result<()> {
        let session = self.session.as_mut().ok_or(crate::Error::NotActivated)?;
        session.f_cnt_up = f_cnt_up;
        session.n_f_cnt_down = n_f_cnt_down;
        session.a_f_cnt_down = a_f_cnt_down;
        Ok(())
    }

    /// Returns the device's static settings.
    pub fn config(&self) -> &DeviceConfig {
        &self.config
    }

    /// Returns the DevEUI of an OTAA device.
    pub fn dev_eui(&self) -> Option<Eui64> {
        match &self.activation {
            Activation::Otaa { root_keys, .. } => Some(root_keys.dev_eui),
            Activation::Abp => None,
        }
    }

    /// Returns the root keys of an OTAA device.
    pub fn root_keys(&self) -> Option<&RootKeys> {
        match &self.activation {
            Activation::Otaa { root_keys, .. } => Some(root_keys),
            Activation::Abp => None,
        }
    }

    /// Returns the DevAddr of the session, if any.
    pub fn dev_addr(&self) -> Option<DevAddr> {
        self.session.as_ref().map(|session| session.dev_addr)
    }

    /// Returns the session keys, if any.
    pub fn session_keys(&self) -> Option<&SessionKeys> {
        self.session.as_ref().map(|session| &session.keys)
    }

    /// Tells whether the session uses LoRaWAN 1.1 frames (a 1.1 device joined with OptNeg, or
    /// a 1.1 ABP device).
    pub fn is_lorawan_1_1_session(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|session| session.lorawan_1_1)
    }

    /// Returns the FCntUp the next uplink will carry (0 without a session).
    pub fn f_cnt_up(&self) -> u32 {
        self.session.as_ref().map_or(0, |session| session.f_cnt_up)
    }

    /// Returns the last NFCntDown (FCntDown in 1.0.x) received.
    pub fn n_f_cnt_down(&self) -> Option<u32> {
        self.session
            .as_ref()
            .and_then(|session| session.n_f_cnt_down)
    }

    /// Returns the last AFCntDown received (LoRaWAN 1.1 sessions).
    pub fn a_f_cnt_down(&self) -> Option<u32> {
        self.session
            .as_ref()
            .and_then(|session| session.a_f_cnt_down)
    }

    /// Tells whether the device owes an ACK for a confirmed downlink.
    pub fn ack_owed(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|session| session.ack_owed.is_some())
    }

    /// Tells whether a downlink acknowledged the last confirmed uplink; `None` when no
    /// confirmed uplink was sent in the session.
    pub fn confirmed_uplink_acked(&self) -> Option<bool> {
        self.session
            .as_ref()
            .and_then(|session| session.confirmed_uplink)
            .map(|(_, acked)| acked)
    }

    /// Returns the current uplink data rate.
    pub fn dr(&self) -> u8 {
        self.dr
    }

    /// Returns the current TXPower index.
    pub fn tx_power(&self) -> u8 {
        self.tx_power
    }

    /// Returns NbTrans, how often each unconfirmed uplink should be sent.
    pub fn nb_trans(&self) -> u8 {
        self.nb_trans
    }

    /// Returns MaxDutyCycle of the last DutyCycleReq (0 when none arrived).
    pub fn max_duty_cycle(&self) -> u8 {
        self.max_duty_cycle
    }

    /// Returns the indexes of the enabled uplink channels.
    pub fn enabled_channels(&self) -> &[usize] {
        &self.enabled
    }

    /// Returns the defined uplink channels with their indexes.
    pub fn channels(&self) -> Vec<(usize, Channel)> {
        self.channels
            .iter()
            .enumerate()
            .filter_map(|(index, channel)| channel.map(|channel| (index, channel)))
            .collect()
    }

    /// Returns the receive window settings.
    pub fn rx_settings(&self) -> RxSettings {
        self.rx
    }

    /// Returns the uplink and downlink dwell time limits (TxParamSetupReq).
    pub fn dwell_times(&self) -> (DwellTime, DwellTime) {
        (self.uplink_dwell_time, self.downlink_dwell_time)
    }

    /// Returns the MaxEIRP index of the last TxParamSetupReq.
    pub fn max_eirp(&self) -> Option<u8> {
        self.max_eirp
    }

    /// Returns Limit_exp and Delay_exp of the last ADRParamSetupReq.
    pub fn adr_params(&self) -> Option<(u8, u8)> {
        self.adr_ack_limit_exp.zip(self.adr_ack_delay_exp)
    }

    /// Returns ADR_ACK_CNT, the uplinks sent since the last downlink.
    pub fn adr_ack_cnt(&self) -> u32 {
        self.adr_ack_cnt
    }

    /// Returns ADR_ACK_LIMIT and ADR_ACK_DELAY: the band defaults, or the values of an
    /// ADRParamSetupReq (LoRaWAN 1.1 §5.11).
    pub fn adr_ack_limits(&self) -> (u32, u32) {
        let timing = self.config.band.timing();
        let limit = self
            .adr_ack_limit_exp
            .map_or(u32::from(timing.adr_ack_limit), |exp| 1 << exp);
        let delay = self
            .adr_ack_delay_exp
            .map_or(u32::from(timing.adr_ack_delay), |exp| 1 << exp);
        (limit, delay)
    }

    /// Returns MaxTimeN and MaxCountN of the last RejoinParamSetupReq.
    pub fn rejoin_params(&self) -> Option<(u8, u8)> {
        self.rejoin_max_time_n.zip(self.rejoin_max_count_n)
    }

    /// Returns the application payloads received, oldest first.
    pub fn received_payloads(&self) -> &[ReceivedPayload] {
        &self.received
    }

    /// Returns every MAC command received in downlinks, oldest first.
    pub fn mac_commands_received(&self) -> &[MacCommand] {
        &self.mac_received
    }

    /// Returns the LinkCheckAns received, oldest first.
    pub fn link_check_answers(&self) -> &[LinkCheckAnsPayload] {
        &self.link_check_answers
    }

    /// Returns the DeviceTimeAns received, oldest first.
    pub fn device_time_answers(&self) -> &[DeviceTimeAnsPayload] {
        &self.device_time_answers
    }

    /// Returns the MAC commands the next uplink will carry, in order.
    pub fn pending_mac_commands(&self) -> Vec<MacCommand> {
        self.mac_commands_for_uplink()
    }

    /// Queues a LinkCheckReq for the next uplink (LoRaWAN 1.0.4 §5.1).
    pub fn request_link_check(&mut self) {
        self.requests.push(MacCommand::LinkCheckReq);
    }

    /// Queues a DeviceTimeReq for the next uplink (LoRaWAN 1.0.4 §5.9).
    pub fn request_device_time(&mut self) {
        self.requests.push(MacCommand::DeviceTimeReq);
    }

    /// Returns the RX1 window following `uplink`: the band's RX1 rule with the device's
    /// RX1DROffset, downlink dwell time and DlChannelReq frequencies.
    pub fn rx1_window(&self, uplink: &Uplink) -> Result<RxWindow> {
        let band = &self.config.band;
        if uplink.f_cnt.is_none() {
            return Ok(band.join_accept_rx1_params(
                uplink.frequency_hz,
                uplink.dr,
                self.downlink_dwell_time,
            )?);
        }
        let mut window = band.rx1_params(
            uplink.frequency_hz,
            uplink.dr,
            self.rx.rx1_dr_offset,
            self.downlink_dwell_time,
        )?;
        if let Some(Some(frequency_hz)) = self.rx1_frequencies.get(uplink.channel) {
            window.frequency_hz = *frequency_hz;
        }
        Ok(window)
    }

    /// Returns the RX2 window (also the class C window).
    pub fn rx2_window(&self) -> RxWindow {
        RxWindow {
            frequency_hz: self.rx.rx2_frequency_hz,
            data_rate: self.rx.rx2_dr,
        }
    }

    /// Returns the modulation of data rate `dr` in the device's band.
    fn modulation(&self, dr: u8) -> Result<Modulation> {
        Ok(self.config.band.data_rate(dr)?.modulation)
    }

    /// Returns the next pseudo-random number (SplitMix64), reproducible from the seed.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns a pseudo-random index below `len` (which must not be 0).
    fn random_index(&mut self, len: usize) -> usize {
        debug_assert!(len > 0);
        // The remainder is below `len`, so it fits a usize.
        usize::try_from(self.next_random() % len as u64).unwrap_or(0)
    }
}
