//! Provisioning: a device created, changed or deleted through the API is set or deleted in
//! the network service (`ns.device`) and the application service (`as.device`), built from
//! the device and its profile.
//!
//! The order is network, then application. When the network refuses or does not answer,
//! nothing changed; when the application does, the network is set back to what it held before
//! (or told to delete a device it did not hold), and the caller undoes its own change, so the
//! registry and the services do not disagree about a device that exists.
//!
//! OTAA root keys stay on `js.keys` (`device_keys`). An ABP device reaches the network service
//! only once activated (`DeviceService.Activate`): its session, keys wrapped under the KEK, is
//! kept in the registry's `abp_sessions` so that every later set sends it again. The network
//! service needs the session in every set (its registry row holds the keys), and the
//! application service keeps its counters when the same session comes again.

mod build;

use std::time::Duration;

use futures::StreamExt as _;
use tern_api::v1 as api;
use tern_proto::ErrorCode;
use tern_proto::internal::v1 as pb;
use tracing::warn;

pub(crate) use self::build::{AbpSession, Desired, desired, provisioned_fields_differ};
use self::build::{eui_value, set_application, set_network};
use super::Api;
use crate::store::{ListFilter, Page, StoredAbpSession};
use crate::{Error, Result};

/// How long the network and application services may take to store a change.
const PROVISION_TIMEOUT: Duration = Duration::from_secs(5);
/// Devices of a changed profile set at once; bounds the requests in flight on the bus.
const PROFILE_CONCURRENCY: usize = 8;
/// Devices of a changed profile read per page.
const PROFILE_PAGE_SIZE: u32 = 200;
/// Most pages of one profile's devices (two million devices), so the loop is bounded.
const PROFILE_MAX_PAGES: usize = 10_000;

/// The service a provisioning request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Network,
    Application,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Network => "network",
            Target::Application => "application",
        }
    }
}

/// What the caller was doing, for the error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Created,
    Updated,
    Deleted,
    Activated,
}

impl Change {
    fn past(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Deleted => "deleted",
            Change::Activated => "activated",
        }
    }
}

/// Why a service did not take a change.
enum Failure {
    /// No answer in time, or no service on the bus.
    NoAnswer,
    /// The service answered with a refusal.
    Refused(pb::ProvisionAnswer),
}

impl Api {
    /// Sends one request to `target` and reads the answer.
    async fn ask<M: prost::Message>(
        &self,
        target: Target,
        request: &M,
    ) -> std::result::Result<(), Failure> {
        let bus = self.events.bus();
        let subject = match target {
            Target::Network => bus.subjects().ns_device(),
            Target::Application => bus.subjects().as_device(),
        };
        let answer: std::result::Result<pb::ProvisionAnswer, _> =
            bus.request(&subject, request, PROVISION_TIMEOUT).await;
        match answer {
            Ok(answer) if answer.ok => Ok(()),
            Ok(answer) => Err(Failure::Refused(answer)),
            Err(error) => {
                warn!(service = target.name(), error = %error, "device provisioning request");
                Err(Failure::NoAnswer)
            }
        }
    }

    /// Asks `target` to delete the device.
    async fn ask_delete(&self, target: Target, dev_eui: u64) -> std::result::Result<(), Failure> {
        match target {
            Target::Network => {
                let request = pb::NetworkDeviceRequest {
                    dev_eui,
                    action: Some(pb::network_device_request::Action::Delete(
                        pb::DeleteDevice {},
                    )),
                };
                self.ask(target, &request).await
            }
            Target::Application => {
                let request = pb::ApplicationDeviceRequest {
                    dev_eui,
                    action: Some(pb::application_device_request::Action::Delete(
                        pb::DeleteDevice {},
                    )),
                };
                self.ask(target, &request).await
            }
        }
    }

    /// Asks `target` to delete the device; a service that does not know it is not an error.
    async fn ask_forget(&self, target: Target, dev_eui: u64) -> std::result::Result<(), Failure> {
        match self.ask_delete(target, dev_eui).await {
            Err(Failure::Refused(answer)) if answer.error() == pb::ProvisionError::NotFound => {
                Ok(())
            }
            other => other,
        }
    }

    /// Reads and opens the stored ABP session of a device; `None` when it has none.
    pub(crate) async fn abp_session(&self, dev_eui: &str) -> Result<Option<AbpSession>> {
        match self.store.abp_session(dev_eui).await? {
            Some(stored) => Ok(Some(self.open_session(&stored)?)),
            None => Ok(None),
        }
    }

    /// Unwraps the network keys of a stored session; the AppSKey stays wrapped.
    fn open_session(&self, stored: &StoredAbpSession) -> Result<AbpSession> {
        let kek = self.kek.as_ref().ok_or_else(|| {
            Error::FailedPrecondition(String::from(
                "the device has an abp session but identity.kek is not set; \
                 set [identity] kek (or [join] kek) to the kek it was activated with",
            ))
        })?;
        Ok(AbpSession {
            dev_addr: stored.dev_addr,
            f_nwk_s_int_key: kek.unwrap(&stored.kek_label, &stored.f_nwk_s_int_key)?,
            s_nwk_s_int_key: kek.unwrap(&stored.kek_label, &stored.s_nwk_s_int_key)?,
            nwk_s_enc_key: kek.unwrap(&stored.kek_label, &stored.nwk_s_enc_key)?,
            app_s_key: pb::KeyEnvelope {
                key: stored.app_s_key.clone().into(),
                kek_label: stored.kek_label.clone(),
            },
        })
    }

    /// Builds what the services should hold of `device` with `profile`, with its stored ABP
    /// session.
    pub(crate) async fn desired(
        &self,
        device: &api::Device,
        profile: &api::DeviceProfile,
    ) -> Result<Desired> {
        let session = if profile.activation() == api::Activation::Abp {
            self.abp_session(&device.dev_eui).await?
        } else {
            None
        };
        desired(device, profile, session.as_ref())
    }

    /// Sets a created device in the network and application services; when one fails,
    /// deletes it again from those that took it, and returns the failure.
    pub(crate) async fn provision(
        &self,
        device: &api::Device,
        profile: &api::DeviceProfile,
        change: Change,
    ) -> Result<()> {
        let desired = self.desired(device, profile).await?;
        self.push(&desired, None, change).await
    }

    /// Brings the network service, then the application service, to `new`. `previous` is
    /// what they held before (`None`: nothing, for a create). When the application fails,
    /// the network is put back to `previous` and the error says so.
    pub(crate) async fn push(
        &self,
        new: &Desired,
        previous: Option<&Desired>,
        change: Change,
    ) -> Result<()> {
        let dev_eui = new.dev_eui;
        let network_changed = match (&new.network, previous) {
            (Some(network), _) => {
                self.ask(Target::Network, &set_network(dev_eui, network.clone()))
                    .await
                    .map_err(|failure| provision_error(Target::Network, failure, change, ""))?;
                true
            }
            // A create of a device the network must not know yet: nothing to tell it.
            (None, None) => false,
            (None, Some(_)) => {
                self.ask_forget(Target::Network, dev_eui)
                    .await
                    .map_err(|failure| provision_error(Target::Network, failure, change, ""))?;
                true
            }
        };
        if let Err(failure) = self
            .ask(
                Target::Application,
                &set_application(dev_eui, new.application.clone()),
            )
            .await
        {
            let undone = if network_changed {
                self.restore_network(dev_eui, previous, change).await
            } else {
                ""
            };
            return Err(provision_error(
                Target::Application,
                failure,
                change,
                undone,
            ));
        }
        Ok(())
    }

    /// Puts the network service back to `previous` after a failed change; returns what the
    /// error message should add.
    async fn restore_network(
        &self,
        dev_eui: u64,
        previous: Option<&Desired>,
        change: Change,
    ) -> &'static str {
        let res = match previous.and_then(|previous| previous.network.clone()) {
            Some(network) => {
                self.ask(Target::Network, &set_network(dev_eui, network))
                    .await
            }
            None => self.ask_forget(Target::Network, dev_eui).await,
        };
        match (res, change) {
            // "Not created" says it all: nothing is left anywhere.
            (Ok(()), Change::Created) => "",
            (Ok(()), _) => "; the network service was set back to its previous state",
            (Err(_), _) => {
                warn!(
                    dev_eui = %format_args!("{dev_eui:016x}"),
                    "network service not set back after a failed change"
                );
                "; the network service could not be set back and may hold the new state"
            }
        }
    }

    /// Deletes the device in the network and application services; a service that does not
    /// know the device is not an error.
    pub(crate) async fn unprovision(&self, dev_eui: &str) -> Result<()> {
        let dev_eui = eui_value("dev_eui", dev_eui)?;
        for target in [Target::Network, Target::Application] {
            self.ask_forget(target, dev_eui)
                .await
                .map_err(|failure| provision_error(target, failure, Change::Deleted, ""))?;
        }
        Ok(())
    }

    /// Sets every device of a changed profile again, `PROFILE_CONCURRENCY` at a time; each
    /// device whose application service fails is put back in the network service. Fails
    /// naming how many devices were not updated.
    pub(crate) async fn push_profile(
        &self,
        old: &api::DeviceProfile,
        new: &api::DeviceProfile,
    ) -> Result<()> {
        let filter = ListFilter {
            device_profile_id: Some(new.id.clone()),
            ..ListFilter::default()
        };
        let mut page = Page::new(PROFILE_PAGE_SIZE, "")?;
        let mut total = 0;
        let mut failures = Vec::new();
        for _ in 0..PROFILE_MAX_PAGES {
            let (devices, next) = self.store.list_devices(&filter, &page).await?;
            total += devices.len();
            let results: Vec<Result<()>> = futures::stream::iter(devices)
                .map(|device| async move {
                    let session = if old.activation() == api::Activation::Abp
                        || new.activation() == api::Activation::Abp
                    {
                        self.abp_session(&device.dev_eui).await?
                    } else {
                        None
                    };
                    let before = desired(&device, old, session.as_ref())?;
                    let after = desired(&device, new, session.as_ref())?;
                    self.push(&after, Some(&before), Change::Updated).await?;
                    if session.is_some() && new.activation() != api::Activation::Abp {
                        // The devices now join over the air; their ABP sessions are of no
                        // further use.
                        self.store.delete_abp_session(&device.dev_eui).await?;
                    }
                    Ok(())
                })
                .buffer_unordered(PROFILE_CONCURRENCY)
                .collect()
                .await;
            failures.extend(results.into_iter().filter_map(std::result::Result::err));
            if next.is_empty() {
                break;
            }
            page.after = next;
        }
        match failures.first() {
            None => Ok(()),
            Some(first) => Err(Error::ProfileDevices {
                profile_id: new.id.clone(),
                failed: failures.len(),
                total,
                first: first.to_string(),
            }),
        }
    }
}

fn provision_error(
    target: Target,
    failure: Failure,
    change: Change,
    undone: &'static str,
) -> Error {
    let (problem, code) = match failure {
        Failure::NoAnswer => (String::from("did not answer"), ErrorCode::Unavailable),
        Failure::Refused(answer) => {
            let code = match answer.error() {
                pb::ProvisionError::Invalid => ErrorCode::InvalidArgument,
                _ => ErrorCode::Unavailable,
            };
            (format!("refused the device: {}", answer.message), code)
        }
    };
    Error::Provision {
        service: target.name(),
        problem,
        not_done: change.past(),
        undone,
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_answer_reads_as_unavailable_and_names_the_service() {
        let error = provision_error(Target::Network, Failure::NoAnswer, Change::Created, "");
        let status = crate::error::status(&error);
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            status.message(),
            "network service did not answer; the device was not created"
        );
    }
}
