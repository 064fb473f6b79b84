//! Migrations against the loopback PostgreSQL server: applied once, in one transaction, under
//! the advisory lock, with each test in its own schema.

use std::time::Duration;

use tern_postgres::testsuite::{TestSchema, test_config, test_pool};
use tern_postgres::{Error, MIGRATIONS_TABLE, Migration, MigrationReport, build_pool, migrate};

const CREATE: Migration = Migration {
    version: 1,
    name: "counters",
    sql: "CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);",
};
/// Not idempotent: running it twice would fail on the primary key, and a second row would
/// show a double application.
const SEED: Migration = Migration {
    version: 2,
    name: "seed",
    sql: "INSERT INTO counters (name, value) VALUES ('joins', 0);
          CREATE INDEX counters_value ON counters (value);",
};
const ADD_COLUMN: Migration = Migration {
    version: 5,
    name: "note",
    sql: "ALTER TABLE counters ADD COLUMN note text;",
};

async fn count(pool: &tern_postgres::deadpool_postgres::Pool, sql: &str) -> i64 {
    let client = pool.get().await.unwrap();
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn applies_pending_migrations_once_and_records_them() {
    let pool = test_pool().unwrap();
    let schema = TestSchema::new(&pool);
    let name = schema.name().clone();

    let first = migrate(&pool, &name, &[CREATE, SEED]).await.unwrap();
    assert_eq!(
        first,
        MigrationReport {
            applied: vec![1, 2],
            unknown: vec![]
        }
    );
    let again = migrate(&pool, &name, &[CREATE, SEED]).await.unwrap();
    assert_eq!(again, MigrationReport::default());

    let table = name.table(MIGRATIONS_TABLE);
    let recorded = pool
        .get()
        .await
        .unwrap()
        .query(
            &format!("SELECT version, name FROM {table} ORDER BY 1"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, i64>(0), row.get::<_, String>(1)))
        .collect::<Vec<_>>();
    assert_eq!(
        recorded,
        [(1, "counters".to_owned()), (2, "seed".to_owned())]
    );
    let rows = count(
        &pool,
        &format!("SELECT count(*) FROM {}", name.table("counters")),
    )
    .await;
    assert_eq!(rows, 1);
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn concurrent_replicas_apply_each_migration_exactly_once() {
    let mut config = test_config();
    config.pool_max_size = 12;
    let pool = build_pool(&config).unwrap();
    let schema = TestSchema::new(&pool);
    let name = schema.name().clone();

    let replicas = (0..10).map(|_| {
        let pool = pool.clone();
        let name = name.clone();
        tokio::spawn(async move { migrate(&pool, &name, &[CREATE, SEED, ADD_COLUMN]).await })
    });
    let reports: Vec<MigrationReport> = futures::future::join_all(replicas)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();
    let mut applied: Vec<i64> = reports.iter().flat_map(|r| r.applied.clone()).collect();
    applied.sort_unstable();
    assert_eq!(applied, [1, 2, 5], "{reports:?}");
    let rows = count(
        &pool,
        &format!("SELECT count(*) FROM {}", name.table("counters")),
    )
    .await;
    assert_eq!(rows, 1);
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_later_release_applies_only_its_new_migrations_and_an_older_one_reports_them() {
    let pool = test_pool().unwrap();
    let schema = TestSchema::new(&pool);
    let name = schema.name().clone();

    migrate(&pool, &name, &[CREATE]).await.unwrap();
    let newer = migrate(&pool, &name, &[CREATE, SEED, ADD_COLUMN])
        .await
        .unwrap();
    assert_eq!(newer.applied, [2, 5]);
    let older = migrate(&pool, &name, &[CREATE]).await.unwrap();
    assert_eq!(
        older,
        MigrationReport {
            applied: vec![],
            unknown: vec![2, 5]
        }
    );
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_failing_migration_rolls_back_the_whole_run() {
    let pool = test_pool().unwrap();
    let schema = TestSchema::new(&pool);
    let name = schema.name().clone();
    let broken = Migration {
        version: 2,
        name: "broken",
        sql: "INSERT INTO no_such_table VALUES (1);",
    };

    let res = migrate(&pool, &name, &[CREATE, broken]).await;
    assert!(
        matches!(
            &res,
            Err(Error::MigrationFailed {
                version: 2,
                name: "broken",
                ..
            })
        ),
        "{res:?}"
    );
    // Even the schema creation was part of the rolled-back transaction.
    let schemas = count(
        &pool,
        &format!(
            "SELECT count(*) FROM pg_namespace WHERE nspname = '{}'",
            name.as_str()
        ),
    )
    .await;
    assert_eq!(schemas, 0);
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn rejects_an_applied_migration_whose_sql_changed() {
    let pool = test_pool().unwrap();
    let schema = TestSchema::new(&pool);
    let name = schema.name().clone();
    migrate(&pool, &name, &[CREATE]).await.unwrap();

    let edited = Migration {
        sql: "CREATE TABLE counters (name text PRIMARY KEY);",
        ..CREATE
    };
    let res = migrate(&pool, &name, &[edited, SEED]).await;
    assert!(
        matches!(&res, Err(Error::MigrationChanged { version: 1, .. })),
        "{res:?}"
    );
    schema.cleanup().await.unwrap();
}

#[tokio::test]
async fn rejects_migration_lists_out_of_order_before_connecting() {
    let mut config = test_config();
    // Nothing listens here: the check must fail before any connection is attempted.
    config.url = "postgresql://postgres@127.0.0.1:1/tern".to_owned();
    let pool = build_pool(&config).unwrap();
    let schema = tern_postgres::testsuite::unique_schema_name();
    let res = migrate(&pool, &schema, &[SEED, CREATE]).await;
    assert!(
        matches!(
            res,
            Err(Error::MigrationsUnordered {
                version: 1,
                previous: 2
            })
        ),
        "{res:?}"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_a_pool_error() {
    let mut config = test_config();
    config.url = "postgresql://postgres@127.0.0.1:1/tern".to_owned();
    config.connect_timeout = Duration::from_secs(2);
    let pool = build_pool(&config).unwrap();
    let schema = tern_postgres::testsuite::unique_schema_name();
    let res = migrate(&pool, &schema, &[CREATE]).await;
    assert!(matches!(res, Err(Error::Pool(_))), "{res:?}");
}
