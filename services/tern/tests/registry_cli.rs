//! Runs the `tern` registry commands as a process against a running identity service: login,
//! create, list, update, delete, CSV import, JSON output and errors.
//!
//! Needs PostgreSQL and NATS on loopback (started by `scripts/services`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tern_identity::testsuite::TestIdentity;

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

/// A private config directory, so the test never touches the user's saved login.
fn config_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("tern-cli-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn tern(config: &Path, args: &[&str]) -> Output {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .output()
        .await
        .expect("run tern");
    Output {
        success: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

async fn ok(config: &Path, args: &[&str]) -> String {
    let output = tern(config, args).await;
    assert!(output.success, "tern {args:?} failed: {}", output.stderr);
    output.stdout
}

async fn json(config: &Path, args: &[&str]) -> Value {
    let stdout = ok(config, args).await;
    serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("tern {args:?} printed {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_commands_manage_entities_through_the_api() {
    let env = TestIdentity::start().await.unwrap();
    let config = config_dir();
    let c = config.as_path();

    let not_logged_in = tern(c, &["tenant", "list"]).await;
    assert!(!not_logged_in.success);
    assert!(
        not_logged_in.stderr.contains("tern login"),
        "{}",
        not_logged_in.stderr
    );
    let bad_key = tern(
        c,
        &["login", "--server", &env.url(), "--api-key", "tern_0_0"],
    )
    .await;
    assert!(!bad_key.success);
    assert!(
        bad_key.stderr.contains("UNAUTHENTICATED"),
        "{}",
        bad_key.stderr
    );

    ok(
        c,
        &["login", "--server", &env.url(), "--api-key", &env.admin_key],
    )
    .await;
    let saved = config.join("tern").join("cli.toml");
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&saved)
            .unwrap()
            .contains(&env.admin_key)
    );

    ok(c, &["tenant", "create", "acme", "--name", "Acme Corp"]).await;
    let tenants = ok(c, &["tenant", "list"]).await;
    assert_eq!(
        tenants,
        "ID    NAME       DESCRIPTION\nacme  Acme Corp  -\n"
    );
    ok(
        c,
        &[
            "app",
            "create",
            "field-sensors",
            "--tenant",
            "acme",
            "--tag",
            "site=north",
        ],
    )
    .await;
    let profile = json(
        c,
        &[
            "profile",
            "create",
            "eu-a",
            "--tenant",
            "acme",
            "--band",
            "eu868",
            "--mac-version",
            "1.0.3",
            "--rp-revision",
            "RP001-1.0.3-revA",
            "--json",
        ],
    )
    .await;
    assert_eq!(profile["activation"], "otaa");
    assert_eq!(profile["rx1_delay_s"], 1);
    let bad_band = tern(
        c,
        &[
            "profile",
            "create",
            "eu-b",
            "--tenant",
            "acme",
            "--band",
            "eu869",
            "--mac-version",
            "1.0.3",
            "--rp-revision",
            "RP001",
        ],
    )
    .await;
    assert!(!bad_band.success);
    assert!(
        bad_band
            .stderr
            .contains("INVALID_ARGUMENT: invalid device_profile.band: unknown band \"eu869\""),
        "{}",
        bad_band.stderr
    );

    let device = json(
        c,
        &[
            "device",
            "create",
            "0004A30B001C0530",
            "--app",
            "field-sensors",
            "--profile",
            "eu-a",
            "--name",
            "sensor 1",
            "--tag",
            "floor=2",
            "--json",
        ],
    )
    .await;
    assert_eq!(device["dev_eui"], "0004a30b001c0530");
    assert_eq!(device["tags"]["floor"], "2");
    ok(
        c,
        &[
            "device",
            "update",
            "0004a30b001c0530",
            "--description",
            "by the gate",
        ],
    )
    .await;
    let fetched = json(c, &["device", "get", "0004a30b001c0530", "--json"]).await;
    assert_eq!(fetched["description"], "by the gate");
    assert_eq!(fetched["name"], "sensor 1");
    let text = ok(c, &["device", "get", "0004a30b001c0530"]).await;
    assert!(text.contains("description: by the gate"), "{text}");

    let csv = config.join("devices.csv");
    std::fs::write(
        &csv,
        "dev_eui,name,tags\n0004a30b001c0531,sensor 2,floor=3;room=a\n0004a30b001c0532,sensor 3,\nnot-an-eui,broken,\n",
    )
    .unwrap();
    let import = tern(
        c,
        &[
            "device",
            "import",
            "--app",
            "field-sensors",
            "--profile",
            "eu-a",
            csv.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!import.success, "one row is bad");
    assert!(
        import.stderr.contains("created 2 devices"),
        "{}",
        import.stderr
    );
    assert!(
        import
            .stderr
            .contains("line 4: not-an-eui: INVALID_ARGUMENT"),
        "{}",
        import.stderr
    );
    let listed = json(c, &["device", "list", "--app", "field-sensors", "--json"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
    let floor3 = json(c, &["device", "list", "--tag", "floor=3", "--json"]).await;
    assert_eq!(floor3[0]["name"], "sensor 2");
    assert_eq!(floor3[0]["tags"]["room"], "a");
    let paged = tern(c, &["device", "list", "--page-size", "2", "--json"]).await;
    assert!(paged.success);
    assert!(
        paged.stderr.contains("--page-token 0004a30b001c0531"),
        "{}",
        paged.stderr
    );
    let all = json(
        c,
        &["device", "list", "--page-size", "2", "--all", "--json"],
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let table = ok(c, &["device", "list"]).await;
    assert!(table.starts_with("DEV_EUI "), "{table}");
    assert_eq!(table.lines().count(), 4);

    ok(
        c,
        &[
            "gateway",
            "create",
            "b827ebfffe000001",
            "--tenant",
            "acme",
            "--band",
            "eu868",
            "--latitude",
            "-33.9",
            "--longitude",
            "18.4",
            "--name",
            "roof",
        ],
    )
    .await;
    let gateways = json(c, &["gateway", "list", "--json"]).await;
    assert_eq!(gateways[0]["latitude"], -33.9);
    ok(c, &["gateway", "delete", "b827ebfffe000001"]).await;

    // No join server listens on this test's bus.
    let keys = tern(
        c,
        &[
            "device",
            "keys",
            "set",
            "0004a30b001c0530",
            "--app-key",
            "2b7e151628aed2a6abf7158809cf4f3c",
        ],
    )
    .await;
    assert!(!keys.success);
    assert!(
        keys.stderr.contains("UNAVAILABLE: join server unavailable"),
        "{}",
        keys.stderr
    );

    ok(c, &["device", "delete", "0004a30b001c0530"]).await;
    let missing = tern(c, &["device", "get", "0004a30b001c0530"]).await;
    assert!(!missing.success);
    assert_eq!(
        missing.stderr.trim(),
        "error: NOT_FOUND: device 0004a30b001c0530 not found"
    );
    let in_use = tern(c, &["profile", "delete", "eu-a"]).await;
    assert!(!in_use.success);
    assert!(
        in_use.stderr.contains("still has devices"),
        "{}",
        in_use.stderr
    );

    // A tenant key made with the CLI reads devices but may not create them.
    let created = json(
        c,
        &[
            "api-key",
            "create",
            "reader",
            "--tenant",
            "acme",
            "--right",
            "devices:read",
            "--json",
        ],
    )
    .await;
    let reader = created["key"].as_str().unwrap().to_owned();
    let listed = json(c, &["device", "list", "--json", "--api-key", &reader]).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let denied = tern(
        c,
        &[
            "device",
            "create",
            "0004a30b001c0539",
            "--app",
            "field-sensors",
            "--profile",
            "eu-a",
            "--api-key",
            &reader,
        ],
    )
    .await;
    assert!(!denied.success);
    assert!(
        denied
            .stderr
            .contains("PERMISSION_DENIED: permission denied: api key lacks right devices:write"),
        "{}",
        denied.stderr
    );
    let keys = ok(c, &["api-key", "list", "--tenant", "acme"]).await;
    assert!(keys.contains("devices:read"), "{keys}");
    assert!(!keys.contains(&reader), "secrets are never listed");
    ok(c, &["api-key", "delete", created["id"].as_str().unwrap()]).await;

    let completions = ok(c, &["completions", "zsh"]).await;
    assert!(completions.contains("#compdef tern"));

    std::fs::remove_dir_all(&config).unwrap();
    env.stop().await.unwrap();
}
