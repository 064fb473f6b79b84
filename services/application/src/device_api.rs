//! `as.device`: the identity service sets and deletes devices in the application registry.
//!
//! A set replaces the registry row (ids, name, formatter). For an ABP device it also stores
//! the session the device is personalised with, its AppSKey wrapped under the KEK, unless
//! the current session already has that DevAddr and key, so a repeated set keeps the
//! downlink counter. A delete removes the row and the device's sessions. Malformed requests
//! are refused as invalid and change nothing; keys are never logged.

use lorawan_codec::Eui64;
use tern_proto::internal::v1 as pb;

use crate::context::Context;
use crate::formatter::Formatter;
use crate::registry::{ApplicationDevice, ApplicationRegistry};
use crate::{Error, Result};

/// Builds a refusal.
pub(crate) fn refusal(
    error: pb::ProvisionError,
    message: impl Into<String>,
) -> pb::ProvisionAnswer {
    pb::ProvisionAnswer {
        ok: false,
        error: error as i32,
        message: message.into(),
    }
}

fn accepted() -> pb::ProvisionAnswer {
    pb::ProvisionAnswer {
        ok: true,
        ..pb::ProvisionAnswer::default()
    }
}

fn invalid(message: impl Into<String>) -> pb::ProvisionAnswer {
    refusal(pb::ProvisionError::Invalid, message)
}

/// Reads the formatter of a request; `None` for an unknown kind.
fn formatter(kind: &str, source: &str) -> Option<Formatter> {
    match kind {
        "" | "none" => Some(Formatter::None),
        "cayenne_lpp" => Some(Formatter::CayenneLpp),
        "javascript" => Some(Formatter::JavaScript {
            source: source.to_owned(),
        }),
        _ => None,
    }
}

/// Answers one request; a store failure is returned and answered `UNAVAILABLE` by the caller.
pub(crate) async fn handle<R: ApplicationRegistry>(
    context: &Context<R>,
    request: &pb::ApplicationDeviceRequest,
) -> Result<pb::ProvisionAnswer> {
    let dev_eui = Eui64::from_u64(request.dev_eui);
    match &request.action {
        Some(pb::application_device_request::Action::Set(set)) => {
            let Some(formatter) = formatter(&set.formatter_kind, &set.formatter_source) else {
                return Ok(invalid(format!(
                    "unknown formatter kind {:?}",
                    set.formatter_kind
                )));
            };
            let device = ApplicationDevice {
                dev_eui,
                application_id: set.application_id.clone(),
                device_id: set.device_id.clone(),
                name: set.name.clone(),
                formatter,
            };
            let session = match &set.abp {
                Some(abp) => match abp_session(context, dev_eui, abp) {
                    Ok(session) => Some(session),
                    Err(answer) => return Ok(answer),
                },
                None => None,
            };
            match context.registry.set_device(&device).await {
                Ok(()) => {}
                Err(Error::InvalidArgument(message)) => return Ok(invalid(message)),
                Err(error) => return Err(error),
            }
            if let Some(session) = session {
                store_abp_session(context, &session).await?;
            }
            Ok(accepted())
        }
        Some(pb::application_device_request::Action::Delete(_)) => {
            let existed = context.registry.delete_device(dev_eui).await?;
            context.sessions.delete(dev_eui).await?;
            Ok(if existed {
                accepted()
            } else {
                refusal(
                    pb::ProvisionError::NotFound,
                    format!("device {dev_eui} is not in the application registry"),
                )
            })
        }
        None => Ok(invalid("request names no action")),
    }
}

/// Checks an ABP session and builds the session event the session store takes.
fn abp_session<R>(
    context: &Context<R>,
    dev_eui: Eui64,
    abp: &pb::AbpApplicationSession,
) -> std::result::Result<pb::SessionEvent, pb::ProvisionAnswer> {
    let envelope = abp
        .app_s_key
        .clone()
        .ok_or_else(|| invalid("app_s_key is missing"))?;
    if envelope.kek_label.is_empty() {
        return Err(invalid("app_s_key must be wrapped under the kek"));
    }
    if context.kek.open(&envelope).is_err() {
        return Err(invalid(format!(
            "app_s_key does not unwrap under kek {:?}",
            context.kek.label()
        )));
    }
    Ok(pb::SessionEvent {
        dev_eui: dev_eui.to_u64(),
        dev_addr: abp.dev_addr,
        mac_version: abp.mac_version,
        app_s_key: Some(envelope),
        ..pb::SessionEvent::default()
    })
}

/// Stores the ABP session unless the current one already has its DevAddr and AppSKey.
async fn store_abp_session<R>(context: &Context<R>, event: &pb::SessionEvent) -> Result<()> {
    let dev_eui = Eui64::from_u64(event.dev_eui);
    if let Some(stored) = context.sessions.get(dev_eui).await? {
        let new_key = context
            .kek
            .open(&event.app_s_key.clone().unwrap_or_default())?;
        let same_key = stored
            .current
            .app_s_key(&context.kek)
            .is_ok_and(|key| key.as_bytes() == new_key.as_bytes());
        if stored.current.dev_addr == event.dev_addr && same_key {
            return Ok(());
        }
    }
    context.sessions.store(event, &context.kek).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_formatter_kinds_identity_sends() {
        assert_eq!(formatter("none", ""), Some(Formatter::None));
        assert_eq!(formatter("cayenne_lpp", ""), Some(Formatter::CayenneLpp));
        assert_eq!(
            formatter("javascript", "function decodeUplink(i) {}"),
            Some(Formatter::JavaScript {
                source: "function decodeUplink(i) {}".to_owned()
            })
        );
        assert_eq!(formatter("cayenne-lpp", ""), None);
    }
}
