//! Leader election among the replicas of the network service, for the loops that must run
//! once per deployment (the sweep for silent gateways).
//!
//! [`LeaderElection`] is one attempt to take or keep leadership; [`campaign`] repeats it
//! every third of the lease and reports the outcome through a `watch` channel. Two elections
//! exist: a Redis lock ([`RedisLock`]) and, with the `kube` feature, a Kubernetes
//! `coordination.k8s.io/v1` Lease ([`KubeLease`]). Which one runs is the binary's choice
//! ([`LeaderChoice`]), because only it may look at the environment.
//!
//! Leadership is advisory: a replica that stalls past its lease may briefly overlap with its
//! successor, so the work it guards must stay correct when run twice (the sweep's Redis
//! script marks each gateway offline once).

#[cfg(feature = "kube")]
mod kube;
mod redis;

use std::future::Future;
use std::time::Duration;

use tern_telemetry::Shutdown;
use tokio::sync::watch;
use tokio::time::{MissedTickBehavior, interval, timeout};
use tracing::{info, warn};

#[cfg(feature = "kube")]
pub use self::kube::{KubeLease, KubeLeaseTarget, LeaseAction, plan_lease};
pub use self::redis::RedisLock;
use crate::metrics::GatewayMetrics;

/// Name of the role the gateway sweep is elected for: the Redis lock's key and the
/// Kubernetes Lease's name.
pub const GATEWAY_SWEEP_ROLE: &str = "tern-network-gateway-sweep";

/// Errors of one election attempt.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Redis command failed.
    #[error("redis leader lock")]
    Redis(#[from] fred::error::Error),
    /// The Kubernetes API failed.
    #[cfg(feature = "kube")]
    #[error("kubernetes lease")]
    Kube(#[from] ::kube::Error),
}

/// Result of an election attempt.
pub type Result<T> = std::result::Result<T, Error>;

/// Which election the replica takes part in, chosen by the binary from
/// `network.leader_election`.
#[derive(Clone)]
pub enum LeaderChoice {
    /// A lock in Redis under the service's key prefix, held by a random id per replica.
    Redis,
    /// A Kubernetes Lease.
    #[cfg(feature = "kube")]
    Kube(KubeLeaseTarget),
}

impl std::fmt::Debug for LeaderChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaderChoice::Redis => f.write_str("Redis"),
            #[cfg(feature = "kube")]
            LeaderChoice::Kube(target) => f.debug_tuple("Kube").field(target).finish(),
        }
    }
}

/// One way of electing a leader: each call takes leadership when it is free or expired, or
/// renews it when this replica holds it.
pub trait LeaderElection: Send + Sync {
    /// Takes or renews leadership for the lease duration; tells whether this replica leads.
    fn acquire_or_renew(&self) -> impl Future<Output = Result<bool>> + Send;
    /// Gives leadership up when this replica holds it, so a successor need not wait for the
    /// lease to expire.
    fn release(&self) -> impl Future<Output = Result<()>> + Send;
}

/// Runs `election` every third of `lease_duration` until `shutdown`, publishing whether this
/// replica leads on `leading`, then releases leadership.
///
/// A failed or late renewal counts as lost leadership at once: `leading` turns false before
/// the lease runs out, so the old leader stops before a successor can start.
pub async fn campaign<E: LeaderElection>(
    election: E,
    lease_duration: Duration,
    leading: watch::Sender<bool>,
    metrics: Option<GatewayMetrics>,
    shutdown: Shutdown,
) {
    let period = (lease_duration / 3).max(Duration::from_millis(10));
    let mut ticks = interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.wait() => break,
            _ = ticks.tick() => {}
        }
        let now_leading = match timeout(period, election.acquire_or_renew()).await {
            Ok(Ok(now_leading)) => now_leading,
            Ok(Err(error)) => {
                warn!(error = %error, "leader election attempt");
                false
            }
            Err(_) => {
                warn!(timeout = ?period, "leader election attempt timed out");
                false
            }
        };
        let was_leading = leading.send_replace(now_leading);
        if now_leading != was_leading {
            info!(leading = now_leading, "leadership changed");
        }
        if let Some(metrics) = &metrics {
            metrics.set_leader(now_leading);
        }
    }
    if leading.send_replace(false) {
        if let Some(metrics) = &metrics {
            metrics.set_leader(false);
        }
        match timeout(period, election.release()).await {
            Ok(Ok(())) => info!("leadership released"),
            Ok(Err(error)) => warn!(error = %error, "release leadership"),
            Err(_) => warn!("release leadership timed out"),
        }
    }
}
