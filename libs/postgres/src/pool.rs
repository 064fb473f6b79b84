//! Builds the connection pool from the `[postgres]` config section.
//!
//! Building connects to nothing: the pool opens connections on first use, so a service reports
//! an unreachable database when it first needs it (its migrations, at start-up).

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tern_config::PostgresConfig;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;

use crate::{Error, Result};

/// Name the connections report to the server (`pg_stat_activity.application_name`) when the
/// URL sets none.
const APPLICATION_NAME: &str = "tern";

/// Builds a pool from `config`: its URL (user, host, port, database and parameters), the
/// password kept out of the URL, the pool size and the connect and wait timeouts.
///
/// Fails with [`Error::InvalidUrl`] for a URL tokio-postgres cannot parse and with
/// [`Error::TlsUnsupported`] for `sslmode=require`. Connections are checked with a cheap
/// recycle (`RecyclingMethod::Fast`): a broken connection is noticed by its next query.
pub fn build_pool(config: &PostgresConfig) -> Result<Pool> {
    let mut pg_config = tokio_postgres::Config::from_str(&config.url).map_err(Error::InvalidUrl)?;
    if pg_config.get_ssl_mode() == SslMode::Require {
        return Err(Error::TlsUnsupported);
    }
    if let Some(password) = &config.password {
        pg_config.password(password.expose());
    }
    if pg_config.get_application_name().is_none() {
        pg_config.application_name(APPLICATION_NAME);
    }
    pg_config.connect_timeout(config.connect_timeout);
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = Manager::from_config(pg_config, NoTls, manager_config);
    let max_size = usize::try_from(config.pool_max_size).unwrap_or(usize::MAX);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(config.pool_wait_timeout))
        .create_timeout(Some(config.connect_timeout))
        .recycle_timeout(Some(config.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(Error::BuildPool)
}

#[cfg(test)]
mod tests {
    use tern_config::Secret;

    use super::*;

    fn config(url: &str) -> PostgresConfig {
        PostgresConfig {
            url: url.to_owned(),
            password: Some(Secret::new("pg-secret".to_owned())),
            ..PostgresConfig::default()
        }
    }

    #[test]
    fn builds_a_pool_of_the_configured_size_without_connecting() {
        let mut cfg = config("postgresql://tern@db.invalid:5432/tern");
        cfg.pool_max_size = 3;
        let pool = build_pool(&cfg).unwrap();
        assert_eq!(pool.status().max_size, 3);
        assert_eq!(pool.status().size, 0);
    }

    #[test]
    fn rejects_unparsable_urls_and_tls() {
        assert!(matches!(
            build_pool(&config("postgresql://tern@db:notaport/tern")),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(
            build_pool(&config("postgresql://tern@db/tern?sslmode=require")),
            Err(Error::TlsUnsupported)
        ));
    }
}
