//! Runs `tern health` against small loopback HTTP servers: it succeeds on 2xx only, and fails
//! on an error status, a refused connection, a silent server and a URL it cannot probe.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

fn tern_health(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_tern"))
        .arg("health")
        .args(args)
        .output()
        .expect("run tern health");
    Output {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Answers one connection with `response` after reading the request head, and returns the
/// request it read.
fn serve_once(response: &'static str) -> (SocketAddr, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = Vec::new();
        let mut chunk = [0u8; 512];
        while !request.ends_with(b"\r\n\r\n") {
            let n_read = stream.read(&mut chunk).unwrap();
            if n_read == 0 {
                break;
            }
            request.extend_from_slice(&chunk[..n_read]);
        }
        stream.write_all(response.as_bytes()).unwrap();
        String::from_utf8(request).unwrap()
    });
    (addr, handle)
}

#[test]
fn succeeds_on_200_and_sends_a_plain_get() {
    let (addr, server) = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    let output = tern_health(&["--url", &format!("http://{addr}/healthz")]);
    assert!(output.success, "stderr: {}", output.stderr);
    assert!(
        output.stdout.contains("HTTP/1.1 200 OK"),
        "{}",
        output.stdout
    );
    let request = server.join().unwrap();
    assert!(
        request.starts_with("GET /healthz HTTP/1.1\r\n"),
        "{request:?}"
    );
    assert!(
        request.contains(&format!("Host: {addr}\r\n")),
        "{request:?}"
    );
}

#[test]
fn fails_on_503() {
    let (addr, server) =
        serve_once("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 8\r\n\r\ndraining");
    let output = tern_health(&["--url", &format!("http://{addr}/readyz")]);
    assert!(!output.success);
    assert!(output.stderr.contains("503"), "{}", output.stderr);
    server.join().unwrap();
}

#[test]
fn fails_when_the_answer_is_not_http() {
    let (addr, server) = serve_once("SSH-2.0-OpenSSH_9.2\r\n");
    let output = tern_health(&["--url", &format!("http://{addr}/healthz")]);
    assert!(!output.success);
    assert!(output.stderr.contains("not HTTP"), "{}", output.stderr);
    server.join().unwrap();
}

#[test]
fn fails_when_nothing_listens() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = tern_health(&["--url", &format!("http://127.0.0.1:{port}/healthz")]);
    assert!(!output.success);
    assert!(output.stderr.contains("connect"), "{}", output.stderr);
}

#[test]
fn gives_up_on_a_silent_server_after_the_timeout() {
    // Accepted by the kernel's backlog but never answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let started = Instant::now();
    let output = tern_health(&["--url", &format!("http://{addr}/healthz"), "--timeout", "1"]);
    assert!(!output.success);
    assert!(
        output.stderr.contains("no answer within 1s"),
        "{}",
        output.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(listener);
}

#[test]
fn rejects_an_https_url() {
    let output = tern_health(&["--url", "https://127.0.0.1:9090/healthz"]);
    assert!(!output.success);
    assert!(output.stderr.contains("http://"), "{}", output.stderr);
}
