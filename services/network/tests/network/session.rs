//! Sessions in Redis: compare-and-set lets exactly one writer win, and the DevAddr index
//! forgets sessions that moved to another address.

use std::time::Duration;

use lorawan_codec::{DevAddr, Eui64};
use tern_network::testsuite::TestEnv;
use tern_network::{RedisKeys, SessionStore};
use tern_proto::internal::v1 as pb;

fn session(dev_eui: u64, dev_addr: u32) -> pb::DeviceSession {
    pb::DeviceSession {
        dev_eui,
        dev_addr,
        mac_version: pb::MacVersion::MacVersion104 as i32,
        f_nwk_s_int_key: vec![1; 16].into(),
        s_nwk_s_int_key: vec![1; 16].into(),
        nwk_s_enc_key: vec![1; 16].into(),
        band: String::from("eu868"),
        ..pb::DeviceSession::default()
    }
}

#[tokio::test]
async fn compare_and_set_lets_one_of_two_writers_win() {
    let env = TestEnv::start().await.unwrap();
    let store = SessionStore::new(
        env.redis.clone(),
        RedisKeys::new(&env.redis_config.key_prefix),
        Duration::from_secs(60),
    );
    let dev_eui = 0x70b3_d57e_d000_00a1;
    let dev_addr = 0x2600_00a1;
    store.create(&session(dev_eui, dev_addr)).await.unwrap();
    let read_by_a = store
        .session(Eui64::from_u64(dev_eui))
        .await
        .unwrap()
        .unwrap();
    let read_by_b = read_by_a.clone();

    let mut next_a = read_by_a.session.clone();
    next_a.f_cnt_up = Some(1);
    let mut next_b = read_by_b.session.clone();
    next_b.f_cnt_up = Some(2);
    assert!(store.compare_and_set(&read_by_a, &next_a).await.unwrap());
    assert!(!store.compare_and_set(&read_by_b, &next_b).await.unwrap());
    let stored = store
        .session(Eui64::from_u64(dev_eui))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.session.f_cnt_up, Some(1));

    // A create_if_absent never replaces a live session.
    assert!(
        !store
            .create_if_absent(&session(dev_eui, dev_addr))
            .await
            .unwrap()
    );

    // A rejoin moves the session to a new DevAddr; the old index entry is dropped on lookup.
    let moved = 0x2600_00b2;
    store.create(&session(dev_eui, moved)).await.unwrap();
    assert!(
        store
            .candidates(DevAddr::from_u32(dev_addr))
            .await
            .unwrap()
            .is_empty()
    );
    let candidates = store.candidates(DevAddr::from_u32(moved)).await.unwrap();
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].session.dev_addr, moved);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_pending_session_keeps_the_old_one_until_its_first_uplink() {
    let env = TestEnv::start().await.unwrap();
    let store = SessionStore::new(
        env.redis.clone(),
        RedisKeys::new(&env.redis_config.key_prefix),
        Duration::from_secs(60),
    );
    let dev_eui = 0x70b3_d57e_d000_00c1;
    let (old_addr, new_addr) = (0x2600_00c1, 0x2600_00c2);
    store.create(&session(dev_eui, old_addr)).await.unwrap();
    store
        .create_pending(&session(dev_eui, new_addr))
        .await
        .unwrap();

    // Both sessions answer for their own DevAddr.
    let old = store.candidates(DevAddr::from_u32(old_addr)).await.unwrap();
    assert_eq!(old.len(), 1);
    assert!(!old[0].pending);
    let new = store.candidates(DevAddr::from_u32(new_addr)).await.unwrap();
    assert_eq!(new.len(), 1);
    assert!(new[0].pending);

    // The first uplink of the new session promotes it; the old one is gone.
    let mut promoted = new[0].session.clone();
    promoted.f_cnt_up = Some(0);
    assert!(store.compare_and_set(&new[0], &promoted).await.unwrap());
    assert!(
        store
            .pending_session(Eui64::from_u64(dev_eui))
            .await
            .unwrap()
            .is_none()
    );
    let active = store
        .session(Eui64::from_u64(dev_eui))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.session, promoted);
    assert!(
        store
            .candidates(DevAddr::from_u32(old_addr))
            .await
            .unwrap()
            .is_empty()
    );
    // The old session, read before the promotion, can no longer be written.
    assert!(
        !store
            .compare_and_set(&old[0], &old[0].session)
            .await
            .unwrap()
    );
    env.stop().await.unwrap();
}
