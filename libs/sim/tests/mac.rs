//! MAC commands: the device validates, applies and answers them like a real device, and a
//! network server reads the answers back from the next uplinks.

#[path = "support/network.rs"]
mod network;

use lorawan_codec::{
    DevAddr, DevStatusAnsPayload, LinkAdrAnsPayload, LinkAdrReqPayload, MacCommand,
    NewChannelAnsPayload, NewChannelReqPayload, RxParamSetupAnsPayload, RxParamSetupReqPayload,
    RxTimingSetupReqPayload,
};
use lorawan_crypto::FOptsScheme;
use lorawan_region::Band;
use network::{DownlinkSpec, downlink, key, open_uplink, open_uplink_with_scheme};
use tern_sim::{Device, DeviceConfig, MacVersion, RxContext, RxSlot, SessionKeys, UplinkParams};

const DEV_ADDR: u32 = 0x2600_1234;

fn keys() -> SessionKeys {
    SessionKeys::v1_0(
        key("000102030405060708090a0b0c0d0e0f"),
        key("f0e0d0c0b0a090807060504030201000"),
    )
}

/// A LoRaWAN 1.0.x ABP device and the network's next downlink counter.
struct Link {
    device: Device,
    n_f_cnt_down: u32,
}

impl Link {
    fn new(version: MacVersion, band: &str) -> Self {
        let config = DeviceConfig::new(version, Band::by_name(band).unwrap());
        Self {
            device: Device::abp(config, DevAddr::from_u32(DEV_ADDR), keys()),
            n_f_cnt_down: 0,
        }
    }

    /// Sends MAC commands in FOpts in `slot` with SNR `snr_db`.
    fn send(&mut self, f_opts: Vec<MacCommand>, slot: RxSlot, snr_db: f32) {
        let phy = downlink(
            &DownlinkSpec {
                f_cnt: self.n_f_cnt_down,
                f_opts,
                ..DownlinkSpec::default()
            },
            DevAddr::from_u32(DEV_ADDR),
            &keys(),
        );
        self.n_f_cnt_down += 1;
        self.device
            .handle_downlink(&phy, RxContext { slot, snr_db })
            .unwrap();
    }

    /// Returns the MAC commands of the device's next uplink, as the network reads them.
    fn answers(&mut self) -> Vec<MacCommand> {
        let f_cnt = self.device.f_cnt_up();
        let uplink = self.device.uplink(UplinkParams::default()).unwrap();
        open_uplink(&uplink, &keys(), f_cnt, false, None).f_opts
    }
}

fn link_adr(
    data_rate: u8,
    tx_power: u8,
    ch_mask_cntl: u8,
    ch_mask: u16,
    nb_trans: u8,
) -> MacCommand {
    MacCommand::LinkAdrReq(LinkAdrReqPayload {
        data_rate,
        tx_power,
        ch_mask,
        ch_mask_cntl,
        nb_trans,
    })
}

fn link_adr_ans(channel_mask_ack: bool, data_rate_ack: bool, power_ack: bool) -> MacCommand {
    MacCommand::LinkAdrAns(LinkAdrAnsPayload {
        channel_mask_ack,
        data_rate_ack,
        power_ack,
    })
}

#[test]
fn eu868_device_adds_a_channel_then_applies_a_link_adr_req() {
    let mut link = Link::new(MacVersion::V1_0_4, "eu868");
    link.send(
        vec![
            MacCommand::NewChannelReq(NewChannelReqPayload {
                ch_index: 3,
                frequency_hz: 867_100_000,
                min_dr: 0,
                max_dr: 5,
            }),
            link_adr(3, 2, 0, 0b1010, 2),
        ],
        RxSlot::Rx1,
        5.0,
    );
    assert_eq!(link.device.enabled_channels(), [1, 3]);
    assert_eq!(
        (
            link.device.dr(),
            link.device.tx_power(),
            link.device.nb_trans()
        ),
        (3, 2, 2)
    );
    assert_eq!(
        link.answers(),
        [
            MacCommand::NewChannelAns(NewChannelAnsPayload {
                channel_frequency_ok: true,
                data_rate_range_ok: true
            }),
            link_adr_ans(true, true, true)
        ]
    );
    for _ in 0..10 {
        let uplink = link.device.uplink(UplinkParams::default()).unwrap();
        assert!([868_300_000, 867_100_000].contains(&uplink.frequency_hz));
        assert_eq!(uplink.dr, 3);
    }

    // An undefined channel, then an FSK data rate the channels do not allow, then a power
    // index the band lacks: each refused whole, the state kept.
    link.send(vec![link_adr(4, 1, 0, 1 << 9, 1)], RxSlot::Rx1, 5.0);
    assert_eq!(link.answers(), [link_adr_ans(false, true, true)]);
    link.send(vec![link_adr(7, 1, 0, 0b1, 1)], RxSlot::Rx1, 5.0);
    assert_eq!(link.answers(), [link_adr_ans(true, false, true)]);
    link.send(vec![link_adr(4, 14, 0, 0b1, 1)], RxSlot::Rx1, 5.0);
    assert_eq!(link.answers(), [link_adr_ans(true, true, false)]);
    assert_eq!(link.device.enabled_channels(), [1, 3]);
    assert_eq!((link.device.dr(), link.device.tx_power()), (3, 2));

    // LoRaWAN 1.0.4: DR and TXPower 15 and NbTrans 0 keep the current values; ChMaskCntl 6
    // enables every defined channel.
    link.send(vec![link_adr(15, 15, 6, 0, 0)], RxSlot::Rx1, 5.0);
    assert_eq!(link.answers(), [link_adr_ans(true, true, true)]);
    assert_eq!(link.device.enabled_channels(), [0, 1, 2, 3]);
    assert_eq!(
        (
            link.device.dr(),
            link.device.tx_power(),
            link.device.nb_trans()
        ),
        (3, 2, 2)
    );
}

#[test]
fn us915_device_applies_a_link_adr_req_block_and_answers_each_request() {
    let mut link = Link::new(MacVersion::V1_0_3, "us915_0");
    assert_eq!(link.device.enabled_channels(), [0, 1, 2, 3, 4, 5, 6, 7, 64]);
    // All 125 kHz channels off with channel 65 on, then channels 16 to 23 on.
    link.send(
        vec![link_adr(0, 0, 7, 0b10, 0), link_adr(2, 5, 1, 0x00ff, 1)],
        RxSlot::Rx2,
        5.0,
    );
    assert_eq!(
        link.device.enabled_channels(),
        [16, 17, 18, 19, 20, 21, 22, 23, 65]
    );
    assert_eq!((link.device.dr(), link.device.tx_power()), (2, 5));
    assert_eq!(
        link.answers(),
        [
            link_adr_ans(true, true, true),
            link_adr_ans(true, true, true)
        ]
    );
    let uplink = link.device.uplink(UplinkParams::default()).unwrap();
    assert!(
        (902_300_000 + 16 * 200_000..=902_300_000 + 23 * 200_000).contains(&uplink.frequency_hz)
    );

    // DR4 (SF8BW500) needs a 500 kHz channel, which this block disables: refused as a whole.
    link.send(
        vec![link_adr(4, 0, 7, 0, 1), link_adr(4, 0, 0, 0x00ff, 1)],
        RxSlot::Rx1,
        5.0,
    );
    assert_eq!(
        link.answers(),
        [
            link_adr_ans(true, false, true),
            link_adr_ans(true, false, true)
        ]
    );
    assert_eq!(
        link.device.enabled_channels(),
        [16, 17, 18, 19, 20, 21, 22, 23, 65]
    );
    // Before LoRaWAN 1.0.4, NbTrans 0 means 1.
    assert_eq!(link.device.nb_trans(), 1);
}

#[test]
fn rx_param_setup_answer_repeats_until_a_class_a_downlink() {
    let mut link = Link::new(MacVersion::V1_0_4, "eu868");
    let request = RxParamSetupReqPayload {
        rx1_dr_offset: 2,
        rx2_data_rate: 3,
        frequency_hz: 869_525_000,
    };
    link.send(vec![MacCommand::RxParamSetupReq(request)], RxSlot::Rx1, 5.0);
    let rx = link.device.rx_settings();
    assert_eq!(
        (rx.rx1_dr_offset, rx.rx2_dr, rx.rx2_frequency_hz),
        (2, 3, 869_525_000)
    );
    let answer = MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
        channel_ack: true,
        rx2_data_rate_ack: true,
        rx1_dr_offset_ack: true,
    });
    assert_eq!(link.answers(), std::slice::from_ref(&answer));
    assert_eq!(link.answers(), std::slice::from_ref(&answer), "sticky");
    // A class C downlink is not a class A downlink: the answer stays.
    link.send(vec![], RxSlot::ClassC, 5.0);
    assert_eq!(link.answers(), [answer]);
    link.send(vec![], RxSlot::Rx2, 5.0);
    assert_eq!(link.answers(), []);

    // Out of band frequency and RFU offset: refused, settings kept.
    let bad = RxParamSetupReqPayload {
        rx1_dr_offset: 7,
        rx2_data_rate: 0,
        frequency_hz: 915_000_000,
    };
    link.send(vec![MacCommand::RxParamSetupReq(bad)], RxSlot::Rx1, 5.0);
    assert_eq!(
        link.answers(),
        [MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
            channel_ack: false,
            rx2_data_rate_ack: true,
            rx1_dr_offset_ack: false,
        })]
    );
    assert_eq!(link.device.rx_settings(), rx);
}

#[test]
fn answers_dev_status_timing_and_duty_cycle_and_records_the_network_answers() {
    let mut link = Link::new(MacVersion::V1_0_3, "eu868");
    link.device.request_link_check();
    link.device.request_device_time();
    assert_eq!(
        link.answers(),
        [MacCommand::LinkCheckReq, MacCommand::DeviceTimeReq]
    );
    link.send(
        vec![
            MacCommand::DevStatusReq,
            MacCommand::DutyCycleReq(lorawan_codec::DutyCycleReqPayload { max_duty_cycle: 4 }),
            MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload { delay: 3 }),
            MacCommand::LinkCheckAns(lorawan_codec::LinkCheckAnsPayload {
                margin: 20,
                gw_cnt: 2,
            }),
        ],
        RxSlot::Rx1,
        -7.6,
    );
    assert_eq!(link.device.rx_settings().rx1_delay_s, 3);
    assert_eq!(link.device.max_duty_cycle(), 4);
    assert_eq!(link.device.link_check_answers().len(), 1);
    assert_eq!(link.device.mac_commands_received().len(), 4);
    let status = MacCommand::DevStatusAns(DevStatusAnsPayload {
        battery: 254,
        margin: -8,
    });
    assert_eq!(
        link.answers(),
        [
            status,
            MacCommand::DutyCycleAns,
            MacCommand::RxTimingSetupAns
        ]
    );
    assert_eq!(link.answers(), [MacCommand::RxTimingSetupAns], "sticky");
}

#[test]
fn answers_that_overflow_f_opts_go_in_a_port_zero_payload() {
    let mut link = Link::new(MacVersion::V1_0_4, "eu868");
    let requests: Vec<MacCommand> = (3..8)
        .map(|ch_index| {
            MacCommand::NewChannelReq(NewChannelReqPayload {
                ch_index,
                frequency_hz: 867_100_000 + u32::from(ch_index) * 200_000,
                min_dr: 0,
                max_dr: 5,
            })
        })
        .chain([MacCommand::DevStatusReq])
        .collect();
    let port_zero = |f_cnt| {
        downlink(
            &DownlinkSpec {
                f_cnt,
                f_port: Some(0),
                payload: lorawan_codec::encode_mac_commands(&requests).unwrap(),
                ..DownlinkSpec::default()
            },
            DevAddr::from_u32(DEV_ADDR),
            &keys(),
        )
    };
    link.device
        .handle_downlink(&port_zero(0), RxContext::default())
        .unwrap();
    assert_eq!(link.device.channels().len(), 8);
    // Five NewChannelAns and a DevStatusAns take 13 bytes: they fit FOpts.
    assert_eq!(link.device.pending_mac_commands().len(), 6);
    link.device.request_link_check();
    link.device.request_device_time();
    link.device.request_link_check();
    let uplink = link.device.uplink(UplinkParams::default()).unwrap();
    let opened = open_uplink(&uplink, &keys(), 0, false, None);
    assert_eq!(opened.f_port, Some(0));
    assert_eq!(opened.f_opts.len(), 9);
    assert!(link.device.pending_mac_commands().is_empty());

    // With an application payload, what does not fit FOpts waits.
    link.device
        .handle_downlink(&port_zero(1), RxContext::default())
        .unwrap();
    link.device.request_link_check();
    link.device.request_device_time();
    link.device.request_link_check();
    let uplink = link
        .device
        .uplink(UplinkParams {
            f_port: Some(1),
            payload: b"app".to_vec(),
            ..UplinkParams::default()
        })
        .unwrap();
    let opened = open_uplink(&uplink, &keys(), 1, false, None);
    assert_eq!(opened.payload, b"app");
    assert_eq!(opened.f_opts.len(), 8);
    assert_eq!(
        link.device.pending_mac_commands(),
        [MacCommand::LinkCheckReq]
    );
}

#[test]
fn lorawan_1_1_abp_device_resets_and_answers_1_1_commands_in_either_f_opts_layout() {
    for scheme in [FOptsScheme::Original, FOptsScheme::Errata] {
        let keys = SessionKeys {
            f_nwk_s_int_key: key("11111111111111111111111111111111"),
            s_nwk_s_int_key: key("22222222222222222222222222222222"),
            nwk_s_enc_key: key("33333333333333333333333333333333"),
            app_s_key: key("44444444444444444444444444444444"),
        };
        let dev_addr = DevAddr::from_u32(DEV_ADDR);
        let mut config = DeviceConfig::new(MacVersion::V1_1, Band::by_name("as923").unwrap());
        config.f_opts_scheme = scheme;
        let mut device = Device::abp(config, dev_addr, keys);
        let reset_ind = MacCommand::ResetInd(lorawan_codec::ResetIndPayload {
            dev_lorawan_minor: 1,
        });
        for f_cnt in 0..2 {
            let uplink = device.uplink(UplinkParams::default()).unwrap();
            let opened = open_uplink_with_scheme(&uplink, &keys, f_cnt, true, None, scheme);
            assert_eq!(opened.f_opts, std::slice::from_ref(&reset_ind));
        }
        let commands = vec![
            MacCommand::ResetConf(lorawan_codec::ResetConfPayload {
                serv_lorawan_minor: 1,
            }),
            MacCommand::AdrParamSetupReq(lorawan_codec::AdrParamSetupReqPayload {
                limit_exp: 6,
                delay_exp: 5,
            }),
            MacCommand::RejoinParamSetupReq(lorawan_codec::RejoinParamSetupReqPayload {
                max_time_n: 10,
                max_count_n: 4,
            }),
            MacCommand::TxParamSetupReq(lorawan_codec::TxParamSetupReqPayload {
                downlink_dwell_time: lorawan_codec::DwellTime::Limit400Ms,
                uplink_dwell_time: lorawan_codec::DwellTime::Limit400Ms,
                max_eirp: 5,
            }),
            MacCommand::DlChannelReq(lorawan_codec::DlChannelReqPayload {
                ch_index: 1,
                frequency_hz: 923_600_000,
            }),
        ];
        let phy = downlink(
            &DownlinkSpec {
                f_opts: commands,
                lorawan_1_1: true,
                scheme: Some(scheme),
                ..DownlinkSpec::default()
            },
            dev_addr,
            &keys,
        );
        device.handle_downlink(&phy, RxContext::default()).unwrap();
        assert_eq!(device.adr_params(), Some((6, 5)));
        assert_eq!(device.rejoin_params(), Some((10, 4)));
        assert_eq!(device.max_eirp(), Some(5));
        let dl_channel_ans = MacCommand::DlChannelAns(lorawan_codec::DlChannelAnsPayload {
            channel_frequency_ok: true,
            uplink_frequency_exists: true,
        });
        let uplink = device
            .uplink(UplinkParams {
                channel: Some(1),
                ..UplinkParams::default()
            })
            .unwrap();
        assert_eq!(
            device.rx1_window(&uplink).unwrap().frequency_hz,
            923_600_000
        );
        let opened = open_uplink_with_scheme(&uplink, &keys, 2, true, None, scheme);
        assert_eq!(
            opened.f_opts,
            [
                MacCommand::AdrParamSetupAns,
                MacCommand::RejoinParamSetupAns(lorawan_codec::RejoinParamSetupAnsPayload {
                    time_ok: true
                }),
                MacCommand::TxParamSetupAns,
                dl_channel_ans.clone(),
            ]
        );
        let uplink = device.uplink(UplinkParams::default()).unwrap();
        let opened = open_uplink_with_scheme(&uplink, &keys, 3, true, None, scheme);
        assert_eq!(opened.f_opts, [dl_channel_ans], "DlChannelAns is sticky");
    }
}

#[test]
fn adr_back_off_asks_for_a_downlink_then_restores_power_and_lowers_the_data_rate() {
    let mut link = Link::new(MacVersion::V1_0_4, "eu868");
    link.send(vec![link_adr(5, 3, 0, 0b111, 1)], RxSlot::Rx1, 5.0);
    assert_eq!((link.device.dr(), link.device.tx_power()), (5, 3));
    assert_eq!(link.device.adr_ack_limits(), (64, 32));
    let mut adr_ack_reqs = Vec::new();
    for _ in 0..129 {
        let f_cnt = link.device.f_cnt_up();
        let uplink = link.device.uplink(UplinkParams::default()).unwrap();
        let opened = open_uplink(&uplink, &keys(), f_cnt, false, None);
        adr_ack_reqs.push((opened.f_ctrl.adr_ack_req, uplink.dr, link.device.tx_power()));
    }
    // Uplink n (from 0) is sent with ADR_ACK_CNT = n.
    assert_eq!(adr_ack_reqs[63], (false, 5, 3));
    assert_eq!(adr_ack_reqs[64], (true, 5, 3));
    assert_eq!(adr_ack_reqs[95], (true, 5, 3));
    assert_eq!(adr_ack_reqs[96], (true, 5, 0), "default TX power first");
    assert_eq!(adr_ack_reqs[127], (true, 5, 0));
    assert_eq!(adr_ack_reqs[128], (true, 4, 0), "then one data rate lower");
    assert_eq!(link.device.adr_ack_cnt(), 129);

    link.send(vec![], RxSlot::Rx2, 5.0);
    assert_eq!(link.device.adr_ack_cnt(), 0);
    let f_cnt = link.device.f_cnt_up();
    let uplink = link.device.uplink(UplinkParams::default()).unwrap();
    assert!(
        !open_uplink(&uplink, &keys(), f_cnt, false, None)
            .f_ctrl
            .adr_ack_req
    );
}
