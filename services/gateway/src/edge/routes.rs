//! Downlink routes: PULL_DATA opens one (subscribe, then claim), a newer claim from another
//! replica or a PULL_DATA timeout closes it, and a periodic sweep forgets silent gateways.
//!
//! Closing a route only triggers its release; the route task drains its subscription and
//! hands over what NATS already delivered, which is still sent to the last known address.

use std::net::SocketAddr;
use std::time::Instant;

use semtech_udp::PullData;
use tern_bus::ParsedSubject;
use tokio::task::JoinError;
use tracing::{debug, warn};

use super::{ClaimDelivery, Edge, eui_display};
use crate::claim::{GatewayClaim, now_unix_ns};
use crate::route::{RouteExit, RouteTask};
use crate::table::{PullState, Route};

impl Edge {
    /// Records the gateway's downlink address and opens a route if this replica holds none.
    pub(super) fn on_pull_data(
        &mut self,
        pull_data: &PullData,
        eui: u64,
        addr: SocketAddr,
        now: Instant,
    ) {
        let Some(gateway) = self.table.get_mut(eui) else {
            return;
        };
        if let Some(previous) = gateway.pull
            && previous.addr != addr
        {
            debug!(gateway_eui = %eui_display(eui), from = %previous.addr, to = %addr, "gateway address changed");
        }
        gateway.pull = Some(PullState {
            addr,
            version: pull_data.version,
            last_pull: now,
        });
        if gateway.route().is_none() {
            self.open_route(eui);
        }
    }

    fn open_route(&mut self, eui: u64) {
        self.next_generation += 1;
        let generation = self.next_generation;
        let claim = GatewayClaim {
            replica_id: self.replica_id.clone(),
            claimed_at_unix_ns: now_unix_ns(),
        };
        let release = self.routes_root.child();
        let task = RouteTask {
            bus: self.bus.clone(),
            gateway_eui: eui,
            generation,
            claim: claim.clone(),
            release: release.clone(),
            downlinks: self.downlinks_tx.clone(),
        };
        self.routes.spawn(task.run());
        let route = Route {
            generation,
            claim,
            release,
        };
        if let Some(replaced) = self.table.set_route(eui, route) {
            replaced.release.trigger();
        }
        self.metrics.claim_event("claimed");
        self.metrics.set_gateways_connected(self.table.n_routes());
        debug!(gateway_eui = %eui_display(eui), generation, "gateway downlink route opened");
    }

    /// Forgets a route whose task ended by itself, so the next PULL_DATA opens a new one.
    pub(super) fn on_route_exit(&mut self, exit: Result<RouteExit, JoinError>) {
        let exit = match exit {
            Ok(exit) => exit,
            Err(error) => {
                // Route tasks do not panic; an abort only happens at the end of a drain.
                warn!(error = %error, "downlink route task failed");
                return;
            }
        };
        if exit.released {
            return;
        }
        if self
            .table
            .take_route(exit.gateway_eui, Some(exit.generation))
            .is_some()
        {
            self.metrics.set_gateways_connected(self.table.n_routes());
        }
        if let Some(error) = exit.error {
            warn!(gateway_eui = %eui_display(exit.gateway_eui), error = %error, "downlink route lost; the next PULL_DATA retries");
        }
    }

    /// Lets go of a gateway another replica claimed later.
    pub(super) fn on_claim(&mut self, delivery: &ClaimDelivery) {
        let Ok(ParsedSubject::GwClaim { gateway_eui }) =
            self.bus.subjects().parse(delivery.subject())
        else {
            return;
        };
        let claim = delivery.message();
        if claim.replica_id == self.replica_id {
            return;
        }
        let superseded = self
            .table
            .get(gateway_eui)
            .and_then(|gateway| gateway.route())
            .is_some_and(|route| claim.supersedes(&route.claim));
        if !superseded {
            return;
        }
        if let Some(route) = self.table.take_route(gateway_eui, None) {
            route.release.trigger();
            self.metrics.claim_event("released");
            self.metrics.set_gateways_connected(self.table.n_routes());
            debug!(gateway_eui = %eui_display(gateway_eui), by = %claim.replica_id, "gateway moved to another replica");
        }
    }

    /// Expires silent routes, reports push-only gateways once and forgets silent gateways.
    pub(super) fn sweep(&mut self, now: Instant) {
        let sweep = self.table.sweep(now, self.timings.pull_data_timeout);
        for (eui, route) in sweep.expired {
            route.release.trigger();
            self.metrics.claim_event("expired");
            debug!(gateway_eui = %eui_display(eui), "gateway downlink route expired");
        }
        for eui in sweep.push_only {
            self.metrics.push_only_gateway();
            warn!(gateway_eui = %eui_display(eui), "gateway sends PUSH_DATA but no PULL_DATA; uplinks are forwarded, downlinks cannot reach it");
        }
        self.metrics.set_gateways_connected(self.table.n_routes());
    }
}
