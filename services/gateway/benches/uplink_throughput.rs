//! Uplink throughput of one edge replica: PUSH_DATA datagrams (one rxpk each) turned into
//! `UplinkFrame` messages on `up`, counted by a NATS subscriber.
//!
//! The edge and its NATS connection run on one single-threaded runtime (one core); the sender
//! (one UDP socket, at most `WINDOW` datagrams awaiting their PUSH_ACK) and the subscriber run
//! on other threads. Loopback only, against the NATS server on 127.0.0.1:4222, bounded to
//! `UPLINKS` datagrams and `TIME_LIMIT`. Prints one JSON line.
//!
//! Run: `cargo bench -p tern-gateway --bench uplink_throughput`

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use prometheus_client::registry::Registry;
use semtech_udp::{CodingRate, CrcStatus, DataRate, Datagram, GatewayEui, PushData, Rxpk, Token};
use tern_bus::testsuite::test_options;
use tern_bus::{Bus, BusMetrics, BusOptions};
use tern_config::GatewayConfig;
use tern_gateway::GatewayDeps;
use tern_telemetry::{Metrics, Readiness, Shutdown};

/// Datagrams sent, one rxpk each.
const UPLINKS: u64 = 200_000;
/// Datagrams the sender lets wait for their PUSH_ACK: well below what the default socket
/// receive buffer holds (about 200 small datagrams on Linux), so none is dropped by the kernel.
const WINDOW: u64 = 128;
/// How long the sender sleeps when its window is full.
const PAUSE: Duration = Duration::from_micros(200);
/// Hard limit on the whole run.
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn rxpk(counter: u32) -> Rxpk {
    let mut data = vec![0x40, 0x04, 0x03, 0x02, 0x01, 0x80];
    data.extend_from_slice(&counter.to_le_bytes());
    data.extend_from_slice(&[0x01, 0xa6, 0x94, 0x64, 0x26, 0x15, 0xd6, 0xc3]);
    Rxpk {
        time: Some("2023-05-11T09:27:03.123456Z".to_owned()),
        tmms: Some(1_367_832_441_123),
        tmst: counter,
        ftime: None,
        freq: 868.1,
        chan: Some(2),
        rfch: Some(1),
        brd: None,
        mid: None,
        aesk: None,
        stat: CrcStatus::Ok,
        datr: DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
        },
        codr: Some(CodingRate::lora(5)),
        hpw: None,
        rssi: Some(-56),
        rssis: Some(-57),
        lsnr: Some(9.5),
        foff: Some(-310),
        data,
        rsig: vec![],
    }
}

/// Encodes a set of distinct PUSH_DATA datagrams to cycle through.
fn datagrams() -> Vec<Vec<u8>> {
    (0u16..1024)
        .map(|idx| {
            let push_data = PushData {
                token: Token(idx),
                gateway_eui: GatewayEui::from_u64(0xaa55_5a00_0000_0101),
                rxpk: vec![rxpk(u32::from(idx))],
                ..PushData::default()
            };
            Datagram::PushData(push_data).encode().expect("encodes")
        })
        .collect()
}

async fn connect(options: &BusOptions) -> Bus {
    Bus::connect(options, BusMetrics::new(&mut Registry::default()))
        .await
        .expect("NATS on 127.0.0.1:4222")
}

/// The edge thread's time on a CPU so far, from `/proc/<pid>/task/<tid>/schedstat` (Linux);
/// `None` elsewhere.
fn cpu_time(task: Option<&PathBuf>) -> Option<Duration> {
    let text = std::fs::read_to_string(Path::new("/proc").join(task?).join("schedstat")).ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs the edge on its own single-threaded runtime; returns its address, its thread's
/// `/proc` task path (`<pid>/task/<tid>`, Linux only) and its shutdown signal.
fn start_edge(
    options: BusOptions,
) -> (
    SocketAddr,
    Option<PathBuf>,
    Shutdown,
    std::thread::JoinHandle<()>,
) {
    let (addr_tx, addr_rx) = mpsc::channel();
    let shutdown = Shutdown::new();
    let edge_shutdown = shutdown.clone();
    let thread = std::thread::Builder::new()
        .name("edge".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let config = GatewayConfig {
                    listen: "127.0.0.1:0".parse().expect("address"),
                    uplinks_per_second: 0,
                    ..GatewayConfig::default()
                };
                let deps = GatewayDeps {
                    bus: connect(&options).await,
                    metrics: Metrics::new(),
                    readiness: Readiness::new(),
                };
                let gateway = tern_gateway::bind(&config, deps).await.expect("bind");
                let task = std::fs::read_link("/proc/thread-self").ok();
                addr_tx
                    .send((gateway.local_addr(), task))
                    .expect("main thread waits");
                gateway.serve(edge_shutdown).await.expect("serve");
            });
        })
        .expect("spawn edge thread");
    let (addr, task) = addr_rx.recv().expect("edge address");
    (addr, task, shutdown, thread)
}

/// Sends `UPLINKS` datagrams keeping at most `WINDOW` unacknowledged; returns how many were
/// never acknowledged.
///
/// When the window is full the sender sleeps briefly and then reads every ACK that arrived,
/// rather than blocking on each one: a thread blocked in `recv` costs the edge a wake-up per
/// PUSH_ACK, which on loopback is charged to the edge's `sendto`.
fn send_all(edge: SocketAddr, deadline: Instant) -> u64 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind sender");
    socket.set_nonblocking(true).expect("non-blocking");
    let datagrams = datagrams();
    let mut ack = [0u8; 16];
    let (mut sent, mut acked) = (0u64, 0u64);
    let mut stalled_since: Option<Instant> = None;
    while acked < UPLINKS && Instant::now() < deadline {
        while socket.recv(&mut ack).is_ok() {
            acked += 1;
            stalled_since = None;
        }
        if sent < UPLINKS && sent - acked < WINDOW {
            let idx = usize::try_from(sent % 1024).expect("small");
            socket.send_to(&datagrams[idx], edge).expect("send");
            sent += 1;
            continue;
        }
        // Nothing for half a second: the missing ACKs (or datagrams) are lost.
        let since = *stalled_since.get_or_insert_with(Instant::now);
        if since.elapsed() > Duration::from_millis(500) {
            break;
        }
        std::thread::sleep(PAUSE);
    }
    sent - acked
}

fn main() {
    let options = test_options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let observer = runtime.block_on(connect(&options));
    let mut up = runtime
        .block_on(observer.subscribe_bytes(&observer.subjects().up()))
        .expect("subscribe up");
    let (edge, edge_task, shutdown, edge_thread) = start_edge(options);

    let cpu_before = cpu_time(edge_task.as_ref());
    let started = Instant::now();
    let deadline = started + TIME_LIMIT;
    let sender = std::thread::Builder::new()
        .name("sender".to_owned())
        .spawn(move || send_all(edge, deadline))
        .expect("spawn sender thread");
    let (received, last_at) = runtime.block_on(async {
        let mut received = 0u64;
        let mut last_at = started;
        while received < UPLINKS {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left.min(Duration::from_secs(5)), up.next()).await {
                Ok(Some(_)) => {
                    received += 1;
                    last_at = Instant::now();
                }
                Ok(None) | Err(_) => break,
            }
        }
        (received, last_at)
    });
    // Up to the last uplink received, so a shortfall's timeout is not counted.
    let seconds = last_at.duration_since(started).as_secs_f64();
    let edge_cpu_seconds = cpu_time(edge_task.as_ref())
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64());
    let unacknowledged = sender.join().expect("sender");
    shutdown.trigger();
    edge_thread.join().expect("edge thread");
    // Uplinks per second of the edge thread's own CPU time: what one dedicated core does,
    // whatever else (sender, subscriber, NATS server, other work) shares the machine.
    let (cpu, per_core) = match edge_cpu_seconds {
        Some(cpu) if cpu > 0.0 => (format!("{cpu:.3}"), format!("{:.0}", received as f64 / cpu)),
        _ => ("null".to_owned(), "null".to_owned()),
    };
    println!(
        "{{\"bench\":\"gateway_uplink_throughput\",\"uplinks_sent\":{UPLINKS},\"uplinks_received\":{received},\"unacknowledged\":{unacknowledged},\"seconds\":{seconds:.3},\"uplinks_per_second\":{:.0},\"edge_cpu_seconds\":{cpu},\"uplinks_per_edge_cpu_second\":{per_core}}}",
        received as f64 / seconds
    );
}
