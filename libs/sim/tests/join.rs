//! OTAA: devices build join-requests and open join-accepts built the way a join server builds
//! them with `lorawan-crypto`, for LoRaWAN 1.0.x and 1.1, and a published TTN join.

#[path = "support/network.rs"]
mod network;

use lorawan_codec::{CfList, CfListFrequencies, DevAddr, Eui64, MType, MacCommand, NetId};
use lorawan_crypto::{derive_session_keys_1_0, derive_session_keys_1_1};
use lorawan_region::Band;
use network::{AcceptFields, DownlinkSpec, downlink, join_accept, key, open_uplink};
use tern_sim::{
    Device, DeviceConfig, Error, MacVersion, RootKeys, RxContext, SessionKeys, UplinkParams,
};

fn eu868() -> Band {
    Band::by_name("eu868").unwrap()
}

fn root_keys_1_1() -> RootKeys {
    RootKeys {
        dev_eui: Eui64::from_u64(0x0102_0304_0506_0708),
        join_eui: Eui64::from_u64(0x7000_0000_0000_0001),
        app_key: key("000102030405060708090a0b0c0d0e0f"),
        nwk_key: key("0f0e0d0c0b0a09080706050403020100"),
    }
}

fn fields(opt_neg: bool) -> AcceptFields {
    AcceptFields {
        join_nonce: 0x00_0102,
        net_id: NetId::from_u32(0x13).unwrap(),
        dev_addr: DevAddr::from_u32(0x2601_2e43),
        opt_neg,
        rx1_dr_offset: 2,
        rx2_dr: 3,
        rx_delay: 5,
        cf_list: None,
    }
}

#[test]
fn reproduces_a_published_ttn_join_request_and_opens_its_join_accept() {
    // avbentem, "deciphering a LoRaWAN OTAA join-accept" (lora-packet issue #10).
    let app_key = key("b6b53f4a168a7a88bdf7ea135ce9cfca");
    let root_keys = RootKeys::v1_0(
        Eui64::from_u64(0x00af_ee7c_f5ed_6f1e),
        Eui64::from_u64(0x70b3_d57e_d000_00dc),
        app_key,
    );
    let mut device = Device::otaa(DeviceConfig::new(MacVersion::V1_0_3, eu868()), root_keys);
    let request = device.join_request_with_dev_nonce(0xcc85).unwrap();
    assert_eq!(
        hex::encode(&request.phy),
        "00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe913"
    );
    assert_eq!(request.f_cnt, None);
    assert!([868_100_000, 868_300_000, 868_500_000].contains(&request.frequency_hz));

    let accept =
        hex::decode("204dd85ae608b87fc4889970b7d2042c9e72959b0057aed6094b16003df12de145").unwrap();
    let accepted = device.handle_join_accept(&accept).unwrap();
    assert_eq!(accepted.dev_addr, DevAddr::from_u32(0x2601_2e43));
    assert_eq!(accepted.join_nonce.to_u32(), 0xe5_063a);
    assert_eq!(accepted.net_id, NetId::from_u32(0x13).unwrap());
    assert!(!accepted.opt_neg);
    let expected = derive_session_keys_1_0(&app_key, 0xe5_063a, accepted.net_id, 0xcc85);
    assert_eq!(
        accepted.keys,
        SessionKeys::v1_0(expected.nwk_s_key, expected.app_s_key)
    );
    assert_eq!(device.session_keys(), Some(&accepted.keys));
    let rx = device.rx_settings();
    assert_eq!((rx.rx1_dr_offset, rx.rx2_dr, rx.rx1_delay_s), (0, 3, 1));
    assert_eq!(rx.rx2_frequency_hz, 869_525_000);
    let frequencies: Vec<u32> = device
        .channels()
        .iter()
        .map(|(_, channel)| channel.frequency_hz)
        .collect();
    assert_eq!(
        frequencies,
        [
            868_100_000,
            868_300_000,
            868_500_000,
            867_100_000,
            867_300_000,
            867_500_000,
            867_700_000,
            867_900_000
        ]
    );
    assert_eq!(device.enabled_channels(), [0, 1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn lorawan_1_0_3_device_joins_and_its_uplink_verifies_with_the_derived_keys() {
    let app_key = key("2b7e151628aed2a6abf7158809cf4f3c");
    let dev_eui = Eui64::from_u64(0x0004_a30b_001c_0530);
    let join_eui = Eui64::from_u64(0x70b3_d57e_d000_0000);
    let mut config = DeviceConfig::new(MacVersion::V1_0_3, eu868());
    config.seed = 42;
    let mut device = Device::otaa(config, RootKeys::v1_0(dev_eui, join_eui, app_key));
    let request = device.join_request().unwrap();
    let dev_nonce = request.dev_nonce.unwrap();

    let mut fields = fields(false);
    fields.cf_list = Some(CfList::Frequencies(
        CfListFrequencies::new([867_100_000, 867_300_000, 0, 0, 0]).unwrap(),
    ));
    let accept = join_accept(&fields, &app_key, dev_eui, join_eui, dev_nonce);
    let accepted = device.handle_join_accept(&accept).unwrap();
    let expected = derive_session_keys_1_0(&app_key, 0x102, fields.net_id, dev_nonce);
    assert_eq!(accepted.keys.nwk_s_key(), expected.nwk_s_key);
    assert_eq!(accepted.keys.app_s_key, expected.app_s_key);
    assert_eq!(device.dev_addr(), Some(fields.dev_addr));
    let rx = device.rx_settings();
    assert_eq!((rx.rx1_dr_offset, rx.rx2_dr, rx.rx1_delay_s), (2, 3, 5));
    assert_eq!(device.enabled_channels(), [0, 1, 2, 3, 4]);

    let uplink = device
        .uplink(UplinkParams {
            f_port: Some(10),
            payload: b"hello".to_vec(),
            confirmed: true,
            channel: Some(4),
        })
        .unwrap();
    assert_eq!(uplink.frequency_hz, 867_300_000);
    assert_eq!(uplink.dr, 5);
    let opened = open_uplink(&uplink, &accepted.keys, 0, false, None);
    assert_eq!(opened.m_type, MType::ConfirmedDataUp);
    assert_eq!(opened.f_port, Some(10));
    assert_eq!(opened.payload, b"hello");
    assert!(opened.f_ctrl.adr);
    assert_eq!(device.f_cnt_up(), 1);
    assert_eq!(device.confirmed_uplink_acked(), Some(false));
}

#[test]
fn lorawan_1_1_device_joins_with_opt_neg_and_sends_rekey_ind_until_rekey_conf() {
    let root_keys = root_keys_1_1();
    let mut device = Device::otaa(
        DeviceConfig::new(MacVersion::V1_1, eu868()),
        root_keys.clone(),
    );
    let first = device.join_request().unwrap();
    let second = device.join_request().unwrap();
    assert_eq!(first.dev_nonce, Some(0));
    assert_eq!(second.dev_nonce, Some(1), "1.1 DevNonce counts up");

    let fields = fields(true);
    let accept = join_accept(
        &fields,
        &root_keys.nwk_key,
        root_keys.dev_eui,
        root_keys.join_eui,
        1,
    );
    let accepted = device.handle_join_accept(&accept).unwrap();
    assert!(accepted.opt_neg);
    assert!(device.is_lorawan_1_1_session());
    let expected = derive_session_keys_1_1(
        &root_keys.nwk_key,
        &root_keys.app_key,
        0x102,
        root_keys.join_eui,
        1,
    );
    assert_eq!(accepted.keys.f_nwk_s_int_key, expected.f_nwk_s_int_key);
    assert_eq!(accepted.keys.s_nwk_s_int_key, expected.s_nwk_s_int_key);
    assert_eq!(accepted.keys.nwk_s_enc_key, expected.nwk_s_enc_key);
    assert_eq!(accepted.keys.app_s_key, expected.app_s_key);

    let rekey_ind = MacCommand::RekeyInd(lorawan_codec::RekeyIndPayload {
        dev_lorawan_minor: 1,
    });
    for f_cnt in 0..2 {
        let uplink = device.uplink(UplinkParams::default()).unwrap();
        let opened = open_uplink(&uplink, &accepted.keys, f_cnt, true, None);
        assert_eq!(
            opened.f_opts,
            std::slice::from_ref(&rekey_ind),
            "RekeyInd in encrypted FOpts"
        );
    }
    let rekey_conf = downlink(
        &DownlinkSpec {
            f_opts: vec![MacCommand::RekeyConf(lorawan_codec::RekeyConfPayload {
                serv_lorawan_minor: 1,
            })],
            lorawan_1_1: true,
            ..DownlinkSpec::default()
        },
        fields.dev_addr,
        &accepted.keys,
    );
    device
        .handle_downlink(&rekey_conf, RxContext::default())
        .unwrap();
    let uplink = device.uplink(UplinkParams::default()).unwrap();
    assert!(
        open_uplink(&uplink, &accepted.keys, 2, true, None)
            .f_opts
            .is_empty()
    );

    // A later join must bring a higher JoinNonce (LoRaWAN 1.1 §6.2.3).
    device.join_request().unwrap();
    let replayed = join_accept(
        &fields,
        &root_keys.nwk_key,
        root_keys.dev_eui,
        root_keys.join_eui,
        2,
    );
    assert!(matches!(
        device.handle_join_accept(&replayed),
        Err(Error::JoinNonceNotIncreasing {
            last: 0x102,
            got: 0x102
        })
    ));
    assert_eq!(
        device.dev_addr(),
        Some(fields.dev_addr),
        "session unchanged"
    );
}

#[test]
fn lorawan_1_1_device_answered_without_opt_neg_runs_a_1_0_session_on_its_nwk_key() {
    let root_keys = root_keys_1_1();
    let mut device = Device::otaa(
        DeviceConfig::new(MacVersion::V1_1, eu868()),
        root_keys.clone(),
    );
    device.join_request().unwrap();
    let fields = fields(false);
    let accept = join_accept(
        &fields,
        &root_keys.nwk_key,
        root_keys.dev_eui,
        root_keys.join_eui,
        0,
    );
    let accepted = device.handle_join_accept(&accept).unwrap();
    assert!(!accepted.opt_neg);
    assert!(!device.is_lorawan_1_1_session());
    let expected = derive_session_keys_1_0(&root_keys.nwk_key, 0x102, fields.net_id, 0);
    assert_eq!(accepted.keys.nwk_s_key(), expected.nwk_s_key);
    assert_eq!(accepted.keys.app_s_key, expected.app_s_key);
    let uplink = device.uplink(UplinkParams::default()).unwrap();
    assert!(
        open_uplink(&uplink, &accepted.keys, 0, false, None)
            .f_opts
            .is_empty()
    );
}

#[test]
fn refuses_a_join_accept_with_a_wrong_mic_and_stays_unjoined() {
    let app_key = key("2b7e151628aed2a6abf7158809cf4f3c");
    let dev_eui = Eui64::from_u64(1);
    let join_eui = Eui64::from_u64(2);
    let mut device = Device::otaa(
        DeviceConfig::new(MacVersion::V1_0_4, eu868()),
        RootKeys::v1_0(dev_eui, join_eui, app_key),
    );
    let accept = join_accept(&fields(false), &app_key, dev_eui, join_eui, 0);
    assert!(matches!(
        device.handle_join_accept(&accept),
        Err(Error::NoJoinRequest)
    ));
    device.join_request().unwrap();
    let other_key = key("000102030405060708090a0b0c0d0e0f");
    let forged = join_accept(&fields(false), &other_key, dev_eui, join_eui, 0);
    assert!(matches!(
        device.handle_join_accept(&forged),
        Err(Error::InvalidMic)
    ));
    assert_eq!(device.dev_addr(), None);
    assert!(matches!(
        device.uplink(UplinkParams::default()),
        Err(Error::NotActivated)
    ));
    device.handle_join_accept(&accept).unwrap();
    assert_eq!(device.dev_addr(), Some(fields(false).dev_addr));
}

#[test]
fn lorawan_1_0_2_dev_nonces_are_random_distinct_and_reproducible_from_the_seed() {
    let keys = RootKeys::v1_0(
        Eui64::from_u64(1),
        Eui64::from_u64(2),
        key("01".repeat(16).as_str()),
    );
    let nonces = |seed| {
        let mut config = DeviceConfig::new(MacVersion::V1_0_2, eu868());
        config.seed = seed;
        let mut device = Device::otaa(config, keys.clone());
        (0..50)
            .map(|_| device.join_request().unwrap().dev_nonce.unwrap())
            .collect::<Vec<u16>>()
    };
    let first = nonces(7);
    assert_eq!(first, nonces(7));
    assert_ne!(first, nonces(8));
    let mut distinct = first.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), first.len());
    assert_ne!(first[..3], [0, 1, 2]);
}

#[test]
fn us915_join_accept_channel_mask_enables_the_listed_channels() {
    let band = Band::by_name("us915_1").unwrap();
    let app_key = key("2b7e151628aed2a6abf7158809cf4f3c");
    let (dev_eui, join_eui) = (Eui64::from_u64(3), Eui64::from_u64(4));
    let mut device = Device::otaa(
        DeviceConfig::new(MacVersion::V1_0_3, band),
        RootKeys::v1_0(dev_eui, join_eui, app_key),
    );
    let request = device.join_request().unwrap();
    assert!(
        (8..=15).contains(&request.channel) || request.channel == 65,
        "sub-band 2 join channel, got {}",
        request.channel
    );
    let mut fields = fields(false);
    // Channels 16 to 23 and 66.
    fields.cf_list = Some(CfList::ChannelMask([0, 0x00ff, 0, 0, 0x0004, 0]));
    let accept = join_accept(
        &fields,
        &app_key,
        dev_eui,
        join_eui,
        request.dev_nonce.unwrap(),
    );
    device.handle_join_accept(&accept).unwrap();
    assert_eq!(
        device.enabled_channels(),
        [16, 17, 18, 19, 20, 21, 22, 23, 66]
    );
    for _ in 0..20 {
        let uplink = device.uplink(UplinkParams::default()).unwrap();
        assert!(
            (16..=23).contains(&uplink.channel),
            "DR3 only on 125 kHz channels"
        );
        assert_eq!(uplink.dr, 3);
    }
}
