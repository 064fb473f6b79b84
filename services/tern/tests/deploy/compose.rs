//! compose/docker-compose.yml: every container is health-checked, Tern services start only
//! after healthy dependencies, the edge and API ports are published, and each Tern
//! container's environment is accepted by the real configuration loader.

use std::collections::HashMap;

use serde_yaml::Value;

use crate::{SERVICES, get, read, read_yaml};

/// Containers whose image has no shell or HTTP client to run a probe with (built FROM
/// scratch), or that nothing depends on; each says why in the compose file.
const WITHOUT_HEALTHCHECK: [&str; 3] = ["otel-collector", "nats-exporter", "simulator"];

fn compose() -> Value {
    read_yaml("compose/docker-compose.yml")
}

fn services(compose: &Value) -> Vec<(String, Value)> {
    compose["services"]
        .as_mapping()
        .expect("compose file has services")
        .iter()
        .map(|(name, service)| (name.as_str().unwrap().to_owned(), service.clone()))
        .collect()
}

/// The `--only` service of a container running `tern serve`, if it is one.
fn tern_service(service: &Value) -> Option<String> {
    let command: Vec<&str> = service
        .get("command")?
        .as_sequence()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if command.first() != Some(&"serve") {
        return None;
    }
    let only = command.iter().position(|word| *word == "--only")?;
    command.get(only + 1).map(|name| (*name).to_owned())
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => serde_yaml::to_string(other).unwrap().trim().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_container_has_a_healthcheck_or_a_stated_reason() {
    let compose = compose();
    let text = read("compose/docker-compose.yml");
    for (name, service) in services(&compose) {
        let healthcheck = service
            .get("healthcheck")
            .unwrap_or_else(|| panic!("{name} has no healthcheck"));
        if healthcheck.get("disable").and_then(Value::as_bool) == Some(true) {
            assert!(
                WITHOUT_HEALTHCHECK.contains(&name.as_str()),
                "{name} disables its healthcheck"
            );
            continue;
        }
        let test = strings(healthcheck.get("test"));
        assert!(
            matches!(test.first().map(String::as_str), Some("CMD" | "CMD-SHELL")),
            "{name}: healthcheck test {test:?}"
        );
        assert!(test.len() > 1, "{name}: empty healthcheck");
    }
    for name in WITHOUT_HEALTHCHECK {
        // The reason is written next to the `disable`, in the service's block.
        let block = text
            .split(&format!("\n  {name}:\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("{name} is not in the compose file"));
        let block = block.split("\n\n").next().unwrap();
        assert!(
            block.contains("disable: true") && block.contains("    # "),
            "{name}"
        );
    }
}

#[test]
fn tern_services_probe_themselves_and_wait_for_healthy_dependencies() {
    let compose = compose();
    let admin_url = format!("http://127.0.0.1:{}/readyz", crate::image_admin_port());
    let mut seen = Vec::new();
    for (name, service) in services(&compose) {
        let Some(only) = tern_service(&service) else {
            continue;
        };
        assert_eq!(only, name, "container {name} runs --only {only}");
        seen.push(name.clone());
        let test = strings(get(&service, &["healthcheck", "test"]));
        assert_eq!(
            test,
            ["CMD", "tern", "health", "--url", &admin_url],
            "{name}"
        );
        let depends_on = service["depends_on"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{name}: depends_on must name conditions"));
        assert!(
            depends_on.contains_key("nats"),
            "{name} does not wait for nats"
        );
        for (dependency, condition) in depends_on {
            assert_eq!(
                condition["condition"].as_str(),
                Some("service_healthy"),
                "{name} -> {dependency:?}"
            );
        }
    }
    seen.sort();
    let mut expected = SERVICES.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(seen, expected);
}

#[test]
fn gateway_publishes_udp_1700_and_identity_its_api() {
    let compose = compose();
    let gateway = strings(get(&compose, &["services", "gateway", "ports"]));
    assert!(gateway.contains(&"1700:1700/udp".to_owned()), "{gateway:?}");
    let identity = strings(get(&compose, &["services", "identity", "ports"]));
    assert!(identity.contains(&"9090:9090".to_owned()), "{identity:?}");
    let listen = get(
        &compose,
        &[
            "services",
            "identity",
            "environment",
            "TERN_IDENTITY__LISTEN",
        ],
    );
    assert_eq!(listen.and_then(Value::as_str), Some("0.0.0.0:9090"));
}

#[test]
fn nats_runs_jetstream_and_redis_keeps_an_append_only_file() {
    let compose = compose();
    let nats = strings(get(&compose, &["services", "nats", "command"]));
    assert!(nats.contains(&"-js".to_owned()), "{nats:?}");
    let redis = strings(get(&compose, &["services", "redis", "command"])).join(" ");
    assert!(redis.contains("--appendonly yes"), "{redis}");
    let volumes = strings(get(&compose, &["services", "redis", "volumes"]));
    assert!(
        volumes.iter().any(|volume| volume.ends_with(":/data")),
        "{volumes:?}"
    );
}

/// Reads `KEY=value` lines of compose/.env.example.
fn example_env() -> HashMap<String, String> {
    read("compose/.env.example")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

/// Expands `${VAR}`, `${VAR:-default}` and `${VAR:?message}` the way compose does.
fn interpolate(text: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${") + start;
        let expression = &rest[start + 2..end];
        let (name, fallback) = match expression.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (expression.split(":?").next().unwrap(), None),
        };
        match (env.get(name), fallback) {
            (Some(value), _) => out.push_str(value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => panic!("{name} is required but not in compose/.env.example"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn tern_container_environments_load_with_the_example_env_file() {
    let compose = compose();
    let example = example_env();
    let known_sections = crate::known_config_sections();
    for (name, service) in services(&compose) {
        if tern_service(&service).is_none() {
            continue;
        }
        if !known_sections.contains(&name) {
            // The section arrives with the service itself; until then `tern serve` cannot
            // run it either.
            println!("skipping {name}: no [{name}] section in this build's configuration");
            continue;
        }
        let mut env = HashMap::new();
        for (key, value) in service["environment"].as_mapping().unwrap() {
            let key = key.as_str().unwrap();
            match value {
                // A bare name passes the shell's variable through, or nothing.
                Value::Null => {}
                Value::String(value) => {
                    env.insert(key.to_owned(), interpolate(value, &example));
                }
                other => panic!("{name}: {key} is {other:?}, not a string"),
            }
        }
        // The image's own defaults.
        env.insert(
            "TERN_ADMIN__LISTEN".to_owned(),
            format!("0.0.0.0:{}", crate::image_admin_port()),
        );
        if let Err(error) = crate::load_config("", &env) {
            panic!("{name}: configuration rejected: {error}");
        }
    }
}

#[test]
fn example_env_file_names_every_required_variable() {
    let text = read("compose/docker-compose.yml");
    let example = example_env();
    for required in text.split("${").skip(1) {
        let expression = required.split('}').next().unwrap();
        if let Some((name, _)) = expression.split_once(":?") {
            assert!(
                example.contains_key(name),
                "{name} missing from .env.example"
            );
        }
    }
    let kek = &example["TERN_KEK"];
    assert!(
        kek.len() == 32 && kek.chars().all(|ch| ch.is_ascii_hexdigit()),
        "{kek}"
    );
}
