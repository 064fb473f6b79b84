//! The downlink queue (`ns.queue`), application downlinks in class A and class C, confirmed
//! downlinks, TX_ACK outcomes (`as.downlink`) and invalidations (`as.queue.invalidated`).

use std::time::Duration;

use lorawan_codec::{Aes128Key, DevAddr, Eui64, MType, MacPayload, Payload, PhyPayload};
use lorawan_crypto::{MicKey, verify_data_downlink_mic_1_0};
use tern_network::DeviceRegistry;
use tern_network::testsuite::{
    Reception, SimDevice, TestEnv, abp_device, default_config, next, stays_quiet, uplink_frame,
};
use tern_proto::internal::v1 as pb;

const GATEWAY: u64 = 0x0016_c001_ff10_b000;
const QUIET: Duration = Duration::from_millis(800);

/// The default configuration without DevStatusReq, so the only downlinks are the tests'.
fn config() -> tern_config::NetworkConfig {
    tern_config::NetworkConfig {
        dev_status_interval: Duration::ZERO,
        ..default_config()
    }
}

fn reception(gateway_eui: u64, snr_db: f32) -> Reception {
    Reception {
        gateway_eui,
        snr_db,
        tmst: 5_000_000,
    }
}

/// Registers an ABP 1.0.3 device of `class` and returns its DevEUI and simulated twin.
async fn abp(env: &TestEnv, seed: u8, class: pb::DeviceClass) -> (Eui64, SimDevice) {
    let dev_eui = Eui64::from_u64(0x70b3_d57e_d0d0_0000 | u64::from(seed));
    let dev_addr = DevAddr::from_u32(0x2610_0000 | u32::from(seed));
    let nwk_s_key = Aes128Key::from_bytes([seed; 16]);
    let mut device = abp_device(dev_eui, dev_addr, nwk_s_key);
    device.class = class;
    env.registry.set_device(&device).await.unwrap();
    let sim = SimDevice {
        dev_addr,
        f_nwk_s_int_key: nwk_s_key,
        s_nwk_s_int_key: nwk_s_key,
        nwk_s_enc_key: nwk_s_key,
        lorawan_1_1: false,
    };
    (dev_eui, sim)
}

fn item(dev_eui: Eui64, dev_addr: DevAddr, id: &str, f_cnt_down: u32) -> pb::DownlinkQueueItem {
    pb::DownlinkQueueItem {
        id: id.to_owned(),
        dev_eui: dev_eui.to_u64(),
        dev_addr: dev_addr.to_u32(),
        f_cnt_down,
        f_port: 5,
        frm_payload: vec![0xa1, 0xb2, 0xc3].into(),
        ..pb::DownlinkQueueItem::default()
    }
}

async fn request(
    env: &TestEnv,
    dev_eui: Eui64,
    operation: pb::QueueOperation,
    items: Vec<pb::DownlinkQueueItem>,
) -> pb::QueueResponse {
    env.queue_request(&pb::QueueRequest {
        dev_eui: dev_eui.to_u64(),
        operation: operation as i32,
        items,
    })
    .await
    .unwrap()
}

async fn push(env: &TestEnv, dev_eui: Eui64, items: Vec<pb::DownlinkQueueItem>) {
    let response = request(env, dev_eui, pb::QueueOperation::Push, items).await;
    assert_eq!(response.error(), pb::QueueErrorCode::None, "{response:?}");
}

/// Sends one uplink of `device` through `gateways` and returns nothing; the session exists
/// afterwards.
async fn uplink(env: &TestEnv, device: &SimDevice, phy_payload: Vec<u8>, gateways: &[u64]) {
    let receptions: Vec<Reception> = gateways
        .iter()
        .enumerate()
        .map(|(rank, gateway)| reception(*gateway, 10.0 - rank as f32))
        .collect();
    let _ = device;
    env.publish_uplink(&uplink_frame(phy_payload, &receptions))
        .await
        .unwrap();
}

fn mac_payload(phy_payload: &[u8]) -> (MType, MacPayload) {
    let frame = PhyPayload::decode(phy_payload).unwrap();
    let Payload::MacPayload(mac) = frame.payload else {
        panic!("not a data frame");
    };
    (frame.mhdr.m_type, mac)
}

fn tx_ack(frame: &pb::DownlinkFrame, status: pb::TxAckStatus) -> pb::DownlinkTxAck {
    pb::DownlinkTxAck {
        downlink_id: frame.downlink_id,
        gateway_eui: frame.gateway_eui,
        items: frame
            .items
            .iter()
            .map(|_| pb::DownlinkTxAckItem {
                status: status as i32,
            })
            .collect(),
    }
}

#[tokio::test]
async fn a_queued_item_rides_the_next_class_a_window_and_its_tx_ack_reports_it_sent() {
    let env = TestEnv::start_with(config()).await.unwrap();
    let (dev_eui, device) = abp(&env, 1, pb::DeviceClass::A).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut outcomes = env
        .subscribe::<pb::DownlinkEvent>(&env.bus.subjects().as_downlink())
        .await
        .unwrap();
    uplink(&env, &device, device.data_up(1, false, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();

    let listed = request(&env, dev_eui, pb::QueueOperation::List, Vec::new()).await;
    assert_eq!(listed.error(), pb::QueueErrorCode::None);
    assert_eq!(listed.dev_addr, device.dev_addr.to_u32());
    let f_cnt_down = listed.next_f_cnt_down;
    push(
        &env,
        dev_eui,
        vec![item(dev_eui, device.dev_addr, "d1", f_cnt_down)],
    )
    .await;
    let listed = request(&env, dev_eui, pb::QueueOperation::List, Vec::new()).await;
    assert_eq!(listed.items.len(), 1);

    uplink(&env, &device, device.data_up(2, false, b"b"), &[GATEWAY]).await;
    let frame = next(&mut down).await.unwrap();
    let slots: Vec<i32> = frame.items.iter().map(|item| item.slot).collect();
    assert_eq!(
        slots,
        [pb::DownlinkSlot::Rx1 as i32, pb::DownlinkSlot::Rx2 as i32]
    );
    let Some(pb::downlink_timing::Timing::Delay(delay)) =
        frame.items[0].timing.as_ref().unwrap().timing.as_ref()
    else {
        panic!("class A downlinks are timed from the uplink");
    };
    assert_eq!(delay.tmst, Some(5_000_000));
    assert_eq!(delay.delay_ns, 1_000_000_000);
    let phy_payload = &frame.items[0].phy_payload;
    let (m_type, mac) = mac_payload(phy_payload);
    assert_eq!(m_type, MType::UnconfirmedDataDown);
    assert_eq!(mac.f_port(), Some(5));
    assert_eq!(mac.frm_payload(), [0xa1, 0xb2, 0xc3]);
    assert_eq!(u32::from(mac.fhdr().f_cnt), f_cnt_down & 0xffff);
    assert!(!mac.fhdr().f_ctrl.f_pending);
    let (msg, mic) = phy_payload.split_at(phy_payload.len() - 4);
    verify_data_downlink_mic_1_0(
        &MicKey::new(&device.s_nwk_s_int_key),
        device.dev_addr,
        f_cnt_down,
        msg,
        mic.try_into().unwrap(),
    )
    .unwrap();
    let listed = request(&env, dev_eui, pb::QueueOperation::List, Vec::new()).await;
    assert!(listed.items.is_empty());
    assert_eq!(listed.next_f_cnt_down, f_cnt_down + 1);

    env.publish_tx_ack(&tx_ack(&frame, pb::TxAckStatus::Ok))
        .await
        .unwrap();
    let event = next(&mut outcomes).await.unwrap();
    assert_eq!(event.outcome(), pb::DownlinkOutcome::Sent);
    assert_eq!(event.item_id, "d1");
    assert_eq!(event.gateway_eui, GATEWAY);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_confirmed_item_is_acked_by_the_next_uplink() {
    let env = TestEnv::start_with(config()).await.unwrap();
    let (dev_eui, device) = abp(&env, 2, pb::DeviceClass::A).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut outcomes = env
        .subscribe::<pb::DownlinkEvent>(&env.bus.subjects().as_downlink())
        .await
        .unwrap();
    uplink(&env, &device, device.data_up(1, false, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();
    let mut confirmed = item(dev_eui, device.dev_addr, "c1", 0);
    confirmed.confirmed = true;
    push(&env, dev_eui, vec![confirmed]).await;
    uplink(&env, &device, device.data_up(2, false, b"b"), &[GATEWAY]).await;
    let frame = next(&mut down).await.unwrap();
    let (m_type, mac) = mac_payload(&frame.items[0].phy_payload);
    assert_eq!(m_type, MType::ConfirmedDataDown);
    let f_cnt_down = u32::from(mac.fhdr().f_cnt);
    uplink(
        &env,
        &device,
        device.data_up_acking(3, false, &[], b"c", Some(f_cnt_down)),
        &[GATEWAY],
    )
    .await;
    let event = next(&mut outcomes).await.unwrap();
    assert_eq!(event.outcome(), pb::DownlinkOutcome::Ack);
    assert_eq!(event.item_id, "c1");
    assert_eq!(env.downlink_outcomes("ack"), 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn an_unacknowledged_confirmed_item_is_retried_with_a_new_counter_then_nacked() {
    let config = tern_config::NetworkConfig {
        confirmed_downlink_max_attempts: 2,
        ..config()
    };
    let env = TestEnv::start_with(config).await.unwrap();
    let (dev_eui, device) = abp(&env, 3, pb::DeviceClass::A).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut outcomes = env
        .subscribe::<pb::DownlinkEvent>(&env.bus.subjects().as_downlink())
        .await
        .unwrap();
    let mut invalidated = env
        .subscribe::<pb::QueueInvalidated>(&env.bus.subjects().as_queue_invalidated())
        .await
        .unwrap();
    uplink(&env, &device, device.data_up(1, false, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();
    let mut confirmed = item(dev_eui, device.dev_addr, "c2", 0);
    confirmed.confirmed = true;
    push(&env, dev_eui, vec![confirmed]).await;
    uplink(&env, &device, device.data_up(2, false, b"b"), &[GATEWAY]).await;
    next(&mut down).await.unwrap();

    // No ACK: the item comes back to be encrypted with a new counter.
    uplink(&env, &device, device.data_up(3, false, b"c"), &[GATEWAY]).await;
    let returned = next(&mut invalidated).await.unwrap();
    assert_eq!(returned.items.len(), 1);
    let mut again = returned.items[0].clone();
    assert_eq!((again.id.as_str(), again.attempts), ("c2", 1));
    assert_eq!(returned.next_f_cnt_down, 1);
    again.f_cnt_down = returned.next_f_cnt_down;
    push(&env, dev_eui, vec![again]).await;
    uplink(&env, &device, device.data_up(4, false, b"d"), &[GATEWAY]).await;
    let frame = next(&mut down).await.unwrap();
    let (m_type, mac) = mac_payload(&frame.items[0].phy_payload);
    assert_eq!(m_type, MType::ConfirmedDataDown);
    assert_eq!(mac.fhdr().f_cnt, 1);

    // No ACK again: the limit of two transmissions is reached.
    uplink(&env, &device, device.data_up(5, false, b"e"), &[GATEWAY]).await;
    let event = next(&mut outcomes).await.unwrap();
    assert_eq!(event.outcome(), pb::DownlinkOutcome::Nack);
    assert_eq!(event.item_id, "c2");
    assert!(stays_quiet(&mut invalidated, QUIET).await);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn the_queue_refuses_what_it_could_never_send() {
    let env = TestEnv::start_with(config()).await.unwrap();
    let (dev_eui, device) = abp(&env, 4, pb::DeviceClass::A).await;
    let unknown = Eui64::from_u64(0x70b3_d57e_d0d0_ffff);
    let response = request(
        &env,
        unknown,
        pb::QueueOperation::Push,
        vec![item(unknown, device.dev_addr, "x", 0)],
    )
    .await;
    assert_eq!(response.error(), pb::QueueErrorCode::NoSession);

    uplink(&env, &device, device.data_up(1, true, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();
    // The ACK of the confirmed uplink used FCntDown 0.
    let mut stale = item(dev_eui, device.dev_addr, "stale", 0);
    let response = request(&env, dev_eui, pb::QueueOperation::Push, vec![stale.clone()]).await;
    assert_eq!(response.error(), pb::QueueErrorCode::Stale, "{response:?}");
    assert_eq!(response.next_f_cnt_down, 1);
    stale.f_cnt_down = 1;
    stale.dev_addr = 0x0000_0001;
    let response = request(&env, dev_eui, pb::QueueOperation::Push, vec![stale]).await;
    assert_eq!(response.error(), pb::QueueErrorCode::Stale);
    let mut port = item(dev_eui, device.dev_addr, "port", 1);
    port.f_port = 224;
    let response = request(&env, dev_eui, pb::QueueOperation::Push, vec![port]).await;
    assert_eq!(response.error(), pb::QueueErrorCode::InvalidArgument);
    let mut large = item(dev_eui, device.dev_addr, "large", 1);
    large.frm_payload = vec![0; 250].into();
    let response = request(&env, dev_eui, pb::QueueOperation::Push, vec![large]).await;
    assert_eq!(response.error(), pb::QueueErrorCode::TooLarge);
    let response = request(&env, dev_eui, pb::QueueOperation::Unspecified, Vec::new()).await;
    assert_eq!(response.error(), pb::QueueErrorCode::InvalidArgument);

    // Replace and flush.
    let items = vec![
        item(dev_eui, device.dev_addr, "r1", 1),
        item(dev_eui, device.dev_addr, "r2", 2),
    ];
    let response = request(&env, dev_eui, pb::QueueOperation::Replace, items).await;
    let ids: Vec<&str> = response.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2"]);
    let response = request(&env, dev_eui, pb::QueueOperation::Replace, Vec::new()).await;
    assert_eq!(response.error(), pb::QueueErrorCode::None);
    assert!(response.items.is_empty());
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_1_0_ack_that_spends_a_queued_items_counter_hands_the_item_back() {
    let env = TestEnv::start_with(config()).await.unwrap();
    let (dev_eui, device) = abp(&env, 5, pb::DeviceClass::A).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let mut invalidated = env
        .subscribe::<pb::QueueInvalidated>(&env.bus.subjects().as_queue_invalidated())
        .await
        .unwrap();
    uplink(&env, &device, device.data_up(1, false, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();
    // 60 bytes fit DR5 but not RX2's DR0 (51): the item cannot go in this class A answer.
    let mut large = item(dev_eui, device.dev_addr, "large", 0);
    large.frm_payload = vec![7; 60].into();
    push(&env, dev_eui, vec![large]).await;
    uplink(&env, &device, device.data_up(2, true, b"b"), &[GATEWAY]).await;
    let frame = next(&mut down).await.unwrap();
    let (_, mac) = mac_payload(&frame.items[0].phy_payload);
    assert!(mac.fhdr().f_ctrl.ack);
    assert_eq!(mac.f_port(), None);
    assert!(mac.fhdr().f_ctrl.f_pending);
    let returned = next(&mut invalidated).await.unwrap();
    assert_eq!(returned.items[0].id, "large");
    assert_eq!(returned.next_f_cnt_down, 1);
    assert_eq!(returned.dev_addr, device.dev_addr.to_u32());
    let listed = request(&env, dev_eui, pb::QueueOperation::List, Vec::new()).await;
    assert!(listed.items.is_empty());
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_tx_ack_error_moves_to_the_next_gateway_then_reports_failed() {
    let env = TestEnv::start_with(config()).await.unwrap();
    let (dev_eui, device) = abp(&env, 6, pb::DeviceClass::A).await;
    let second = GATEWAY + 1;
    let mut down_first = env.subscribe_down(GATEWAY).await.unwrap();
    let mut down_second = env.subscribe_down(second).await.unwrap();
    let mut outcomes = env
        .subscribe::<pb::DownlinkEvent>(&env.bus.subjects().as_downlink())
        .await
        .unwrap();
    let mut invalidated = env
        .subscribe::<pb::QueueInvalidated>(&env.bus.subjects().as_queue_invalidated())
        .await
        .unwrap();
    uplink(&env, &device, device.data_up(1, false, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();
    push(&env, dev_eui, vec![item(dev_eui, device.dev_addr, "g", 0)]).await;
    uplink(
        &env,
        &device,
        device.data_up(2, false, b"b"),
        &[GATEWAY, second],
    )
    .await;
    let first = next(&mut down_first).await.unwrap();
    assert!(stays_quiet(&mut down_second, Duration::from_millis(300)).await);
    env.publish_tx_ack(&tx_ack(&first, pb::TxAckStatus::TooLate))
        .await
        .unwrap();
    let retried = next(&mut down_second).await.unwrap();
    assert_eq!(retried.items[0].phy_payload, first.items[0].phy_payload);
    env.publish_tx_ack(&tx_ack(&retried, pb::TxAckStatus::CollisionPacket))
        .await
        .unwrap();
    let event = next(&mut outcomes).await.unwrap();
    assert_eq!(event.outcome(), pb::DownlinkOutcome::Failed);
    assert_eq!(event.detail, "COLLISION_PACKET");
    let returned = next(&mut invalidated).await.unwrap();
    assert_eq!(returned.items[0].id, "g");
    assert_eq!(returned.next_f_cnt_down, 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_class_c_device_gets_its_items_at_once_one_after_each_tx_ack() {
    let env = TestEnv::start_with(config()).await.unwrap();
    let (dev_eui, device) = abp(&env, 7, pb::DeviceClass::C).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    uplink(&env, &device, device.data_up(1, false, b"a"), &[GATEWAY]).await;
    env.wait_uplinks("ok", 1).await.unwrap();
    push(
        &env,
        dev_eui,
        vec![
            item(dev_eui, device.dev_addr, "c1", 0),
            item(dev_eui, device.dev_addr, "c2", 1),
        ],
    )
    .await;
    let frame = next(&mut down).await.unwrap();
    assert_eq!(frame.items.len(), 1);
    let tx = &frame.items[0];
    assert_eq!(tx.slot, pb::DownlinkSlot::ClassC as i32);
    assert_eq!(tx.frequency_hz, 869_525_000);
    assert!(matches!(
        tx.timing.as_ref().unwrap().timing,
        Some(pb::downlink_timing::Timing::Immediately(_))
    ));
    let (_, mac) = mac_payload(&tx.phy_payload);
    assert_eq!(mac.fhdr().f_cnt, 0);
    assert!(mac.fhdr().f_ctrl.f_pending);
    // The second item waits for the first one's TX_ACK.
    assert!(stays_quiet(&mut down, Duration::from_millis(300)).await);
    env.publish_tx_ack(&tx_ack(&frame, pb::TxAckStatus::Ok))
        .await
        .unwrap();
    let frame = next(&mut down).await.unwrap();
    let (_, mac) = mac_payload(&frame.items[0].phy_payload);
    assert_eq!(mac.fhdr().f_cnt, 1);
    assert!(!mac.fhdr().f_ctrl.f_pending);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_gateway_out_of_duty_cycle_in_rx1_sends_the_ack_in_rx2_only() {
    use fred::prelude::KeysInterface;
    let env = TestEnv::start_with(config()).await.unwrap();
    let (_, device) = abp(&env, 8, pb::DeviceClass::A).await;
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    // Spend the hour's 1% (36 s) of the sub-band holding 868.1 MHz on this gateway.
    let band = lorawan_region::Band::by_name("eu868").unwrap();
    let sub_band = band
        .duty_cycle_sub_bands()
        .iter()
        .position(|sub_band| sub_band.contains(868_100_000))
        .unwrap();
    let keys = tern_network::RedisKeys::new(&env.redis_config.key_prefix);
    let hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600;
    for hour in [hour, hour + 1] {
        let _: () = env
            .redis
            .set(
                keys.gateway_duty(Eui64::from_u64(GATEWAY), sub_band, hour),
                36_000,
                None,
                None,
                false,
            )
            .await
            .unwrap();
    }
    uplink(&env, &device, device.data_up(1, true, b"a"), &[GATEWAY]).await;
    let frame = next(&mut down).await.unwrap();
    assert_eq!(frame.items.len(), 1);
    assert_eq!(frame.items[0].slot(), pb::DownlinkSlot::Rx2);
    assert_eq!(frame.items[0].frequency_hz, 869_525_000);
    env.stop().await.unwrap();
}
