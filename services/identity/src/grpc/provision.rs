//! Provisioning: a device created, changed or deleted through the API is set or deleted in
//! the network service (`ns.device`) and the application service (`as.device`), built from
//! the device and its profile.
//!
//! The order is network, then application. When one refuses or does not answer, those that
//! already accepted are told to delete the device again, and the caller undoes its own
//! change, so the registry and the services do not disagree about a device that exists.
//! OTAA root keys stay on `js.keys` (`device_keys`). ABP devices are not provisioned here:
//! their session keys are not part of the registry.

use std::time::Duration;

use tern_api::v1 as api;
use tern_proto::ErrorCode;
use tern_proto::internal::v1 as pb;
use tracing::warn;

use super::Api;
use crate::{Error, Result};

/// How long the network and application services may take to store a change.
const PROVISION_TIMEOUT: Duration = Duration::from_secs(5);

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
}

impl Change {
    fn past(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Deleted => "deleted",
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

fn eui_value(field: &'static str, text: &str) -> Result<u64> {
    u64::from_str_radix(text, 16).map_err(|_| Error::invalid(field, "not 16 hex digits"))
}

/// Maps a registry version string to the bus enum.
fn mac_version(text: &str) -> Result<pb::MacVersion> {
    Ok(match text {
        "1.0.0" => pb::MacVersion::MacVersion100,
        "1.0.1" => pb::MacVersion::MacVersion101,
        "1.0.2" => pb::MacVersion::MacVersion102,
        "1.0.3" => pb::MacVersion::MacVersion103,
        "1.0.4" => pb::MacVersion::MacVersion104,
        "1.1" => pb::MacVersion::MacVersion11,
        _ => {
            return Err(Error::invalid(
                "device_profile.mac_version",
                format!("unknown version {text:?}"),
            ));
        }
    })
}

/// Builds the network side of an OTAA device; `None` for an ABP profile.
pub(crate) fn network_device(
    device: &api::Device,
    profile: &api::DeviceProfile,
) -> Result<Option<pb::NetworkDevice>> {
    if profile.activation() == api::Activation::Abp {
        return Ok(None);
    }
    Ok(Some(pb::NetworkDevice {
        band: profile.band.clone(),
        mac_version: mac_version(&profile.mac_version)? as i32,
        class: if profile.supports_class_c {
            pb::DeviceClass::C
        } else {
            pb::DeviceClass::A
        } as i32,
        rx1_delay_s: profile.rx1_delay_s,
        rx1_dr_offset: profile.rx1_dr_offset,
        rx2_dr: Some(profile.rx2_dr),
        rx2_frequency_hz: match profile.rx2_frequency_hz {
            0 => None,
            hz => {
                Some(u32::try_from(hz).map_err(|_| {
                    Error::invalid("device_profile.rx2_frequency_hz", "out of range")
                })?)
            }
        },
        adr: profile.adr_enabled,
        relax_f_cnt: false,
        activation: Some(pb::network_device::Activation::Otaa(pb::OtaaActivation {
            join_eui: eui_value("device.join_eui", &device.join_eui)?,
        })),
    }))
}

/// Builds the application side of a device.
pub(crate) fn application_device(
    device: &api::Device,
    profile: &api::DeviceProfile,
) -> pb::ApplicationDevice {
    // The application service names formatters with '_'; the API with '-'.
    let formatter_kind = profile.payload_formatter_kind.replace('-', "_");
    pb::ApplicationDevice {
        application_id: device.application_id.clone(),
        device_id: device.dev_eui.clone(),
        name: if device.name.is_empty() {
            device.dev_eui.clone()
        } else {
            device.name.clone()
        },
        formatter_kind,
        formatter_source: profile.payload_formatter_source.clone(),
        abp: None,
    }
}

fn set_network(dev_eui: u64, device: pb::NetworkDevice) -> pb::NetworkDeviceRequest {
    pb::NetworkDeviceRequest {
        dev_eui,
        action: Some(pb::network_device_request::Action::Set(device)),
    }
}

fn set_application(dev_eui: u64, device: pb::ApplicationDevice) -> pb::ApplicationDeviceRequest {
    pb::ApplicationDeviceRequest {
        dev_eui,
        action: Some(pb::application_device_request::Action::Set(device)),
    }
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

    /// Sets the device in the network (OTAA only) and application services; when one fails,
    /// deletes it again from those that took it, and returns the failure.
    pub(crate) async fn provision(
        &self,
        device: &api::Device,
        profile: &api::DeviceProfile,
        change: Change,
    ) -> Result<()> {
        let dev_eui = eui_value("device.dev_eui", &device.dev_eui)?;
        let network = network_device(device, profile)?;
        let application = application_device(device, profile);
        if let Some(network) = network {
            self.ask(Target::Network, &set_network(dev_eui, network))
                .await
                .map_err(|failure| provision_error(Target::Network, failure, change))?;
        }
        if let Err(failure) = self
            .ask(Target::Application, &set_application(dev_eui, application))
            .await
        {
            self.retract(dev_eui, &[Target::Network]).await;
            return Err(provision_error(Target::Application, failure, change));
        }
        Ok(())
    }

    /// Deletes the device in the network and application services; a service that does not
    /// know the device is not an error.
    pub(crate) async fn unprovision(&self, dev_eui: &str) -> Result<()> {
        let dev_eui = eui_value("dev_eui", dev_eui)?;
        for target in [Target::Network, Target::Application] {
            match self.ask_delete(target, dev_eui).await {
                Ok(()) => {}
                Err(Failure::Refused(answer)) if answer.error() == pb::ProvisionError::NotFound => {
                }
                Err(failure) => return Err(provision_error(target, failure, Change::Deleted)),
            }
        }
        Ok(())
    }

    /// Best effort: deletes the device from `targets` after a failed change.
    pub(crate) async fn retract(&self, dev_eui: u64, targets: &[Target]) {
        for target in targets {
            if let Err(Failure::NoAnswer) = self.ask_delete(*target, dev_eui).await {
                warn!(
                    service = target.name(),
                    dev_eui = %format_args!("{dev_eui:016x}"),
                    "device not retracted after a failed change"
                );
            }
        }
    }
}

fn provision_error(target: Target, failure: Failure, change: Change) -> Error {
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
        code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> api::DeviceProfile {
        api::DeviceProfile {
            band: "eu868".to_owned(),
            mac_version: "1.0.3".to_owned(),
            activation: api::Activation::Otaa.into(),
            rx1_delay_s: 1,
            rx2_dr: 0,
            rx2_frequency_hz: 869_525_000,
            supports_class_c: true,
            adr_enabled: true,
            payload_formatter_kind: "cayenne-lpp".to_owned(),
            ..api::DeviceProfile::default()
        }
    }

    fn device() -> api::Device {
        api::Device {
            dev_eui: "0004a30b001c0530".to_owned(),
            join_eui: "70b3d57ed0000000".to_owned(),
            application_id: "field-sensors".to_owned(),
            ..api::Device::default()
        }
    }

    #[test]
    fn builds_the_network_device_from_profile_and_device() {
        let network = network_device(&device(), &profile()).unwrap().unwrap();
        assert_eq!(network.mac_version(), pb::MacVersion::MacVersion103);
        assert_eq!(network.class(), pb::DeviceClass::C);
        assert_eq!(network.rx2_frequency_hz, Some(869_525_000));
        assert_eq!(
            network.activation,
            Some(pb::network_device::Activation::Otaa(pb::OtaaActivation {
                join_eui: 0x70b3_d57e_d000_0000
            }))
        );
        let abp = api::DeviceProfile {
            activation: api::Activation::Abp.into(),
            ..profile()
        };
        assert_eq!(network_device(&device(), &abp).unwrap(), None);
    }

    #[test]
    fn builds_the_application_device_with_its_formatter_name() {
        let application = application_device(&device(), &profile());
        assert_eq!(application.formatter_kind, "cayenne_lpp");
        assert_eq!(application.device_id, "0004a30b001c0530");
        assert_eq!(application.name, "0004a30b001c0530");
    }

    #[test]
    fn no_answer_reads_as_unavailable_and_names_the_service() {
        let error = provision_error(Target::Network, Failure::NoAnswer, Change::Created);
        let status = crate::error::status(&error);
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(
            status.message(),
            "network service did not answer; the device was not created"
        );
    }
}
