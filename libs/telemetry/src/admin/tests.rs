//! Tests of the admin server over real loopback HTTP/1.1, with a small hand-written client.

use std::net::SocketAddr;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::*;

/// A parsed HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// Sends `GET path` with `Connection: close` and reads the whole response.
async fn get(addr: SocketAddr, path: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let content_type = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-type")
            .then(|| value.trim().to_owned())
    });
    Reply {
        status,
        content_type,
        body: body.to_owned(),
    }
}

/// Starts the server on an ephemeral loopback port.
async fn start(
    state: AdminState,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_admin(listener, state, async move {
        let _ = stopped.await;
    }));
    (addr, stop, server)
}

#[tokio::test]
async fn healthz_answers_ok() {
    let (addr, _stop, _server) = start(AdminState::default()).await;
    let reply = get(addr, "/healthz").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok\n"));
}

#[tokio::test]
async fn readyz_is_503_until_every_component_is_ready() {
    let readiness = Readiness::new();
    let state = AdminState::new(Metrics::new(), readiness.clone());
    let (addr, _stop, _server) = start(state).await;

    let reply = get(addr, "/readyz").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (503, "no components registered\n")
    );

    readiness.set_ready("network", false);
    readiness.set_ready("join", true);
    let reply = get(addr, "/readyz").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (503, "not ready: network\n")
    );

    readiness.set_ready("network", true);
    let reply = get(addr, "/readyz").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ready\n"));

    readiness.drain();
    let reply = get(addr, "/readyz").await;
    assert_eq!((reply.status, reply.body.as_str()), (503, "draining\n"));
}

#[tokio::test]
async fn metrics_serves_registered_counter_as_openmetrics() {
    let metrics = Metrics::new();
    let uplinks = Counter::<u64>::default();
    metrics.register_with(|registry| {
        registry.sub_registry_with_prefix("network").register(
            "uplinks",
            "Uplinks received",
            uplinks.clone(),
        );
    });
    uplinks.inc_by(3);
    let (addr, _stop, _server) = start(AdminState::new(metrics, Readiness::new())).await;

    let reply = get(addr, "/metrics").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.content_type.as_deref(),
        Some(OPENMETRICS_CONTENT_TYPE)
    );
    assert!(
        reply.body.contains("# TYPE tern_network_uplinks counter\n"),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("tern_network_uplinks_total 3\n"),
        "{}",
        reply.body
    );
    assert!(reply.body.ends_with("# EOF\n"), "{}", reply.body);
}

#[tokio::test]
async fn unknown_path_is_404() {
    let (addr, _stop, _server) = start(AdminState::default()).await;
    assert_eq!(get(addr, "/debug").await.status, 404);
}

#[tokio::test]
async fn server_stops_when_shutdown_resolves() {
    let (addr, stop, server) = start(AdminState::default()).await;
    assert_eq!(get(addr, "/healthz").await.status, 200);
    stop.send(()).unwrap();
    let res = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server stops within 10s")
        .unwrap();
    assert!(res.is_ok(), "{res:?}");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn server_stops_on_shutdown_token() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = crate::Shutdown::new();
    let server = tokio::spawn(serve_admin(
        listener,
        AdminState::default(),
        shutdown.clone().wait_owned(),
    ));
    shutdown.trigger();
    let res = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server stops within 10s")
        .unwrap();
    assert!(res.is_ok(), "{res:?}");
}
