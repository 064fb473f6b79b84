//! Gateway status: consumes `gw.*.stats` (queue group `network`), keeps each gateway's
//! latest stats and last-seen time in Redis, and publishes `gw.{eui}.status` when a gateway
//! starts talking (any replica, on the stats message) or stops (the elected leader's sweep).
//! It also answers `ns.gateway_status` (queue group `network`) with what Redis holds, so an
//! identity replica started after a gateway's last report can still tell its status.
//!
//! Not here: the gateway registry (unknown gateways are tracked like known ones) and any
//! use of the stats for downlink decisions.

mod store;

use std::time::Duration;

use futures::{FutureExt, StreamExt};
use tern_bus::{Bus, Subscription};
use tern_proto::internal::v1 as pb;
use tern_telemetry::Shutdown;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{MissedTickBehavior, interval};
use tracing::{debug, info, warn};

pub(crate) use self::store::GatewayStore;
use self::store::Transition;
use crate::keys::RedisKeys;
use crate::leader::{self, LeaderChoice, LeaderElection, RedisLock};
use crate::metrics::GatewayMetrics;

/// Most silent gateways one sweep script handles; a sweep repeats it while more remain.
const SWEEP_BATCH: usize = 256;
/// Most batches of one sweep, so a huge backlog cannot hold the loop for long.
const SWEEP_MAX_BATCHES: usize = 64;

/// What the gateway status task needs.
#[derive(Debug)]
pub(crate) struct GatewayStatus {
    /// Bus for `gw.{eui}.status`.
    pub(crate) bus: Bus,
    /// Status in Redis.
    pub(crate) store: GatewayStore,
    /// The gateway metrics.
    pub(crate) metrics: GatewayMetrics,
    /// `network.gateway_offline_after`.
    pub(crate) offline_after: Duration,
    /// `network.gateway_sweep_interval`.
    pub(crate) sweep_interval: Duration,
    /// `network.leader_lease_duration`.
    pub(crate) lease_duration: Duration,
}

/// Starts [`run`] with the election `choice` names, as a task that ends on `shutdown`.
pub(crate) fn spawn(
    gateway_status: GatewayStatus,
    stats: Subscription<pb::GatewayStats>,
    requests: Subscription<pb::GatewayStatusRequest>,
    choice: LeaderChoice,
    redis: fred::clients::Pool,
    keys: &RedisKeys,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    let lease_duration = gateway_status.lease_duration;
    match choice {
        LeaderChoice::Redis => {
            let lock = RedisLock::new(
                redis,
                keys.leader(leader::GATEWAY_SWEEP_ROLE),
                lease_duration,
            );
            info!(
                holder_id = lock.holder_id(),
                "leader election through a redis lock"
            );
            tokio::spawn(run(gateway_status, stats, requests, lock, shutdown))
        }
        #[cfg(feature = "kube")]
        LeaderChoice::Kube(target) => {
            info!(
                namespace = %target.namespace,
                identity = %target.identity,
                "leader election through a kubernetes lease"
            );
            let lease = leader::KubeLease::new(target, leader::GATEWAY_SWEEP_ROLE, lease_duration);
            tokio::spawn(run(gateway_status, stats, requests, lease, shutdown))
        }
    }
}

/// Runs stats handling, status questions, the leader election and the leader's sweep until
/// `shutdown`, then drains the subscriptions and releases leadership.
pub(crate) async fn run<E: LeaderElection>(
    gateway_status: GatewayStatus,
    stats: Subscription<pb::GatewayStats>,
    requests: Subscription<pb::GatewayStatusRequest>,
    election: E,
    shutdown: Shutdown,
) {
    let (leading_tx, leading_rx) = watch::channel(false);
    let campaign = leader::campaign(
        election,
        gateway_status.lease_duration,
        leading_tx,
        Some(gateway_status.metrics.clone()),
        shutdown.clone(),
    );
    tokio::join!(
        campaign,
        consume_stats(&gateway_status, stats, shutdown.clone()),
        answer_requests(&gateway_status.store, requests, shutdown.clone()),
        sweep_while_leading(&gateway_status, leading_rx, shutdown),
    );
    info!("gateway status stopped");
}

/// Handles stats messages one at a time (so one gateway's reports stay in order) until the
/// subscription ends; drains it on shutdown.
async fn consume_stats(
    gateway_status: &GatewayStatus,
    mut stats: Subscription<pb::GatewayStats>,
    shutdown: Shutdown,
) {
    let mut draining = false;
    loop {
        let delivery = tokio::select! {
            biased;
            () = shutdown.wait(), if !draining => {
                draining = true;
                if let Err(error) = stats.drain().await {
                    warn!(error = %error, "drain gw stats subscription");
                    return;
                }
                continue;
            }
            delivery = stats.next() => delivery,
        };
        let Some(delivery) = delivery else {
            if !draining {
                warn!("gw stats subscription ended: the nats connection was closed");
            }
            return;
        };
        let message = delivery.into_message();
        match gateway_status.store.record(&message).await {
            Ok(transition) => {
                gateway_status.metrics.stats("ok");
                if let Some(transition) = transition {
                    publish(gateway_status, transition).await;
                }
            }
            Err(error) => {
                gateway_status.metrics.stats("error");
                warn!(error = %error, "record gateway stats");
            }
        }
    }
}

/// Answers `ns.gateway_status` questions from Redis until the subscription ends; drains it
/// on shutdown. One at a time: each answer is one Redis round trip, and the questions come
/// only from identity replicas that have not heard of a gateway yet.
async fn answer_requests(
    store: &GatewayStore,
    mut requests: Subscription<pb::GatewayStatusRequest>,
    shutdown: Shutdown,
) {
    let mut draining = false;
    loop {
        let delivery = tokio::select! {
            biased;
            () = shutdown.wait(), if !draining => {
                draining = true;
                if let Err(error) = requests.drain().await {
                    warn!(error = %error, "drain ns.gateway_status subscription");
                    return;
                }
                continue;
            }
            delivery = requests.next() => delivery,
        };
        let Some(delivery) = delivery else {
            if !draining {
                warn!("ns.gateway_status subscription ended: the nats connection was closed");
            }
            return;
        };
        let gateway_eui = delivery.message().gateway_eui;
        let answer = match store.status(gateway_eui).await {
            Ok(status) => pb::GatewayStatusAnswer {
                known: status.is_some(),
                status,
            },
            Err(error) => {
                // No answer: the asker times out and reports the status unknown, which is
                // what it would say without this subject.
                warn!(error = %error, "read gateway status");
                continue;
            }
        };
        if delivery.expects_reply()
            && let Err(error) = delivery.reply(&answer).await
        {
            warn!(error = %error, "reply to ns.gateway_status");
        }
    }
}

/// Sweeps every `sweep_interval` while this replica leads; stops as soon as leadership is
/// lost and starts again when it comes back.
async fn sweep_while_leading(
    gateway_status: &GatewayStatus,
    mut leading: watch::Receiver<bool>,
    shutdown: Shutdown,
) {
    let leading_now = leading.clone();
    loop {
        tokio::select! {
            biased;
            () = shutdown.wait() => return,
            open = leading.wait_for(|leading| *leading).map(|res| res.is_ok()) => if !open { return },
        }
        debug!("gateway sweep started");
        let mut ticks = interval(gateway_status.sweep_interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = shutdown.wait() => return,
                open = leading.wait_for(|leading| !*leading).map(|res| res.is_ok()) => {
                    if !open {
                        return;
                    }
                    break;
                }
                _ = ticks.tick() => sweep(gateway_status, &leading_now).await,
            }
        }
        // Only the leader reports the count, so a sum over replicas stays right.
        gateway_status.metrics.set_gateways_online(0);
        debug!("gateway sweep stopped: leadership lost");
    }
}

/// Marks silent gateways offline in batches, publishing each offline event, and refreshes
/// the online gauge. Checks leadership between batches.
async fn sweep(gateway_status: &GatewayStatus, leading: &watch::Receiver<bool>) {
    for _ in 0..SWEEP_MAX_BATCHES {
        if !*leading.borrow() {
            return;
        }
        match gateway_status
            .store
            .sweep(gateway_status.offline_after, SWEEP_BATCH)
            .await
        {
            Ok((transitions, more)) => {
                for transition in transitions {
                    publish(gateway_status, transition).await;
                }
                if !more {
                    break;
                }
            }
            Err(error) => {
                warn!(error = %error, "gateway sweep");
                return;
            }
        }
    }
    match gateway_status.store.count_online().await {
        Ok(n_gateways) => gateway_status.metrics.set_gateways_online(n_gateways),
        Err(error) => warn!(error = %error, "count online gateways"),
    }
}

/// Publishes one status event on `gw.{eui}.status`.
async fn publish(gateway_status: &GatewayStatus, transition: Transition) {
    let status = transition.status;
    let subject = gateway_status.bus.subjects().gw_status(status.gateway_eui);
    match gateway_status.bus.publish(&subject, &status).await {
        Ok(()) => {
            debug!(
                gateway_eui = %lorawan_codec::Eui64::from_u64(status.gateway_eui),
                online = status.online,
                sequence = status.sequence,
                "gateway status"
            );
            gateway_status.metrics.status_event(status.online);
        }
        Err(error) => warn!(error = %error, "publish gateway status"),
    }
}
