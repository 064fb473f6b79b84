//! The gateways one replica knows: admission (allow-list, size cap), rate limiting, the
//! downlink address from PULL_DATA, and the route (the `gw.{eui}.down` subscription) it holds.
//!
//! The table is plain data owned by the edge's one task: no locks, no clock (callers pass
//! `now`), no I/O. Releasing a route's subscription is the caller's job; the table only hands
//! the route back.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use semtech_udp::ProtocolVersion;
use tern_proto::internal::v1 as pb;
use tern_telemetry::Shutdown;

use crate::claim::GatewayClaim;
use crate::rate_limit::{RateLimit, TokenBucket};

/// Where and how to send a gateway its downlinks, learnt from its last PULL_DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PullState {
    /// Source address of the last PULL_DATA.
    pub(crate) addr: SocketAddr,
    /// Protocol version of the last PULL_DATA; PULL_RESP uses the same.
    pub(crate) version: ProtocolVersion,
    /// When the last PULL_DATA arrived.
    pub(crate) last_pull: Instant,
}

/// A `gw.{eui}.down` subscription this replica holds for a gateway.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// Tells this route's task from an earlier or later one for the same gateway.
    pub(crate) generation: u64,
    /// The claim this replica published for it.
    pub(crate) claim: GatewayClaim,
    /// Triggered to make the route's task drain its subscription and end.
    pub(crate) release: Shutdown,
}

/// What the replica knows about one gateway.
#[derive(Debug)]
pub(crate) struct Gateway {
    first_seen: Instant,
    last_seen: Instant,
    bucket: Option<TokenBucket>,
    /// Downlink address, once the gateway sent PULL_DATA.
    pub(crate) pull: Option<PullState>,
    route: Option<Route>,
    /// Last position the gateway reported in a `stat`.
    pub(crate) location: Option<pb::Location>,
    push_only_reported: bool,
    /// Whether the rate-limit warning was logged for this gateway.
    pub(crate) rate_limit_warned: bool,
}

impl Gateway {
    /// Takes one token from the gateway's bucket; always succeeds without a limit.
    pub(crate) fn try_take(&mut self, limit: Option<&RateLimit>, now: Instant) -> bool {
        match (limit, &mut self.bucket) {
            (Some(limit), Some(bucket)) => bucket.try_take(limit, now),
            _ => true,
        }
    }

    /// Returns the route this replica holds for the gateway.
    pub(crate) fn route(&self) -> Option<&Route> {
        self.route.as_ref()
    }
}

/// Why a datagram's gateway was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The allow-list does not name it.
    NotAllowed,
    /// The table holds `max_gateways` already.
    TableFull,
}

impl Refusal {
    /// Returns the metric label.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "not_allowed",
            Refusal::TableFull => "table_full",
        }
    }
}

/// What a sweep found.
#[derive(Debug, Default)]
pub(crate) struct Sweep {
    /// Routes dropped because PULL_DATA stopped; their subscriptions must be released.
    pub(crate) expired: Vec<(u64, Route)>,
    /// Gateways still sending after a whole timeout without any PULL_DATA (reported once).
    pub(crate) push_only: Vec<u64>,
    /// Gateways forgotten after a whole timeout of silence.
    pub(crate) forgotten: usize,
}

/// The gateways of one replica.
#[derive(Debug)]
pub(crate) struct GatewayTable {
    allowed: Option<HashSet<u64>>,
    max_gateways: usize,
    rate_limit: Option<RateLimit>,
    gateways: HashMap<u64, Gateway>,
    n_routes: usize,
}

impl GatewayTable {
    /// Creates an empty table; an empty allow-list allows every gateway.
    pub(crate) fn new(
        allowed: HashSet<u64>,
        max_gateways: usize,
        rate_limit: Option<RateLimit>,
    ) -> GatewayTable {
        GatewayTable {
            allowed: (!allowed.is_empty()).then_some(allowed),
            max_gateways,
            rate_limit,
            gateways: HashMap::new(),
            n_routes: 0,
        }
    }

    /// Returns the per-gateway rate limit, if any.
    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }

    /// Returns the gateway's entry, adding it if it is allowed and there is room, and records
    /// that it was seen now.
    pub(crate) fn admit(&mut self, eui: u64, now: Instant) -> Result<&mut Gateway, Refusal> {
        if self
            .allowed
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(&eui))
        {
            return Err(Refusal::NotAllowed);
        }
        let room = self.gateways.len() < self.max_gateways;
        let rate_limit = self.rate_limit;
        match self.gateways.entry(eui) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                let gateway = entry.into_mut();
                gateway.last_seen = now;
                Ok(gateway)
            }
            std::collections::hash_map::Entry::Vacant(_) if !room => Err(Refusal::TableFull),
            std::collections::hash_map::Entry::Vacant(entry) => Ok(entry.insert(Gateway {
                first_seen: now,
                last_seen: now,
                bucket: rate_limit.map(|limit| TokenBucket::new(&limit, now)),
                pull: None,
                route: None,
                location: None,
                push_only_reported: false,
                rate_limit_warned: false,
            })),
        }
    }

    /// Returns a known gateway.
    pub(crate) fn get(&self, eui: u64) -> Option<&Gateway> {
        self.gateways.get(&eui)
    }

    /// Returns a known gateway for update.
    pub(crate) fn get_mut(&mut self, eui: u64) -> Option<&mut Gateway> {
        self.gateways.get_mut(&eui)
    }

    /// Records that this replica now holds `route` for a known gateway; returns the route it
    /// replaces, which the caller must release.
    pub(crate) fn set_route(&mut self, eui: u64, route: Route) -> Option<Route> {
        let gateway = self.gateways.get_mut(&eui)?;
        let previous = gateway.route.replace(route);
        if previous.is_none() {
            self.n_routes += 1;
        }
        previous
    }

    /// Removes and returns the route held for a gateway, if `generation` matches or is `None`.
    pub(crate) fn take_route(&mut self, eui: u64, generation: Option<u64>) -> Option<Route> {
        let gateway = self.gateways.get_mut(&eui)?;
        let matches = gateway
            .route
            .as_ref()
            .is_some_and(|route| generation.is_none_or(|g| g == route.generation));
        if !matches {
            return None;
        }
        self.n_routes -= 1;
        gateway.route.take()
    }

    /// Returns how many routes this replica holds.
    pub(crate) fn n_routes(&self) -> usize {
        self.n_routes
    }

    /// Returns how many gateways the table holds.
    pub(crate) fn len(&self) -> usize {
        self.gateways.len()
    }

    /// Expires routes without PULL_DATA for `timeout`, reports gateways that never sent
    /// PULL_DATA within `timeout` of appearing, and forgets gateways silent for `timeout`.
    pub(crate) fn sweep(&mut self, now: Instant, timeout: Duration) -> Sweep {
        let mut sweep = Sweep::default();
        let older = |at: Instant| now.saturating_duration_since(at) >= timeout;
        for (eui, gateway) in &mut self.gateways {
            let pull_stale = gateway.pull.is_none_or(|pull| older(pull.last_pull));
            if pull_stale && let Some(route) = gateway.route.take() {
                self.n_routes -= 1;
                sweep.expired.push((*eui, route));
            }
            // A gateway about to be forgotten for silence is not worth a report.
            let push_only = gateway.pull.is_none()
                && !gateway.push_only_reported
                && older(gateway.first_seen)
                && !older(gateway.last_seen);
            if push_only {
                gateway.push_only_reported = true;
                sweep.push_only.push(*eui);
            }
        }
        let before = self.gateways.len();
        self.gateways
            .retain(|_, gateway| gateway.route.is_some() || !older(gateway.last_seen));
        sweep.forgotten = before - self.gateways.len();
        sweep
    }
}

#[cfg(test)]
mod tests;
