//! Downlinks: a push over `down.push` or gRPC reaches `ns.queue` encrypted with the AppSKey
//! under the assigned frame counter; a `STALE` answer and an invalidation re-encrypt with the
//! counter the network names. The network's side of `ns.queue` is a stand-in answering in the
//! test.

use lorawan_codec::Aes128Key;
use serde_json::json;
use tern_api::v1 as api;
use tern_api::v1::downlink_service_client::DownlinkServiceClient;
use tern_application::testsuite::{
    FakeNetwork, TEST_TIMEOUT, TestEnv, decrypt_downlink, next_event_named,
};
use tern_application::{DownlinkRequest, Formatter};
use tern_proto::internal::v1 as pb;

const DEV_EUI: u64 = 0x0004_a30b_001c_0530;
const DEV_ADDR: u32 = 0x2600_0a0b;

fn app_s_key() -> Aes128Key {
    "5a5b5c5d5e5f505152535455565758a9".parse().unwrap()
}

async fn joined(env: &TestEnv, application_id: &str, formatter: Formatter, a_f_cnt_down: u32) {
    env.register_device(DEV_EUI, application_id, "actuator", formatter)
        .await
        .unwrap();
    let mut events = env.subscribe_events(application_id).await.unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR, app_s_key(), a_f_cnt_down)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();
}

/// Sends a `down.push` request and returns the JSON reply.
async fn push(env: &TestEnv, application_id: &str, request: &DownlinkRequest) -> serde_json::Value {
    let subject = env
        .bus
        .subjects()
        .app_down_push(application_id, DEV_EUI)
        .unwrap();
    let client = async_nats::connect(&env.bus_options.url).await.unwrap();
    let reply = tokio::time::timeout(
        TEST_TIMEOUT,
        client.request(
            subject.as_str().to_owned(),
            serde_json::to_vec(request).unwrap().into(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    serde_json::from_slice(&reply.payload).unwrap()
}

#[tokio::test]
async fn pushed_downlink_reaches_the_network_encrypted_with_the_app_s_key() {
    let env = TestEnv::start().await.unwrap();
    joined(&env, "dl1", Formatter::None, 3).await;
    let mut network = FakeNetwork::accepting(&env.bus, DEV_ADDR).await.unwrap();
    let request = DownlinkRequest {
        f_port: 15,
        frm_payload: Some(String::from("AQIDBA==")),
        decoded: None,
        confirmed: true,
        priority: 2,
    };
    let reply = push(&env, "dl1", &request).await;
    assert_eq!(reply["f_cnt_down"], 3, "{reply}");
    let queued = network.next_request().await.unwrap();
    assert_eq!(queued.operation(), pb::QueueOperation::Push);
    assert_eq!(queued.dev_eui, DEV_EUI);
    let [item] = queued.items.as_slice() else {
        panic!("one item expected: {queued:?}");
    };
    assert_eq!(item.id, reply["id"].as_str().unwrap());
    assert_eq!(item.f_cnt_down, 3);
    assert_eq!(item.f_port, 15);
    assert!(item.confirmed);
    assert_eq!(item.priority, 2);
    assert_eq!(item.dev_addr, DEV_ADDR);
    assert_ne!(item.frm_payload.as_ref(), [1, 2, 3, 4]);
    assert_eq!(
        decrypt_downlink(&app_s_key(), DEV_ADDR, 3, &item.frm_payload),
        [1, 2, 3, 4]
    );

    // The next push takes the next counter.
    push(&env, "dl1", &request).await;
    assert_eq!(network.next_request().await.unwrap().items[0].f_cnt_down, 4);

    // A device of another application, a bad FPort and a bad payload are refused.
    let other = push(&env, "other-app", &request).await;
    assert!(other["error"].as_str().unwrap().contains("not registered"), "{other}");
    let bad_port = push(
        &env,
        "dl1",
        &DownlinkRequest {
            f_port: 0,
            ..request.clone()
        },
    )
    .await;
    assert!(bad_port["error"].as_str().unwrap().contains("f_port"), "{bad_port}");
    assert!(network.requests.try_recv().is_err());
    env.stop().await.unwrap();
}

#[tokio::test]
async fn stale_answer_re_encrypts_with_the_networks_counter() {
    let env = TestEnv::start().await.unwrap();
    joined(&env, "dl2", Formatter::CayenneLpp, 0).await;
    let mut answered = 0;
    let mut network = FakeNetwork::start(&env.bus, move |request| {
        answered += 1;
        if answered == 1 {
            pb::QueueResponse {
                error: pb::QueueErrorCode::Stale as i32,
                message: String::from("f_cnt_down already used"),
                items: Vec::new(),
                dev_addr: DEV_ADDR,
                next_f_cnt_down: 17,
            }
        } else {
            pb::QueueResponse {
                items: request.items.clone(),
                dev_addr: DEV_ADDR,
                next_f_cnt_down: 18,
                ..pb::QueueResponse::default()
            }
        }
    })
    .await
    .unwrap();
    let reply = push(
        &env,
        "dl2",
        &DownlinkRequest {
            f_port: 1,
            frm_payload: None,
            decoded: Some(json!({"digital_out_2": 1})),
            confirmed: false,
            priority: 0,
        },
    )
    .await;
    assert_eq!(reply["f_cnt_down"], 17, "{reply}");
    let first = network.next_request().await.unwrap();
    assert_eq!(first.items[0].f_cnt_down, 0);
    let second = network.next_request().await.unwrap();
    let item = &second.items[0];
    assert_eq!(item.f_cnt_down, 17);
    assert_eq!(item.id, first.items[0].id);
    assert_eq!(
        decrypt_downlink(&app_s_key(), DEV_ADDR, 17, &item.frm_payload),
        [0x02, 0x01, 0x01]
    );
    env.stop().await.unwrap();
}

#[tokio::test]
async fn invalidated_items_are_re_encrypted_from_the_new_counter() {
    let env = TestEnv::start().await.unwrap();
    joined(&env, "dl3", Formatter::None, 0).await;
    let mut network = FakeNetwork::accepting(&env.bus, DEV_ADDR).await.unwrap();
    let old_items: Vec<pb::DownlinkQueueItem> = [(b"first".as_slice(), 4), (b"second", 5)]
        .into_iter()
        .enumerate()
        .map(|(idx, (plain, f_cnt_down))| pb::DownlinkQueueItem {
            id: format!("item{idx}"),
            dev_eui: DEV_EUI,
            dev_addr: DEV_ADDR,
            f_cnt_down,
            f_port: 8,
            frm_payload: decrypt_downlink(&app_s_key(), DEV_ADDR, f_cnt_down, plain).into(),
            confirmed: idx == 1,
            priority: 0,
            created_at_unix_ns: 1,
            expires_at_unix_ns: None,
        })
        .collect();
    let invalidated = pb::QueueInvalidated {
        dev_eui: DEV_EUI,
        dev_addr: DEV_ADDR,
        next_f_cnt_down: 6,
        items: old_items,
    };
    env.bus
        .publish(&env.bus.subjects().as_queue_invalidated(), &invalidated)
        .await
        .unwrap();
    let pushed = network.next_request().await.unwrap();
    assert_eq!(pushed.operation(), pb::QueueOperation::Push);
    let counters: Vec<u32> = pushed.items.iter().map(|item| item.f_cnt_down).collect();
    assert_eq!(counters, [6, 7]);
    let ids: Vec<&str> = pushed.items.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(ids, ["item0", "item1"]);
    assert_eq!(
        decrypt_downlink(&app_s_key(), DEV_ADDR, 6, &pushed.items[0].frm_payload),
        b"first"
    );
    assert_eq!(
        decrypt_downlink(&app_s_key(), DEV_ADDR, 7, &pushed.items[1].frm_payload),
        b"second"
    );
    assert!(pushed.items[1].confirmed);
    env.wait_counter("downlinks", "result=\"reencrypted\"", 1)
        .await
        .unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_api_pushes_lists_and_flushes() {
    let env = TestEnv::start().await.unwrap();
    joined(&env, "dl4", Formatter::None, 10).await;
    let mut network = FakeNetwork::accepting(&env.bus, DEV_ADDR).await.unwrap();
    let mut client = DownlinkServiceClient::connect(format!("http://{}", env.grpc_address))
        .await
        .unwrap();
    let pushed = client
        .push(api::PushDownlinkRequest {
            application_id: String::from("dl4"),
            dev_eui: String::from("0004a30b001c0530"),
            downlink: Some(api::Downlink {
                f_port: 3,
                frm_payload: b"grpc".to_vec().into(),
                ..api::Downlink::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pushed.f_cnt_down, 10);
    let item = network.next_request().await.unwrap().items.remove(0);
    assert_eq!(
        decrypt_downlink(&app_s_key(), DEV_ADDR, 10, &item.frm_payload),
        b"grpc"
    );

    let flushed = client
        .flush(api::FlushDownlinksRequest {
            application_id: String::from("dl4"),
            dev_eui: String::from("0004a30b001c0530"),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(flushed.downlinks.is_empty());
    let flush = network.next_request().await.unwrap();
    assert_eq!(flush.operation(), pb::QueueOperation::Replace);
    assert!(flush.items.is_empty());

    let missing = client
        .list(api::ListDownlinksRequest {
            application_id: String::from("dl4"),
            dev_eui: String::from("0004a30b001c0531"),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let malformed = client
        .list(api::ListDownlinksRequest {
            application_id: String::from("dl4"),
            dev_eui: String::from("zz"),
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    env.stop().await.unwrap();
}
