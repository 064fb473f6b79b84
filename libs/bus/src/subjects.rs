//! The NATS subject map: the only place where subject strings are built or parsed.
//!
//! Every subject of the architecture's subject table has a typed constructor on
//! [`Subjects`], plus the wildcard forms that subscribers need. A [`Subject`] carries
//! its [`SubjectKind`], a bounded name used as the `subject` label of bus metrics,
//! so metrics never see an EUI or an application id.
//!
//! Identifiers are validated as single NATS tokens; this module does not check
//! that they name anything that exists.

use std::fmt;
use std::sync::Arc;

use crate::{Error, InvalidTokenReason, Result};

/// Queue group names of the services that share work over NATS queue groups.
pub mod queue_group {
    /// Network servers share `up`, `gw.*.txack`, `gw.*.stats`, `ns.queue`, `ns.device` and
    /// `ns.gateway_status`.
    pub const NETWORK: &str = "network";
    /// Join servers share `js.join` and `js.keys`.
    pub const JOIN: &str = "join";
    /// Application servers share `as.up`, `as.session`, `as.queue.invalidated`,
    /// `as.device` and `app.*.*.down.push`.
    pub const APPLICATION: &str = "application";
    /// Gateway edge replicas share `gw.{eui}.down`, so that while two replicas both hold a
    /// gateway (during a move) each downlink still reaches only one of them.
    pub const GATEWAY: &str = "gateway";
}

/// The bounded class of a subject, used as the `subject` label of metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// `up`: uplink frames from the gateway edge.
    Up,
    /// `gw.{eui}.down`: downlink frames for one gateway.
    GwDown,
    /// `gw.{eui}.txack`: TX acknowledgements from one gateway.
    GwTxAck,
    /// `gw.{eui}.stats`: statistics from one gateway.
    GwStats,
    /// `gw.{eui}.status`: online/offline status of one gateway.
    GwStatus,
    /// `gw.{eui}.claim`: an edge replica announcing that it now holds one gateway.
    GwClaim,
    /// `js.join`: join requests to the join server.
    JsJoin,
    /// `js.keys`: root-key changes for the join server.
    JsKeys,
    /// `as.up`: uplinks for the application server.
    AsUp,
    /// `as.session`: new sessions for the application server.
    AsSession,
    /// `ns.queue`: downlink queue items for the network server.
    NsQueue,
    /// `ns.device`: device provisioning for the network server.
    NsDevice,
    /// `ns.gateway_status`: gateway status questions for the network server.
    NsGatewayStatus,
    /// `as.device`: device provisioning for the application server.
    AsDevice,
    /// `as.queue.invalidated`: queued downlinks that must be re-encrypted.
    AsQueueInvalidated,
    /// `as.downlink`: outcomes of application downlinks (sent, ack, nack, ...).
    AsDownlink,
    /// `app.{application_id}.{dev_eui}.{event}`: application events.
    AppEvent,
    /// `app.{application_id}.{dev_eui}.down.push`: downlink requests from users.
    AppDownPush,
    /// `registry.{kind}.{id}.{action}`: registry change events.
    Registry,
}

impl SubjectKind {
    /// Returns the label value, the subject pattern without root and ids (`gw.down`).
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Up => "up",
            SubjectKind::GwDown => "gw.down",
            SubjectKind::GwTxAck => "gw.txack",
            SubjectKind::GwStats => "gw.stats",
            SubjectKind::GwStatus => "gw.status",
            SubjectKind::GwClaim => "gw.claim",
            SubjectKind::JsJoin => "js.join",
            SubjectKind::JsKeys => "js.keys",
            SubjectKind::AsUp => "as.up",
            SubjectKind::AsSession => "as.session",
            SubjectKind::NsQueue => "ns.queue",
            SubjectKind::NsDevice => "ns.device",
            SubjectKind::NsGatewayStatus => "ns.gateway_status",
            SubjectKind::AsDevice => "as.device",
            SubjectKind::AsQueueInvalidated => "as.queue.invalidated",
            SubjectKind::AsDownlink => "as.downlink",
            SubjectKind::AppEvent => "app.event",
            SubjectKind::AppDownPush => "app.down.push",
            SubjectKind::Registry => "registry",
        }
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event token of `app.{application_id}.{dev_eui}.{event}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppEvent {
    /// A decrypted uplink.
    Up,
    /// A device joined.
    Join,
    /// A confirmed downlink was acknowledged.
    Ack,
    /// A confirmed downlink was not acknowledged.
    Nack,
    /// A gateway reported the transmission of a downlink.
    TxAck,
    /// A device status report (battery, margin).
    Status,
    /// A resolved device location.
    Location,
    /// An error while handling the device's traffic.
    Error,
}

impl AppEvent {
    /// Every event, in subject-table order.
    pub const ALL: [AppEvent; 8] = [
        AppEvent::Up,
        AppEvent::Join,
        AppEvent::Ack,
        AppEvent::Nack,
        AppEvent::TxAck,
        AppEvent::Status,
        AppEvent::Location,
        AppEvent::Error,
    ];

    /// Returns the subject token (`up`, `txack`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AppEvent::Up => "up",
            AppEvent::Join => "join",
            AppEvent::Ack => "ack",
            AppEvent::Nack => "nack",
            AppEvent::TxAck => "txack",
            AppEvent::Status => "status",
            AppEvent::Location => "location",
            AppEvent::Error => "error",
        }
    }

    fn from_token(token: &str) -> Option<AppEvent> {
        AppEvent::ALL
            .into_iter()
            .find(|event| event.as_str() == token)
    }
}

/// The action token of `registry.{kind}.{id}.{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryAction {
    /// The entity was created.
    Created,
    /// The entity was updated.
    Updated,
    /// The entity was deleted.
    Deleted,
}

impl RegistryAction {
    /// Every action.
    pub const ALL: [RegistryAction; 3] = [
        RegistryAction::Created,
        RegistryAction::Updated,
        RegistryAction::Deleted,
    ];

    /// Returns the subject token (`created`, `updated`, `deleted`).
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryAction::Created => "created",
            RegistryAction::Updated => "updated",
            RegistryAction::Deleted => "deleted",
        }
    }

    fn from_token(token: &str) -> Option<RegistryAction> {
        RegistryAction::ALL
            .into_iter()
            .find(|action| action.as_str() == token)
    }
}

/// A complete NATS subject (possibly with wildcards) and its kind.
///
/// Only [`Subjects`] builds these, so every subject on the wire comes from the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    name: async_nats::Subject,
    kind: SubjectKind,
    wildcard: bool,
}

impl Subject {
    fn new(name: String, kind: SubjectKind) -> Subject {
        let wildcard = name.split('.').any(|token| token == "*" || token == ">");
        Subject {
            name: name.into(),
            kind,
            wildcard,
        }
    }

    /// Returns the full subject, root included.
    pub fn as_str(&self) -> &str {
        self.name.as_str()
    }

    /// Returns the kind, the bounded metric label of this subject.
    pub fn kind(&self) -> SubjectKind {
        self.kind
    }

    /// Tells whether the subject contains a `*` or `>` wildcard (subscribe only).
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    pub(crate) fn nats(&self) -> async_nats::Subject {
        self.name.clone()
    }
}

impl std::hash::Hash for Subject {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The kind and wildcard flag follow from the name.
        self.as_str().hash(state);
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks that `token` can stand as one NATS subject token.
///
/// NATS subjects are dot-separated tokens where `*` and `>` are wildcards and
/// whitespace ends the subject (NATS docs, "Subject-Based Messaging").
pub fn validate_token(token: &str) -> Result<()> {
    let reason = if token.is_empty() {
        Some(InvalidTokenReason::Empty)
    } else if token.contains('.') {
        Some(InvalidTokenReason::Separator)
    } else if token.contains(['*', '>']) {
        Some(InvalidTokenReason::Wildcard)
    } else if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some(InvalidTokenReason::Whitespace)
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidToken {
            token: token.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Renders an EUI-64 as a subject token: 16 lowercase hex digits, big-endian.
fn eui_token(eui: u64) -> String {
    format!("{eui:016x}")
}

/// Builds every subject of one deployment from its root (default `tern`).
///
/// Cheap to clone; hold one per [`Bus`](crate::Bus) (see [`Bus::subjects`](crate::Bus::subjects)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    root: Arc<str>,
}

impl Subjects {
    /// The default subject root.
    pub const DEFAULT_ROOT: &'static str = "tern";

    /// Creates the map for `root`, which must be a single NATS token.
    pub fn new(root: &str) -> Result<Subjects> {
        validate_token(root)?;
        Ok(Subjects { root: root.into() })
    }

    /// Returns the root token.
    pub fn root(&self) -> &str {
        &self.root
    }

    fn fixed(&self, suffix: &str, kind: SubjectKind) -> Subject {
        Subject::new(format!("{}.{suffix}", self.root), kind)
    }

    fn gateway(&self, gateway: &str, leaf: &str, kind: SubjectKind) -> Subject {
        Subject::new(format!("{}.gw.{gateway}.{leaf}", self.root), kind)
    }

    /// `{root}.up`: uplink frames, gateway edge to network (queue group `network`).
    pub fn up(&self) -> Subject {
        self.fixed("up", SubjectKind::Up)
    }

    /// `{root}.gw.{eui}.down`: downlink frames for the edge replica holding the gateway.
    pub fn gw_down(&self, gateway_eui: u64) -> Subject {
        self.gateway(&eui_token(gateway_eui), "down", SubjectKind::GwDown)
    }

    /// `{root}.gw.*.down`: downlink frames for every gateway.
    pub fn gw_down_all(&self) -> Subject {
        self.gateway("*", "down", SubjectKind::GwDown)
    }

    /// `{root}.gw.{eui}.txack`: TX acknowledgements, gateway edge to network.
    pub fn gw_txack(&self, gateway_eui: u64) -> Subject {
        self.gateway(&eui_token(gateway_eui), "txack", SubjectKind::GwTxAck)
    }

    /// `{root}.gw.*.txack`: TX acknowledgements of every gateway.
    pub fn gw_txack_all(&self) -> Subject {
        self.gateway("*", "txack", SubjectKind::GwTxAck)
    }

    /// `{root}.gw.{eui}.stats`: gateway statistics, gateway edge to network.
    pub fn gw_stats(&self, gateway_eui: u64) -> Subject {
        self.gateway(&eui_token(gateway_eui), "stats", SubjectKind::GwStats)
    }

    /// `{root}.gw.*.stats`: statistics of every gateway.
    pub fn gw_stats_all(&self) -> Subject {
        self.gateway("*", "stats", SubjectKind::GwStats)
    }

    /// `{root}.gw.{eui}.status`: gateway online/offline status, network to users.
    pub fn gw_status(&self, gateway_eui: u64) -> Subject {
        self.gateway(&eui_token(gateway_eui), "status", SubjectKind::GwStatus)
    }

    /// `{root}.gw.*.status`: status of every gateway.
    pub fn gw_status_all(&self) -> Subject {
        self.gateway("*", "status", SubjectKind::GwStatus)
    }

    /// `{root}.gw.{eui}.claim`: an edge replica announces it holds the gateway, so the
    /// replica that held it before drops its `gw.{eui}.down` subscription
    /// (docs/adr/001-gateway-claims.md).
    pub fn gw_claim(&self, gateway_eui: u64) -> Subject {
        self.gateway(&eui_token(gateway_eui), "claim", SubjectKind::GwClaim)
    }

    /// `{root}.gw.*.claim`: claims of every gateway, which every edge replica follows.
    pub fn gw_claim_all(&self) -> Subject {
        self.gateway("*", "claim", SubjectKind::GwClaim)
    }

    /// `{root}.js.join`: join requests, network to join (request/reply, queue `join`).
    pub fn js_join(&self) -> Subject {
        self.fixed("js.join", SubjectKind::JsJoin)
    }

    /// `{root}.js.keys`: set or delete a device's root keys, identity to join
    /// (request/reply, queue `join`).
    pub fn js_keys(&self) -> Subject {
        self.fixed("js.keys", SubjectKind::JsKeys)
    }

    /// `{root}.as.up`: uplinks, network to application (queue `application`).
    pub fn as_up(&self) -> Subject {
        self.fixed("as.up", SubjectKind::AsUp)
    }

    /// `{root}.as.session`: new sessions, network to application.
    pub fn as_session(&self) -> Subject {
        self.fixed("as.session", SubjectKind::AsSession)
    }

    /// `{root}.ns.queue`: encrypted downlink queue items, application to network
    /// (request/reply).
    pub fn ns_queue(&self) -> Subject {
        self.fixed("ns.queue", SubjectKind::NsQueue)
    }

    /// `{root}.ns.device`: set or delete a device in the network server's registry,
    /// identity to network (request/reply, queue `network`).
    pub fn ns_device(&self) -> Subject {
        self.fixed("ns.device", SubjectKind::NsDevice)
    }

    /// `{root}.ns.gateway_status`: a gateway's current status, asked by the identity
    /// service of the network service, which keeps it in Redis (request/reply, queue
    /// `network`).
    pub fn ns_gateway_status(&self) -> Subject {
        self.fixed("ns.gateway_status", SubjectKind::NsGatewayStatus)
    }

    /// `{root}.as.device`: set or delete a device in the application server's registry,
    /// identity to application (request/reply, queue `application`).
    pub fn as_device(&self) -> Subject {
        self.fixed("as.device", SubjectKind::AsDevice)
    }

    /// `{root}.as.queue.invalidated`: queued downlinks to re-encrypt, network to
    /// application.
    pub fn as_queue_invalidated(&self) -> Subject {
        self.fixed("as.queue.invalidated", SubjectKind::AsQueueInvalidated)
    }

    /// `{root}.as.downlink`: outcomes of application downlinks, network to application.
    pub fn as_downlink(&self) -> Subject {
        self.fixed("as.downlink", SubjectKind::AsDownlink)
    }

    /// `{root}.app.{application_id}.{dev_eui}.{event}`: application events to users.
    pub fn app_event(
        &self,
        application_id: &str,
        dev_eui: u64,
        event: AppEvent,
    ) -> Result<Subject> {
        validate_token(application_id)?;
        let name = format!(
            "{}.app.{application_id}.{}.{}",
            self.root,
            eui_token(dev_eui),
            event.as_str()
        );
        Ok(Subject::new(name, SubjectKind::AppEvent))
    }

    /// `{root}.app.*.*.*`: every application event (the `TERN_APP_EVENTS` stream).
    pub fn app_event_all(&self) -> Subject {
        Subject::new(format!("{}.app.*.*.*", self.root), SubjectKind::AppEvent)
    }

    /// `{root}.app.{application_id}.*.*`: every event of one application.
    pub fn app_event_application(&self, application_id: &str) -> Result<Subject> {
        validate_token(application_id)?;
        let name = format!("{}.app.{application_id}.*.*", self.root);
        Ok(Subject::new(name, SubjectKind::AppEvent))
    }

    /// `{root}.app.{application_id}.{dev_eui}.*`: every event of one device.
    pub fn app_event_device(&self, application_id: &str, dev_eui: u64) -> Result<Subject> {
        validate_token(application_id)?;
        let name = format!(
            "{}.app.{application_id}.{}.*",
            self.root,
            eui_token(dev_eui)
        );
        Ok(Subject::new(name, SubjectKind::AppEvent))
    }

    /// `{root}.app.{application_id}.{dev_eui}.down.push`: downlink requests from users.
    pub fn app_down_push(&self, application_id: &str, dev_eui: u64) -> Result<Subject> {
        validate_token(application_id)?;
        let name = format!(
            "{}.app.{application_id}.{}.down.push",
            self.root,
            eui_token(dev_eui)
        );
        Ok(Subject::new(name, SubjectKind::AppDownPush))
    }

    /// `{root}.app.*.*.down.push`: downlink requests for every device.
    pub fn app_down_push_all(&self) -> Subject {
        Subject::new(
            format!("{}.app.*.*.down.push", self.root),
            SubjectKind::AppDownPush,
        )
    }

    /// `{root}.registry.{kind}.{id}.{action}`: registry change events, identity to all.
    pub fn registry(&self, kind: &str, id: &str, action: RegistryAction) -> Result<Subject> {
        validate_token(kind)?;
        validate_token(id)?;
        let name = format!("{}.registry.{kind}.{id}.{}", self.root, action.as_str());
        Ok(Subject::new(name, SubjectKind::Registry))
    }

    /// `{root}.registry.>`: every registry change event.
    pub fn registry_all(&self) -> Subject {
        Subject::new(format!("{}.registry.>", self.root), SubjectKind::Registry)
    }

    /// `{root}.registry.{kind}.>`: every change event of one entity kind.
    pub fn registry_kind(&self, kind: &str) -> Result<Subject> {
        validate_token(kind)?;
        Ok(Subject::new(
            format!("{}.registry.{kind}.>", self.root),
            SubjectKind::Registry,
        ))
    }
}

impl Default for Subjects {
    /// Returns the map for the default root `tern`.
    fn default() -> Subjects {
        Subjects {
            root: Subjects::DEFAULT_ROOT.into(),
        }
    }
}

mod parse;

pub use parse::ParsedSubject;

#[cfg(test)]
mod tests;
