//! Runs `tern serve` as a real process: it becomes ready, serves metrics, and drains and exits
//! cleanly on SIGTERM; a bad configuration stops it with a clear error.
//!
//! Needs the NATS server on 127.0.0.1:4222 (started by `scripts/services`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server if the test fails before stopping it, so no process outlives the test.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends a plain HTTP/1.1 GET and returns the status line and body, or `None` when nothing
/// listens yet.
fn http_get(port: u16, path: &str) -> Option<(String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.lines().next()?.to_owned();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())?;
    Some((status, body))
}

#[test]
fn serve_becomes_ready_and_drains_on_sigterm() {
    let admin_port = free_port();
    let subject_root = format!("serve_test_{}", std::process::id());
    let child = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(["serve", "--only", "gateway"])
        .env("TERN_ADMIN__LISTEN", format!("127.0.0.1:{admin_port}"))
        .env("TERN_GATEWAY__LISTEN", "127.0.0.1:0")
        .env("TERN_NATS__SUBJECT_ROOT", &subject_root)
        .env("TERN_TELEMETRY__LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(Some(child));
    let child = guard.0.as_mut().unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let ready = loop {
        match http_get(admin_port, "/readyz") {
            Some((status, _)) if status.contains("200") => break true,
            _ if Instant::now() > deadline => break false,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    if !ready {
        let mut child = guard.0.take().unwrap();
        let _ = child.kill();
        let output = child.wait_with_output();
        panic!("not ready in time: {output:?}");
    }
    let (_, metrics) = http_get(admin_port, "/metrics").unwrap();
    assert!(metrics.contains("tern_gateway_"), "{metrics}");
    assert!(!metrics.contains("tern_tern_"), "{metrics}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "tern serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Logs go to stdout, as containers expect; errors go to stderr.
    let mut logs = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(exit.success(), "exit {exit:?}: {logs}");
    assert!(logs.contains("draining"), "{logs}");
    assert!(logs.contains("\"stopped\""), "{logs}");
}

#[test]
fn serve_refuses_a_bad_configuration_with_the_key_named() {
    let output = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(["serve", "--only", "gateway"])
        .env("TERN_NATS__SUBJECT_ROOT", "bad.root")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nats.subject_root"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(["serve", "--config", "/nonexistent/tern.toml"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("read config file"), "{stderr}");
}
