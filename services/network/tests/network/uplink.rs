//! Data uplinks: deduplication across gateways and replicas, MIC and frame-counter checks,
//! malformed input, and the ACK of a confirmed uplink.

use std::time::Duration;

use lorawan_codec::{
    Aes128Key, DevAddr, DeviceTimeAnsPayload, Direction, Eui64, LinkCheckAnsPayload, MType,
    MacCommand, Payload, PhyPayload,
};
use lorawan_crypto::{MicKey, verify_data_downlink_mic_1_0};
use tern_network::DeviceRegistry;
use tern_network::testsuite::{
    Reception, SimDevice, TestEnv, abp_device, next, stays_quiet, uplink_frame,
};
use tern_proto::internal::v1 as pb;

/// Longer than the 200 ms dedup window plus handling, to see that nothing more arrives.
const QUIET: Duration = Duration::from_millis(800);

const GATEWAY: u64 = 0x0016_c001_ff10_a235;

fn reception(gateway_eui: u64, snr_db: f32) -> Reception {
    Reception {
        gateway_eui,
        snr_db,
        tmst: 1_000_000,
    }
}

/// Registers an ABP 1.0.3 device and returns its simulated twin.
async fn abp(env: &TestEnv, seed: u8) -> (Eui64, SimDevice) {
    let dev_eui = Eui64::from_u64(0x70b3_d57e_d000_0000 | u64::from(seed));
    let dev_addr = DevAddr::from_u32(0x2600_0000 | u32::from(seed));
    let nwk_s_key = Aes128Key::from_bytes([seed; 16]);
    env.registry
        .set_device(&abp_device(dev_eui, dev_addr, nwk_s_key))
        .await
        .unwrap();
    let device = SimDevice {
        dev_addr,
        f_nwk_s_int_key: nwk_s_key,
        s_nwk_s_int_key: nwk_s_key,
        nwk_s_enc_key: nwk_s_key,
        lorawan_1_1: false,
    };
    (dev_eui, device)
}

#[tokio::test]
async fn abp_uplink_publishes_one_application_uplink() {
    let env = TestEnv::start().await.unwrap();
    let (dev_eui, device) = abp(&env, 1).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let phy_payload = device.data_up(7, false, b"hello");
    env.publish_uplink(&uplink_frame(phy_payload, &[reception(GATEWAY, 7.5)]))
        .await
        .unwrap();
    let uplink = next(&mut as_up).await.unwrap();
    assert_eq!(uplink.dev_eui, dev_eui.to_u64());
    assert_eq!(uplink.dev_addr, device.dev_addr.to_u32());
    assert_eq!(uplink.f_cnt, 7);
    assert_eq!(uplink.f_port, Some(1));
    // The network server passes the FRMPayload on as received.
    assert_eq!(uplink.frm_payload.as_ref(), b"hello");
    assert_eq!(uplink.dr, 5);
    assert!(!uplink.confirmed);
    assert_eq!(uplink.rx_metadata.len(), 1);
    assert_eq!(uplink.rx_metadata[0].gateway_eui, GATEWAY);
    assert_eq!(uplink.tx_info.unwrap().frequency_hz, 868_100_000);
    assert!(stays_quiet(&mut as_up, QUIET).await);
    assert_eq!(env.uplinks("ok"), 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn three_gateways_hearing_one_frame_give_one_uplink_with_three_receptions() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 2).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let phy_payload = device.data_up(1, false, b"x");
    for (gateway_eui, snr_db) in [(GATEWAY, -3.0), (GATEWAY + 1, 9.0), (GATEWAY + 2, 2.5)] {
        env.publish_uplink(&uplink_frame(
            phy_payload.clone(),
            &[reception(gateway_eui, snr_db)],
        ))
        .await
        .unwrap();
    }
    let uplink = next(&mut as_up).await.unwrap();
    let gateways: Vec<u64> = uplink.rx_metadata.iter().map(|rx| rx.gateway_eui).collect();
    // Best SNR first.
    assert_eq!(gateways, [GATEWAY + 1, GATEWAY + 2, GATEWAY]);
    assert!(stays_quiet(&mut as_up, QUIET).await);
    env.wait_uplinks("duplicate", 2).await.unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn two_replicas_publish_each_uplink_once() {
    let mut env = TestEnv::start().await.unwrap();
    env.add_replica().await.unwrap();
    let (_, device) = abp(&env, 3).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    for f_cnt in 1..=4 {
        let phy_payload = device.data_up(f_cnt, false, b"y");
        for gateway_eui in [GATEWAY, GATEWAY + 1, GATEWAY + 2] {
            env.publish_uplink(&uplink_frame(
                phy_payload.clone(),
                &[reception(gateway_eui, 1.0)],
            ))
            .await
            .unwrap();
        }
        let uplink = next(&mut as_up).await.unwrap();
        assert_eq!(uplink.f_cnt, f_cnt);
        assert_eq!(uplink.rx_metadata.len(), 3);
    }
    assert!(stays_quiet(&mut as_up, QUIET).await);
    assert_eq!(env.uplinks("ok"), 4);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn rejects_replayed_frame_and_bad_mic() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 4).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let first = device.data_up(10, false, b"a");
    env.publish_uplink(&uplink_frame(first.clone(), &[reception(GATEWAY, 1.0)]))
        .await
        .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 10);
    let second = device.data_up(11, false, b"b");
    env.publish_uplink(&uplink_frame(second, &[reception(GATEWAY, 1.0)]))
        .await
        .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 11);

    // The first frame again, on another frequency so it is not a copy: a replay.
    let mut replay = uplink_frame(first, &[reception(GATEWAY, 1.0)]);
    replay.tx_info.as_mut().unwrap().frequency_hz = 868_300_000;
    env.publish_uplink(&replay).await.unwrap();
    env.wait_uplinks("replay", 1).await.unwrap();

    let mut forged = device.data_up(12, false, b"c");
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    env.publish_uplink(&uplink_frame(forged, &[reception(GATEWAY, 1.0)]))
        .await
        .unwrap();
    env.wait_uplinks("invalid_mic", 1).await.unwrap();

    let stranger = SimDevice {
        dev_addr: DevAddr::from_u32(0x2700_0001),
        ..device
    };
    env.publish_uplink(&uplink_frame(
        stranger.data_up(1, false, b"d"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    env.wait_uplinks("unknown_dev_addr", 1).await.unwrap();
    assert!(stays_quiet(&mut as_up, QUIET).await);

    // The session still accepts the next counter.
    env.publish_uplink(&uplink_frame(
        device.data_up(12, false, b"e"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 12);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn accepts_frame_counter_rolling_over_65535() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 5).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    for f_cnt in [65_534, 65_535, 65_536, 65_538] {
        env.publish_uplink(&uplink_frame(
            device.data_up(f_cnt, false, b"r"),
            &[reception(GATEWAY, 1.0)],
        ))
        .await
        .unwrap();
        assert_eq!(next(&mut as_up).await.unwrap().f_cnt, f_cnt);
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn counts_and_drops_malformed_frames() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 6).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let good = uplink_frame(device.data_up(1, false, b"m"), &[reception(GATEWAY, 1.0)]);
    let cases = [
        pb::UplinkFrame {
            phy_payload: vec![0x40, 0x01].into(),
            ..good.clone()
        },
        pb::UplinkFrame {
            tx_info: None,
            ..good.clone()
        },
        pb::UplinkFrame {
            rx_metadata: Vec::new(),
            ..good.clone()
        },
    ];
    for frame in &cases {
        env.publish_uplink(frame).await.unwrap();
    }
    // Bytes that are no UplinkFrame at all are rejected by the bus before the service.
    env.bus
        .publish_bytes(&env.bus.subjects().up(), vec![0xff, 0xff, 0xff].into())
        .await
        .unwrap();
    env.wait_uplinks("malformed", 3).await.unwrap();
    // The well-formed frame is still handled afterwards.
    env.publish_uplink(&good).await.unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn confirmed_uplink_is_acknowledged_in_rx1_and_rx2_through_the_best_gateway() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 7).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY + 1).await.unwrap();
    let phy_payload = device.data_up(3, true, b"c");
    let receptions = [
        Reception {
            gateway_eui: GATEWAY,
            snr_db: -5.0,
            tmst: 111,
        },
        Reception {
            gateway_eui: GATEWAY + 1,
            snr_db: 8.0,
            tmst: 4_000_000_000,
        },
    ];
    env.publish_uplink(&uplink_frame(phy_payload, &receptions))
        .await
        .unwrap();
    assert!(next(&mut as_up).await.unwrap().confirmed);
    let downlink = next(&mut down).await.unwrap();
    assert_eq!(downlink.gateway_eui, GATEWAY + 1);
    assert_eq!(downlink.items.len(), 2);
    let timing = |item: &pb::DownlinkTxItem| match item.timing.as_ref().unwrap().timing {
        Some(pb::downlink_timing::Timing::Delay(ref delay)) => (delay.tmst, delay.delay_ns),
        ref other => panic!("unexpected timing {other:?}"),
    };
    // RX1: same frequency and DR5 (RX1DROffset 0) 1 s after the uplink; RX2: 869.525 MHz DR0
    // 2 s after it (RP002-1.0.4 §2.4.7, EU863-870 defaults).
    let rx1 = &downlink.items[0];
    assert_eq!(rx1.slot(), pb::DownlinkSlot::Rx1);
    assert_eq!(rx1.frequency_hz, 868_100_000);
    assert_eq!(timing(rx1), (Some(4_000_000_000), 1_000_000_000));
    let rx2 = &downlink.items[1];
    assert_eq!(rx2.slot(), pb::DownlinkSlot::Rx2);
    assert_eq!(rx2.frequency_hz, 869_525_000);
    assert_eq!(timing(rx2), (Some(4_000_000_000), 2_000_000_000));
    assert_eq!(rx1.phy_payload, rx2.phy_payload);

    let frame = PhyPayload::decode(&rx1.phy_payload).unwrap();
    assert_eq!(frame.mhdr.m_type, MType::UnconfirmedDataDown);
    let Payload::MacPayload(mac) = &frame.payload else {
        panic!("not a data frame");
    };
    assert!(mac.fhdr().f_ctrl.ack);
    assert_eq!(mac.fhdr().f_cnt, 0);
    let bytes = rx1.phy_payload.as_ref();
    let (msg, mic) = bytes.split_at(bytes.len() - 4);
    verify_data_downlink_mic_1_0(
        &MicKey::new(&device.s_nwk_s_int_key),
        device.dev_addr,
        0,
        msg,
        mic.try_into().unwrap(),
    )
    .unwrap();

    // The next ACK uses the next NFCntDown.
    env.publish_uplink(&uplink_frame(device.data_up(4, true, b"d"), &receptions))
        .await
        .unwrap();
    let downlink = next(&mut down).await.unwrap();
    let frame = PhyPayload::decode(&downlink.items[0].phy_payload).unwrap();
    let Payload::MacPayload(mac) = &frame.payload else {
        panic!("not a data frame");
    };
    assert_eq!(mac.fhdr().f_cnt, 1);

    // The gateway's TX acknowledgement is counted by outcome.
    let tx_ack = pb::DownlinkTxAck {
        downlink_id: downlink.downlink_id,
        gateway_eui: GATEWAY + 1,
        items: vec![
            pb::DownlinkTxAckItem {
                status: pb::TxAckStatus::TooLate as i32,
            },
            pb::DownlinkTxAckItem {
                status: pb::TxAckStatus::Ok as i32,
            },
        ],
    };
    env.bus
        .publish(&env.bus.subjects().gw_txack(GATEWAY + 1), &tx_ack)
        .await
        .unwrap();
    tokio::time::timeout(tern_network::testsuite::TEST_TIMEOUT, async {
        while env.tx_acks("ok") < 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn answers_link_check_and_device_time_requests_in_fopts() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 8).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    // LinkCheckReq (0x02) and DeviceTimeReq (0x0D), LoRaWAN 1.0.4 §5.1 and §5.9.
    let phy_payload = device.data_up_with_f_opts(9, false, &[0x02, 0x0d], b"t");
    let mut frame = uplink_frame(
        phy_payload,
        &[reception(GATEWAY, 5.0), reception(GATEWAY + 1, -3.0)],
    );
    frame.rx_metadata[0].gps_time_ns = Some(1_400_000_000_500_000_000);
    env.publish_uplink(&frame).await.unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 9);

    let downlink = next(&mut down).await.unwrap();
    let frame = PhyPayload::decode(&downlink.items[0].phy_payload).unwrap();
    let Payload::MacPayload(mac) = &frame.payload else {
        panic!("not a data frame");
    };
    assert!(
        !mac.fhdr().f_ctrl.ack,
        "an unconfirmed uplink is not acknowledged"
    );
    let answers =
        lorawan_codec::decode_mac_commands(mac.fhdr().f_opts.as_bytes(), Direction::Downlink);
    assert!(answers.is_complete());
    // SF7 needs -7.5 dB, so 5 dB leaves a margin of 12 dB; two gateways heard it.
    assert_eq!(
        answers.commands,
        vec![
            MacCommand::LinkCheckAns(LinkCheckAnsPayload {
                margin: 12,
                gw_cnt: 2
            }),
            MacCommand::DeviceTimeAns(DeviceTimeAnsPayload {
                gps_epoch_seconds: 1_400_000_000,
                fractional_second: 128
            }),
        ]
    );
    let bytes = downlink.items[0].phy_payload.as_ref();
    let (msg, mic) = bytes.split_at(bytes.len() - 4);
    verify_data_downlink_mic_1_0(
        &MicKey::new(&device.s_nwk_s_int_key),
        device.dev_addr,
        0,
        msg,
        mic.try_into().unwrap(),
    )
    .unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn unconfirmed_uplink_without_requests_gets_no_downlink() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 9).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    env.publish_uplink(&uplink_frame(
        device.data_up(1, false, b"q"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    next(&mut as_up).await.unwrap();
    assert!(stays_quiet(&mut down, QUIET).await);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn asks_for_the_device_status_once_per_interval_and_reports_the_answer() {
    let config = tern_config::NetworkConfig {
        dev_status_interval: Duration::from_secs(3600),
        ..tern_network::testsuite::default_config()
    };
    let env = TestEnv::start_with(config).await.unwrap();
    let (_, device) = abp(&env, 10).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    env.publish_uplink(&uplink_frame(
        device.data_up(1, false, b"s"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().dev_status, None);
    let downlink = next(&mut down).await.unwrap();
    let frame = PhyPayload::decode(&downlink.items[0].phy_payload).unwrap();
    let Payload::MacPayload(mac) = &frame.payload else {
        panic!("not a data frame");
    };
    assert_eq!(
        lorawan_codec::decode_mac_commands(mac.fhdr().f_opts.as_bytes(), Direction::Downlink)
            .commands,
        vec![MacCommand::DevStatusReq]
    );

    // DevStatusAns: battery 200, margin 7 dB (LoRaWAN 1.0.4 §5.5).
    env.publish_uplink(&uplink_frame(
        device.data_up_with_f_opts(2, false, &[0x06, 200, 7], b"s"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    let uplink = next(&mut as_up).await.unwrap();
    assert_eq!(
        uplink.dev_status,
        Some(pb::DevStatus {
            battery: 200,
            margin_db: 7
        })
    );
    // Within the interval the network does not ask again.
    assert!(stays_quiet(&mut down, QUIET).await);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn acknowledges_a_retransmitted_confirmed_uplink_again_without_forwarding_it() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 11).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let confirmed = device.data_up(5, true, b"c");
    env.publish_uplink(&uplink_frame(confirmed.clone(), &[reception(GATEWAY, 1.0)]))
        .await
        .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 5);
    let f_cnt_down = |downlink: &pb::DownlinkFrame| {
        let frame = PhyPayload::decode(&downlink.items[0].phy_payload).unwrap();
        let Payload::MacPayload(mac) = &frame.payload else {
            panic!("not a data frame");
        };
        assert!(mac.fhdr().f_ctrl.ack);
        mac.fhdr().f_cnt
    };
    assert_eq!(f_cnt_down(&next(&mut down).await.unwrap()), 0);

    // The device missed the ACK and sends the same frame again on another channel.
    let mut again = uplink_frame(confirmed, &[reception(GATEWAY, 1.0)]);
    again.tx_info.as_mut().unwrap().frequency_hz = 868_300_000;
    env.publish_uplink(&again).await.unwrap();
    let downlink = next(&mut down).await.unwrap();
    assert_eq!(f_cnt_down(&downlink), 1);
    assert_eq!(downlink.items[0].frequency_hz, 868_300_000);
    env.wait_uplinks("retransmission", 1).await.unwrap();

    // An unconfirmed retransmission is dropped quietly.
    let unconfirmed = device.data_up(6, false, b"u");
    env.publish_uplink(&uplink_frame(
        unconfirmed.clone(),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 6);
    let mut again = uplink_frame(unconfirmed, &[reception(GATEWAY, 1.0)]);
    again.tx_info.as_mut().unwrap().frequency_hz = 868_500_000;
    env.publish_uplink(&again).await.unwrap();
    env.wait_uplinks("retransmission", 2).await.unwrap();
    assert!(stays_quiet(&mut as_up, QUIET).await);
    assert!(stays_quiet(&mut down, Duration::from_millis(100)).await);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_relaxed_counter_device_may_start_again_from_zero_and_others_may_not() {
    let env = TestEnv::start().await.unwrap();
    let (strict_eui, strict) = abp(&env, 30).await;
    let (relaxed_eui, relaxed) = abp(&env, 31).await;
    let mut registered = env.registry.device(relaxed_eui).await.unwrap().unwrap();
    registered.relax_f_cnt = true;
    env.registry.set_device(&registered).await.unwrap();
    assert!(
        !env.registry
            .device(strict_eui)
            .await
            .unwrap()
            .unwrap()
            .relax_f_cnt
    );
    let mut as_up = env.subscribe_as_up().await.unwrap();
    for device in [&strict, &relaxed] {
        env.publish_uplink(&uplink_frame(
            device.data_up(65_000, false, b"a"),
            &[reception(GATEWAY, 1.0)],
        ))
        .await
        .unwrap();
        assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 65_000);
    }
    // Both devices reset and count from 0 again.
    env.publish_uplink(&uplink_frame(
        strict.data_up(0, false, b"b"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    env.wait_uplinks("invalid_mic", 1).await.unwrap();
    for f_cnt in [0, 1] {
        env.publish_uplink(&uplink_frame(
            relaxed.data_up(f_cnt, false, b"c"),
            &[reception(GATEWAY, 1.0)],
        ))
        .await
        .unwrap();
        let uplink = next(&mut as_up).await.unwrap();
        assert_eq!(
            (uplink.dev_eui, uplink.f_cnt),
            (relaxed_eui.to_u64(), f_cnt)
        );
    }
    assert!(stays_quiet(&mut as_up, QUIET).await);
    env.stop().await.unwrap();
}

/// Garbage that still parses as a PHYPayload must be rejected, counted and leave the service
/// serving: random frames, random data frames with a known DevAddr, and random join and
/// rejoin bodies, on random frequencies and modulations.
#[tokio::test]
async fn random_frames_are_all_counted_and_the_service_keeps_serving() {
    let env = TestEnv::start().await.unwrap();
    let (_, device) = abp(&env, 40).await;
    let mut as_up = env.subscribe_as_up().await.unwrap();
    // A fixed-seed xorshift, so a failure replays.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let frames = 300_u64;
    for round in 0..frames {
        let len = usize::try_from(random() % 64).unwrap();
        let mut bytes: Vec<u8> = (0..len).map(|_| random() as u8).collect();
        match round % 4 {
            // A data uplink header with the device's DevAddr: MIC and counter checks decide.
            0 if bytes.len() >= 12 => {
                bytes[0] = 0x40;
                bytes[1..5].copy_from_slice(&device.dev_addr.to_u32().to_le_bytes());
                bytes[5] &= 0x0f;
            }
            1 if !bytes.is_empty() => bytes[0] = 0x00,
            2 if !bytes.is_empty() => bytes[0] = 0xc0,
            _ => {}
        }
        let mut frame = uplink_frame(bytes, &[reception(GATEWAY, 1.0)]);
        let tx_info = frame.tx_info.as_mut().unwrap();
        tx_info.frequency_hz = 860_000_000 + u32::try_from(random() % 20_000_000).unwrap();
        if let Some(pb::modulation::Parameters::Lora(lora)) = tx_info
            .modulation
            .as_mut()
            .and_then(|modulation| modulation.parameters.as_mut())
        {
            lora.spreading_factor = u32::try_from(random() % 16).unwrap();
        }
        env.publish_uplink(&frame).await.unwrap();
    }
    let counted = || {
        [
            "ok",
            "duplicate",
            "malformed",
            "unsupported",
            "unknown_dev_addr",
            "invalid_mic",
            "replay",
            "retransmission",
            "f_cnt_gap",
            "conflict",
            "join_ok",
            "join_unknown_device",
            "join_refused",
            "join_server_unavailable",
            "rejoin_other_network",
            "rejoin_no_session",
            "error",
        ]
        .iter()
        .map(|result| env.uplinks(result))
        .sum::<u64>()
    };
    tokio::time::timeout(Duration::from_secs(20), async {
        while counted() < frames {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {frames} frames counted", counted()));
    assert_eq!(env.uplinks("error"), 0);
    assert_eq!(env.uplinks("ok"), 0);
    // The device's real frame still goes through.
    env.publish_uplink(&uplink_frame(
        device.data_up(1, false, b"after"),
        &[reception(GATEWAY, 1.0)],
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_dev_addrs_are_remembered_until_a_registry_device_event() {
    let env = TestEnv::start().await.unwrap();
    let seed = 0x5a;
    let dev_eui = Eui64::from_u64(0x70b3_d57e_d000_0000 | u64::from(seed));
    let dev_addr = DevAddr::from_u32(0x2600_0000 | u32::from(seed));
    let nwk_s_key = Aes128Key::from_bytes([seed; 16]);
    let device = SimDevice {
        dev_addr,
        f_nwk_s_int_key: nwk_s_key,
        s_nwk_s_int_key: nwk_s_key,
        nwk_s_enc_key: nwk_s_key,
        lorawan_1_1: false,
    };
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let send = async |f_cnt: u32| {
        env.publish_uplink(&uplink_frame(
            device.data_up(f_cnt, false, b"x"),
            &[reception(GATEWAY, 5.0)],
        ))
        .await
        .unwrap();
    };
    send(1).await;
    env.wait_uplinks("unknown_dev_addr", 1).await.unwrap();

    // Personalised behind the network service's back (as through another replica): this
    // replica still remembers the DevAddr as unknown.
    env.registry
        .set_device(&abp_device(dev_eui, dev_addr, nwk_s_key))
        .await
        .unwrap();
    send(2).await;
    env.wait_uplinks("unknown_dev_addr", 2).await.unwrap();
    assert!(stays_quiet(&mut as_up, QUIET).await);

    // The identity service announces the change; the next frame is looked up again.
    let subject = env
        .bus
        .subjects()
        .registry(
            "device",
            &dev_eui.to_string(),
            tern_bus::RegistryAction::Updated,
        )
        .unwrap();
    env.bus
        .publish(&subject, &pb::RegistryEvent::default())
        .await
        .unwrap();
    env.bus.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(3).await;
    let uplink = next(&mut as_up).await.unwrap();
    assert_eq!(uplink.dev_eui, dev_eui.to_u64());
    assert_eq!(uplink.f_cnt, 3);
    env.stop().await.unwrap();
}
