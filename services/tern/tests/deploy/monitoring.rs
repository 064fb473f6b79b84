//! The Grafana dashboard, the alert rules and the compose Prometheus name only metrics that
//! Tern really exports: a real `tern serve --only gateway,network,join` is started and its
//! `/metrics` read. Needs PostgreSQL, Redis and NATS on loopback (`scripts/services`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_yaml::Value;
use tern_postgres::testsuite::{TestSchema, test_pool};

use crate::{read, read_yaml};

/// Metrics named in the dashboard or alerts that come from elsewhere or from a change not in
/// this build yet, each with the reason.
const NOT_FROM_THIS_BUILD: [(&str, &str); 2] = [
    (
        "jetstream_consumer_num_pending",
        "exported by the NATS Prometheus exporter (-jsz=all), not by Tern",
    ),
    (
        "tern_network_gateways_online",
        "the network service's gateway-status gauge, added with gateway status tracking",
    ),
];

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

/// A plain HTTP/1.1 GET returning the status line and body; `None` while nothing listens.
fn http_get(port: u16, path: &str) -> Option<(String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_owned(), body.to_owned()))
}

/// What one scrape shows: every sample name a family produces, and the label pairs seen.
struct Exported {
    names: BTreeSet<String>,
    labels: BTreeMap<String, BTreeSet<String>>,
}

fn parse_exposition(text: &str) -> Exported {
    let mut names = BTreeSet::new();
    let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines() {
        if let Some(declaration) = line.strip_prefix("# TYPE ") {
            let (family, kind) = declaration.split_once(' ').unwrap();
            match kind {
                "counter" => {
                    names.insert(format!("{}_total", family.trim_end_matches("_total")));
                }
                "histogram" => {
                    for suffix in ["_bucket", "_sum", "_count"] {
                        names.insert(format!("{family}{suffix}"));
                    }
                }
                _ => {
                    names.insert(family.to_owned());
                }
            }
        } else if !line.starts_with('#')
            && let Some((name, rest)) = line.split_once('{')
        {
            let inner = rest.split_once('}').unwrap().0;
            let pairs = labels.entry(name.to_owned()).or_default();
            pairs.extend(inner.split(',').map(str::to_owned));
        }
    }
    Exported { names, labels }
}

/// Starts `tern serve` with its own schemas, key prefix and subject root and reads /metrics.
fn scrape_real_server() -> Exported {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = runtime.block_on(async { test_pool() }).unwrap();
    let network_schema = TestSchema::new(&pool);
    let join_schema = TestSchema::new(&pool);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let unique = format!("deploy_test_{}_{nanos}", std::process::id());
    let admin_port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(["serve", "--only", "gateway,network,join"])
        .env("TERN_ADMIN__LISTEN", format!("127.0.0.1:{admin_port}"))
        .env("TERN_GATEWAY__LISTEN", "127.0.0.1:0")
        .env("TERN_NATS__SUBJECT_ROOT", &unique)
        .env("TERN_REDIS__KEY_PREFIX", format!("{unique}:"))
        .env("TERN_NETWORK__SCHEMA", network_schema.name().as_str())
        .env("TERN_JOIN__SCHEMA", join_schema.name().as_str())
        .env("TERN_JOIN__KEK", "00112233445566778899aabbccddeeff")
        .env("TERN_TELEMETRY__LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match http_get(admin_port, "/readyz") {
            Some((status, _)) if status.contains(" 200 ") => break,
            _ if Instant::now() > deadline => {
                let _ = guard.0.kill();
                let mut stderr = String::new();
                let _ = guard.0.stderr.take().unwrap().read_to_string(&mut stderr);
                panic!("tern serve did not become ready:\n{stderr}");
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    // The compose health check's probe, against the real admin server.
    let health = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args([
            "health",
            "--url",
            &format!("http://127.0.0.1:{admin_port}/readyz"),
        ])
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "tern health failed on a ready server"
    );
    let (status, body) = http_get(admin_port, "/metrics").expect("scrape /metrics");
    assert!(status.contains(" 200 "), "{status}");
    drop(guard);
    runtime.block_on(async {
        network_schema.cleanup().await.unwrap();
        join_schema.cleanup().await.unwrap();
    });
    parse_exposition(&body)
}

/// Metric base names registered in the source: `registry.register("name", ...)` calls in a
/// file that opens `sub_registry_with_prefix("prefix")`, read as `tern_<prefix>_<name>`.
///
/// An idle server prints no family that has no series yet (downlinks, TX_ACKs, latency), so
/// the scrape alone cannot show every name; the source can, without the types.
fn registered_in_source() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack = vec![
        crate::workspace_root().join("libs"),
        crate::workspace_root().join("services"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(file_name.as_str(), "target" | "tests" | "fuzz" | "benches") {
                    stack.push(path);
                }
                continue;
            }
            if !file_name.ends_with(".rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let Some(prefix) = code
                .split("sub_registry_with_prefix(\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            else {
                continue;
            };
            for call in code.split(".register(").skip(1) {
                if let Some(name) = call.trim_start().strip_prefix('"') {
                    names.insert(format!("tern_{prefix}_{}", name.split('"').next().unwrap()));
                }
            }
        }
    }
    names
}

/// Whether a sample name belongs to a family registered in the source.
fn is_registered(name: &str, registered: &BTreeSet<String>) -> bool {
    ["", "_total", "_bucket", "_sum", "_count"]
        .iter()
        .any(|suffix| {
            name.strip_suffix(suffix)
                .is_some_and(|base| registered.contains(base))
        })
}

/// Metric names in a PromQL expression: identifiers starting with `tern_` or `jetstream_`.
fn metric_names(expr: &str) -> BTreeSet<String> {
    expr.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == ':'))
        .filter(|token| token.starts_with("tern_") || token.starts_with("jetstream_"))
        .map(str::to_owned)
        .collect()
}

/// Exact matchers `label="value"` of every `tern_*{...}` selector in an expression.
fn exact_matchers(expr: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (idx, _) in expr.match_indices("tern_") {
        let rest = &expr[idx..];
        let name_end = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        let Some(selector) = rest[name_end..].strip_prefix('{') else {
            continue;
        };
        let inner = selector.split_once('}').unwrap().0;
        for matcher in inner.split(',') {
            let matcher = matcher.trim();
            if let Some((label, value)) = matcher.split_once("=\"")
                && !label.ends_with(['!', '=', '~'])
            {
                found.push((rest[..name_end].to_owned(), format!("{label}=\"{value}")));
            }
        }
    }
    found
}

/// Every dashboard target and alert expression, with where it came from.
fn expressions() -> Vec<(String, String)> {
    let mut found = Vec::new();
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("helm/tern/dashboards/tern.json")).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap();
            found.push((
                format!("dashboard panel {title:?}"),
                target["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let alerts = read_yaml("helm/tern/files/alerts.yml");
    for group in alerts["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            found.push((
                format!("alert {}", rule["alert"].as_str().unwrap()),
                rule["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    found
}

#[test]
fn dashboard_and_alerts_name_only_metrics_tern_exports() {
    let exported = scrape_real_server();
    let registered = registered_in_source();
    // The scrape and the source agree on every family the idle server prints.
    for name in &exported.names {
        assert!(
            is_registered(name, &registered),
            "{name} is exported but not found in the source"
        );
    }
    let elsewhere: BTreeSet<&str> = NOT_FROM_THIS_BUILD.iter().map(|(name, _)| *name).collect();
    let mut unknown = Vec::new();
    for (source, expr) in expressions() {
        for name in metric_names(&expr) {
            let known = exported.names.contains(&name) || is_registered(&name, &registered);
            if !known && !elsewhere.contains(name.as_str()) {
                unknown.push(format!("{source}: {name}"));
            }
        }
        for (name, pair) in exact_matchers(&expr) {
            let label = pair.split('=').next().unwrap();
            let Some(seen) = exported.labels.get(&name) else {
                continue;
            };
            // Only labels whose every value is registered at zero can be checked.
            let label_seen = seen
                .iter()
                .any(|seen| seen.starts_with(&format!("{label}=")));
            if label_seen && !seen.contains(&pair) {
                unknown.push(format!("{source}: {name}{{{pair}}}"));
            }
        }
    }
    assert!(unknown.is_empty(), "not exported: {unknown:#?}");
}

#[test]
fn dashboard_panels_are_well_formed() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("helm/tern/dashboards/tern.json")).unwrap();
    assert_eq!(dashboard["uid"].as_str(), Some("tern-overview"));
    let panels = dashboard["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    for panel in panels {
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "duplicate panel id"
        );
        let grid = &panel["gridPos"];
        let right = grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap();
        assert!(right <= 24, "panel {} overflows the grid", panel["title"]);
        if panel["type"] != "row" {
            let targets = panel["targets"].as_array().unwrap();
            assert!(!targets.is_empty(), "panel {} has no query", panel["title"]);
            assert_eq!(panel["datasource"]["uid"].as_str(), Some("${datasource}"));
        }
    }
    let all: String = expressions().into_iter().map(|(_, expr)| expr).collect();
    for wanted in [
        "tern_network_uplinks_total",
        "result=\"duplicate\"",
        "result=~\"join_.*",
        "tern_network_downlinks_total",
        "tern_network_downlink_outcomes_total",
        "tern_network_tx_acks_total",
        "tern_network_uplink_latency_seconds_bucket",
        "tern_network_gateways_online",
        "tern_bus_",
        "histogram_quantile(0.99",
    ] {
        assert!(all.contains(wanted), "no panel or alert uses {wanted}");
    }
}

#[test]
fn alert_rules_are_complete_and_shared_by_compose_and_helm() {
    assert_eq!(
        read("compose/prometheus/alerts.yml"),
        read("helm/tern/files/alerts.yml"),
        "compose/prometheus/alerts.yml must be a copy of helm/tern/files/alerts.yml"
    );
    let alerts = read_yaml("helm/tern/files/alerts.yml");
    let mut names = BTreeSet::new();
    for group in alerts["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let name = rule["alert"].as_str().unwrap();
            assert!(names.insert(name.to_owned()), "duplicate alert {name}");
            assert!(rule["for"].as_str().is_some(), "{name} has no `for`");
            let severity = rule["labels"]["severity"].as_str();
            assert!(matches!(severity, Some("warning" | "critical")), "{name}");
            assert!(rule["annotations"]["summary"].as_str().is_some(), "{name}");
        }
    }
    let exprs: String = expressions().into_iter().map(|(_, expr)| expr).collect();
    for wanted in [
        "result=\"invalid_mic\"",
        "result=\"error\"",
        "tern_network_tx_acks_total{status!~\"ok|ignored\"}",
        "jetstream_consumer_num_pending",
        "== 0",
    ] {
        assert!(exprs.contains(wanted), "no alert uses {wanted}");
    }
    let template = read("helm/tern/templates/prometheusrule.yaml");
    assert!(template.contains(".Files.Get \"files/alerts.yml\""));
}

#[test]
fn compose_prometheus_scrapes_every_tern_service_and_grafana_loads_the_dashboard() {
    let prometheus = read_yaml("compose/prometheus/prometheus.yml");
    let port = crate::image_admin_port();
    let targets: Vec<String> = prometheus["scrape_configs"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|job| job["static_configs"].as_sequence().unwrap().clone())
        .flat_map(|config| config["targets"].as_sequence().unwrap().clone())
        .map(|target| target.as_str().unwrap().to_owned())
        .collect();
    for service in crate::SERVICES {
        let target = format!("{service}:{port}");
        assert!(
            targets.contains(&target),
            "Prometheus does not scrape {target}"
        );
    }
    let rule_files = prometheus["rule_files"].as_sequence().unwrap();
    assert_eq!(rule_files, &[Value::from("/etc/prometheus/alerts.yml")]);
    let compose = read("compose/docker-compose.yml");
    assert!(compose.contains("../helm/tern/dashboards:/var/lib/grafana/dashboards/tern:ro"));
    let provider = read_yaml("compose/grafana/provisioning/dashboards/tern.yml");
    assert_eq!(
        provider["providers"][0]["options"]["path"].as_str(),
        Some("/var/lib/grafana/dashboards/tern")
    );
}
