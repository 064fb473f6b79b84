//! The load tester against real `tern serve` processes: 20 devices of mixed LoRaWAN versions
//! (some class C) join through 3 virtual gateways, every uplink is heard by all 3, 200
//! uplinks go out at 50/s with some confirmed, and one downlink per device is queued through
//! the API. Nothing may be lost or delivered twice, every confirmed uplink is acknowledged
//! and every device decrypts its downlink.
//!
//! The first test runs every service in one process; the second runs two gateway edges and
//! two network services as separate processes beside one process of join, application and
//! identity, and spreads the gateways over both edges.
//!
//! Each test isolates itself: its own NATS subject root, Redis prefix, PostgreSQL schemas,
//! events stream, ports and KEK. Needs PostgreSQL, Redis and NATS on loopback (started by
//! `scripts/services`).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tern_bus::{Bus, BusMetrics, BusOptions};
use tern_loadtest::{CpuTarget, FleetConfig, MacVersion, Report, RunConfig, Target};
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_telemetry::prometheus_client;

/// Upper bound of every wait for a server; reached only when the test fails.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound of a whole load test run.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
/// Log lines kept per process for failure messages.
const KEPT_LINES: usize = 400;

/// A `tern serve` process, killed when dropped; its output is drained by a thread and the
/// last lines kept.
struct Server {
    name: String,
    child: Child,
    admin_port: u16,
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Waits until the admin server answers `/readyz` with 200.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = http_status(self.admin_port, "/readyz")
                && status.contains("200")
            {
                return;
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!(
                    "{} exited before it was ready ({exit}):\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready in time:\n{}",
                self.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the bootstrap admin key line on stdout.
    fn admin_key(&self) -> String {
        let marker = "admin api key (shown only once): ";
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let found = self.lines.lock().unwrap().iter().find_map(|line| {
                line.split_once(marker)
                    .map(|(_, key)| key.trim().to_owned())
            });
            if let Some(key) = found {
                return key;
            }
            assert!(
                Instant::now() < deadline,
                "{} printed no admin key:\n{}",
                self.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Returns the status line of `GET path` on the admin port, if it answers.
fn http_status(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.lines().next().map(str::to_owned)
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_addr() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// What every process of one deployment shares.
struct Deployment {
    tag: String,
    kek: String,
    schemas: [TestSchema; 4],
}

impl Deployment {
    fn new(label: &str) -> Deployment {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let pool = test_pool().unwrap();
        Deployment {
            tag: format!("lt_{label}_{}_{}", std::process::id(), nanos % 1_000_000),
            kek: format!(
                "{:016x}{:016x}",
                (nanos as u64) ^ 0x5a5a_1234_9876_abcd,
                u64::from(std::process::id()).rotate_left(29) ^ (nanos >> 64) as u64
            ),
            schemas: [
                TestSchema::new(&pool),
                TestSchema::new(&pool),
                TestSchema::new(&pool),
                TestSchema::new(&pool),
            ],
        }
    }

    /// Starts `tern serve` with `only` (every service when `None`), listening for gateways on
    /// `udp` and serving the API on `api_port` when given.
    fn spawn(
        &self,
        name: &str,
        only: Option<&str>,
        udp: Option<SocketAddr>,
        api_port: Option<u16>,
    ) -> Server {
        let admin_port = free_tcp_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_tern"));
        command.arg("serve");
        if let Some(only) = only {
            command.args(["--only", only]);
        }
        let [identity, network, join, application] = &self.schemas;
        let stream = self.tag.to_uppercase();
        command
            .env("TERN_ADMIN__LISTEN", format!("127.0.0.1:{admin_port}"))
            .env("TERN_NATS__SUBJECT_ROOT", &self.tag)
            .env("TERN_REDIS__KEY_PREFIX", format!("{}:", self.tag))
            .env("TERN_IDENTITY__SCHEMA", identity.name().as_str())
            .env("TERN_NETWORK__SCHEMA", network.name().as_str())
            .env("TERN_JOIN__SCHEMA", join.name().as_str())
            .env("TERN_APPLICATION__SCHEMA", application.name().as_str())
            .env("TERN_APPLICATION__EVENTS_STREAM", &stream)
            .env("TERN_APPLICATION__EVENTS_MAX_AGE", "1h")
            .env("TERN_IDENTITY__EVENTS_STREAM", &stream)
            .env("TERN_JOIN__KEK", &self.kek)
            .env("TERN_GATEWAY__UPLINKS_PER_SECOND", "0")
            .env("TERN_TELEMETRY__LOG_FORMAT", "json")
            .env("TERN_TELEMETRY__LOG_FILTER", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Unset listeners are bound where nothing else can be, so processes never collide.
        let udp = udp.unwrap_or_else(free_udp_addr);
        command.env("TERN_GATEWAY__LISTEN", udp.to_string());
        let api_port = api_port.unwrap_or_else(free_tcp_port);
        command.env("TERN_IDENTITY__LISTEN", format!("127.0.0.1:{api_port}"));
        let mut child = command.spawn().unwrap();
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()) as Box<dyn Read + Send>,
        ] {
            let lines = Arc::clone(&lines);
            // Draining both pipes keeps the server from blocking on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { return };
                    let mut lines = lines.lock().unwrap();
                    if lines.len() == KEPT_LINES {
                        lines.pop_front();
                    }
                    lines.push_back(line);
                }
            });
        }
        Server {
            name: name.to_owned(),
            child,
            admin_port,
            lines,
        }
    }

    fn target(&self, api_port: u16, api_key: String, udp: Vec<SocketAddr>) -> Target {
        Target {
            api_url: format!("http://127.0.0.1:{api_port}"),
            api_key,
            udp,
            nats_url: "nats://127.0.0.1:4222".to_owned(),
            subject_root: self.tag.clone(),
            name: "lt-e2e".to_owned(),
            band: "eu868".to_owned(),
        }
    }

    /// Deletes the Redis keys and the events stream and drops the schemas; the servers must
    /// be stopped.
    async fn cleanup(self) {
        use fred::prelude::{ClientLike, LuaInterface};
        let redis = fred::prelude::Builder::default_centralized()
            .build()
            .unwrap();
        redis.init().await.unwrap();
        // The test Redis is one node, so a script may delete keys it did not declare.
        let script = "local n = 0 \
                      for _, key in ipairs(redis.call('KEYS', ARGV[1])) do \
                        redis.call('DEL', key) n = n + 1 \
                      end \
                      return n";
        let _: i64 = redis
            .eval(
                script,
                Vec::<String>::new(),
                vec![format!("{}:*", self.tag)],
            )
            .await
            .unwrap();
        redis.quit().await.unwrap();

        let options = BusOptions {
            url: "nats://127.0.0.1:4222".to_owned(),
            subject_root: self.tag.clone(),
            credentials_file: None,
            password: None,
            name: "loadtest-e2e-cleanup".to_owned(),
            connection_timeout: Duration::from_secs(5),
        };
        let bus = Bus::connect(
            &options,
            BusMetrics::new(&mut prometheus_client::registry::Registry::default()),
        )
        .await
        .unwrap();
        // The stream is gone already when the application service never created it.
        let _ = bus.jetstream().delete_stream(self.tag.to_uppercase()).await;
        for schema in self.schemas {
            schema.cleanup().await.unwrap();
        }
    }
}

/// The run both tests make.
fn run_config(target: Target, servers: &[&Server]) -> RunConfig {
    let mut config = RunConfig::new(target, 50.0, 200);
    config.fleet = FleetConfig {
        devices: 20,
        gateways: 3,
        gateways_per_uplink: 3,
        mac_versions: vec![MacVersion::V1_0_3, MacVersion::V1_0_4, MacVersion::V1_1],
        class_c_share: 0.2,
        abp_share: 0.2,
        confirmed_share: 0.2,
        seed: 7,
        join_rate: 20.0,
        join_attempts: 3,
    };
    config.downlinks_per_device = 1;
    config.grace = Duration::from_secs(10);
    config.progress = false;
    config.cpu = servers
        .iter()
        .map(|server| CpuTarget {
            name: server.name.clone(),
            pid: server.pid(),
        })
        .collect();
    config
}

/// Checks what both tests expect of the run.
fn check(report: &Report, servers: &[&Server]) {
    let logs = || {
        servers
            .iter()
            .map(|server| format!("--- {}\n{}", server.name, server.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let table = report.to_table();
    assert!(report.abp_devices > 0, "{table}");
    let otaa = 20 - report.abp_devices as u64;
    assert_eq!(report.joins_completed, otaa, "{table}\n{}", logs());
    assert_eq!(report.join_events, otaa, "{table}");
    assert_eq!(report.uplinks_sent, 200, "{table}");
    assert_eq!(report.uplinks_delivered, 200, "{table}\n{}", logs());
    assert_eq!(report.uplinks_lost, 0, "{table}");
    assert_eq!(report.duplicates, 0, "{table}");
    assert!(report.confirmed_sent > 0, "{table}");
    assert_eq!(report.confirmed_acked, report.confirmed_sent, "{table}");
    assert_eq!(report.downlinks_pushed, 20, "{table}");
    assert_eq!(report.downlinks_decrypted, 20, "{table}\n{}", logs());
    assert_eq!(report.downlinks_received, 20, "{table}");
    assert_eq!(report.txack_events, 20, "{table}");
    assert!(report.latency.p50_ms > 0.0, "{table}");
    assert_eq!(report.cpu.len(), servers.len(), "{table}");
    assert!(report.passed(), "{table}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["uplinks_delivered"], 200);
}

async fn run_bounded(config: RunConfig) -> Report {
    tokio::time::timeout(RUN_TIMEOUT, tern_loadtest::run(config))
        .await
        .expect("the load test ends in time")
        .expect("the load test runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_delivers_every_uplink_ack_and_downlink_of_a_mixed_fleet() {
    let deployment = Deployment::new("one");
    let api_port = free_tcp_port();
    let udp = free_udp_addr();
    let mut server = deployment.spawn("tern", None, Some(udp), Some(api_port));
    server.wait_ready();
    let key = server.admin_key();

    let config = run_config(deployment.target(api_port, key, vec![udp]), &[&server]);
    let report = run_bounded(config).await;
    check(&report, &[&server]);

    drop(server);
    deployment.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edges_and_two_network_services_deliver_every_uplink_exactly_once() {
    let deployment = Deployment::new("split");
    let api_port = free_tcp_port();
    // The core starts first: it creates the identity schema and prints the admin key.
    let mut core = deployment.spawn(
        "join,application,identity",
        Some("join,application,identity"),
        None,
        Some(api_port),
    );
    core.wait_ready();
    let key = core.admin_key();
    // One at a time, so the two network services never migrate the schema at once.
    let mut network_a = deployment.spawn("network a", Some("network"), None, None);
    network_a.wait_ready();
    let mut network_b = deployment.spawn("network b", Some("network"), None, None);
    network_b.wait_ready();
    let (udp_a, udp_b) = (free_udp_addr(), free_udp_addr());
    let mut edge_a = deployment.spawn("gateway a", Some("gateway"), Some(udp_a), None);
    let mut edge_b = deployment.spawn("gateway b", Some("gateway"), Some(udp_b), None);
    edge_a.wait_ready();
    edge_b.wait_ready();

    let servers = [&core, &network_a, &network_b, &edge_a, &edge_b];
    let config = run_config(
        deployment.target(api_port, key, vec![udp_a, udp_b]),
        &servers,
    );
    let report = run_bounded(config).await;
    check(&report, &servers);

    drop((core, network_a, network_b, edge_a, edge_b));
    deployment.cleanup().await;
}
