//! Table tests of the MAC-command engine: each command's issuance, answer (ACK and NACK),
//! retries and give-up, LinkADR blocks in EU868 and US915, and a property test that no
//! sequence of uplink commands breaks the MAC state.

use lorawan_region::{CodingRate, Modulation};
use tern_proto::internal::v1 as pb;

use super::UplinkFacts;

mod link_adr;
mod properties;
mod requests;

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

use std::time::Duration;

use lorawan_codec::{
    AdrParamSetupReqPayload, DevStatusAnsPayload, DeviceTimeAnsPayload, DlChannelAnsPayload,
    DlChannelReqPayload, DutyCycleReqPayload, DwellTime, FOpts, LinkAdrAnsPayload,
    LinkAdrReqPayload, LinkCheckAnsPayload, MacCommand, NewChannelAnsPayload, NewChannelReqPayload,
    RejoinParamSetupAnsPayload, RejoinParamSetupReqPayload, RekeyConfPayload, RekeyIndPayload,
    ResetConfPayload, ResetIndPayload, RxParamSetupAnsPayload, RxParamSetupReqPayload,
    RxTimingSetupReqPayload, TxParamSetupReqPayload,
};
use lorawan_region::{Band, Channel};

use super::{
    DesiredChannel, DesiredSettings, MAX_ATTEMPTS, MacInit, MacOutcome, TxParams, commit_sent,
    fit_f_opts, handle_uplink, init_mac_state,
};

/// The time of the first uplink of a test.
const NOW: i64 = 1_700_000_000_000_000_000;
/// One hour in nanoseconds.
const HOUR_NS: i64 = 3_600_000_000_000;

/// A device as the network sees it: its session, band and what the network wants.
struct Device {
    session: pb::DeviceSession,
    band: Band,
    desired: DesiredSettings,
    n_f_cnt_down: u32,
    now_unix_ns: i64,
}

impl Device {
    /// A device of `band_name` right after activation, without ADR; the network wants what
    /// the device has.
    fn new(band_name: &str, mac_version: pb::MacVersion) -> Self {
        let band = Band::by_name(band_name).unwrap();
        let rx2 = band.rx2_params();
        let session = pb::DeviceSession {
            band: band.name().to_owned(),
            mac_version: mac_version as i32,
            rx1_delay_s: 1,
            rx2_dr: u32::from(rx2.data_rate),
            rx2_frequency_hz: rx2.frequency_hz,
            ..pb::DeviceSession::default()
        };
        let desired = DesiredSettings::from_session(&band, &session, Duration::ZERO);
        Self {
            session,
            band,
            desired,
            n_f_cnt_down: 0,
            now_unix_ns: NOW,
        }
    }

    fn eu868() -> Self {
        Self::new("eu868", pb::MacVersion::MacVersion104)
    }

    fn mac(&self) -> &pb::MacState {
        self.session.mac.as_ref().unwrap()
    }

    /// Runs the engine on an uplink at DR5 carrying `commands`.
    fn uplink(&mut self, commands: &[MacCommand]) -> MacOutcome {
        let rx_metadata = [rx(0.0, None)];
        self.uplink_with(commands, facts(&rx_metadata))
    }

    fn uplink_with(&mut self, commands: &[MacCommand], facts: UplinkFacts<'_>) -> MacOutcome {
        handle_uplink(
            &mut self.session,
            &self.band,
            commands,
            &facts,
            &self.desired,
            self.now_unix_ns,
        )
    }

    /// Records that a downlink carried `commands`.
    fn send(&mut self, commands: &[MacCommand]) {
        commit_sent(
            &mut self.session,
            commands,
            self.n_f_cnt_down,
            self.now_unix_ns,
        );
        self.n_f_cnt_down += 1;
    }

    /// An uplink whose every resulting command is sent.
    fn exchange(&mut self, commands: &[MacCommand]) -> MacOutcome {
        let outcome = self.uplink(commands);
        self.send(&outcome.commands);
        outcome
    }
}

fn link_check_ans(margin: u8, gw_cnt: u8) -> MacCommand {
    MacCommand::LinkCheckAns(LinkCheckAnsPayload { margin, gw_cnt })
}

#[test]
fn answers_requests_in_order_and_reads_dev_status() {
    let mut device = Device::eu868();
    let rx_metadata = [rx(-2.0, Some(1_000_000_000_000_000_000))];
    let dev_status = DevStatusAnsPayload {
        battery: 255,
        margin: 10,
    };
    let outcome = device.uplink_with(
        &[
            MacCommand::LinkCheckReq,
            MacCommand::DevStatusAns(dev_status),
            MacCommand::DeviceTimeReq,
        ],
        facts(&rx_metadata),
    );
    assert_eq!(outcome.dev_status, Some(dev_status));
    assert_eq!(
        device.session.dev_status,
        Some(pb::DevStatus {
            battery: 255,
            margin_db: 10
        })
    );
    assert_eq!(
        outcome.commands,
        vec![
            link_check_ans(5, 1),
            MacCommand::DeviceTimeAns(DeviceTimeAnsPayload {
                gps_epoch_seconds: 1_000_000_000,
                fractional_second: 0
            }),
        ]
    );
    assert!(outcome.needs_downlink);
}

#[test]
fn an_uplink_without_anything_to_do_needs_no_downlink_unless_adr_ack_req() {
    let mut device = Device::eu868();
    let outcome = device.uplink(&[]);
    assert_eq!(outcome, MacOutcome::default());
    let rx_metadata = [rx(0.0, None)];
    let outcome = device.uplink_with(
        &[],
        UplinkFacts {
            adr_ack_req: true,
            ..facts(&rx_metadata)
        },
    );
    assert!(outcome.commands.is_empty());
    assert!(
        outcome.needs_downlink,
        "ADRACKReq is answered by any downlink"
    );
}

/// A change to what the network wants, the band and version it applies to, the request it
/// leads to and the answer that acknowledges it.
#[test]
fn commands_go_out_answers_first_and_what_does_not_fit_waits() {
    let mut device = Device::eu868();
    device.desired.max_duty_cycle = 1;
    device.desired.rx.rx1_delay_s = 2;
    device.desired.dev_status_interval = Duration::from_secs(3600);
    let rx_metadata = [rx(0.0, Some(1_000_000_000_000_000_000))];
    let outcome = device.uplink_with(
        &[
            MacCommand::LinkCheckReq,
            MacCommand::LinkCheckReq,
            MacCommand::DeviceTimeReq,
        ],
        facts(&rx_metadata),
    );
    let time = MacCommand::DeviceTimeAns(DeviceTimeAnsPayload {
        gps_epoch_seconds: 1_000_000_000,
        fractional_second: 0,
    });
    let duty_cycle = MacCommand::DutyCycleReq(DutyCycleReqPayload { max_duty_cycle: 1 });
    let timing = MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload { delay: 2 });
    assert_eq!(
        outcome.commands,
        vec![
            link_check_ans(7, 1),
            link_check_ans(7, 1),
            time.clone(),
            duty_cycle.clone(),
            timing.clone(),
            MacCommand::DevStatusReq,
        ]
    );
    // 3 + 3 + 6 + 2 bytes; the RXTimingSetupReq (2) no longer fits, the DevStatusReq does.
    let mut sent = outcome.commands;
    fit_f_opts(&mut sent);
    assert_eq!(
        sent,
        vec![
            link_check_ans(7, 1),
            link_check_ans(7, 1),
            time,
            duty_cycle.clone(),
            MacCommand::DevStatusReq,
        ]
    );
    let len: usize = sent.iter().map(MacCommand::encoded_len).sum();
    assert_eq!(len, FOpts::MAX_LEN);
    device.send(&sent);
    // Unanswered requests go again before new ones.
    assert_eq!(
        device.uplink(&[]).commands,
        vec![duty_cycle, MacCommand::DevStatusReq, timing]
    );
}

#[test]
fn reset_ind_of_a_lorawan_1_1_device_is_confirmed_and_resets_the_mac_state() {
    let mut device = Device::new("eu868", pb::MacVersion::MacVersion11);
    device.desired.max_duty_cycle = 2;
    device.exchange(&[]);
    device.session.rx1_delay_s = 4;
    assert_eq!(device.mac().pending.len(), 1);
    device.desired.max_duty_cycle = 0;
    device.desired.rx.rx1_delay_s = 1;
    let outcome = device.uplink(&[MacCommand::ResetInd(ResetIndPayload {
        dev_lorawan_minor: 1,
    })]);
    let conf = MacCommand::ResetConf(ResetConfPayload {
        serv_lorawan_minor: 1,
    });
    assert_eq!(outcome.commands, vec![conf.clone()]);
    assert_eq!(device.session.rx1_delay_s, 1);
    assert!(device.mac().pending.is_empty());
    assert_eq!(device.mac().owed.len(), 1);
    device.send(&[conf]);
    assert!(device.mac().owed.is_empty());
    assert!(device.mac().pending.is_empty());

    // A LoRaWAN 1.0 device has no ResetInd: CID 0x01 is ignored.
    let mut device = Device::eu868();
    let outcome = device.uplink(&[MacCommand::ResetInd(ResetIndPayload {
        dev_lorawan_minor: 1,
    })]);
    assert!(outcome.commands.is_empty());
}

#[test]
fn rekey_ind_is_confirmed_with_the_highest_common_minor_version() {
    // (device minor, server answer)
    for (dev_lorawan_minor, serv_lorawan_minor) in [(1, 1), (2, 1), (0, 0)] {
        let mut device = Device::new("eu868", pb::MacVersion::MacVersion11);
        let outcome = device.uplink(&[MacCommand::RekeyInd(RekeyIndPayload { dev_lorawan_minor })]);
        assert_eq!(
            outcome.commands,
            vec![MacCommand::RekeyConf(RekeyConfPayload {
                serv_lorawan_minor
            })]
        );
    }
}

#[test]
fn init_mac_state_table() {
    let mut eu868 = Band::by_name("eu868").unwrap();
    eu868.add_channel(Channel::new(867_100_000, 0, 5)).unwrap();
    eu868.add_channel(Channel::new(867_300_000, 0, 5)).unwrap();
    let us915 = Band::by_name("us915_1").unwrap();
    let sub_band_2: Vec<u32> = (8..16).chain([65]).collect();
    // (band, CFList, data rate, enabled channels, extra channels, data rate)
    let cases = [
        (&eu868, true, Some(5), vec![0, 1, 2, 3, 4], 2, 5),
        (&eu868, false, Some(3), vec![0, 1, 2], 0, 3),
        (&eu868, false, Some(15), vec![0, 1, 2], 0, 0),
        (&us915, true, Some(3), sub_band_2, 0, 3),
        (&us915, false, None, (0..72).collect(), 0, 0),
    ];
    for (band, cf_list, data_rate, enabled, n_extra, dr) in cases {
        let mut session = pb::DeviceSession::default();
        init_mac_state(&mut session, band, MacInit { data_rate, cf_list });
        let mac = session.mac.clone().unwrap();
        let name = band.name();
        assert!(mac.initialised, "{name}");
        assert_eq!(mac.enabled_channels, enabled, "{name} {cf_list}");
        assert_eq!(mac.extra_channels.len(), n_extra, "{name} {cf_list}");
        assert_eq!(mac.data_rate, dr, "{name} {data_rate:?}");
        assert_eq!((mac.tx_power_index, mac.nb_trans), (0, 1));
        // Idempotent.
        init_mac_state(&mut session, band, MacInit::default());
        assert_eq!(session.mac, Some(mac));
    }
}
