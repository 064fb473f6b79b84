//! Runs `tern device activate` as a process against a running identity service (with the
//! testsuite's recording network and application services): an ABP device's session reaches
//! both services, and refusals print their gRPC code and reason.
//!
//! Needs PostgreSQL and NATS on loopback (started by `scripts/services`).

use std::path::{Path, PathBuf};

use serde_json::Value;
use tern_identity::testsuite::{ProvisionRequest, TEST_KEK_LABEL, TestIdentity};
use tern_proto::internal::v1 as pb;

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

/// A private config directory, so the test never touches the user's saved login.
fn config_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("tern-activate-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn tern(config: &Path, args: &[&str]) -> Output {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .output()
        .await
        .expect("run tern");
    Output {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

async fn ok(config: &Path, args: &[&str]) -> String {
    let output = tern(config, args).await;
    assert!(output.success, "tern {args:?} failed: {}", output.stderr);
    output.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_activate_sends_the_abp_session_and_reports_refusals() {
    let env = TestIdentity::start().await.unwrap();
    let config = config_dir();
    let c = config.as_path();
    ok(
        c,
        &["login", "--server", &env.url(), "--api-key", &env.admin_key],
    )
    .await;
    ok(c, &["tenant", "create", "acme"]).await;
    ok(c, &["app", "create", "lights", "--tenant", "acme"]).await;
    for (id, activation) in [("eu-abp", "abp"), ("eu-otaa", "otaa")] {
        ok(
            c,
            &[
                "profile",
                "create",
                id,
                "--tenant",
                "acme",
                "--band",
                "eu868",
                "--mac-version",
                "1.0.4",
                "--rp-revision",
                "RP002-1.0.4",
                "--activation",
                activation,
            ],
        )
        .await;
    }
    ok(
        c,
        &[
            "device",
            "create",
            "0004a30b001c0701",
            "--app",
            "lights",
            "--profile",
            "eu-abp",
        ],
    )
    .await;
    ok(
        c,
        &[
            "device",
            "create",
            "0004a30b001c0702",
            "--app",
            "lights",
            "--profile",
            "eu-otaa",
        ],
    )
    .await;
    let before = env.provisioned.requests().len();

    let activated = ok(
        c,
        &[
            "device",
            "activate",
            "0004a30b001c0701",
            "--dev-addr",
            "26011c01",
            "--nwk-s-key",
            "2b7e151628aed2a6abf7158809cf4f3c",
            "--app-s-key",
            "000102030405060708090a0b0c0d0e0f",
            "--json",
        ],
    )
    .await;
    let activated: Value = serde_json::from_str(&activated).unwrap();
    assert_eq!(activated["activated"], "0004a30b001c0701", "{activated}");
    let requests = env.provisioned.requests();
    let sent = &requests[before..];
    assert_eq!(sent.len(), 2, "{sent:?}");
    match &sent[0] {
        ProvisionRequest::Network(pb::NetworkDeviceRequest {
            dev_eui: 0x0004_a30b_001c_0701,
            action:
                Some(pb::network_device_request::Action::Set(pb::NetworkDevice {
                    activation: Some(pb::network_device::Activation::Abp(abp)),
                    ..
                })),
        }) => assert_eq!(abp.dev_addr, 0x2601_1c01),
        other => panic!("not an abp network set: {other:?}"),
    }
    match &sent[1] {
        ProvisionRequest::Application(pb::ApplicationDeviceRequest {
            action: Some(pb::application_device_request::Action::Set(device)),
            ..
        }) => {
            let abp = device.abp.as_ref().expect("the abp session");
            assert_eq!(abp.dev_addr, 0x2601_1c01);
            assert_eq!(abp.app_s_key.as_ref().unwrap().kek_label, TEST_KEK_LABEL);
        }
        other => panic!("not an application set: {other:?}"),
    }

    let text = ok(
        c,
        &[
            "device",
            "activate",
            "0004a30b001c0701",
            "--dev-addr",
            "26011c02",
            "--nwk-s-key",
            "2b7e151628aed2a6abf7158809cf4f3c",
            "--app-s-key",
            "000102030405060708090a0b0c0d0e0f",
        ],
    )
    .await;
    assert_eq!(
        text.trim(),
        "device 0004a30b001c0701 activated with DevAddr 26011c02"
    );

    let otaa = tern(
        c,
        &[
            "device",
            "activate",
            "0004a30b001c0702",
            "--dev-addr",
            "26011c03",
            "--nwk-s-key",
            "2b7e151628aed2a6abf7158809cf4f3c",
            "--app-s-key",
            "000102030405060708090a0b0c0d0e0f",
        ],
    )
    .await;
    assert!(!otaa.success);
    assert!(
        otaa.stderr.contains("FAILED_PRECONDITION") && otaa.stderr.contains("eu-otaa"),
        "{}",
        otaa.stderr
    );

    let short_key = tern(
        c,
        &[
            "device",
            "activate",
            "0004a30b001c0701",
            "--dev-addr",
            "26011c01",
            "--nwk-s-key",
            "2b7e1516",
            "--app-s-key",
            "000102030405060708090a0b0c0d0e0f",
        ],
    )
    .await;
    assert!(!short_key.success);
    assert!(
        short_key
            .stderr
            .contains("INVALID_ARGUMENT: invalid nwk_s_key: must be 32 hex digits"),
        "{}",
        short_key.stderr
    );
    assert!(short_key.stdout.is_empty());

    env.stop().await.unwrap();
    std::fs::remove_dir_all(config).unwrap();
}
