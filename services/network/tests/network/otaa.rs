//! OTAA: a join-request through the real join service in-process, the join-accept scheduled
//! on the best gateway, the session announced on `as.session`, and the new session's
//! uplinks accepted.

use std::time::Duration;

use lorawan_codec::{
    DevAddr, Direction, JoinReqType, LinkCheckAnsPayload, MacCommand, NetId, Payload, PhyPayload,
    decode_mac_commands,
};
use lorawan_crypto::{
    CipherKey, FOptsCounter, FOptsScheme, MicKey, encrypt_f_opts_in_place,
    verify_data_downlink_mic_1_0, verify_data_downlink_mic_1_1,
};
use tern_bus::{Bus, BusMetrics};
use tern_join::testsuite::{TestDevice, test_kek};
use tern_join::{JoinDeps, JoinStore, MacVersion, PgJoinStore};
use tern_network::testsuite::{Reception, SimDevice, TEST_TIMEOUT, TestEnv, next, uplink_frame};
use tern_network::{Activation, DeviceRegistry, NetworkDevice};
use tern_postgres::testsuite::TestSchema;
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};

const GATEWAY: u64 = 0x0016_c001_ff10_b000;

/// Runs the join service on the network environment's subject root and database.
struct JoinServer {
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: PgJoinStore,
    schema: TestSchema,
}

impl JoinServer {
    async fn start(env: &TestEnv) -> JoinServer {
        let schema = TestSchema::new(&env.pool);
        let mut config = tern_join::testsuite::default_config();
        config.schema = schema.name().as_str().to_owned();
        let bus = Bus::connect(
            &env.bus_options,
            BusMetrics::new(&mut prometheus_client::registry::Registry::default()),
        )
        .await
        .unwrap();
        let readiness = Readiness::new();
        let shutdown = Shutdown::new();
        let deps = JoinDeps {
            bus: bus.clone(),
            pool: env.pool.clone(),
            metrics: Metrics::new(),
            readiness: readiness.clone(),
        };
        let run_shutdown = shutdown.clone();
        let task = tokio::spawn(async move { tern_join::run(&config, deps, run_shutdown).await });
        tokio::time::timeout(TEST_TIMEOUT, async {
            while !readiness.is_ready() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
        bus.flush().await.unwrap();
        let store = PgJoinStore::new(env.pool.clone(), schema.name().clone(), test_kek());
        JoinServer {
            shutdown,
            task,
            store,
            schema,
        }
    }

    async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap().unwrap();
        self.schema.cleanup().await.unwrap();
    }
}

fn network_device(device: &TestDevice) -> NetworkDevice {
    NetworkDevice {
        dev_eui: device.dev_eui,
        band: String::from("eu868"),
        mac_version: match device.mac_version {
            MacVersion::V1_1 => pb::MacVersion::MacVersion11,
            _ => pb::MacVersion::MacVersion103,
        },
        class: pb::DeviceClass::A,
        rx1_delay_s: 1,
        rx1_dr_offset: 0,
        rx2_dr: None,
        rx2_frequency_hz: None,
        adr: true,
        relax_f_cnt: false,
        activation: Activation::Otaa {
            join_eui: device.join_eui,
        },
    }
}

async fn joins_and_sends_an_uplink(mac_version: MacVersion, seed: u8) {
    let env = TestEnv::start().await.unwrap();
    let join_server = JoinServer::start(&env).await;
    let device = TestDevice::new(mac_version, seed);
    join_server
        .store
        .set_device(&device.root_keys())
        .await
        .unwrap();
    env.registry
        .set_device(&network_device(&device))
        .await
        .unwrap();
    let mut sessions = env.subscribe_as_session().await.unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut as_up = env.subscribe_as_up().await.unwrap();

    let dev_nonce = 0x0102;
    let receptions = [
        Reception {
            gateway_eui: GATEWAY,
            snr_db: 6.0,
            tmst: 2_000_000,
        },
        Reception {
            gateway_eui: GATEWAY + 1,
            snr_db: -9.0,
            tmst: 77,
        },
    ];
    env.publish_uplink(&uplink_frame(device.join_request(dev_nonce), &receptions))
        .await
        .unwrap();

    let event = next(&mut sessions).await.unwrap();
    assert_eq!(event.dev_eui, device.dev_eui.to_u64());
    assert_eq!(event.join_eui, device.join_eui.to_u64());
    assert_eq!(event.dev_nonce, u32::from(dev_nonce));
    let app_s_key = event.app_s_key.unwrap();
    assert!(!app_s_key.kek_label.is_empty(), "the AppSKey stays wrapped");

    let downlink = next(&mut down).await.unwrap();
    assert_eq!(downlink.gateway_eui, GATEWAY);
    assert_eq!(downlink.items.len(), 2);
    let delay = |item: &pb::DownlinkTxItem| match item.timing.as_ref().unwrap().timing {
        Some(pb::downlink_timing::Timing::Delay(ref delay)) => (delay.tmst, delay.delay_ns),
        ref other => panic!("unexpected timing {other:?}"),
    };
    // JOIN_ACCEPT_DELAY1 5 s and JOIN_ACCEPT_DELAY2 6 s; RX1 on the uplink channel, RX2 on
    // 869.525 MHz (RP002-1.0.4 §2.4, EU863-870).
    assert_eq!(downlink.items[0].slot(), pb::DownlinkSlot::Rx1);
    assert_eq!(delay(&downlink.items[0]), (Some(2_000_000), 5_000_000_000));
    assert_eq!(downlink.items[0].frequency_hz, 868_100_000);
    assert_eq!(downlink.items[1].slot(), pb::DownlinkSlot::Rx2);
    assert_eq!(delay(&downlink.items[1]), (Some(2_000_000), 6_000_000_000));
    assert_eq!(downlink.items[1].frequency_hz, 869_525_000);

    let opened = device
        .open_join_accept(
            &downlink.items[0].phy_payload,
            JoinReqType::JoinRequest,
            dev_nonce,
        )
        .unwrap();
    let dev_addr: DevAddr = opened.body.dev_addr;
    assert_eq!(dev_addr.to_u32(), event.dev_addr);
    assert!(dev_addr.is_net_id(NetId::from_u32(0x13).unwrap()));

    let sim = SimDevice {
        dev_addr,
        f_nwk_s_int_key: opened.f_nwk_s_int_key,
        s_nwk_s_int_key: opened.s_nwk_s_int_key,
        nwk_s_enc_key: opened.nwk_s_enc_key,
        lorawan_1_1: mac_version == MacVersion::V1_1,
    };
    env.publish_uplink(&uplink_frame(sim.data_up(0, false, b"j"), &receptions[..1]))
        .await
        .unwrap();
    let uplink = next(&mut as_up).await.unwrap();
    assert_eq!(uplink.dev_eui, device.dev_eui.to_u64());
    assert_eq!(uplink.f_cnt, 0);
    assert_eq!(env.uplinks("join_ok"), 1);

    // A LinkCheckReq in FOpts (encrypted for 1.1) is answered in FOpts (encrypted for 1.1).
    env.publish_uplink(&uplink_frame(
        sim.data_up_with_f_opts(1, false, &[0x02], b"k"),
        &receptions[..1],
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 1);
    let downlink = next(&mut down).await.unwrap();
    let bytes = downlink.items[0].phy_payload.to_vec();
    let frame = PhyPayload::decode(&bytes).unwrap();
    let Payload::MacPayload(mac) = &frame.payload else {
        panic!("not a data frame");
    };
    let mut f_opts = mac.fhdr().f_opts;
    let (msg, mic) = bytes.split_at(bytes.len() - 4);
    let mic: &[u8; 4] = mic.try_into().unwrap();
    if sim.lorawan_1_1 {
        encrypt_f_opts_in_place(
            &CipherKey::new(&sim.nwk_s_enc_key),
            FOptsScheme::Errata,
            FOptsCounter::NFCntDown,
            dev_addr,
            0,
            f_opts.as_mut_bytes(),
        )
        .unwrap();
        verify_data_downlink_mic_1_1(
            &MicKey::new(&sim.s_nwk_s_int_key),
            None,
            dev_addr,
            0,
            msg,
            mic,
        )
        .unwrap();
    } else {
        verify_data_downlink_mic_1_0(&MicKey::new(&sim.s_nwk_s_int_key), dev_addr, 0, msg, mic)
            .unwrap();
    }
    assert_eq!(
        decode_mac_commands(f_opts.as_bytes(), Direction::Downlink).commands,
        vec![MacCommand::LinkCheckAns(LinkCheckAnsPayload {
            margin: 13,
            gw_cnt: 1
        })]
    );

    join_server.stop().await;
    env.stop().await.unwrap();
}

#[tokio::test]
async fn joins_a_lorawan_1_0_3_device() {
    joins_and_sends_an_uplink(MacVersion::V1_0_3, 0x21).await;
}

#[tokio::test]
async fn joins_a_lorawan_1_1_device() {
    joins_and_sends_an_uplink(MacVersion::V1_1, 0x22).await;
}

/// Sends a join-request and returns the device's view of the new session.
async fn join(
    env: &TestEnv,
    device: &TestDevice,
    down: &mut tern_bus::Subscription<pb::DownlinkFrame>,
    dev_nonce: u16,
) -> SimDevice {
    let reception = Reception {
        gateway_eui: GATEWAY,
        snr_db: 3.0,
        tmst: 10,
    };
    env.publish_uplink(&uplink_frame(device.join_request(dev_nonce), &[reception]))
        .await
        .unwrap();
    let downlink = next(down).await.unwrap();
    let opened = device
        .open_join_accept(
            &downlink.items[0].phy_payload,
            JoinReqType::JoinRequest,
            dev_nonce,
        )
        .unwrap();
    SimDevice {
        dev_addr: opened.body.dev_addr,
        f_nwk_s_int_key: opened.f_nwk_s_int_key,
        s_nwk_s_int_key: opened.s_nwk_s_int_key,
        nwk_s_enc_key: opened.nwk_s_enc_key,
        lorawan_1_1: false,
    }
}

#[tokio::test]
async fn keeps_the_old_session_until_the_device_uses_the_new_one() {
    let env = TestEnv::start().await.unwrap();
    let join_server = JoinServer::start(&env).await;
    let device = TestDevice::new(MacVersion::V1_0_4, 0x23);
    join_server
        .store
        .set_device(&device.root_keys())
        .await
        .unwrap();
    env.registry
        .set_device(&network_device(&device))
        .await
        .unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let reception = [Reception {
        gateway_eui: GATEWAY,
        snr_db: 3.0,
        tmst: 10,
    }];
    let send =
        |sim: SimDevice, f_cnt: u32| uplink_frame(sim.data_up(f_cnt, false, b"o"), &reception);

    let first = join(&env, &device, &mut down, 1).await;
    env.publish_uplink(&send(first, 0)).await.unwrap();
    assert_eq!(
        next(&mut as_up).await.unwrap().dev_addr,
        first.dev_addr.to_u32()
    );

    // A second join whose accept the device may have missed: the old session still works.
    let second = join(&env, &device, &mut down, 2).await;
    assert_ne!(second.dev_addr, first.dev_addr);
    env.publish_uplink(&send(first, 1)).await.unwrap();
    assert_eq!(
        next(&mut as_up).await.unwrap().dev_addr,
        first.dev_addr.to_u32()
    );

    // Once the device uses the new session, the old one is gone.
    env.publish_uplink(&send(second, 0)).await.unwrap();
    assert_eq!(
        next(&mut as_up).await.unwrap().dev_addr,
        second.dev_addr.to_u32()
    );
    env.publish_uplink(&send(first, 2)).await.unwrap();
    env.wait_uplinks("unknown_dev_addr", 1).await.unwrap();

    join_server.stop().await;
    env.stop().await.unwrap();
}

#[tokio::test]
async fn refuses_joins_of_unknown_devices_without_a_downlink() {
    let env = TestEnv::start().await.unwrap();
    let join_server = JoinServer::start(&env).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let reception = [Reception {
        gateway_eui: GATEWAY,
        snr_db: 3.0,
        tmst: 10,
    }];
    // Unknown to the network server.
    let stranger = TestDevice::new(MacVersion::V1_0_3, 0x31);
    env.publish_uplink(&uplink_frame(stranger.join_request(1), &reception))
        .await
        .unwrap();
    env.wait_uplinks("join_unknown_device", 1).await.unwrap();
    // Known to the network server but not to the join server.
    let orphan = TestDevice::new(MacVersion::V1_0_3, 0x32);
    env.registry
        .set_device(&network_device(&orphan))
        .await
        .unwrap();
    env.publish_uplink(&uplink_frame(orphan.join_request(1), &reception))
        .await
        .unwrap();
    env.wait_uplinks("join_refused", 1).await.unwrap();
    assert!(tern_network::testsuite::stays_quiet(&mut down, Duration::from_millis(500)).await);
    join_server.stop().await;
    env.stop().await.unwrap();
}

#[tokio::test]
async fn answers_a_rejoin_type_0_checked_with_the_session_key_once_per_rj_count0() {
    let env = TestEnv::start().await.unwrap();
    let join_server = JoinServer::start(&env).await;
    let device = TestDevice::new(MacVersion::V1_1, 0x24);
    join_server
        .store
        .set_device(&device.root_keys())
        .await
        .unwrap();
    env.registry
        .set_device(&network_device(&device))
        .await
        .unwrap();
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut sessions = env.subscribe_as_session().await.unwrap();
    let reception = [Reception {
        gateway_eui: GATEWAY,
        snr_db: 3.0,
        tmst: 10,
    }];
    let first = join(&env, &device, &mut down, 1).await;
    next(&mut sessions).await.unwrap();
    let first = SimDevice {
        lorawan_1_1: true,
        ..first
    };
    env.publish_uplink(&uplink_frame(first.data_up(0, false, b"r"), &reception))
        .await
        .unwrap();
    env.wait_uplinks("ok", 1).await.unwrap();

    let rejoin = lorawan_codec::RejoinRequest::Type0 {
        net_id: NetId::from_u32(0x13).unwrap(),
        dev_eui: device.dev_eui,
        rj_count0: 0,
    };
    // Signed with another key: refused without asking the join server.
    let forged = device.rejoin_request(rejoin, &lorawan_codec::Aes128Key::from_bytes([1; 16]));
    env.publish_uplink(&uplink_frame(forged, &reception))
        .await
        .unwrap();
    env.wait_uplinks("invalid_mic", 1).await.unwrap();

    let frame = device.rejoin_request(rejoin, &first.s_nwk_s_int_key);
    env.publish_uplink(&uplink_frame(frame.clone(), &reception))
        .await
        .unwrap();
    let event = next(&mut sessions).await.unwrap();
    assert_eq!(event.dev_eui, device.dev_eui.to_u64());
    assert_ne!(event.dev_addr, first.dev_addr.to_u32());
    let downlink = next(&mut down).await.unwrap();
    let opened = device
        .open_join_accept(&downlink.items[0].phy_payload, JoinReqType::RejoinType0, 0)
        .unwrap();
    assert_eq!(opened.body.dev_addr.to_u32(), event.dev_addr);

    // The same RJcount0 again is a replay (a fresh frame, past the dedup list's lifetime).
    tokio::time::sleep(Duration::from_millis(1300)).await;
    env.publish_uplink(&uplink_frame(frame, &reception))
        .await
        .unwrap();
    env.wait_uplinks("replay", 1).await.unwrap();
    join_server.stop().await;
    env.stop().await.unwrap();
}
