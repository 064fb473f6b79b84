//! Data frames: uplinks reproduce published frames byte for byte, downlinks from published
//! vectors open, acknowledgements flow both ways and 32-bit counters roll over 16 bits.

#[path = "support/network.rs"]
mod network;

use lorawan_codec::{DevAddr, LinkCheckAnsPayload, MType, MacCommand, ResetConfPayload};
use lorawan_region::Band;
use network::{DownlinkSpec, downlink, key, open_uplink};
use tern_sim::{
    Device, DeviceConfig, Error, MacVersion, ReceivedPayload, RxContext, SessionKeys, UplinkParams,
};

fn abp(version: MacVersion, band: &str, dev_addr: u32, keys: SessionKeys) -> Device {
    let config = DeviceConfig::new(version, Band::by_name(band).unwrap());
    Device::abp(config, DevAddr::from_u32(dev_addr), keys)
}

fn app_uplink(f_port: u8, payload: &[u8]) -> UplinkParams {
    UplinkParams {
        f_port: Some(f_port),
        payload: payload.to_vec(),
        ..UplinkParams::default()
    }
}

#[test]
fn lorawan_1_0_uplinks_match_published_frames() {
    // lora-packet README: unconfirmed uplink "test", FCnt 2, no ADR.
    let keys = SessionKeys::v1_0(
        key("44024241ed4ce9a68c6a8bc055233fd3"),
        key("ec925802ae430ca77fd3dd73cb2cc588"),
    );
    let mut device = abp(MacVersion::V1_0_3, "eu868", 0x49be_7df1, keys);
    let mut config = device.config().clone();
    config.adr = false;
    device = Device::abp(config, DevAddr::from_u32(0x49be_7df1), keys);
    device.restore_counters(2, None, None).unwrap();
    let uplink = device.uplink(app_uplink(1, b"test")).unwrap();
    assert_eq!(
        hex::encode(&uplink.phy),
        "40f17dbe4900020001954378762b11ff0d"
    );
    assert_eq!(uplink.f_cnt, Some(2));

    // ChirpStack lorawan (Go) TestPHYPayloadMACPayloadLoRaWAN10: "hello" with ADR, FCnt 1.
    let keys = SessionKeys::v1_0(
        key("02020202020202020202020202020202"),
        key("01010101010101010101010101010101"),
    );
    let mut device = abp(MacVersion::V1_0_4, "eu868", 0x0102_0304, keys);
    device.restore_counters(1, None, None).unwrap();
    let uplink = device.uplink(app_uplink(1, b"hello")).unwrap();
    assert_eq!(
        hex::encode(&uplink.phy),
        "400403020180010001a694642615d6c3b582"
    );
}

#[test]
fn lorawan_1_1_uplink_acknowledging_a_downlink_matches_a_published_frame() {
    // ChirpStack lorawan (Go) TestPHYPayloadMACPayloadLoRaWAN11: ConfFCnt 1, TxDr 2, TxCh 3.
    let keys = SessionKeys {
        f_nwk_s_int_key: key("02020202020202020202020202020203"),
        s_nwk_s_int_key: key("02020202020202020202020202020202"),
        nwk_s_enc_key: key("02020202020202020202020202020204"),
        app_s_key: key("01010101010101010101010101010101"),
    };
    let dev_addr = DevAddr::from_u32(0x0102_0304);
    let mut config = DeviceConfig::new(MacVersion::V1_1, Band::by_name("us915_0").unwrap());
    config.dr = 2;
    let mut device = Device::abp(config, dev_addr, keys);
    device.restore_counters(1, None, None).unwrap();
    // Confirmed downlink 1 confirms the reset, so the uplink carries no ResetInd.
    let confirm = downlink(
        &DownlinkSpec {
            confirmed: true,
            f_cnt: 1,
            f_opts: vec![MacCommand::ResetConf(ResetConfPayload {
                serv_lorawan_minor: 1,
            })],
            lorawan_1_1: true,
            ..DownlinkSpec::default()
        },
        dev_addr,
        &keys,
    );
    let received = device
        .handle_downlink(&confirm, RxContext::default())
        .unwrap();
    assert!(received.confirmed);
    assert!(device.ack_owed());
    let uplink = device
        .uplink(UplinkParams {
            channel: Some(3),
            ..app_uplink(1, b"hello")
        })
        .unwrap();
    assert_eq!(
        hex::encode(&uplink.phy),
        "4004030201a0010001a694642615f842c4b9"
    );
    assert!(!device.ack_owed());
}

#[test]
fn lorawan_1_1_downlinks_from_published_frames_open() {
    // ChirpStack lrwn: LinkCheckAns in encrypted FOpts with FPort 1 (AFCntDown 0).
    let keys = SessionKeys {
        f_nwk_s_int_key: key("01010101010101010101010101010101"),
        s_nwk_s_int_key: key("01010101010101010101010101010100"),
        nwk_s_enc_key: key("01010101010101010101010101010200"),
        app_s_key: key("100f0e0d0c0b0a090807060504030201"),
    };
    let mut device = abp(MacVersion::V1_1, "eu868", 0x0102_0304, keys);
    let phy = hex::decode("600403020103000022ac0a01f0b468ddaa5ed13a").unwrap();
    let received = device.handle_downlink(&phy, RxContext::default()).unwrap();
    let link_check = LinkCheckAnsPayload {
        margin: 7,
        gw_cnt: 1,
    };
    assert_eq!(received.f_port, Some(1));
    assert_eq!(received.payload, [1, 2, 3, 4]);
    assert_eq!(
        received.mac_commands,
        [MacCommand::LinkCheckAns(link_check)]
    );
    assert_eq!(device.link_check_answers(), [link_check]);
    assert_eq!(
        device.received_payloads(),
        [ReceivedPayload {
            f_port: 1,
            f_cnt: 0,
            payload: vec![1, 2, 3, 4]
        }]
    );
    assert_eq!(device.a_f_cnt_down(), Some(0));
    assert_eq!(device.n_f_cnt_down(), None);

    // ChirpStack lorawan (Go): LinkCheckAns in FOpts without FPort (NFCntDown 0).
    let keys = SessionKeys {
        f_nwk_s_int_key: key("02020202020202020202020202020203"),
        s_nwk_s_int_key: key("02020202020202020202020202020202"),
        nwk_s_enc_key: key("02020202020202020202020202020204"),
        app_s_key: key("01010101010101010101010101010101"),
    };
    let mut device = abp(MacVersion::V1_1, "eu868", 0x0102_0304, keys);
    let phy = hex::decode("6004030201030000dfb4f1e24f1f9f").unwrap();
    let received = device.handle_downlink(&phy, RxContext::default()).unwrap();
    assert_eq!(received.f_port, None);
    assert_eq!(
        received.mac_commands,
        [MacCommand::LinkCheckAns(link_check)]
    );
    assert_eq!(device.n_f_cnt_down(), Some(0));
    // Replaying it is refused and changes nothing.
    assert!(matches!(
        device.handle_downlink(&phy, RxContext::default()),
        Err(Error::FCntNotNew { f_cnt: 0 })
    ));
    assert_eq!(device.link_check_answers().len(), 1);
}

fn keys_1_0() -> SessionKeys {
    SessionKeys::v1_0(
        key("000102030405060708090a0b0c0d0e0f"),
        key("f0e0d0c0b0a090807060504030201000"),
    )
}

#[test]
fn frame_counters_roll_over_16_bits_in_both_directions() {
    let keys = keys_1_0();
    let dev_addr = DevAddr::from_u32(0x2600_0001);
    let mut device = abp(MacVersion::V1_0_4, "eu868", dev_addr.to_u32(), keys);
    device.restore_counters(65_534, None, None).unwrap();
    for f_cnt in 65_534..65_538u32 {
        let uplink = device.uplink(app_uplink(2, &f_cnt.to_le_bytes())).unwrap();
        assert_eq!(uplink.f_cnt, Some(f_cnt));
        let opened = open_uplink(&uplink, &keys, f_cnt, false, None);
        assert_eq!(opened.payload, f_cnt.to_le_bytes());
    }
    assert_eq!(device.f_cnt_up(), 65_538);

    for f_cnt in [65_534u32, 65_535, 65_536, 65_540] {
        let phy = downlink(
            &DownlinkSpec {
                f_cnt,
                f_port: Some(3),
                payload: f_cnt.to_le_bytes().to_vec(),
                ..DownlinkSpec::default()
            },
            dev_addr,
            &keys,
        );
        let received = device.handle_downlink(&phy, RxContext::default()).unwrap();
        assert_eq!(received.f_cnt, f_cnt);
        assert_eq!(received.payload, f_cnt.to_le_bytes());
    }
    assert_eq!(device.n_f_cnt_down(), Some(65_540));
    let stale = downlink(
        &DownlinkSpec {
            f_cnt: 65_536,
            ..DownlinkSpec::default()
        },
        dev_addr,
        &keys,
    );
    assert!(matches!(
        device.handle_downlink(&stale, RxContext::default()),
        Err(Error::FCntNotNew { f_cnt: 65_536 })
    ));
}

#[test]
fn acknowledgements_flow_both_ways() {
    let keys = keys_1_0();
    let dev_addr = DevAddr::from_u32(0x2600_0002);
    let mut device = abp(MacVersion::V1_0_3, "eu868", dev_addr.to_u32(), keys);
    let uplink = device
        .uplink(UplinkParams {
            confirmed: true,
            ..app_uplink(1, b"c")
        })
        .unwrap();
    assert_eq!(
        open_uplink(&uplink, &keys, 0, false, None).m_type,
        MType::ConfirmedDataUp
    );
    assert_eq!(device.confirmed_uplink_acked(), Some(false));

    let ack_and_confirm = downlink(
        &DownlinkSpec {
            confirmed: true,
            ack: true,
            f_port: Some(5),
            payload: b"down".to_vec(),
            ..DownlinkSpec::default()
        },
        dev_addr,
        &keys,
    );
    let received = device
        .handle_downlink(&ack_and_confirm, RxContext::default())
        .unwrap();
    assert!(received.ack && received.confirmed);
    assert_eq!(device.confirmed_uplink_acked(), Some(true));
    assert!(device.ack_owed());

    let uplink = device.uplink(UplinkParams::default()).unwrap();
    let opened = open_uplink(&uplink, &keys, 1, false, None);
    assert!(opened.f_ctrl.ack, "ACK for the confirmed downlink");
    assert_eq!(opened.f_port, None);
    let uplink = device.uplink(UplinkParams::default()).unwrap();
    assert!(!open_uplink(&uplink, &keys, 2, false, None).f_ctrl.ack);
}

#[test]
fn lorawan_1_1_downlink_ack_mic_covers_the_confirmed_uplink_counter() {
    let keys = SessionKeys {
        f_nwk_s_int_key: key("11111111111111111111111111111111"),
        s_nwk_s_int_key: key("22222222222222222222222222222222"),
        nwk_s_enc_key: key("33333333333333333333333333333333"),
        app_s_key: key("44444444444444444444444444444444"),
    };
    let dev_addr = DevAddr::from_u32(0x2600_0003);
    let mut device = abp(MacVersion::V1_1, "eu868", dev_addr.to_u32(), keys);
    device.restore_counters(70_000, None, None).unwrap();
    device
        .uplink(UplinkParams {
            confirmed: true,
            ..app_uplink(1, b"x")
        })
        .unwrap();
    let spec = |conf_f_cnt| DownlinkSpec {
        ack: true,
        conf_f_cnt,
        lorawan_1_1: true,
        ..DownlinkSpec::default()
    };
    let wrong = downlink(&spec(Some(69_999)), dev_addr, &keys);
    assert!(matches!(
        device.handle_downlink(&wrong, RxContext::default()),
        Err(Error::InvalidMic)
    ));
    assert_eq!(device.confirmed_uplink_acked(), Some(false));
    let right = downlink(&spec(Some(70_000)), dev_addr, &keys);
    device
        .handle_downlink(&right, RxContext::default())
        .unwrap();
    assert_eq!(device.confirmed_uplink_acked(), Some(true));
}

#[test]
fn refuses_foreign_forged_and_oversized_frames() {
    let keys = keys_1_0();
    let dev_addr = DevAddr::from_u32(0x2600_0004);
    let mut device = abp(MacVersion::V1_0_4, "eu868", dev_addr.to_u32(), keys);
    let foreign = downlink(&DownlinkSpec::default(), DevAddr::from_u32(7), &keys);
    assert!(matches!(
        device.handle_downlink(&foreign, RxContext::default()),
        Err(Error::DevAddrMismatch { .. })
    ));
    let mut forged = downlink(&DownlinkSpec::default(), dev_addr, &keys);
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(matches!(
        device.handle_downlink(&forged, RxContext::default()),
        Err(Error::InvalidMic)
    ));
    assert_eq!(device.n_f_cnt_down(), None);

    // EU868 DR0 carries at most 59 bytes of MACPayload.
    let mut config = device.config().clone();
    config.dr = 0;
    let mut slow = Device::abp(config, dev_addr, keys);
    assert!(matches!(
        slow.uplink(app_uplink(1, &[0; 60])),
        Err(Error::PayloadTooLong { max: 59, got: 68 })
    ));
    assert_eq!(slow.f_cnt_up(), 0);
    assert!(matches!(
        slow.uplink(UplinkParams {
            payload: vec![1],
            ..UplinkParams::default()
        }),
        Err(Error::PayloadWithoutPort)
    ));
}

#[test]
fn retransmissions_repeat_the_counter_and_lorawan_1_1_re_signs_for_the_channel() {
    let keys = keys_1_0();
    let dev_addr = DevAddr::from_u32(0x2600_0005);
    let mut device = abp(MacVersion::V1_0_3, "eu868", dev_addr.to_u32(), keys);
    assert!(matches!(
        device.retransmit(None),
        Err(Error::NothingToRetransmit)
    ));
    let first = device
        .uplink(UplinkParams {
            channel: Some(0),
            ..app_uplink(1, b"again")
        })
        .unwrap();
    let again = device.retransmit(Some(2)).unwrap();
    assert_eq!(
        again.phy, first.phy,
        "a 1.0 retransmission is the same frame"
    );
    assert_eq!((again.frequency_hz, again.f_cnt), (868_500_000, Some(0)));
    assert_eq!(device.f_cnt_up(), 1);

    let keys = SessionKeys {
        f_nwk_s_int_key: key("11111111111111111111111111111111"),
        s_nwk_s_int_key: key("22222222222222222222222222222222"),
        nwk_s_enc_key: key("33333333333333333333333333333333"),
        app_s_key: key("44444444444444444444444444444444"),
    };
    let mut device = abp(MacVersion::V1_1, "eu868", dev_addr.to_u32(), keys);
    let first = device
        .uplink(UplinkParams {
            channel: Some(0),
            ..app_uplink(1, b"again")
        })
        .unwrap();
    let again = device.retransmit(Some(1)).unwrap();
    assert_eq!(again.channel, 1);
    assert_eq!(
        again.phy[..again.phy.len() - 4],
        first.phy[..first.phy.len() - 4]
    );
    assert_ne!(again.phy, first.phy, "TxCh enters the 1.1 MIC");
    let opened = open_uplink(&again, &keys, 0, true, None);
    assert_eq!(opened.payload, b"again");
}
