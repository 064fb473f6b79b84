//! The generator measurement and the library's refusals, without any server: `generate`
//! sends to a socket nobody reads, and `run` against addresses where nothing listens fails
//! with an error naming what it could not reach.

use std::time::Duration;

use tern_loadtest::{FleetConfig, MacVersion, RunConfig, Target};

#[tokio::test]
async fn generate_sends_every_uplink_through_each_gateway_copy() {
    let fleet = FleetConfig {
        devices: 50,
        gateways: 3,
        gateways_per_uplink: 2,
        mac_versions: vec![MacVersion::V1_0_3, MacVersion::V1_1],
        ..FleetConfig::default()
    };
    let report = tern_loadtest::generate(&fleet, Duration::from_millis(300))
        .await
        .unwrap();
    assert!(report.uplinks > 0, "{report:?}");
    assert_eq!(report.datagrams, report.uplinks * 2);
    assert!(report.seconds >= 0.3, "{report:?}");
    assert!(report.uplinks_per_second > 0.0, "{report:?}");
}

#[tokio::test]
async fn run_without_an_api_fails_naming_the_api() {
    let mut target = Target::local("tern_0000000000000000_00");
    // A port from the ephemeral range that nothing listens on once the probe is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    target.api_url = format!("http://127.0.0.1:{port}");
    let config = RunConfig::new(target, 10.0, 10);
    let error = tokio::time::timeout(Duration::from_secs(30), tern_loadtest::run(config))
        .await
        .expect("fails in time")
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("connect to the api at http://127.0.0.1:"),
        "{error:#}"
    );
}

#[tokio::test]
async fn run_refuses_bad_settings_before_connecting() {
    let mut config = RunConfig::new(Target::local("key"), 10.0, 10);
    config.fleet.gateways_per_uplink = 5;
    let error = tern_loadtest::run(config).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("--gateways-per-uplink"),
        "{error:#}"
    );

    let mut config = RunConfig::new(Target::local("key"), 10.0, 10);
    config.uplinks = None;
    let error = tern_loadtest::run(config).await.unwrap_err();
    assert!(format!("{error:#}").contains("--uplinks"), "{error:#}");
}
