//! `tern serve`: runs the selected services in one process, with one admin server, one bus
//! connection and one shutdown signal.
//!
//! This is the only place that reads the config file and the environment, initialises
//! telemetry and wires service dependencies. It holds no service logic.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use tern_bus::{Bus, BusMetrics, BusOptions};
use tern_config::Config;
use tern_telemetry::{AdminState, Metrics, Readiness, Shutdown};
use tokio::task::JoinSet;
use tracing::{error, info, warn};

/// Arguments of `tern serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file; without it the defaults and `TERN_*` variables apply
    /// (`tern configfile` prints every key).
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run only these services (comma-separated); all of them by default.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SERVICE,...")]
    pub only: Vec<ServiceName>,
    /// How long in-flight work may take to finish after SIGINT or SIGTERM, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Also write the bootstrap admin API key to this file (created with mode 0600) when the
    /// first start creates it, so scripts such as the simulator can use it.
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,
}

/// The services `tern serve` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum ServiceName {
    /// The Semtech UDP edge.
    Gateway,
    /// The network server: deduplication, sessions, MAC layer, downlink scheduling.
    Network,
    /// The join server (OTAA).
    Join,
    /// The application server: payload decryption, formatters, events, integrations, downlinks.
    Application,
    /// The identity service: registry and public gRPC API.
    Identity,
}

impl ServiceName {
    fn as_str(self) -> &'static str {
        match self {
            Self::Gateway => "gateway",
            Self::Network => "network",
            Self::Join => "join",
            Self::Application => "application",
            Self::Identity => "identity",
        }
    }
}

/// Loads the configuration from an optional file and the process environment.
fn load_config(path: Option<&PathBuf>) -> anyhow::Result<Config> {
    let text = match path {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("read config file {}", path.display()))?,
        None => String::new(),
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    Config::load(&text, &env).context("load configuration")
}

/// Returns the `[application]` section with the join server's KEK and label filled in where
/// it sets none: AppSKeys arrive wrapped under the join server's KEK.
fn application_config(config: &Config) -> tern_config::ApplicationConfig {
    let mut application = config.application.clone();
    if application.kek.is_none() {
        application.kek = config.join.kek.clone();
    }
    if application.kek_label.is_none() {
        application.kek_label = Some(config.join.kek_label.clone());
    }
    application
}

/// Returns the `[identity]` section with the application service's KEK and label (which
/// default to the join server's) filled in where it sets none: the AppSKey of an ABP device
/// goes to the application service wrapped under this KEK.
fn identity_config(config: &Config) -> tern_config::IdentityConfig {
    let mut identity = config.identity.clone();
    let application = application_config(config);
    if identity.kek.is_none() {
        identity.kek = application.kek;
    }
    if identity.kek_label.is_none() {
        identity.kek_label = application.kek_label;
    }
    identity
}

/// Connects the identity service's downlink forwarding to the application service when both
/// run here: with `[application] grpc_listen` set, identity calls that address; with neither
/// it nor `[identity] application_grpc_url` set, the application serves its downlink API on a
/// loopback port chosen now, so one process needs no address configured.
fn downlink_wiring(
    config: &Config,
    services: &[ServiceName],
) -> anyhow::Result<(Option<std::net::TcpListener>, tern_config::IdentityConfig)> {
    let mut identity = identity_config(config);
    let both =
        services.contains(&ServiceName::Identity) && services.contains(&ServiceName::Application);
    if !both || identity.application_grpc_url.is_some() {
        return Ok((None, identity));
    }
    if let Some(listen) = &config.application.grpc_listen {
        let addr: std::net::SocketAddr = listen
            .parse()
            .with_context(|| format!("application.grpc_listen {listen:?}"))?;
        let host = if addr.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            addr.ip()
        };
        identity.application_grpc_url = Some(format!(
            "http://{}",
            std::net::SocketAddr::new(host, addr.port())
        ));
        return Ok((None, identity));
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .context("bind the application downlink api on loopback")?;
    let addr = listener
        .local_addr()
        .context("application downlink api address")?;
    identity.application_grpc_url = Some(format!("http://{addr}"));
    Ok((Some(listener), identity))
}

/// Writes the bootstrap key to a new file readable by its owner only; an existing file is
/// replaced, since it can only hold a key of an earlier, now empty, database.
fn write_admin_key(path: &std::path::Path, key: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("create admin key file {}", path.display()))?;
    // `mode` applies only to a new file; an old one may have been readable by others.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restrict admin key file {}", path.display()))?;
    writeln!(file, "{key}").with_context(|| format!("write admin key file {}", path.display()))
}

/// Runs `tern serve` until a signal asks it to stop or a service fails.
pub fn run(args: ServeArgs) -> anyhow::Result<String> {
    let config = load_config(args.config.as_ref())?;
    let mut services = args.only.clone();
    if services.is_empty() {
        services = ServiceName::value_variants().to_vec();
    }
    services.dedup();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tern")
        .build()
        .context("start tokio runtime")?;
    runtime.block_on(serve(
        config,
        services,
        Duration::from_secs(args.shutdown_grace),
        args.admin_key_file,
    ))?;
    Ok(String::new())
}

async fn serve(
    config: Config,
    services: Vec<ServiceName>,
    grace: Duration,
    admin_key_file: Option<PathBuf>,
) -> anyhow::Result<()> {
    let telemetry = tern_telemetry::init(&config.telemetry).context("initialise telemetry")?;
    let names: Vec<&str> = services.iter().map(|service| service.as_str()).collect();
    info!(services = ?names, "starting");

    let metrics = Metrics::new();
    let readiness = Readiness::new();
    for service in &services {
        readiness.set_ready(service.as_str(), false);
    }
    let shutdown = Shutdown::new();

    let listener = tokio::net::TcpListener::bind(config.admin.listen)
        .await
        .with_context(|| format!("bind admin server on {}", config.admin.listen))?;
    let admin_state = AdminState::new(metrics.clone(), readiness.clone());
    let admin_shutdown = shutdown.clone().wait_owned();
    let admin = tokio::spawn(tern_telemetry::serve_admin(
        listener,
        admin_state,
        admin_shutdown,
    ));
    info!(listen = %config.admin.listen, "admin server listening");

    let bus_metrics = metrics.register_with(BusMetrics::new);
    let bus_options = BusOptions {
        url: config.nats.url.clone(),
        subject_root: config.nats.subject_root.clone(),
        credentials_file: config.nats.credentials_file.clone(),
        password: config
            .nats
            .password
            .as_ref()
            .map(|secret| secret.expose().clone()),
        name: config.nats.connection_name.clone(),
        connection_timeout: config.nats.connect_timeout,
    };
    let bus = Bus::connect(&bus_options, bus_metrics)
        .await
        .context("connect to nats")?;

    // The pool connects lazily, so services that don't use PostgreSQL cost nothing here.
    let pool = tern_postgres::build_pool(&config.postgres).context("build postgres pool")?;

    let redis = if services.contains(&ServiceName::Network)
        || services.contains(&ServiceName::Application)
    {
        Some(
            tern_network::build_redis(&config.redis)
                .await
                .context("connect to redis")?,
        )
    } else {
        None
    };

    if services.contains(&ServiceName::Identity) {
        let bootstrap = tern_identity::prepare(&config.identity, &pool)
            .await
            .context("prepare identity schema")?;
        if let Some(bootstrap) = bootstrap {
            // The only time this key exists in plaintext: hand it to the operator on stdout.
            println!(
                "created admin user {:?}; admin api key (shown only once): {}",
                bootstrap.username, bootstrap.key
            );
            if let Some(path) = &admin_key_file {
                write_admin_key(path, &bootstrap.key)?;
                println!("admin api key written to {}", path.display());
            }
        }
    }

    let (mut application_grpc, identity_config) = downlink_wiring(&config, &services)?;
    let mut tasks = JoinSet::new();
    for service in &services {
        let service = *service;
        let shutdown = shutdown.child();
        match service {
            ServiceName::Gateway => {
                let deps = tern_gateway::GatewayDeps {
                    bus: bus.clone(),
                    metrics: metrics.clone(),
                    readiness: readiness.clone(),
                };
                let gateway_config = config.gateway.clone();
                tasks.spawn(async move {
                    (
                        service,
                        tern_gateway::run(&gateway_config, deps, shutdown).await,
                    )
                });
            }
            ServiceName::Network => {
                let deps = tern_network::NetworkDeps {
                    bus: bus.clone(),
                    redis: redis
                        .clone()
                        .context("redis pool is built when network runs")?,
                    redis_key_prefix: config.redis.key_prefix.clone(),
                    pool: pool.clone(),
                    metrics: metrics.clone(),
                    readiness: readiness.clone(),
                    leader: leader_choice(
                        config.network.leader_election,
                        &std::env::vars().collect(),
                    )
                    .await?,
                };
                let network_config = config.network.clone();
                tasks.spawn(async move {
                    (
                        service,
                        tern_network::run(&network_config, deps, shutdown).await,
                    )
                });
            }
            ServiceName::Join => {
                let deps = tern_join::JoinDeps {
                    bus: bus.clone(),
                    pool: pool.clone(),
                    metrics: metrics.clone(),
                    readiness: readiness.clone(),
                };
                let join_config = config.join.clone();
                tasks.spawn(async move {
                    (service, tern_join::run(&join_config, deps, shutdown).await)
                });
            }
            ServiceName::Application => {
                let deps = tern_application::ApplicationDeps {
                    bus: bus.clone(),
                    redis: redis
                        .clone()
                        .context("redis pool is built when application runs")?,
                    redis_key_prefix: config.redis.key_prefix.clone(),
                    pool: pool.clone(),
                    metrics: metrics.clone(),
                    readiness: readiness.clone(),
                    grpc_listener: application_grpc.take(),
                };
                let application_config = application_config(&config);
                tasks.spawn(async move {
                    (
                        service,
                        tern_application::run(&application_config, deps, shutdown).await,
                    )
                });
            }
            ServiceName::Identity => {
                let deps = tern_identity::IdentityDeps {
                    bus: bus.clone(),
                    pool: pool.clone(),
                    metrics: metrics.clone(),
                    readiness: readiness.clone(),
                };
                let identity_config = identity_config.clone();
                tasks.spawn(async move {
                    (
                        service,
                        tern_identity::run(&identity_config, deps, shutdown).await,
                    )
                });
            }
        }
    }

    let mut failure = None;
    tokio::select! {
        biased;
        signal = stop_signal() => {
            let signal = signal.context("listen for signals")?;
            info!(signal, "draining");
        }
        Some(joined) = tasks.join_next() => {
            let message = describe_exit(joined);
            error!(%message, "service stopped; shutting down the others");
            failure = Some(message);
        }
    }
    readiness.drain();
    shutdown.trigger();

    let drained = tokio::time::timeout(grace, async {
        while let Some(joined) = tasks.join_next().await {
            let message = describe_exit(joined);
            if !message.ends_with("stopped") {
                warn!(%message, "service ended with an error while draining");
                failure.get_or_insert(message);
            }
        }
    })
    .await;
    if drained.is_err() {
        warn!(
            grace_secs = grace.as_secs(),
            "grace period over; aborting remaining work"
        );
        tasks.abort_all();
    }
    pool.close();
    if let Some(redis) = &redis
        && let Err(error) = fred::interfaces::ClientLike::quit(redis).await
    {
        warn!(error = %error, "close redis connections");
    }
    if let Err(error) = bus.drain().await {
        warn!(error = %error, "drain nats connection");
    }
    match admin.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => warn!(error = %error, "admin server"),
        Err(error) => warn!(error = %error, "admin server task"),
    }
    info!("stopped");
    if let Err(error) = telemetry.shutdown().await {
        eprintln!("flush traces: {error}");
    }
    match failure {
        Some(message) => bail!(message),
        None => Ok(()),
    }
}

fn describe_exit(
    joined: Result<(ServiceName, anyhow::Result<()>), tokio::task::JoinError>,
) -> String {
    match joined {
        Ok((service, Ok(()))) => format!("{} stopped", service.as_str()),
        Ok((service, Err(error))) => format!("{} failed: {error:#}", service.as_str()),
        Err(error) => format!("service task panicked or was cancelled: {error}"),
    }
}

/// Resolves with the signal's name on SIGINT, or on SIGTERM (what Kubernetes sends).
async fn stop_signal() -> std::io::Result<&'static str> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        res = tokio::signal::ctrl_c() => res.map(|()| "SIGINT"),
        _ = terminate.recv() => Ok("SIGTERM"),
    }
}

/// Resolves `network.leader_election`: `auto` is a Kubernetes Lease inside a cluster (the
/// API server's service variable is set) and the Redis lock elsewhere. The Lease is held
/// under the pod name (`HOSTNAME`) in the pod's namespace.
async fn leader_choice(
    election: tern_config::LeaderElection,
    env: &HashMap<String, String>,
) -> anyhow::Result<tern_network::LeaderChoice> {
    let in_cluster = env.contains_key("KUBERNETES_SERVICE_HOST");
    let use_kube = match election {
        tern_config::LeaderElection::Auto => in_cluster,
        tern_config::LeaderElection::Redis => false,
        tern_config::LeaderElection::Kube => true,
    };
    if !use_kube {
        return Ok(tern_network::LeaderChoice::Redis);
    }
    let identity = env
        .get("HOSTNAME")
        .filter(|hostname| !hostname.is_empty())
        .context("network.leader_election = \"kube\" needs HOSTNAME (the pod name)")?
        .clone();
    let client = kube::Client::try_default()
        .await
        .context("kubernetes client for network.leader_election")?;
    let namespace = client.default_namespace().to_owned();
    Ok(tern_network::LeaderChoice::Kube(
        tern_network::leader::KubeLeaseTarget {
            client,
            namespace,
            identity,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_takes_the_application_kek_which_defaults_to_the_join_kek() {
        let mut config = Config::default();
        config.join.kek = Some(tern_config::Secret::new(String::from(
            "00112233445566778899aabbccddeeff",
        )));
        config.join.kek_label = String::from("join-1");
        let identity = identity_config(&config);
        assert_eq!(
            identity.kek.as_ref().map(|kek| kek.expose().as_str()),
            Some("00112233445566778899aabbccddeeff")
        );
        assert_eq!(identity.kek_label.as_deref(), Some("join-1"));

        config.application.kek = Some(tern_config::Secret::new(String::from(
            "ffeeddccbbaa99887766554433221100",
        )));
        config.application.kek_label = Some(String::from("app-1"));
        config.identity.kek_label = Some(String::from("id-1"));
        let identity = identity_config(&config);
        assert_eq!(
            identity.kek.as_ref().map(|kek| kek.expose().as_str()),
            Some("ffeeddccbbaa99887766554433221100")
        );
        assert_eq!(identity.kek_label.as_deref(), Some("id-1"));
    }

    #[test]
    fn downlink_wiring_connects_identity_to_the_application_in_one_process() {
        let both = [ServiceName::Application, ServiceName::Identity];
        let mut config = Config::default();
        let (listener, identity) = downlink_wiring(&config, &both).unwrap();
        let addr = listener.expect("a loopback listener").local_addr().unwrap();
        assert_eq!(
            identity.application_grpc_url,
            Some(format!("http://{addr}"))
        );

        config.application.grpc_listen = Some(String::from("0.0.0.0:8091"));
        let (listener, identity) = downlink_wiring(&config, &both).unwrap();
        assert!(listener.is_none());
        assert_eq!(
            identity.application_grpc_url.as_deref(),
            Some("http://127.0.0.1:8091")
        );

        config.identity.application_grpc_url = Some(String::from("http://app:8091"));
        let (listener, identity) = downlink_wiring(&config, &both).unwrap();
        assert!(listener.is_none());
        assert_eq!(
            identity.application_grpc_url.as_deref(),
            Some("http://app:8091")
        );

        let (listener, identity) =
            downlink_wiring(&Config::default(), &[ServiceName::Identity]).unwrap();
        assert!(listener.is_none());
        assert_eq!(identity.application_grpc_url, None);
    }
}
