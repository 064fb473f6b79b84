//! Start-up shared by every mode: check the settings, provision the fleet through the API,
//! subscribe to the events, bind the virtual gateways and open their downlink routes; then
//! joining the devices and queueing downlinks through the API.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use futures::{StreamExt, TryStreamExt};
use lorawan_region::Band;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::config::{FleetConfig, Target};
use crate::engine::{DOWNLINK_F_PORT, Engine, Notice};
use crate::events::Events;
use crate::fleet::{self, Fleet};
use crate::gateway::{self, VirtualGateway};
use crate::ids::{FleetIds, mix};
use crate::progress::Progress;
use crate::provision::{self, Api, Provisioned, Registry};
use crate::tracker::Tracker;

/// How long a gateway waits for the edge's first PULL_ACK.
const PULL_ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// First DevAddr of ABP devices; the device index fills the low 24 bits.
const ABP_DEV_ADDR_BASE: u32 = 0x2600_0000;
/// Margin after the last receive window before a join attempt counts as failed.
const JOIN_MARGIN: Duration = Duration::from_secs(1);

/// A started fleet: the engine and the tasks that keep it running (aborted on drop).
pub(crate) struct Harness {
    /// The engine.
    pub engine: Arc<Engine>,
    /// The API client.
    pub api: Api,
    /// What provisioning did.
    pub provisioned: Provisioned,
    /// Tag of this run's payloads.
    pub tag: u32,
    tasks: JoinSet<()>,
}

/// Checks the settings shared by every mode.
pub(crate) fn check(target: &Target, fleet: &FleetConfig) -> anyhow::Result<Band> {
    ensure!(fleet.devices > 0, "--devices must be at least 1");
    ensure!(fleet.gateways > 0, "--gateways must be at least 1");
    ensure!(
        (1..=fleet.gateways).contains(&fleet.gateways_per_uplink),
        "--gateways-per-uplink must be between 1 and --gateways ({})",
        fleet.gateways
    );
    // The device index fills the low 32 bits of the DevEUI.
    ensure!(
        u32::try_from(fleet.devices).is_ok(),
        "--devices is too large"
    );
    ensure!(
        (0.0..=1.0).contains(&fleet.class_c_share),
        "--class-c-share must be between 0 and 1"
    );
    ensure!(
        (0.0..=1.0).contains(&fleet.abp_share),
        "--abp-share must be between 0 and 1"
    );
    ensure!(
        (0.0..=1.0).contains(&fleet.confirmed_share),
        "--confirmed-share must be between 0 and 1"
    );
    ensure!(
        fleet.join_rate.is_finite() && fleet.join_rate > 0.0,
        "--join-rate must be positive"
    );
    ensure!(!fleet.mac_versions.is_empty(), "--mac needs a version");
    ensure!(!target.udp.is_empty(), "--udp needs an address");
    let Ok(band) = Band::by_name(&target.band) else {
        bail!(
            "unknown band {:?}; known: {}",
            target.band,
            Band::names().join(", ")
        );
    };
    Ok(band)
}

impl Harness {
    /// Provisions and starts the fleet with room for `capacity` uplinks.
    pub(crate) async fn start(
        target: &Target,
        fleet_config: &FleetConfig,
        capacity: usize,
        progress: Progress,
        notices: Option<mpsc::UnboundedSender<Notice>>,
    ) -> anyhow::Result<Harness> {
        let band = check(target, fleet_config)?;
        let ids = FleetIds::new(&target.name, fleet_config.seed);
        let plans = fleet::plan(&ids, fleet_config);
        let api = Api::connect(&target.api_url, &target.api_key).await?;
        let rx2 = band.rx2_params();
        let gateway_euis: Vec<u64> = (0..fleet_config.gateways)
            .map(|index| ids.gateway_eui(index))
            .collect();
        let registry = Registry {
            name: &target.name,
            band: band.name(),
            rx2_frequency_hz: rx2.frequency_hz,
            rx2_dr: rx2.data_rate,
            join_eui: ids.join_eui().to_u64(),
            gateways: gateway_euis.clone(),
            devices: &plans,
        };
        let provisioned = provision::provision(&api, &registry, &progress)
            .await
            .context("provision the fleet through the api")?;

        let events = Events::subscribe(&target.nats_url, &target.subject_root, &target.name)
            .await
            .context("subscribe to the application events")?;

        let start = Instant::now();
        let mut gateways = Vec::with_capacity(gateway_euis.len());
        for (index, eui) in gateway_euis.iter().enumerate() {
            let server = target.udp[index % target.udp.len()];
            gateways.push(Arc::new(
                VirtualGateway::bind(index, *eui, server, start).await?,
            ));
        }
        // The tag tells this run's payloads from an earlier run's on the same application.
        let clock = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64);
        let tag =
            (mix(&[fleet_config.seed, clock, u64::from(std::process::id())]) & 0x00ff_ffff) as u32;
        let engine = Arc::new(Engine::new(
            start,
            band.clone(),
            Fleet::new(plans, &band),
            gateways.clone(),
            fleet_config.gateways_per_uplink,
            fleet_config.confirmed_share,
            Tracker::new(capacity, tag),
            tag,
            fleet_config.seed,
            notices,
        ));
        activate_abp(&api, &engine, &ids, tag, &progress).await?;
        let mut tasks = JoinSet::new();
        tasks.spawn(events.handle(Arc::clone(&engine)));
        for gateway in &gateways {
            tasks.spawn(gateway::receive(Arc::clone(gateway), Arc::clone(&engine)));
            tasks.spawn(gateway::keepalive(Arc::clone(gateway)));
        }
        for gateway in &gateways {
            if !gateway.wait_pull_ack(PULL_ACK_TIMEOUT).await {
                bail!(
                    "gateway {} got no PULL_ACK from the edge at {} within {:?}; is the \
                     gateway service listening there?",
                    gateway.eui,
                    target.udp[gateway.index % target.udp.len()],
                    PULL_ACK_TIMEOUT
                );
            }
        }
        Ok(Harness {
            engine,
            api,
            provisioned,
            tag,
            tasks,
        })
    }

    /// How long a join attempt waits for its join-accept: until the second join window has
    /// passed, plus a margin.
    pub(crate) fn join_wait(&self) -> Duration {
        self.engine.band.timing().join_accept_delay2 + JOIN_MARGIN
    }

    /// Joins every OTAA device, starting at most `rate` joins per second; returns the number
    /// joined and the number that gave up.
    pub(crate) async fn join_all(
        &self,
        rate: f64,
        attempts: u32,
        progress: &Progress,
    ) -> (u64, u64) {
        let otaa: Vec<usize> = (self.engine.fleet.devices.iter())
            .filter(|slot| !slot.plan.abp)
            .map(|slot| slot.plan.index)
            .collect();
        let bar = progress.bar(otaa.len() as u64, "joining");
        let wait = self.join_wait();
        let start = tokio::time::Instant::now();
        let mut joins = JoinSet::new();
        let mut joined = 0;
        let mut failed = 0;
        for (n, index) in otaa.into_iter().enumerate() {
            let due = start + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due).await;
            let engine = Arc::clone(&self.engine);
            joins.spawn(async move { engine.join(index, attempts, wait).await });
            while let Some(done) = joins.try_join_next() {
                tally(done, &mut joined, &mut failed, &bar);
            }
        }
        while let Some(done) = joins.join_next().await {
            tally(done, &mut joined, &mut failed, &bar);
        }
        bar.finish_and_clear();
        (joined, failed)
    }

    /// Queues `per_device` downlinks for every joined device through the API; returns how
    /// many were queued.
    pub(crate) async fn push_downlinks(
        &self,
        application_id: &str,
        per_device: u32,
        progress: &Progress,
    ) -> anyhow::Result<u64> {
        if per_device == 0 {
            return Ok(0);
        }
        let per_device =
            u8::try_from(per_device).context("--downlinks-per-device is at most 255")?;
        let joined = self.engine.fleet.joined();
        let bar = progress.bar(
            joined.len() as u64 * u64::from(per_device),
            "queueing downlinks",
        );
        let pushes: Vec<(usize, u8)> = joined
            .iter()
            .flat_map(|index| (0..per_device).map(move |n| (*index, n)))
            .collect();
        let pushed: Vec<()> = futures::stream::iter(pushes)
            .map(|(index, n)| {
                let bar = bar.clone();
                let engine = Arc::clone(&self.engine);
                let api = self.api.clone();
                async move {
                    let slot = engine
                        .fleet
                        .devices
                        .get(index)
                        .context("device index out of range")?;
                    // Counted first: a class C device may receive it before the call returns.
                    slot.downlinks_expected.fetch_add(1, Ordering::Relaxed);
                    api.push_downlink(
                        application_id,
                        slot.plan.dev_eui.to_u64(),
                        u32::from(DOWNLINK_F_PORT),
                        engine.downlink_payload(index, n),
                        false,
                    )
                    .await?;
                    bar.inc(1);
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(provision::CONCURRENCY)
            .try_collect()
            .await?;
        bar.finish_and_clear();
        Ok(pushed.len() as u64)
    }

    /// Stops the background tasks.
    pub(crate) fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

/// Gives every ABP device of the fleet a session made for this run (`tag`): a DevAddr from its
/// index and keys no earlier run used, so the network service starts its frame counters
/// afresh, sent through `DeviceService.Activate` and then set in the virtual device.
async fn activate_abp(
    api: &Api,
    engine: &Engine,
    ids: &FleetIds,
    tag: u32,
    progress: &Progress,
) -> anyhow::Result<()> {
    let abp: Vec<&fleet::DeviceSlot> = engine
        .fleet
        .devices
        .iter()
        .filter(|slot| slot.plan.abp)
        .collect();
    if abp.is_empty() {
        return Ok(());
    }
    let bar = progress.bar(abp.len() as u64, "activating ABP devices");
    futures::stream::iter(abp)
        .map(|slot| {
            let bar = bar.clone();
            async move {
                let index = slot.plan.index;
                let run_key = |n: u64| ids.root_key(index, (u64::from(tag) << 8) | n);
                let keys = tern_sim::SessionKeys {
                    f_nwk_s_int_key: run_key(2),
                    s_nwk_s_int_key: run_key(3),
                    nwk_s_enc_key: run_key(4),
                    app_s_key: run_key(5),
                };
                let lorawan_1_1 = slot.plan.mac_version == tern_sim::MacVersion::V1_1;
                let keys = if lorawan_1_1 {
                    keys
                } else {
                    // LoRaWAN 1.0 has one network session key for all three roles.
                    tern_sim::SessionKeys::v1_0(keys.f_nwk_s_int_key, keys.app_s_key)
                };
                let dev_addr = lorawan_codec::DevAddr::from_u32(
                    ABP_DEV_ADDR_BASE | (index as u32 & 0x00ff_ffff),
                );
                api.activate(slot.plan.dev_eui.to_u64(), lorawan_1_1, dev_addr, &keys)
                    .await?;
                engine
                    .fleet
                    .activate_abp(index, &engine.band, dev_addr, keys);
                bar.inc(1);
                anyhow::Ok(())
            }
        })
        .buffer_unordered(provision::CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    bar.finish_and_clear();
    Ok(())
}

fn tally(
    done: Result<bool, tokio::task::JoinError>,
    joined: &mut u64,
    failed: &mut u64,
    bar: &indicatif::ProgressBar,
) {
    if matches!(done, Ok(true)) {
        *joined += 1;
    } else {
        *failed += 1;
    }
    bar.inc(1);
}
