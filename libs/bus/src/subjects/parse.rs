//! Parsing concrete subjects back into their parts, for handlers on wildcard subjects.
//!
//! Only subjects in the canonical form that [`Subjects`] builds are accepted:
//! EUIs must be 16 lowercase hex digits.

use super::{AppEvent, RegistryAction, SubjectKind, Subjects, validate_token};
use crate::{Error, Result};

/// A subject parsed back into its parts by [`Subjects::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedSubject {
    /// `up`.
    Up,
    /// `gw.{eui}.down`.
    GwDown {
        /// The gateway EUI-64.
        gateway_eui: u64,
    },
    /// `gw.{eui}.txack`.
    GwTxAck {
        /// The gateway EUI-64.
        gateway_eui: u64,
    },
    /// `gw.{eui}.stats`.
    GwStats {
        /// The gateway EUI-64.
        gateway_eui: u64,
    },
    /// `gw.{eui}.status`.
    GwStatus {
        /// The gateway EUI-64.
        gateway_eui: u64,
    },
    /// `gw.{eui}.claim`.
    GwClaim {
        /// The gateway EUI-64.
        gateway_eui: u64,
    },
    /// `js.join`.
    JsJoin,
    /// `js.keys`.
    JsKeys,
    /// `as.up`.
    AsUp,
    /// `as.session`.
    AsSession,
    /// `ns.queue`.
    NsQueue,
    /// `ns.device`.
    NsDevice,
    /// `ns.gateway_status`.
    NsGatewayStatus,
    /// `as.device`.
    AsDevice,
    /// `as.queue.invalidated`.
    AsQueueInvalidated,
    /// `as.downlink`.
    AsDownlink,
    /// `app.{application_id}.{dev_eui}.{event}`.
    AppEvent {
        /// The application id token.
        application_id: String,
        /// The DevEUI.
        dev_eui: u64,
        /// The event.
        event: AppEvent,
    },
    /// `app.{application_id}.{dev_eui}.down.push`.
    AppDownPush {
        /// The application id token.
        application_id: String,
        /// The DevEUI.
        dev_eui: u64,
    },
    /// `registry.{kind}.{id}.{action}`.
    Registry {
        /// The entity kind token (`device`, `gateway`, ...).
        kind: String,
        /// The entity id token.
        id: String,
        /// What happened.
        action: RegistryAction,
    },
}

impl ParsedSubject {
    /// Returns the kind of the parsed subject.
    pub fn kind(&self) -> SubjectKind {
        match self {
            ParsedSubject::Up => SubjectKind::Up,
            ParsedSubject::GwDown { .. } => SubjectKind::GwDown,
            ParsedSubject::GwTxAck { .. } => SubjectKind::GwTxAck,
            ParsedSubject::GwStats { .. } => SubjectKind::GwStats,
            ParsedSubject::GwStatus { .. } => SubjectKind::GwStatus,
            ParsedSubject::GwClaim { .. } => SubjectKind::GwClaim,
            ParsedSubject::JsJoin => SubjectKind::JsJoin,
            ParsedSubject::JsKeys => SubjectKind::JsKeys,
            ParsedSubject::AsUp => SubjectKind::AsUp,
            ParsedSubject::AsSession => SubjectKind::AsSession,
            ParsedSubject::NsQueue => SubjectKind::NsQueue,
            ParsedSubject::NsDevice => SubjectKind::NsDevice,
            ParsedSubject::NsGatewayStatus => SubjectKind::NsGatewayStatus,
            ParsedSubject::AsDevice => SubjectKind::AsDevice,
            ParsedSubject::AsQueueInvalidated => SubjectKind::AsQueueInvalidated,
            ParsedSubject::AsDownlink => SubjectKind::AsDownlink,
            ParsedSubject::AppEvent { .. } => SubjectKind::AppEvent,
            ParsedSubject::AppDownPush { .. } => SubjectKind::AppDownPush,
            ParsedSubject::Registry { .. } => SubjectKind::Registry,
        }
    }
}

/// Parses a token rendered by `eui_token`; anything else (uppercase, short) is refused.
fn parse_eui_token(token: &str) -> Option<u64> {
    let canonical = token.len() == 16
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if canonical {
        u64::from_str_radix(token, 16).ok()
    } else {
        None
    }
}

impl Subjects {
    /// Parses a concrete (wildcard-free) subject of this root back into its parts,
    /// for handlers subscribed to a wildcard.
    pub fn parse(&self, subject: &str) -> Result<ParsedSubject> {
        let unknown = || Error::UnknownSubject {
            subject: subject.to_owned(),
        };
        let rest = subject
            .strip_prefix(&*self.root)
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or_else(unknown)?;
        let tokens: Vec<&str> = rest.split('.').collect();
        let eui_of = |token: &str| parse_eui_token(token).ok_or_else(unknown);
        let checked = |token: &str| validate_token(token).map(|()| token.to_owned());
        let parsed = match tokens.as_slice() {
            ["up"] => ParsedSubject::Up,
            ["gw", gateway_eui, "down"] => ParsedSubject::GwDown {
                gateway_eui: eui_of(gateway_eui)?,
            },
            ["gw", gateway_eui, "txack"] => ParsedSubject::GwTxAck {
                gateway_eui: eui_of(gateway_eui)?,
            },
            ["gw", gateway_eui, "stats"] => ParsedSubject::GwStats {
                gateway_eui: eui_of(gateway_eui)?,
            },
            ["gw", gateway_eui, "status"] => ParsedSubject::GwStatus {
                gateway_eui: eui_of(gateway_eui)?,
            },
            ["gw", gateway_eui, "claim"] => ParsedSubject::GwClaim {
                gateway_eui: eui_of(gateway_eui)?,
            },
            ["js", "join"] => ParsedSubject::JsJoin,
            ["js", "keys"] => ParsedSubject::JsKeys,
            ["as", "up"] => ParsedSubject::AsUp,
            ["as", "session"] => ParsedSubject::AsSession,
            ["ns", "queue"] => ParsedSubject::NsQueue,
            ["ns", "device"] => ParsedSubject::NsDevice,
            ["ns", "gateway_status"] => ParsedSubject::NsGatewayStatus,
            ["as", "device"] => ParsedSubject::AsDevice,
            ["as", "queue", "invalidated"] => ParsedSubject::AsQueueInvalidated,
            ["as", "downlink"] => ParsedSubject::AsDownlink,
            ["app", application_id, dev_eui, "down", "push"] => ParsedSubject::AppDownPush {
                application_id: checked(application_id).map_err(|_| unknown())?,
                dev_eui: eui_of(dev_eui)?,
            },
            ["app", application_id, dev_eui, event] => ParsedSubject::AppEvent {
                application_id: checked(application_id).map_err(|_| unknown())?,
                dev_eui: eui_of(dev_eui)?,
                event: AppEvent::from_token(event).ok_or_else(unknown)?,
            },
            ["registry", kind, id, action] => ParsedSubject::Registry {
                kind: checked(kind).map_err(|_| unknown())?,
                id: checked(id).map_err(|_| unknown())?,
                action: RegistryAction::from_token(action).ok_or_else(unknown)?,
            },
            _ => return Err(unknown()),
        };
        Ok(parsed)
    }
}
