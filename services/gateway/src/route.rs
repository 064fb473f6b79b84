//! The task behind one downlink route: it subscribes to `gw.{eui}.down` in the `gateway` queue
//! group, announces the claim once the server confirmed the subscription, and hands every
//! downlink to the edge until released.
//!
//! On release it drains the subscription, so the downlinks NATS already routed to this replica
//! are still handed over and sent, while new ones go to the replica that holds the gateway now.
//! It never sends to the gateway itself; the edge does.

use futures::StreamExt;
use semtech_udp::GatewayEui;
use tern_bus::{Bus, Delivery, queue_group};
use tern_proto::internal::v1 as pb;
use tern_telemetry::Shutdown;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::claim::GatewayClaim;

/// A downlink received on a route, for the edge to send.
#[derive(Debug)]
pub(crate) struct RouteDownlink {
    /// The gateway of the route.
    pub(crate) gateway_eui: u64,
    /// The frame with its trace context.
    pub(crate) delivery: Delivery<pb::DownlinkFrame>,
}

/// How a route task ended.
#[derive(Debug)]
pub(crate) struct RouteExit {
    /// The gateway of the route.
    pub(crate) gateway_eui: u64,
    /// The route's generation.
    pub(crate) generation: u64,
    /// Why it ended on its own, when it was not released.
    pub(crate) error: Option<tern_bus::Error>,
    /// Whether it ended because it was released.
    pub(crate) released: bool,
}

/// Everything a route task needs.
#[derive(Debug)]
pub(crate) struct RouteTask {
    pub(crate) bus: Bus,
    pub(crate) gateway_eui: u64,
    pub(crate) generation: u64,
    pub(crate) claim: GatewayClaim,
    pub(crate) release: Shutdown,
    pub(crate) downlinks: mpsc::Sender<RouteDownlink>,
}

impl RouteTask {
    /// Runs the route until it is released or its subscription ends.
    pub(crate) async fn run(self) -> RouteExit {
        let subjects = self.bus.subjects();
        let exit = |error, released| RouteExit {
            gateway_eui: self.gateway_eui,
            generation: self.generation,
            error,
            released,
        };
        let subject = subjects.gw_down(self.gateway_eui);
        let subscribed = tokio::select! {
            biased;
            () = self.release.wait() => return exit(None, true),
            res = self.bus.queue_subscribe::<pb::DownlinkFrame>(&subject, queue_group::GATEWAY) => res,
        };
        let mut subscription = match subscribed {
            Ok(subscription) => subscription,
            Err(error) => return exit(Some(error), false),
        };
        // The subscription is confirmed (`queue_subscribe` flushes), so the replica that held
        // the gateway before may let go without a gap.
        if let Err(error) = self
            .bus
            .publish(&subjects.gw_claim(self.gateway_eui), &self.claim)
            .await
        {
            // The queue group still delivers each downlink once; the old holder lets go when
            // its PULL_DATA timeout expires instead.
            warn!(gateway_eui = %GatewayEui::from_u64(self.gateway_eui), error = %error, "gateway claim not published");
        }
        loop {
            tokio::select! {
                biased;
                () = self.release.wait() => break,
                delivery = subscription.next() => match delivery {
                    Some(delivery) => {
                        if !self.hand_over(delivery).await {
                            return exit(None, true);
                        }
                    }
                    None => return exit(Some(tern_bus::Error::Closed), false),
                },
            }
        }
        debug!(gateway_eui = %GatewayEui::from_u64(self.gateway_eui), "draining downlink route");
        if let Err(error) = subscription.drain().await {
            warn!(error = %error, "downlink subscription not drained");
            return exit(None, true);
        }
        while let Some(delivery) = subscription.next().await {
            if !self.hand_over(delivery).await {
                break;
            }
        }
        exit(None, true)
    }

    /// Passes a downlink to the edge; false when the edge is gone.
    async fn hand_over(&self, delivery: Delivery<pb::DownlinkFrame>) -> bool {
        let downlink = RouteDownlink {
            gateway_eui: self.gateway_eui,
            delivery,
        };
        self.downlinks.send(downlink).await.is_ok()
    }
}
