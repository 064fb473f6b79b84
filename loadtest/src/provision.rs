//! Provisioning through the public gRPC API: the tenant, the application, one device profile
//! per MAC version, class and activation, the gateways, the OTAA devices with their root keys
//! and the ABP devices, which [`Api::activate`] later gives this run's session.
//!
//! Every step is idempotent, so a repeated run reuses what an earlier one created: entities
//! are looked up by id (the tenant and application carry the fleet name, profiles a name
//! derived from it, devices and gateways EUIs derived from the name and seed). An existing
//! device gets its keys deleted and set again, which also clears the join server's DevNonce
//! history, so a device whose DevNonce counts from 0 can join again.
//!
//! Devices are created concurrently, at most [`CONCURRENCY`] at a time.

use std::collections::BTreeSet;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::downlink_service_client::DownlinkServiceClient;
use tern_api::v1::gateway_service_client::GatewayServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_sim::{DeviceClass, MacVersion};
use tonic::Code;
use tonic::transport::Channel;

use crate::config::mac_version_name;
use crate::fleet::DevicePlan;
use crate::progress::Progress;

/// Most API calls in flight while provisioning devices or pushing downlinks.
pub const CONCURRENCY: usize = 32;

/// A client of the public API that adds the bearer key to each request.
#[derive(Clone)]
pub(crate) struct Api {
    channel: Channel,
    bearer: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

impl Api {
    /// Connects to `url`.
    pub(crate) async fn connect(url: &str, api_key: &str) -> anyhow::Result<Api> {
        let endpoint = Channel::from_shared(url.to_owned())
            .with_context(|| format!("invalid api url {url:?}"))?;
        let channel = endpoint
            .connect()
            .await
            .with_context(|| format!("connect to the api at {url}"))?;
        let bearer = format!("Bearer {api_key}")
            .parse()
            .context("the api key holds characters gRPC metadata cannot carry")?;
        Ok(Api { channel, bearer })
    }

    /// Wraps `message` with the key.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", self.bearer.clone());
        request
    }

    fn tenants(&self) -> TenantServiceClient<Channel> {
        TenantServiceClient::new(self.channel.clone())
    }

    fn applications(&self) -> ApplicationServiceClient<Channel> {
        ApplicationServiceClient::new(self.channel.clone())
    }

    fn profiles(&self) -> DeviceProfileServiceClient<Channel> {
        DeviceProfileServiceClient::new(self.channel.clone())
    }

    fn devices(&self) -> DeviceServiceClient<Channel> {
        DeviceServiceClient::new(self.channel.clone())
    }

    fn gateways(&self) -> GatewayServiceClient<Channel> {
        GatewayServiceClient::new(self.channel.clone())
    }

    /// Activates an ABP device with `dev_addr` and `keys`; a LoRaWAN 1.1 device gets its three
    /// network keys, an older one its NwkSKey.
    pub(crate) async fn activate(
        &self,
        dev_eui: u64,
        lorawan_1_1: bool,
        dev_addr: lorawan_codec::DevAddr,
        keys: &tern_sim::SessionKeys,
    ) -> anyhow::Result<()> {
        let key = |key: &lorawan_codec::Aes128Key| hex::encode(key.to_bytes());
        let dev_eui = format!("{dev_eui:016x}");
        let mut request = api::ActivateDeviceRequest {
            dev_eui: dev_eui.clone(),
            dev_addr: format!("{:08x}", dev_addr.to_u32()),
            app_s_key: key(&keys.app_s_key),
            ..api::ActivateDeviceRequest::default()
        };
        if lorawan_1_1 {
            request.f_nwk_s_int_key = key(&keys.f_nwk_s_int_key);
            request.s_nwk_s_int_key = key(&keys.s_nwk_s_int_key);
            request.nwk_s_enc_key = key(&keys.nwk_s_enc_key);
        } else {
            request.nwk_s_key = key(&keys.f_nwk_s_int_key);
        }
        self.devices()
            .activate(self.request(request))
            .await
            .map_err(status_error)
            .with_context(|| format!("activate ABP device {dev_eui}"))?;
        Ok(())
    }

    /// Queues a downlink; retries while the application service does not know the device's
    /// session yet (the join event may still be on its way there).
    pub(crate) async fn push_downlink(
        &self,
        application_id: &str,
        dev_eui: u64,
        f_port: u32,
        payload: Vec<u8>,
        confirmed: bool,
    ) -> anyhow::Result<String> {
        let mut client = DownlinkServiceClient::new(self.channel.clone());
        let dev_eui = format!("{dev_eui:016x}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = api::PushDownlinkRequest {
                application_id: application_id.to_owned(),
                dev_eui: dev_eui.clone(),
                downlink: Some(api::Downlink {
                    f_port,
                    frm_payload: payload.clone(),
                    confirmed,
                    ..api::Downlink::default()
                }),
            };
            match client.push(self.request(request)).await {
                Ok(response) => return Ok(response.into_inner().id),
                Err(status)
                    if attempt < 20
                        && matches!(
                            status.code(),
                            Code::FailedPrecondition | Code::Unavailable
                        ) =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(status) => {
                    return Err(status_error(status))
                        .with_context(|| format!("push a downlink to device {dev_eui}"));
                }
            }
        }
    }
}

/// Turns a gRPC status into an error naming the code and the server's message.
pub(crate) fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

/// What the fleet needs in the registry.
pub(crate) struct Registry<'a> {
    /// Tenant and application id.
    pub name: &'a str,
    /// Band name.
    pub band: &'a str,
    /// RX2 frequency of the band, for the profiles.
    pub rx2_frequency_hz: u32,
    /// RX2 data rate of the band.
    pub rx2_dr: u8,
    /// JoinEUI of every device.
    pub join_eui: u64,
    /// Gateway EUIs.
    pub gateways: Vec<u64>,
    /// Devices.
    pub devices: &'a [DevicePlan],
}

/// What provisioning found or created.
#[derive(Debug, Default, Clone, Copy)]
pub struct Provisioned {
    /// Devices created by this run.
    pub devices_created: usize,
}

/// Returns the id of the profile of a MAC version, class and activation.
pub(crate) fn profile_id(name: &str, plan: &DevicePlan) -> String {
    let version = mac_version_name(plan.mac_version).replace('.', "-");
    let class = match plan.class {
        DeviceClass::A => "a",
        DeviceClass::C => "c",
    };
    let activation = if plan.abp { "-abp" } else { "" };
    format!("{name}-{version}-{class}{activation}")
}

/// Creates or finds everything the fleet needs.
pub(crate) async fn provision(
    api: &Api,
    registry: &Registry<'_>,
    progress: &Progress,
) -> anyhow::Result<Provisioned> {
    ensure_tenant(api, registry.name).await?;
    ensure_application(api, registry.name).await?;
    let mut created_profiles = BTreeSet::new();
    for plan in registry.devices {
        let id = profile_id(registry.name, plan);
        if created_profiles.insert(id.clone()) {
            ensure_profile(api, registry, &id, plan).await?;
        }
    }
    for eui in &registry.gateways {
        ensure_gateway(api, registry, *eui).await?;
    }
    let bar = progress.bar(registry.devices.len() as u64, "provisioning devices");
    let results: Vec<bool> = futures::stream::iter(registry.devices.iter())
        .map(|plan| {
            let bar = bar.clone();
            async move {
                let created = ensure_device(api, registry, plan).await?;
                bar.inc(1);
                anyhow::Ok(created)
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    bar.finish_and_clear();
    let devices_created = results.iter().filter(|created| **created).count();
    Ok(Provisioned { devices_created })
}

async fn ensure_tenant(api: &Api, id: &str) -> anyhow::Result<()> {
    let found = api
        .tenants()
        .get(api.request(api::GetTenantRequest { id: id.to_owned() }))
        .await;
    match found {
        Ok(_) => return Ok(()),
        Err(status) if status.code() == Code::NotFound => {}
        Err(status) => {
            return Err(status_error(status)).with_context(|| format!("get tenant {id}"));
        }
    }
    let created = api
        .tenants()
        .create(api.request(api::CreateTenantRequest {
            tenant: Some(api::Tenant {
                id: id.to_owned(),
                name: format!("load test {id}"),
                ..api::Tenant::default()
            }),
        }))
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => Err(status_error(status)).with_context(|| format!("create tenant {id}")),
    }
}

async fn ensure_application(api: &Api, id: &str) -> anyhow::Result<()> {
    let created = api
        .applications()
        .create(api.request(api::CreateApplicationRequest {
            application: Some(api::Application {
                id: id.to_owned(),
                tenant_id: id.to_owned(),
                name: format!("load test {id}"),
                ..api::Application::default()
            }),
        }))
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => {
            Err(status_error(status)).with_context(|| format!("create application {id}"))
        }
    }
}

async fn ensure_profile(
    api: &Api,
    registry: &Registry<'_>,
    id: &str,
    plan: &DevicePlan,
) -> anyhow::Result<()> {
    let (version, class) = (plan.mac_version, plan.class);
    let activation = if plan.abp {
        api::Activation::Abp
    } else {
        api::Activation::Otaa
    };
    let profile = api::DeviceProfile {
        id: id.to_owned(),
        tenant_id: registry.name.to_owned(),
        name: format!("load test {} class {class:?}", mac_version_name(version)),
        band: registry.band.to_owned(),
        mac_version: mac_version_name(version).to_owned(),
        regional_parameters_revision: "RP002-1.0.4".to_owned(),
        supports_class_c: class == DeviceClass::C,
        activation: activation.into(),
        rx1_delay_s: 1,
        rx2_dr: u32::from(registry.rx2_dr),
        rx2_frequency_hz: u64::from(registry.rx2_frequency_hz),
        adr_enabled: true,
        max_eirp_dbm: 16.0,
        ..api::DeviceProfile::default()
    };
    let created = api
        .profiles()
        .create(api.request(api::CreateDeviceProfileRequest {
            device_profile: Some(profile),
        }))
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => {
            Err(status_error(status)).with_context(|| format!("create device profile {id}"))
        }
    }
}

async fn ensure_gateway(api: &Api, registry: &Registry<'_>, eui: u64) -> anyhow::Result<()> {
    let created = api
        .gateways()
        .create(api.request(api::CreateGatewayRequest {
            gateway: Some(api::Gateway {
                gateway_eui: format!("{eui:016x}"),
                tenant_id: registry.name.to_owned(),
                name: format!("virtual gateway {eui:016x}"),
                band: registry.band.to_owned(),
                ..api::Gateway::default()
            }),
        }))
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) => {
            Err(status_error(status)).with_context(|| format!("create gateway {eui:016x}"))
        }
    }
}

/// Creates the device (or brings an existing one to the planned profile) and sets its keys;
/// tells whether it was created.
async fn ensure_device(
    api: &Api,
    registry: &Registry<'_>,
    plan: &DevicePlan,
) -> anyhow::Result<bool> {
    let dev_eui = format!("{:016x}", plan.dev_eui.to_u64());
    let device = api::Device {
        dev_eui: dev_eui.clone(),
        application_id: registry.name.to_owned(),
        join_eui: format!("{:016x}", registry.join_eui),
        name: format!("virtual device {}", plan.index),
        device_profile_id: profile_id(registry.name, plan),
        ..api::Device::default()
    };
    let mut devices = api.devices();
    let created = match devices
        .create(api.request(api::CreateDeviceRequest {
            device: Some(device.clone()),
        }))
        .await
    {
        Ok(_) => true,
        Err(status) if status.code() == Code::AlreadyExists => {
            let existing = devices
                .get(api.request(api::GetDeviceRequest {
                    dev_eui: dev_eui.clone(),
                }))
                .await
                .map_err(status_error)
                .with_context(|| format!("get device {dev_eui}"))?
                .into_inner();
            if existing.application_id != device.application_id {
                anyhow::bail!(
                    "device {dev_eui} exists in application {:?}, not {:?}; choose another \
                     --name or --seed",
                    existing.application_id,
                    device.application_id
                );
            }
            if existing.device_profile_id != device.device_profile_id
                || existing.join_eui != device.join_eui
            {
                devices
                    .update(api.request(api::UpdateDeviceRequest {
                        device: Some(device.clone()),
                    }))
                    .await
                    .map_err(status_error)
                    .with_context(|| format!("update device {dev_eui}"))?;
            }
            if plan.abp {
                return Ok(false);
            }
            // Deleting the keys clears the DevNonce history of the join server, so the
            // device's DevNonces, which start again from the seed, are accepted.
            match devices
                .delete_keys(api.request(api::DeleteDeviceKeysRequest {
                    dev_eui: dev_eui.clone(),
                }))
                .await
            {
                Ok(_) => {}
                Err(status) if status.code() == Code::NotFound => {}
                Err(status) => {
                    return Err(status_error(status))
                        .with_context(|| format!("delete the keys of device {dev_eui}"));
                }
            }
            false
        }
        Err(status) => {
            return Err(status_error(status)).with_context(|| format!("create device {dev_eui}"));
        }
    };
    if plan.abp {
        return Ok(created);
    }
    let nwk_key = if plan.mac_version == MacVersion::V1_1 {
        hex::encode(plan.root_keys.nwk_key.to_bytes())
    } else {
        String::new()
    };
    devices
        .set_keys(api.request(api::SetDeviceKeysRequest {
            dev_eui: dev_eui.clone(),
            app_key: hex::encode(plan.root_keys.app_key.to_bytes()),
            nwk_key,
        }))
        .await
        .map_err(status_error)
        .with_context(|| format!("set the keys of device {dev_eui}"))?;
    Ok(created)
}
