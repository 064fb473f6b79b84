//! What the join service logs: one `join` span per request carrying the device's EUIs, refusals
//! at `warn`, and never a key, the KEK or an AppSKey.
//!
//! This file holds one test because it installs the process-wide tracing subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use lorawan_codec::JoinReqType;
use tern_join::MacVersion;
use tern_join::testsuite::{
    TEST_KEK, TestDevice, TestEnv, expect_accept, expect_refusal, join_request_message,
};
use tern_proto::internal::v1 as pb;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn logs_the_device_of_each_join_but_never_keys() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_1, 9);
    env.add_device(&device).await.unwrap();
    let accept = expect_accept(
        env.request(&join_request_message(device.join_request(1)))
            .await
            .unwrap(),
    )
    .unwrap();
    let opened = device
        .open_join_accept(&accept.phy_payload, JoinReqType::JoinRequest, 1)
        .unwrap();
    let replay = env
        .request(&join_request_message(device.join_request(1)))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(replay).unwrap(),
        pb::JoinErrorCode::DevNonceReused
    );
    env.stop().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let refused = logs
        .lines()
        .find(|line| line.contains("join refused"))
        .unwrap_or_else(|| panic!("no refusal logged: {logs}"));
    assert!(refused.contains("WARN"), "{refused}");
    assert!(refused.contains("dev_nonce 1 already used"), "{refused}");
    assert!(
        refused.contains(&format!("dev_eui={}", device.dev_eui)),
        "{refused}"
    );
    assert!(
        refused.contains(&format!("join_eui={}", device.join_eui)),
        "{refused}"
    );
    assert!(logs.contains("join accepted"), "{logs}");

    let secrets = [
        TEST_KEK.to_owned(),
        hex(device.app_key.as_bytes()),
        hex(device.nwk_key.unwrap().as_bytes()),
        hex(opened.app_s_key.as_bytes()),
        hex(opened.f_nwk_s_int_key.as_bytes()),
        hex(opened.s_nwk_s_int_key.as_bytes()),
        hex(opened.nwk_s_enc_key.as_bytes()),
    ];
    for secret in secrets {
        assert!(!logs.contains(&secret), "{secret} logged: {logs}");
    }
}
