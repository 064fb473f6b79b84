//! Runs `tern serve --only identity` as a process: the first start against an empty schema
//! prints the admin API key once, the key works with the CLI, and a restart prints nothing.
//!
//! Needs PostgreSQL and NATS on loopback (started by `scripts/services`).

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tern_postgres::testsuite::{TestSchema, test_pool};

/// Kills the server if the test fails before stopping it.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the identity service, waits until its API answers, and returns the process and the
/// stdout lines read until then.
fn start(schema: &str, api_port: u16, key_file: &std::path::Path) -> (KillOnDrop, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(["serve", "--only", "identity", "--admin-key-file"])
        .arg(key_file)
        .env("TERN_ADMIN__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("TERN_IDENTITY__LISTEN", format!("127.0.0.1:{api_port}"))
        .env("TERN_IDENTITY__SCHEMA", schema)
        .env(
            "TERN_NATS__SUBJECT_ROOT",
            format!("serve_identity_{}", std::process::id()),
        )
        .env("TERN_TELEMETRY__LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = KillOnDrop(child);
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut reader = BufReader::new(stdout).lines();
    for line in reader.by_ref() {
        let line = line.unwrap();
        let ready = line.contains("identity service ready");
        lines.push(line);
        if ready {
            // Keep reading, so the server's later log lines never meet a closed pipe.
            std::thread::spawn(move || reader.for_each(drop));
            return (guard, lines);
        }
        assert!(Instant::now() < deadline, "not ready in time: {lines:?}");
    }
    let mut guard = guard;
    let mut stderr = String::new();
    guard
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    panic!("tern serve ended before it was ready: {lines:?} {stderr}");
}

fn stop(mut guard: KillOnDrop) {
    let status = Command::new("kill")
        .args(["-TERM", &guard.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = guard.0.wait().unwrap();
    assert!(exit.success(), "exit {exit:?}");
}

#[test]
fn serve_prints_the_bootstrap_admin_key_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = test_pool().unwrap();
    let schema = TestSchema::new(&pool);
    let api_port = free_port();
    let dir = std::env::temp_dir().join(format!("tern-serve-identity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("admin-key");

    let (server, lines) = start(schema.name().as_str(), api_port, &key_file);
    let marker = "admin api key (shown only once): ";
    let key = lines
        .iter()
        .find_map(|line| {
            line.split_once(marker)
                .map(|(_, key)| key.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no key printed: {lines:?}"));
    assert!(key.starts_with("tern_"), "{key}");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim(), key);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
    }
    let listed = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(["tenant", "list", "--json", "--server"])
        .arg(format!("http://127.0.0.1:{api_port}"))
        .args(["--api-key", &key])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    assert_eq!(String::from_utf8(listed.stdout).unwrap().trim(), "[]");
    stop(server);

    std::fs::remove_file(&key_file).unwrap();
    let (server, lines) = start(schema.name().as_str(), api_port, &key_file);
    assert!(!key_file.exists(), "a restart writes no key file");
    assert!(
        !lines
            .iter()
            .any(|line| line.contains(marker) || line.contains(&key)),
        "{lines:?}"
    );
    stop(server);
    std::fs::remove_dir_all(&dir).unwrap();
    runtime.block_on(schema.cleanup()).unwrap();
}
