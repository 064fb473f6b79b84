//! `PgJoinStore` against the loopback PostgreSQL server: keys wrapped at rest, device
//! lifecycle, and the atomic nonce check under concurrency.

use futures::future::join_all;
use lorawan_codec::{Aes128Key, DevNonce, Eui64};
use tern_join::testsuite::{TestDevice, test_kek};
use tern_join::{Error, JoinRecord, JoinStore, Kek, MacVersion, NonceCheck, PgJoinStore};
use tern_postgres::testsuite::{TestSchema, test_config};

async fn store() -> (PgJoinStore, TestSchema) {
    let mut config = test_config();
    config.pool_max_size = 24;
    let pool = tern_postgres::build_pool(&config).unwrap();
    let schema = TestSchema::new(&pool);
    let store = PgJoinStore::new(pool, schema.name().clone(), test_kek());
    store.migrate().await.unwrap();
    (store, schema)
}

fn record(device: &TestDevice, check: NonceCheck) -> JoinRecord {
    JoinRecord {
        dev_eui: device.dev_eui,
        join_eui: device.join_eui,
        check,
        history_len: 16,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn root_keys_are_not_stored_in_plaintext() {
    let (store, schema) = store().await;
    // Distinct, recognisable key bytes.
    let device = TestDevice {
        app_key: "2b7e151628aed2a6abf7158809cf4f3c".parse().unwrap(),
        nwk_key: Some("603deb1015ca71be2b73aef0857d7781".parse().unwrap()),
        ..TestDevice::new(MacVersion::V1_1, 1)
    };
    store.set_device(&device.root_keys()).await.unwrap();

    let client = raw_client().await;
    let row = client
        .query_one(
            &format!(
                "SELECT d::text, app_key, nwk_key, kek_label FROM {} d",
                schema.name().table("devices")
            ),
            &[],
        )
        .await
        .unwrap();
    let row_text: String = row.get(0);
    let app_key: Vec<u8> = row.get(1);
    let nwk_key: Vec<u8> = row.get(2);
    let label: String = row.get(3);
    assert_eq!(label, "test");
    assert_eq!((app_key.len(), nwk_key.len()), (24, 24));
    for key in [device.app_key, device.nwk_key.unwrap()] {
        let plain = hex(key.as_bytes());
        assert!(!row_text.contains(&plain), "{plain} readable in {row_text}");
        for stored in [&app_key, &nwk_key] {
            assert!(
                !stored.windows(16).any(|window| window == key.as_bytes()),
                "plaintext key bytes stored"
            );
        }
    }
    // The store unwraps them again.
    assert_eq!(
        store.device(device.dev_eui).await.unwrap(),
        Some(device.root_keys())
    );
    schema.cleanup().await.unwrap();
}

/// Returns a plain connection to the test database, for looking at the rows themselves.
async fn raw_client() -> tern_postgres::deadpool_postgres::Object {
    let pool = tern_postgres::testsuite::test_pool().unwrap();
    pool.get().await.unwrap()
}

#[tokio::test]
async fn keys_under_another_kek_are_not_readable() {
    let (store, schema) = store().await;
    let device = TestDevice::new(MacVersion::V1_0_3, 2);
    store.set_device(&device.root_keys()).await.unwrap();
    let pool = tern_postgres::testsuite::test_pool().unwrap();

    let other_label = PgJoinStore::new(pool.clone(), schema.name().clone(), {
        Kek::new("other", "000102030405060708090a0b0c0d0e0f".parse().unwrap())
    });
    let res = other_label.device(device.dev_eui).await;
    assert!(
        matches!(&res, Err(Error::UnknownKekLabel { label }) if label == "test"),
        "{res:?}"
    );
    let other_key = PgJoinStore::new(pool, schema.name().clone(), {
        Kek::new("test", Aes128Key::from_bytes([9; 16]))
    });
    let res = other_key.device(device.dev_eui).await;
    assert!(
        matches!(&res, Err(Error::KeyUnwrap { what: "AppKey", .. })),
        "{res:?}"
    );
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn set_device_replaces_keys_keeps_counters_and_resets_nonces_on_a_new_join_eui() {
    let (store, schema) = store().await;
    let mut device = TestDevice::new(MacVersion::V1_0_4, 3);
    assert_eq!(store.device(device.dev_eui).await.unwrap(), None);
    store.set_device(&device.root_keys()).await.unwrap();
    let nonce = |n| NonceCheck::DevNonceCounter(DevNonce::new(n));
    assert_eq!(
        store
            .record_join(&record(&device, nonce(9)))
            .await
            .unwrap()
            .to_u32(),
        1
    );

    // New keys, same JoinEUI: DevNonce 9 stays used, the JoinNonce goes on.
    device.app_key = Aes128Key::from_bytes([0x33; 16]);
    device.mac_version = MacVersion::V1_0_3;
    store.set_device(&device.root_keys()).await.unwrap();
    assert_eq!(
        store.device(device.dev_eui).await.unwrap(),
        Some(device.root_keys())
    );
    let res = store
        .record_join(&record(
            &device,
            NonceCheck::DevNonceHistory(DevNonce::new(9)),
        ))
        .await;
    assert!(matches!(res, Err(Error::DevNonceReused(9))), "{res:?}");

    // A new JoinEUI restarts the DevNonce history, never the JoinNonce.
    device.join_eui = Eui64::from_u64(0xabcd);
    store.set_device(&device.root_keys()).await.unwrap();
    let join_nonce = store
        .record_join(&record(
            &device,
            NonceCheck::DevNonceHistory(DevNonce::new(9)),
        ))
        .await
        .unwrap();
    assert_eq!(join_nonce.to_u32(), 2);
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn record_join_admits_exactly_one_of_concurrent_identical_joins() {
    let (store, schema) = store().await;
    let device = TestDevice::new(MacVersion::V1_0_3, 4);
    store.set_device(&device.root_keys()).await.unwrap();
    let checks = [
        NonceCheck::DevNonceCounter(DevNonce::new(100)),
        NonceCheck::DevNonceHistory(DevNonce::new(50)),
        NonceCheck::RjCount1(7),
    ];
    for check in checks {
        let attempts = join_all((0..16).map(|_| {
            let store = store.clone();
            let record = record(&device, check);
            tokio::spawn(async move { store.record_join(&record).await })
        }))
        .await;
        let mut accepted = 0;
        for attempt in attempts {
            match attempt.unwrap() {
                Ok(_) => accepted += 1,
                Err(Error::DevNonceReused(_) | Error::RjCount1Reused(_)) => {}
                Err(other) => panic!("{check:?}: {other}"),
            }
        }
        assert_eq!(accepted, 1, "{check:?}");
    }
    // Unchecked rejoins (types 0 and 2) all get their own, distinct JoinNonce.
    let attempts = join_all((0..8).map(|_| {
        let store = store.clone();
        let record = record(&device, NonceCheck::Unchecked);
        tokio::spawn(async move { store.record_join(&record).await.unwrap().to_u32() })
    }))
    .await;
    let mut join_nonces: Vec<u32> = attempts.into_iter().map(|a| a.unwrap()).collect();
    join_nonces.sort_unstable();
    assert_eq!(join_nonces, (4..=11).collect::<Vec<_>>());
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn record_join_fails_for_unknown_devices_and_exhausted_join_nonces() {
    let (store, schema) = store().await;
    let device = TestDevice::new(MacVersion::V1_1, 5);
    let check = NonceCheck::DevNonceCounter(DevNonce::new(1));
    let res = store.record_join(&record(&device, check)).await;
    assert!(matches!(res, Err(Error::UnknownDevice)), "{res:?}");

    store.set_device(&device.root_keys()).await.unwrap();
    let client = raw_client().await;
    client
        .execute(
            &format!(
                "UPDATE {} SET join_nonce = 16777215",
                schema.name().table("devices")
            ),
            &[],
        )
        .await
        .unwrap();
    let res = store.record_join(&record(&device, check)).await;
    assert!(matches!(res, Err(Error::JoinNonceExhausted)), "{res:?}");
    schema.cleanup().await.unwrap();
}
