//! Start-up and shutdown of the network service.

use tern_network::testsuite::{TestEnv, default_config};

#[tokio::test]
async fn refuses_to_start_with_a_malformed_net_id() {
    let config = tern_config::NetworkConfig {
        net_id: String::from("not hex"),
        ..default_config()
    };
    let error = TestEnv::start_with(config).await.unwrap_err();
    assert!(format!("{error:#}").contains("network.net_id"), "{error:#}");
}

#[tokio::test]
async fn replicas_turn_unready_and_stop_on_shutdown() {
    let mut env = TestEnv::start().await.unwrap();
    env.add_replica().await.unwrap();
    assert!(
        env.replicas
            .iter()
            .all(|replica| replica.readiness.is_ready())
    );
    // `stop` checks that every replica returned `Ok` and is no longer ready.
    env.stop().await.unwrap();
}
