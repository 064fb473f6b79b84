//! The `[network]` section: the network server's schema, NetID, deduplication window and
//! session lifetime.
//!
//! The NetID is kept as text here and parsed by the network service, so that other services
//! never fail on a network-only setting; this module checks only its shape.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::join::is_schema_name;
use crate::schema::{KeyDoc, SectionDoc};
use crate::validate::{Checks, text};

/// Which layout of the LoRaWAN 1.1 FOpts encryption block the network's devices use
/// (LoRaWAN 1.1 §4.3.1.6 and its errata "FOpts encryption, usage of FCntDwn").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FOptsEncryption {
    /// The errata layout, used by LoRaMac-node and ChirpStack.
    #[default]
    Errata,
    /// The layout as first published, used by The Things Stack.
    Original,
}

/// How the replicas of the network service elect the one that sweeps for silent gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaderElection {
    /// A Kubernetes Lease when running in a cluster, the Redis lock elsewhere.
    #[default]
    Auto,
    /// A lock in Redis.
    Redis,
    /// A `coordination.k8s.io/v1` Lease.
    Kube,
}

/// Network server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// PostgreSQL schema holding the network's device registry.
    pub schema: String,
    /// NetID of the network, 6 hex digits; DevAddrs are allocated inside it.
    pub net_id: String,
    /// How long copies of one uplink from other gateways are collected.
    #[serde(with = "humantime_serde")]
    pub dedup_window: Duration,
    /// How long a device session lives in Redis without traffic.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// Most uplinks one replica handles at once.
    pub max_in_flight: u32,
    /// Deadline for the join server's answer to one join-request.
    #[serde(with = "humantime_serde")]
    pub join_request_timeout: Duration,
    /// FOpts encryption layout of LoRaWAN 1.1 sessions.
    pub f_opts_encryption: FOptsEncryption,
    /// How often each device is asked for its status (DevStatusReq); zero never asks.
    #[serde(with = "humantime_serde")]
    pub dev_status_interval: Duration,
    /// Most application downlinks queued per device.
    pub downlink_queue_max_len: u32,
    /// Transmissions of a confirmed application downlink before it is given up (a `nack`).
    pub confirmed_downlink_max_attempts: u32,
    /// How long a gateway may stay silent before it is reported offline.
    #[serde(with = "humantime_serde")]
    pub gateway_offline_after: Duration,
    /// How often the leader looks for gateways gone silent.
    #[serde(with = "humantime_serde")]
    pub gateway_sweep_interval: Duration,
    /// How the replica that sweeps for silent gateways is elected.
    pub leader_election: LeaderElection,
    /// How long leadership lasts without renewal; the leader renews every third of it.
    #[serde(with = "humantime_serde")]
    pub leader_lease_duration: Duration,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            schema: String::from("network"),
            net_id: String::from("000000"),
            dedup_window: Duration::from_millis(200),
            session_ttl: Duration::from_secs(31 * 24 * 3600),
            max_in_flight: 4096,
            join_request_timeout: Duration::from_secs(1),
            f_opts_encryption: FOptsEncryption::Errata,
            dev_status_interval: Duration::from_secs(24 * 3600),
            downlink_queue_max_len: 64,
            confirmed_downlink_max_attempts: 3,
            gateway_offline_after: Duration::from_secs(90),
            gateway_sweep_interval: Duration::from_secs(10),
            leader_election: LeaderElection::Auto,
            leader_lease_duration: Duration::from_secs(15),
        }
    }
}

impl NetworkConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "network",
        doc: "Network server: deduplication, frame counters, MIC checks, joins and class A downlinks.",
        keys: &[
            KeyDoc::new(
                "schema",
                "PostgreSQL schema holding the network's device registry.\n\
                 Created and migrated at start-up.\n\
                 Lowercase letters, digits and '_', starting with a letter or '_'.",
            ),
            KeyDoc::new(
                "net_id",
                "NetID of the network, 6 hex digits (LoRaWAN Backend Interfaces TS002 §13).\n\
                 DevAddrs of joining devices are allocated inside it.",
            ),
            KeyDoc::new(
                "dedup_window",
                "How long copies of one uplink from further gateways are collected before the uplink is handled.\n\
                 Longer windows merge more gateways but leave less of the 1 s RX1 delay for the downlink.",
            ),
            KeyDoc::new(
                "session_ttl",
                "How long a device session stays in Redis without uplinks; each uplink renews it.",
            ),
            KeyDoc::new(
                "max_in_flight",
                "Most uplink copies one replica handles at once; further ones wait in NATS.\n\
                 Each owned uplink stays in flight for the whole dedup window, so a replica handles at most\n\
                 max_in_flight / dedup_window uplinks per second (4096 / 200 ms = 20480/s).",
            ),
            KeyDoc::new(
                "join_request_timeout",
                "Deadline for the join server's answer to one join-request.",
            ),
            KeyDoc::new(
                "f_opts_encryption",
                "How LoRaWAN 1.1 devices encrypt MAC commands in FOpts: \"errata\" (LoRaWAN 1.1 errata;\n\
                 LoRaMac-node, ChirpStack) or \"original\" (LoRaWAN 1.1 as first published; The Things Stack).",
            ),
            KeyDoc::new(
                "dev_status_interval",
                "How often each device is asked for its battery level and link margin (DevStatusReq, LoRaWAN 1.0.4 §5.5).\n\
                 The request rides on the next downlink after the interval; \"0s\" never asks.",
            ),
            KeyDoc::new(
                "downlink_queue_max_len",
                "Most application downlinks queued per device; a push beyond it is refused as full.",
            ),
            KeyDoc::new(
                "confirmed_downlink_max_attempts",
                "Transmissions of a confirmed application downlink before it is given up with a `nack`.\n\
                 Each retry goes back to the application server to be encrypted with a new frame counter.",
            ),
            KeyDoc::new(
                "gateway_offline_after",
                "How long a gateway may send no statistics before gw.{eui}.status reports it offline.\n\
                 Packet forwarders report every 30 s by default, so 90 s is three missed reports.",
            ),
            KeyDoc::new(
                "gateway_sweep_interval",
                "How often the elected replica looks for gateways that went silent.",
            ),
            KeyDoc::new(
                "leader_election",
                "How replicas elect the one that sweeps for silent gateways: \"kube\" (a coordination.k8s.io/v1 Lease\n\
                 named tern-network in the pod's namespace, held by the pod name), \"redis\" (a lock under redis.key_prefix)\n\
                 or \"auto\" (kube when running in a Kubernetes cluster, redis elsewhere).",
            ),
            KeyDoc::new(
                "leader_lease_duration",
                "How long leadership lasts without renewal; the leader renews every third of it.\n\
                 When the leader dies, another replica takes over within about this long.",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.require(
            is_schema_name(&self.schema),
            "network.schema",
            &text(&self.schema),
            "must be 1 to 63 lowercase letters, digits and '_', starting with a letter or '_', not 'pg_'",
        );
        checks.require(
            self.net_id.len() == 6 && self.net_id.chars().all(|c| c.is_ascii_hexdigit()),
            "network.net_id",
            &text(&self.net_id),
            "must be 6 hex digits",
        );
        checks.positive("network.dedup_window", self.dedup_window);
        checks.positive("network.session_ttl", self.session_ttl);
        checks.at_least_one("network.max_in_flight", self.max_in_flight);
        checks.positive("network.join_request_timeout", self.join_request_timeout);
        checks.at_least_one(
            "network.downlink_queue_max_len",
            self.downlink_queue_max_len,
        );
        checks.at_least_one(
            "network.confirmed_downlink_max_attempts",
            self.confirmed_downlink_max_attempts,
        );
        checks.positive("network.gateway_offline_after", self.gateway_offline_after);
        checks.positive(
            "network.gateway_sweep_interval",
            self.gateway_sweep_interval,
        );
        checks.require(
            self.leader_lease_duration >= Duration::from_millis(30),
            "network.leader_lease_duration",
            &text(&humantime::format_duration(self.leader_lease_duration).to_string()),
            "must be at least 30ms",
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn default_passes_its_own_checks() {
        let mut checks = Checks::default();
        NetworkConfig::default().check(&mut checks);
        assert!(checks.findings.is_empty(), "{:?}", checks.findings);
    }

    #[test]
    fn dedup_window_loads_from_the_environment() {
        let env = HashMap::from([("TERN_NETWORK__DEDUP_WINDOW".to_owned(), "350ms".to_owned())]);
        let config = crate::Config::load("[network]\nnet_id = \"00001d\"\n", &env).unwrap();
        assert_eq!(config.network.dedup_window, Duration::from_millis(350));
        assert_eq!(config.network.net_id, "00001d");
        assert_eq!(config.network.f_opts_encryption, FOptsEncryption::Errata);
        let env = HashMap::from([(
            "TERN_NETWORK__F_OPTS_ENCRYPTION".to_owned(),
            "original".to_owned(),
        )]);
        let config = crate::Config::load("", &env).unwrap();
        assert_eq!(config.network.f_opts_encryption, FOptsEncryption::Original);
        let env = HashMap::from([(
            "TERN_NETWORK__LEADER_ELECTION".to_owned(),
            "kube".to_owned(),
        )]);
        let config = crate::Config::load("", &env).unwrap();
        assert_eq!(config.network.leader_election, LeaderElection::Kube);
    }

    #[test]
    fn reports_every_bad_key() {
        let config = NetworkConfig {
            schema: "Network".to_owned(),
            net_id: "xyz".to_owned(),
            dedup_window: Duration::ZERO,
            session_ttl: Duration::ZERO,
            max_in_flight: 0,
            join_request_timeout: Duration::ZERO,
            f_opts_encryption: FOptsEncryption::Original,
            dev_status_interval: Duration::ZERO,
            downlink_queue_max_len: 0,
            confirmed_downlink_max_attempts: 0,
            gateway_offline_after: Duration::ZERO,
            gateway_sweep_interval: Duration::ZERO,
            leader_election: LeaderElection::Redis,
            leader_lease_duration: Duration::from_millis(10),
        };
        let mut checks = Checks::default();
        config.check(&mut checks);
        let paths: Vec<&str> = checks.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "network.schema",
                "network.net_id",
                "network.dedup_window",
                "network.session_ttl",
                "network.max_in_flight",
                "network.join_request_timeout",
                "network.downlink_queue_max_len",
                "network.confirmed_downlink_max_attempts",
                "network.gateway_offline_after",
                "network.gateway_sweep_interval",
                "network.leader_lease_duration"
            ]
        );
    }
}
