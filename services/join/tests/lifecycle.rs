//! Start-up and shutdown of the join service: KEK checks, readiness, draining.

use std::time::Duration;

use tern_bus::{Bus, BusMetrics};
use tern_config::{JoinConfig, Secret};
use tern_join::testsuite::{TestEnv, default_config, join_request_message};
use tern_join::{COMPONENT, JoinDeps};
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};

async fn deps() -> JoinDeps {
    let metrics = BusMetrics::new(&mut prometheus_client::registry::Registry::default());
    let bus = Bus::connect(&tern_bus::testsuite::test_options(), metrics)
        .await
        .unwrap();
    JoinDeps {
        bus,
        pool: tern_postgres::testsuite::test_pool().unwrap(),
        metrics: Metrics::new(),
        readiness: Readiness::new(),
    }
}

#[tokio::test]
async fn refuses_to_start_without_a_well_formed_kek() {
    let cases: [(Option<&str>, &str); 3] = [
        (None, "join.kek is not set"),
        (Some("not hex at all"), "join.kek must be 32 hex digits"),
        (Some("0011223344"), "join.kek must be 32 hex digits"),
    ];
    for (kek, message) in cases {
        let config = JoinConfig {
            kek: kek.map(|kek| Secret::new(kek.to_owned())),
            ..JoinConfig::default()
        };
        let deps = deps().await;
        let readiness = deps.readiness.clone();
        let error = tern_join::run(&config, deps, Shutdown::new())
            .await
            .unwrap_err();
        let shown = format!("{error:#}");
        assert!(shown.contains(message), "{shown}");
        if let Some(kek) = kek {
            assert!(!shown.contains(kek), "the KEK value leaked: {shown}");
        }
        assert!(!readiness.is_ready());
    }
}

#[tokio::test]
async fn returns_at_once_when_shutdown_came_before_start() {
    let shutdown = Shutdown::new();
    shutdown.trigger();
    let deps = deps().await;
    let readiness = deps.readiness.clone();
    let res = tokio::time::timeout(
        Duration::from_secs(5),
        tern_join::run(&default_config(), deps, shutdown),
    )
    .await
    .unwrap();
    res.unwrap();
    assert!(!readiness.is_ready());
}

#[tokio::test]
async fn is_ready_while_serving_and_stops_answering_after_shutdown() {
    let env = TestEnv::start().await.unwrap();
    let replica = &env.replicas[0];
    assert!(replica.readiness.is_ready());
    let client = env.bus.clone();
    let subject = client.subjects().js_join();
    // Any answer proves the subscription is live.
    let request = join_request_message(vec![]);
    env.request(&request).await.unwrap();

    env.stop().await.unwrap();
    let res = client
        .request::<_, tern_proto::internal::v1::JoinAnswer>(
            &subject,
            &request,
            Duration::from_secs(2),
        )
        .await;
    assert!(
        matches!(res, Err(tern_bus::Error::NoResponders { .. })),
        "{res:?}"
    );
    assert_eq!(COMPONENT, "join");
}
