//! Tests of `Config::load`, the rendered default file and `docs/configuration.md`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn no_env() -> HashMap<String, String> {
    HashMap::new()
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn problems(res: Result<Config>) -> Vec<Problem> {
    match res {
        Err(ConfigError::Problems(problems)) => problems,
        other => panic!("want ConfigError::Problems, got {other:?}"),
    }
}

#[test]
fn loads_defaults_from_empty_string() {
    let config = Config::load("", &no_env()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.nats.url, "nats://127.0.0.1:4222");
    assert_eq!(config.nats.subject_root, "tern");
    assert_eq!(config.nats.request_timeout, Duration::from_secs(2));
    assert_eq!(config.redis.key_prefix, "tern:");
    assert_eq!(config.admin.listen.to_string(), "127.0.0.1:9090");
    assert_eq!(config.telemetry.otlp_endpoint, None);
}

#[test]
fn default_config_passes_validation() {
    let mut checks = Checks::default();
    Config::default().check(&mut checks);
    assert_eq!(checks.findings, vec![]);
}

#[test]
fn rendered_default_toml_loads_back_into_defaults() {
    let config = Config::load(&Config::default_toml(), &no_env()).unwrap();
    assert_eq!(config, Config::default());
}

#[test]
fn toml_overrides_defaults_and_keeps_the_rest() {
    let text = r#"
        [nats]
        url = "tls://nats-1:4222, tls://nats-2:4222"
        subject_root = "staging"
        credentials_file = "/etc/tern/nats.creds"
        request_timeout = "750ms"

        [postgres]
        url = "postgres://tern@db:5432/tern?sslmode=require"
        pool_max_size = 4

        [telemetry]
        log_format = "json"
        trace_sampling_ratio = 0

        [admin]
        listen = "0.0.0.0:9091"
    "#;
    let config = Config::load(text, &no_env()).unwrap();
    let mut want = Config::default();
    want.nats.url = "tls://nats-1:4222, tls://nats-2:4222".into();
    want.nats.subject_root = "staging".into();
    want.nats.credentials_file = Some(PathBuf::from("/etc/tern/nats.creds"));
    want.nats.request_timeout = Duration::from_millis(750);
    want.postgres.url = "postgres://tern@db:5432/tern?sslmode=require".into();
    want.postgres.pool_max_size = 4;
    want.telemetry.log_format = LogFormat::Json;
    want.telemetry.trace_sampling_ratio = 0.0;
    want.admin.listen = "0.0.0.0:9091".parse().unwrap();
    assert_eq!(config, want);
}

#[test]
fn env_overrides_strings_ints_floats_bools_durations_and_optional_keys() {
    let text = "[nats]\nsubject_root = \"from-file\"\n[redis]\npool_size = 3\n";
    let vars = env(&[
        ("TERN_NATS__SUBJECT_ROOT", "from-env"),
        ("TERN_REDIS__POOL_SIZE", "12"),
        ("TERN_POSTGRES__POOL_MAX_SIZE", "32"),
        ("TERN_TELEMETRY__TRACE_SAMPLING_RATIO", "0.1"),
        ("TERN_TELEMETRY__LOG_ANSI", "false"),
        ("TERN_TELEMETRY__LOG_FORMAT", "json"),
        ("TERN_NATS__REQUEST_TIMEOUT", "1s 500ms"),
        ("TERN_TELEMETRY__OTLP_ENDPOINT", "http://collector:4317"),
        ("TERN_POSTGRES__PASSWORD", "hunter2"),
        ("TERN_ADMIN__LISTEN", "0.0.0.0:9090"),
        ("PATH", "/usr/bin"),
        ("TERN_CONFIG", "/etc/tern/tern.toml"),
    ]);
    let config = Config::load(text, &vars).unwrap();
    let mut want = Config::default();
    want.nats.subject_root = "from-env".into();
    want.redis.pool_size = 12;
    want.postgres.pool_max_size = 32;
    want.telemetry.trace_sampling_ratio = 0.1;
    want.telemetry.log_ansi = false;
    want.telemetry.log_format = LogFormat::Json;
    want.nats.request_timeout = Duration::from_millis(1500);
    want.telemetry.otlp_endpoint = Some("http://collector:4317".into());
    want.postgres.password = Some(Secret::new("hunter2".into()));
    want.admin.listen = "0.0.0.0:9090".parse().unwrap();
    assert_eq!(config, want);
}

#[test]
fn rejects_unknown_toml_keys_with_full_paths() {
    let text = "[nats]\nurll = \"x\"\n[natz]\nurl = \"y\"\n[telemetry.otlp]\nendpoint = \"z\"\n";
    let got = problems(Config::load(text, &no_env()));
    let unknown = |path: &str| Problem {
        path: path.into(),
        origin: Origin::File,
        value: None,
        kind: ProblemKind::UnknownKey,
    };
    assert_eq!(
        got,
        vec![
            unknown("nats.urll"),
            unknown("natz"),
            unknown("telemetry.otlp")
        ]
    );
}

#[test]
fn rejects_unknown_env_key_naming_it() {
    let vars = env(&[("TERN_REDIS__PASWORD", "hunter2")]);
    let res = Config::load("", &vars);
    let message = res.as_ref().unwrap_err().to_string();
    assert!(message.contains("TERN_REDIS__PASWORD"), "{message}");
    assert!(message.contains("redis.pasword"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert_eq!(
        problems(res),
        vec![Problem {
            path: "redis.pasword".into(),
            origin: Origin::Env("TERN_REDIS__PASWORD".into()),
            value: None,
            kind: ProblemKind::UnknownKey,
        }]
    );
}

#[test]
fn reports_several_bad_values_together_with_path_value_and_origin() {
    let text = r#"
        [nats]
        url = "http://nats:4222"
        subject_root = "a.b"
        [postgres]
        url = "postgres://tern:hunter2@db/tern"
        pool_max_size = 0
        [redis]
        key_prefix = ""
        [telemetry]
        trace_sampling_ratio = 1.5
        otlp_endpoint = "https://collector:4317"
    "#;
    let vars = env(&[("TERN_NATS__REQUEST_TIMEOUT", "0s")]);
    let res = Config::load(text, &vars);
    let message = res.as_ref().unwrap_err().to_string();
    assert!(!message.contains("hunter2"), "{message}");
    let got: Vec<(String, Option<String>, Origin)> = problems(res)
        .into_iter()
        .map(|problem| (problem.path, problem.value, problem.origin))
        .collect();
    let file = |path: &str, value: &str| (path.to_string(), Some(value.to_string()), Origin::File);
    assert_eq!(
        got,
        vec![
            file("nats.url", "\"http://nats:4222\""),
            file("nats.subject_root", "\"a.b\""),
            (
                "nats.request_timeout".into(),
                Some("\"0s\"".into()),
                Origin::Env("TERN_NATS__REQUEST_TIMEOUT".into())
            ),
            file("postgres.url", "\"postgres://tern:<redacted>@db/tern\""),
            file("postgres.pool_max_size", "0"),
            file("redis.key_prefix", "\"\""),
            file("telemetry.otlp_endpoint", "\"https://collector:4317\""),
            file("telemetry.trace_sampling_ratio", "1.5"),
        ]
    );
}

#[test]
fn rejects_bad_subject_roots() {
    for root in ["", "a.b", "a*", ">", "te rn"] {
        let vars = env(&[("TERN_NATS__SUBJECT_ROOT", root)]);
        let got = problems(Config::load("", &vars));
        assert_eq!(got.len(), 1, "root {root:?}: {got:?}");
        assert_eq!(got[0].path, "nats.subject_root");
    }
}

#[test]
fn reports_wrong_types_together_and_hides_secret_values() {
    let text = "[nats]\nurl = 4222\n[redis]\npool_size = \"eight\"\npassword = 1234\n";
    let vars = env(&[("TERN_TELEMETRY__LOG_ANSI", "yes")]);
    let got = problems(Config::load(text, &vars));
    let summary: Vec<_> = got
        .iter()
        .map(|problem| {
            (
                problem.path.as_str(),
                problem.value.as_deref(),
                &problem.kind,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "telemetry.log_ansi",
                Some("\"yes\""),
                &ProblemKind::WrongType {
                    expected: "boolean"
                }
            ),
            (
                "nats.url",
                Some("4222"),
                &ProblemKind::WrongType { expected: "string" }
            ),
            (
                "redis.password",
                None,
                &ProblemKind::WrongType { expected: "string" }
            ),
            (
                "redis.pool_size",
                Some("\"eight\""),
                &ProblemKind::WrongType {
                    expected: "integer"
                }
            ),
        ]
    );
}

#[test]
fn reports_misspelled_env_key_and_ignores_other_tern_variables() {
    let vars = env(&[
        ("TERN_NATS_URL", "nats://x:4222"),
        ("TERN_NETWORK_SERVICE_HOST", "10.0.0.1"),
    ]);
    let got = problems(Config::load("", &vars));
    assert_eq!(
        got,
        vec![Problem {
            path: "nats_url".into(),
            origin: Origin::Env("TERN_NATS_URL".into()),
            value: None,
            kind: ProblemKind::MisspelledEnvKey {
                expected: "TERN_NATS__URL".into()
            },
        }]
    );
}

#[test]
fn env_key_naming_a_section_is_rejected() {
    let got = problems(Config::load("", &env(&[("TERN_NATS__", "x")])));
    assert_eq!(got[0].path, "nats.");
    assert_eq!(got[0].kind, ProblemKind::UnknownKey);
    let got = problems(Config::load(
        "",
        &env(&[("TERN_ADMIN", "x"), ("TERN_ADMIN__LISTEN__PORT", "1")]),
    ));
    assert_eq!(got[0].path, "admin.listen.port");
    assert_eq!(got[0].kind, ProblemKind::UnknownKey);
}

#[test]
fn section_that_is_not_a_table_is_rejected() {
    let got = problems(Config::load(
        "nats = 3",
        &env(&[("TERN_NATS__URL", "nats://x")]),
    ));
    assert_eq!(
        got,
        vec![Problem {
            path: "nats".into(),
            origin: Origin::File,
            value: Some("3".into()),
            kind: ProblemKind::WrongType { expected: "table" },
        }]
    );
}

#[test]
fn bad_duration_enum_and_address_name_the_path() {
    let cases = [
        (
            "[nats]\nrequest_timeout = \"2 parsecs\"",
            "nats.request_timeout",
        ),
        ("[telemetry]\nlog_format = \"xml\"", "telemetry.log_format"),
        ("[admin]\nlisten = \"localhost\"", "admin.listen"),
    ];
    for (text, path) in cases {
        match Config::load(text, &no_env()) {
            Err(ConfigError::Deserialize(error)) => {
                assert!(error.to_string().contains(path), "{path}: {error}");
            }
            other => panic!("{path}: want Deserialize error, got {other:?}"),
        }
    }
}

#[test]
fn invalid_toml_is_a_parse_error() {
    assert!(matches!(
        Config::load("[nats\nurl = ", &no_env()),
        Err(ConfigError::Parse(_))
    ));
}

#[test]
fn debug_of_whole_config_never_prints_secrets() {
    let text = "[nats]\npassword = \"nats-secret\"\n[postgres]\npassword = \"pg-secret\"\n";
    let vars = env(&[("TERN_REDIS__PASSWORD", "redis-secret")]);
    let config = Config::load(text, &vars).unwrap();
    assert_eq!(
        config.postgres.password.as_ref().unwrap().expose(),
        "pg-secret"
    );
    for shown in [format!("{config:?}"), format!("{config:#?}")] {
        for secret in ["nats-secret", "pg-secret", "redis-secret"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains(REDACTED));
    }
}

/// Collects the dotted paths of every leaf and every table in a JSON tree.
fn json_paths(
    value: &serde_json::Value,
    prefix: &str,
    leaves: &mut BTreeSet<String>,
    tables: &mut BTreeSet<String>,
) {
    let serde_json::Value::Object(map) = value else {
        leaves.insert(prefix.to_owned());
        return;
    };
    if !prefix.is_empty() {
        tables.insert(prefix.to_owned());
    }
    for (key, child) in map {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        json_paths(child, &path, leaves, tables);
    }
}

#[test]
fn every_model_field_has_a_doc_entry_and_vice_versa() {
    // JSON keeps unset optional fields as `null`, so every field shows up.
    let json = serde_json::to_value(Config::default()).unwrap();
    let (mut leaves, mut tables) = (BTreeSet::new(), BTreeSet::new());
    json_paths(&json, "", &mut leaves, &mut tables);
    let documented: BTreeSet<String> = schema::leaf_paths(SECTIONS)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(leaves, documented);
    let sections: BTreeSet<String> = SECTIONS
        .iter()
        .map(|section| section.path.to_owned())
        .collect();
    assert_eq!(tables, sections);
}

#[test]
fn examples_exist_exactly_for_keys_without_default_and_load() {
    let defaults = default_table();
    let mut text = String::new();
    for section in SECTIONS {
        text.push_str(&format!("[{}]\n", section.path));
        for key in section.keys {
            let path = format!("{}.{}", section.path, key.key);
            let has_default = schema::value_at(&defaults, &path).is_some();
            assert_eq!(key.example.is_none(), has_default, "{path}");
            if let Some(example) = key.example {
                text.push_str(&format!("{} = {example}\n", key.key));
            }
            assert!(!key.doc.trim().is_empty(), "{path} has no doc");
        }
    }
    Config::load(&text, &no_env()).unwrap();
}

#[test]
fn secret_keys_are_marked_in_docs() {
    let secret: Vec<String> = schema::leaf_paths(SECTIONS)
        .into_iter()
        .filter(|(_, key)| key.secret)
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        secret,
        [
            "nats.password",
            "postgres.password",
            "redis.password",
            "join.kek",
            "application.kek",
            "identity.kek"
        ]
    );
}

/// Markers around the generated part of `docs/configuration.md`.
const BEGIN: &str = "<!-- BEGIN GENERATED: Config::default_toml -->\n";
const END: &str = "<!-- END GENERATED -->\n";

#[test]
fn docs_configuration_md_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    let current = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let (Some(start), Some(end)) = (current.find(BEGIN), current.find(END)) else {
        panic!("{} lacks the {BEGIN:?} / {END:?} markers", path.display());
    };
    let generated = format!("```toml\n{}```\n", Config::default_toml());
    let expected = format!("{}{BEGIN}{generated}{}", &current[..start], &current[end..]);
    if current == expected {
        return;
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    panic!(
        "{} is stale: the config model changed.\n\
         Regenerate it with `UPDATE_EXPECT=1 cargo test -p tern-config docs_configuration_md` \
         and commit the result.",
        path.display()
    );
}

#[test]
fn example_config_file_loads_and_sets_only_known_keys() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/tern.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let config = Config::load(&text, &no_env())
        .unwrap_or_else(|error| panic!("{} does not load: {error}", path.display()));
    assert_eq!(config.identity.listen.to_string(), "127.0.0.1:9091");
    assert_eq!(config.network.dedup_window, Duration::from_millis(200));
    // The KEK is a secret and must come from the environment, never from the example.
    assert!(config.join.kek.is_none());
}
