//! Gateway status: stats bring a gateway online once, silence takes it offline through the
//! elected replica's sweep, and the elections themselves (`redis_lock`, `kube_lease`).

mod kube_lease;
mod redis_lock;

use std::time::Duration;

use tern_bus::Subscription;
use tern_network::testsuite::{TEST_TIMEOUT, TestEnv, default_config, next, stays_quiet};
use tern_proto::internal::v1 as pb;
use tokio::time::Instant;

const GATEWAY_EUI: u64 = 0x0016_c001_ff10_a001;

/// A `[network]` section whose gateways go offline after 300 ms of silence, swept every
/// 50 ms, with a 1 s leader lease.
fn fast_config() -> tern_config::NetworkConfig {
    tern_config::NetworkConfig {
        gateway_offline_after: Duration::from_millis(300),
        gateway_sweep_interval: Duration::from_millis(50),
        leader_lease_duration: Duration::from_secs(1),
        ..default_config()
    }
}

fn stats(gateway_eui: u64, rx_received: u32) -> pb::GatewayStats {
    pb::GatewayStats {
        gateway_eui,
        received_at_unix_ns: 1_715_000_000_000_000_000,
        rx_received,
        rx_ok: rx_received,
        rx_forwarded: rx_received,
        ack_ratio_percent: 100.0,
        ..pb::GatewayStats::default()
    }
}

async fn subscribe_status(env: &TestEnv, gateway_eui: u64) -> Subscription<pb::GatewayStatus> {
    let subscription = env
        .bus
        .subscribe(&env.bus.subjects().gw_status(gateway_eui))
        .await
        .unwrap();
    env.bus.flush().await.unwrap();
    subscription
}

async fn publish_stats(env: &TestEnv, stats: &pb::GatewayStats) {
    env.bus
        .publish(&env.bus.subjects().gw_stats(stats.gateway_eui), stats)
        .await
        .unwrap();
    env.bus.flush().await.unwrap();
}

/// Reads one unlabelled series (or the first matching `series` prefix) from a replica.
fn metric(replica: &tern_network::testsuite::Replica, series: &str) -> f64 {
    let prefix = format!("{series} ");
    replica
        .metrics
        .encode()
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

fn leaders(env: &TestEnv) -> f64 {
    env.replicas
        .iter()
        .map(|replica| metric(replica, "tern_network_leader"))
        .sum()
}

fn offline_events(env: &TestEnv) -> f64 {
    env.replicas
        .iter()
        .map(|replica| {
            metric(
                replica,
                "tern_network_gateway_status_events_total{status=\"offline\"}",
            )
        })
        .sum()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(TEST_TIMEOUT, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting until {what}"));
}

#[tokio::test]
async fn first_stats_bring_a_gateway_online_once() {
    let env = TestEnv::start().await.unwrap();
    let mut status = subscribe_status(&env, GATEWAY_EUI).await;

    publish_stats(&env, &stats(GATEWAY_EUI, 7)).await;
    let online = next(&mut status).await.unwrap();
    assert_eq!(online.gateway_eui, GATEWAY_EUI);
    assert!(online.online);
    assert_eq!(online.stats, Some(stats(GATEWAY_EUI, 7)));
    assert_eq!(online.sequence, 1);
    assert!(online.last_seen_at_unix_ns > 1_700_000_000_000_000_000);
    assert_eq!(online.changed_at_unix_ns, online.last_seen_at_unix_ns);

    publish_stats(&env, &stats(GATEWAY_EUI, 8)).await;
    assert!(stays_quiet(&mut status, Duration::from_millis(300)).await);
    let handled = metric(
        &env.replicas[0],
        "tern_network_gateway_stats_total{result=\"ok\"}",
    );
    assert!((handled - 2.0).abs() < f64::EPSILON, "{handled}");
    env.stop().await.unwrap();
}

#[tokio::test]
async fn silence_takes_a_gateway_offline_and_stats_bring_it_back() {
    let env = TestEnv::start_with(fast_config()).await.unwrap();
    let mut status = subscribe_status(&env, GATEWAY_EUI).await;

    publish_stats(&env, &stats(GATEWAY_EUI, 1)).await;
    let online = next(&mut status).await.unwrap();
    assert!(online.online);
    let online_at = Instant::now();

    let offline = next(&mut status).await.unwrap();
    assert!(online_at.elapsed() >= Duration::from_millis(250));
    assert!(!offline.online);
    assert_eq!(offline.gateway_eui, GATEWAY_EUI);
    assert_eq!(offline.stats, Some(stats(GATEWAY_EUI, 1)));
    assert_eq!(offline.last_seen_at_unix_ns, online.last_seen_at_unix_ns);
    assert!(
        offline.changed_at_unix_ns - offline.last_seen_at_unix_ns >= 300_000_000,
        "{offline:?}"
    );
    assert_eq!(offline.sequence, 2);

    publish_stats(&env, &stats(GATEWAY_EUI, 2)).await;
    let back = next(&mut status).await.unwrap();
    assert!(back.online);
    assert_eq!(back.stats, Some(stats(GATEWAY_EUI, 2)));
    assert_eq!(back.sequence, 3);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_talking_gateway_stays_online() {
    let config = tern_config::NetworkConfig {
        gateway_offline_after: Duration::from_millis(600),
        ..fast_config()
    };
    let env = TestEnv::start_with(config).await.unwrap();
    let mut status = subscribe_status(&env, GATEWAY_EUI).await;
    publish_stats(&env, &stats(GATEWAY_EUI, 1)).await;
    assert!(next(&mut status).await.unwrap().online);
    // Reports every 100 ms keep the gateway well under the 600 ms threshold.
    for rx_received in 2..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        publish_stats(&env, &stats(GATEWAY_EUI, rx_received)).await;
    }
    assert!(stays_quiet(&mut status, Duration::from_millis(100)).await);
    wait_until("the leader counts one gateway online", || {
        (metric(&env.replicas[0], "tern_network_gateways_online") - 1.0).abs() < f64::EPSILON
    })
    .await;
    env.stop().await.unwrap();
}

#[tokio::test]
async fn two_replicas_share_the_state_and_only_the_leader_sweeps() {
    let mut env = TestEnv::start_with(fast_config()).await.unwrap();
    env.add_replica().await.unwrap();
    wait_until("one replica leads", || {
        (leaders(&env) - 1.0).abs() < f64::EPSILON
    })
    .await;
    let mut status = subscribe_status(&env, GATEWAY_EUI).await;

    // The queue group spreads the reports over both replicas; the state in Redis is shared,
    // so only the first one brings the gateway online.
    for rx_received in 1..=6 {
        publish_stats(&env, &stats(GATEWAY_EUI, rx_received)).await;
    }
    let online = next(&mut status).await.unwrap();
    assert!(online.online);
    // Two replicas may handle the reports in either order; each event carries one of them.
    let reported = |status: &pb::GatewayStatus| status.stats.as_ref().map(|s| s.rx_received);
    assert!(matches!(reported(&online), Some(1..=6)), "{online:?}");
    let offline = next(&mut status).await.unwrap();
    assert!(!offline.online, "{offline:?}");
    assert!(matches!(reported(&offline), Some(1..=6)), "{offline:?}");
    assert_eq!(offline.sequence, online.sequence + 1);
    // Several sweeps of both replicas pass; no second offline event comes.
    assert!(stays_quiet(&mut status, Duration::from_millis(500)).await);
    assert!((offline_events(&env) - 1.0).abs() < f64::EPSILON);
    let leading: Vec<f64> = env
        .replicas
        .iter()
        .map(|replica| metric(replica, "tern_network_leader"))
        .collect();
    assert!(
        leading == [1.0, 0.0] || leading == [0.0, 1.0],
        "{leading:?}"
    );
    env.stop().await.unwrap();
}
