//! helm/tern without Helm: the values files, Chart.yaml and the templates' fixed parts hold
//! what an SRE relies on (resources, probes, autoscaling, disruption budgets, pod security,
//! the UDP edge), and the `config` values are accepted by the real configuration loader.

use std::collections::HashMap;

use serde_yaml::{Mapping, Value};

use crate::{SERVICES, get, number, read, read_yaml, text};

fn values() -> Value {
    read_yaml("helm/tern/values.yaml")
}

/// Merges `overlay` into `base` the way Helm merges values files: maps key by key, anything
/// else replaced.
fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

fn production_values() -> Value {
    let mut merged = values();
    merge(&mut merged, &read_yaml("helm/tern/values-production.yaml"));
    merged
}

#[test]
fn every_service_has_resources_probes_autoscaling_and_a_disruption_budget() {
    for values in [values(), production_values()] {
        for service in SERVICES {
            let settings = get(&values, &["services", service])
                .unwrap_or_else(|| panic!("services.{service} is missing"));
            let at = |path: &[&'static str]| [&["services", service][..], path].concat();
            assert_eq!(settings["enabled"].as_bool(), Some(true), "{service}");
            for resource in ["cpu", "memory"] {
                assert!(
                    get(settings, &["resources", "requests", resource]).is_some(),
                    "{service} requests no {resource}"
                );
            }
            assert!(
                get(settings, &["resources", "limits", "memory"]).is_some(),
                "{service} has no memory limit"
            );
            assert_eq!(
                text(&values, &at(&["probes", "liveness", "path"])),
                "/healthz"
            );
            assert_eq!(
                text(&values, &at(&["probes", "readiness", "path"])),
                "/readyz"
            );
            assert_eq!(
                text(&values, &at(&["probes", "startup", "path"])),
                "/healthz"
            );
            let min = number(&values, &at(&["autoscaling", "minReplicas"]));
            let max = number(&values, &at(&["autoscaling", "maxReplicas"]));
            assert!(min >= 2.0 && max >= min, "{service}: {min}..{max} replicas");
            for target in [
                "targetCPUUtilizationPercentage",
                "targetMemoryUtilizationPercentage",
            ] {
                let percent = number(&values, &at(&["autoscaling", target]));
                assert!(percent > 0.0 && percent <= 100.0, "{service} {target}");
            }
            let stabilization = number(
                &values,
                &at(&["autoscaling", "scaleDownStabilizationSeconds"]),
            );
            assert!(stabilization >= 60.0, "{service} scales down too eagerly");
            assert_eq!(
                get(settings, &["pdb", "enabled"]).and_then(Value::as_bool),
                Some(true)
            );
        }
    }
}

#[test]
fn gateway_edge_is_a_udp_load_balancer_keeping_client_addresses_and_affinity() {
    let values = values();
    let edge = get(&values, &["services", "gateway", "edge"]).unwrap();
    assert_eq!(edge["type"].as_str(), Some("LoadBalancer"));
    assert_eq!(edge["port"].as_u64(), Some(1700));
    assert_eq!(edge["externalTrafficPolicy"].as_str(), Some("Local"));
    assert_eq!(edge["sessionAffinity"].as_str(), Some("ClientIP"));
    let ports = get(&values, &["services", "gateway", "ports"]).unwrap();
    let udp = ports.as_sequence().unwrap().iter().any(|port| {
        port["containerPort"].as_u64() == Some(1700) && port["protocol"].as_str() == Some("UDP")
    });
    assert!(udp, "the gateway container does not expose 1700/udp");
    let service = read("helm/tern/templates/service.yaml");
    for field in [
        "externalTrafficPolicy: {{ $edge.externalTrafficPolicy }}",
        "sessionAffinity: {{ $edge.sessionAffinity }}",
        "protocol: UDP",
    ] {
        assert!(service.contains(field), "service.yaml lacks {field}");
    }
}

#[test]
fn identity_listens_on_all_interfaces_for_its_api() {
    let values = values();
    let env = get(&values, &["services", "identity", "env"]).unwrap();
    let listen = env
        .as_sequence()
        .unwrap()
        .iter()
        .find(|var| var["name"].as_str() == Some("TERN_IDENTITY__LISTEN"))
        .expect("identity sets TERN_IDENTITY__LISTEN");
    assert_eq!(listen["value"].as_str(), Some("0.0.0.0:9090"));
}

#[test]
fn pods_run_non_root_read_only_without_privileges() {
    let values = values();
    let pod = &values["podSecurityContext"];
    assert_eq!(pod["runAsNonRoot"].as_bool(), Some(true));
    assert_eq!(text(pod, &["seccompProfile", "type"]), "RuntimeDefault");
    let container = &values["securityContext"];
    assert_eq!(container["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(container["allowPrivilegeEscalation"].as_bool(), Some(false));
    let dropped = get(container, &["capabilities", "drop"]).unwrap();
    assert_eq!(dropped, &Value::Sequence(vec![Value::from("ALL")]));
    let deployment = read("helm/tern/templates/deployment.yaml");
    for wiring in [
        "toYaml $.Values.podSecurityContext",
        "toYaml $.Values.securityContext",
        "terminationGracePeriodSeconds: {{ add $.Values.shutdownGraceSeconds $.Values.terminationGraceMarginSeconds }}",
        "- --shutdown-grace",
        "topologyKey: {{ $.Values.topologyZoneKey }}",
        "fieldPath: metadata.name",
    ] {
        assert!(
            deployment.contains(wiring),
            "deployment.yaml lacks {wiring}"
        );
    }
    assert_eq!(
        number(&values, &["adminPort"]) as u16,
        crate::image_admin_port(),
        "the chart's admin port differs from the image's"
    );
}

#[test]
fn network_may_hold_a_lease_and_nothing_more() {
    let rbac = read("helm/tern/templates/rbac.yaml");
    assert!(rbac.contains("apiGroups: [\"coordination.k8s.io\"]"));
    assert!(rbac.contains("resources: [\"leases\"]"));
    assert!(rbac.contains("verbs: [\"get\", \"create\", \"update\"]"));
    assert!(
        rbac.contains("kind: Role\n"),
        "leases are namespaced: no ClusterRole"
    );
    assert!(!rbac.contains("ClusterRole"));
}

/// Converts YAML values to a TOML document, as the chart's `tern.tomlTable` helper does.
fn to_toml(config: &Value) -> String {
    fn convert(value: &Value) -> Option<toml::Value> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(flag) => toml::Value::Boolean(*flag),
            Value::Number(number) => match number.as_i64() {
                Some(integer) => toml::Value::Integer(integer),
                None => toml::Value::Float(number.as_f64().unwrap()),
            },
            Value::String(text) => toml::Value::String(text.clone()),
            Value::Sequence(items) => {
                toml::Value::Array(items.iter().filter_map(convert).collect())
            }
            Value::Mapping(map) => toml::Value::Table(
                map.iter()
                    .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), convert(value)?)))
                    .collect(),
            ),
            Value::Tagged(tagged) => return convert(&tagged.value),
        })
    }
    toml::to_string(&convert(config).unwrap()).unwrap()
}

#[test]
fn config_values_are_accepted_by_the_configuration_loader() {
    for (file, values) in [
        ("values.yaml", values()),
        ("values-production.yaml", production_values()),
    ] {
        let config = values.get("config").expect("values have a config section");
        let toml_text = to_toml(config);
        if let Err(error) = crate::load_config(&toml_text, &HashMap::new()) {
            panic!("{file}: config rejected: {error}\n{toml_text}");
        }
    }
}

#[test]
fn optional_subcharts_are_off_by_default_and_switched_by_their_flags() {
    let chart = read_yaml("helm/tern/Chart.yaml");
    let values = values();
    let dependencies = chart["dependencies"].as_sequence().unwrap();
    let names: Vec<&str> = dependencies
        .iter()
        .map(|dependency| dependency["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["postgresql", "redis", "nats"]);
    for dependency in dependencies {
        let name = dependency["name"].as_str().unwrap();
        assert_eq!(
            dependency["condition"].as_str(),
            Some(format!("{name}.enabled").as_str())
        );
        assert_eq!(
            get(&values, &[name, "enabled"]).and_then(Value::as_bool),
            Some(false)
        );
    }
    assert!(
        text(&values, &["redis", "commonConfiguration"]).contains("appendonly yes"),
        "the optional Redis must persist sessions"
    );
}

#[test]
fn production_values_use_an_existing_secret_and_enable_monitoring() {
    let production: Mapping =
        serde_yaml::from_str(&read("helm/tern/values-production.yaml")).unwrap();
    let production = Value::Mapping(production);
    assert!(!text(&production, &["secrets", "existingSecret"]).is_empty());
    for switch in [
        ["metrics", "serviceMonitor", "enabled"],
        ["metrics", "prometheusRule", "enabled"],
    ] {
        assert_eq!(
            get(&production, &switch).and_then(Value::as_bool),
            Some(true)
        );
    }
}

#[test]
fn every_value_is_commented() {
    // A key line without a comment on it or above it is an undocumented setting. Keys inside
    // a documented block (deeper than the block's first line) count as documented by it.
    let text = read("helm/tern/values.yaml");
    let lines: Vec<&str> = text.lines().collect();
    let mut undocumented = Vec::new();
    for (idx, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let is_key = trimmed.split_once(':').is_some_and(|(key, _)| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        });
        if indent != 0 || !is_key {
            continue;
        }
        let commented = idx > 0 && lines[idx - 1].trim_start().starts_with('#');
        if !commented {
            undocumented.push(trimmed.to_owned());
        }
    }
    assert!(
        undocumented.is_empty(),
        "top-level values without a comment: {undocumented:?}"
    );
}
