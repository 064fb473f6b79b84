//! The Redis lock election: one holder at a time, handed over on release or expiry, and a
//! campaign that steps down as soon as its renewal fails.

use std::time::Duration;

use fred::prelude::KeysInterface;
use fred::types::Expiration;
use tern_network::RedisKeys;
use tern_network::leader::{LeaderElection, RedisLock, campaign};
use tern_network::testsuite::{TEST_TIMEOUT, test_redis_config};
use tern_telemetry::Shutdown;
use tokio::sync::watch;

async fn contenders(
    lease_duration: Duration,
) -> (RedisLock, RedisLock, fred::clients::Pool, String) {
    let config = test_redis_config();
    let redis = tern_network::build_redis(&config).await.unwrap();
    let key = RedisKeys::new(&config.key_prefix).leader("test");
    let first = RedisLock::new(redis.clone(), key.clone(), lease_duration);
    let second = RedisLock::new(redis.clone(), key.clone(), lease_duration);
    assert_ne!(first.holder_id(), second.holder_id());
    (first, second, redis, key)
}

async fn wait_for(leading: &mut watch::Receiver<bool>, want: bool) {
    tokio::time::timeout(TEST_TIMEOUT, leading.wait_for(|now| *now == want))
        .await
        .expect("timed out waiting for leadership to change")
        .expect("campaign ended");
}

#[tokio::test]
async fn one_contender_holds_the_lock_until_it_releases() {
    let (first, second, redis, key) = contenders(Duration::from_secs(10)).await;
    assert!(first.acquire_or_renew().await.unwrap());
    assert!(!second.acquire_or_renew().await.unwrap());
    assert!(first.acquire_or_renew().await.unwrap());
    assert!(!second.acquire_or_renew().await.unwrap());

    // Releasing what one does not hold changes nothing.
    second.release().await.unwrap();
    assert!(first.acquire_or_renew().await.unwrap());

    first.release().await.unwrap();
    assert!(second.acquire_or_renew().await.unwrap());
    assert!(!first.acquire_or_renew().await.unwrap());
    second.release().await.unwrap();
    let left: Option<String> = redis.get(&key).await.unwrap();
    assert_eq!(left, None);
}

#[tokio::test]
async fn a_lapsed_lock_passes_to_the_next_contender() {
    let (first, second, _redis, _key) = contenders(Duration::from_millis(200)).await;
    assert!(first.acquire_or_renew().await.unwrap());
    assert!(!second.acquire_or_renew().await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(second.acquire_or_renew().await.unwrap());
    assert!(!first.acquire_or_renew().await.unwrap());
    second.release().await.unwrap();
}

#[tokio::test]
async fn campaign_hands_leadership_over_when_the_leader_stops() {
    let (first, second, _redis, _key) = contenders(Duration::from_millis(300)).await;
    let (first_tx, mut first_leading) = watch::channel(false);
    let (second_tx, mut second_leading) = watch::channel(false);
    let first_shutdown = Shutdown::new();
    let second_shutdown = Shutdown::new();
    let first_task = tokio::spawn(campaign(
        first,
        Duration::from_millis(300),
        first_tx,
        None,
        first_shutdown.clone(),
    ));
    wait_for(&mut first_leading, true).await;
    let second_task = tokio::spawn(campaign(
        second,
        Duration::from_millis(300),
        second_tx,
        None,
        second_shutdown.clone(),
    ));
    // Several renewal periods pass without the second contender taking over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(*first_leading.borrow());
    assert!(!*second_leading.borrow());

    first_shutdown.trigger();
    tokio::time::timeout(TEST_TIMEOUT, first_task)
        .await
        .unwrap()
        .unwrap();
    assert!(!*first_leading.borrow());
    wait_for(&mut second_leading, true).await;

    second_shutdown.trigger();
    tokio::time::timeout(TEST_TIMEOUT, second_task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn campaign_steps_down_when_another_holder_has_the_lock() {
    let (first, _second, redis, key) = contenders(Duration::from_millis(300)).await;
    let (first_tx, mut first_leading) = watch::channel(false);
    let shutdown = Shutdown::new();
    let task = tokio::spawn(campaign(
        first,
        Duration::from_millis(300),
        first_tx,
        None,
        shutdown.clone(),
    ));
    wait_for(&mut first_leading, true).await;
    // Another holder took the lock (as after this replica stalled past its lease).
    let () = redis
        .set(
            &key,
            "someone-else",
            Some(Expiration::PX(10_000)),
            None,
            false,
        )
        .await
        .unwrap();
    wait_for(&mut first_leading, false).await;
    shutdown.trigger();
    tokio::time::timeout(TEST_TIMEOUT, task)
        .await
        .unwrap()
        .unwrap();
    // Stepping down left the other holder's lock alone.
    let holder: Option<String> = redis.get(&key).await.unwrap();
    assert_eq!(holder.as_deref(), Some("someone-else"));
}
