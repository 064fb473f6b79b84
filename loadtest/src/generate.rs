//! `generate`: how many uplinks per second this machine can build and send, with no server
//! listening. Devices get local ABP sessions (nothing is provisioned) and the gateways send
//! to a socket that is never read, so the kernel discards what overflows its buffer. The
//! sending path is the one `run` uses: device state, tracker, rxpk encoding, one UDP send per
//! gateway copy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use lorawan_codec::DevAddr;
use tern_sim::SessionKeys;

use crate::config::FleetConfig;
use crate::engine::Engine;
use crate::fleet::{self, Fleet};
use crate::gateway::VirtualGateway;
use crate::ids::FleetIds;
use crate::tracker::Tracker;

/// Most uplinks one measurement sends.
const CAPACITY: usize = 1 << 23;

/// The outcome of a generator measurement.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GenerateReport {
    /// Uplinks built and sent.
    pub uplinks: u64,
    /// UDP datagrams sent (uplinks times gateways per uplink).
    pub datagrams: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// Uplinks per second.
    pub uplinks_per_second: f64,
}

/// Builds an engine whose devices have local ABP sessions and whose gateways send to the
/// returned socket, which nobody reads.
pub(crate) async fn local_engine(
    fleet_config: &FleetConfig,
    capacity: usize,
) -> anyhow::Result<(Engine, tokio::net::UdpSocket)> {
    let band = lorawan_region::Band::by_name("eu868").context("eu868 band")?;
    let sink = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .context("bind the sink socket")?;
    let server = sink.local_addr().context("sink address")?;
    let ids = FleetIds::new("generate", fleet_config.seed);
    let plans = fleet::plan(&ids, fleet_config);
    let fleet = Fleet::new(plans, &band);
    for index in 0..fleet.devices.len() {
        let dev_addr = DevAddr::from_u32(0x2600_0000 | index as u32);
        let key = ids.root_key(index, 0);
        let keys = SessionKeys {
            f_nwk_s_int_key: key,
            s_nwk_s_int_key: key,
            nwk_s_enc_key: key,
            app_s_key: ids.root_key(index, 1),
        };
        fleet.activate_abp(index, &band, dev_addr, keys);
    }
    let start = Instant::now();
    let mut gateways = Vec::new();
    for index in 0..fleet_config.gateways {
        gateways.push(Arc::new(
            VirtualGateway::bind(index, ids.gateway_eui(index), server, start).await?,
        ));
    }
    let engine = Engine::new(
        start,
        band,
        fleet,
        gateways,
        fleet_config.gateways_per_uplink,
        fleet_config.confirmed_share,
        Tracker::new(capacity, 1),
        1,
        fleet_config.seed,
        None,
    );
    Ok((engine, sink))
}

/// Sends as fast as possible for `duration` from `fleet` (its MAC versions, gateways and
/// gateways per uplink apply) and measures the rate.
pub async fn generate(
    fleet_config: &FleetConfig,
    duration: Duration,
) -> anyhow::Result<GenerateReport> {
    anyhow::ensure!(
        fleet_config.devices > 0 && fleet_config.gateways > 0,
        "need devices and gateways"
    );
    let (engine, sink) = local_engine(fleet_config, CAPACITY).await?;
    let devices = engine.fleet.devices.len();
    let began = Instant::now();
    let mut uplinks = 0u64;
    while began.elapsed() < duration {
        let Some(seq) = engine.tracker.next_seq() else {
            break;
        };
        engine
            .send_uplink(seq as usize % devices, seq)
            .await
            .context("send an uplink")?;
        uplinks += 1;
        // Let the runtime's other tasks (none here but the timer) breathe now and then.
        if uplinks.is_multiple_of(1024) {
            tokio::task::yield_now().await;
        }
    }
    let seconds = began.elapsed().as_secs_f64();
    drop(sink);
    Ok(GenerateReport {
        uplinks,
        datagrams: uplinks * engine.per_uplink as u64,
        seconds,
        uplinks_per_second: uplinks as f64 / seconds.max(1e-9),
    })
}
