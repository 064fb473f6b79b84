//! What the public API serves beyond the registry: live application events from the
//! application service's JetStream stream, downlink calls forwarded to the application
//! service, and gateway status learnt from the network service's bus messages.
//!
//! The identity service owns none of this data. It reads the event stream (never creates it),
//! forwards downlinks after its own key checks, and keeps the gateway status in memory only,
//! fed by `gw.*.status` and `gw.*.stats` and, for a gateway it has not heard of, by the
//! network service's answer on `ns.gateway_status`; it never reads the network service's
//! Redis keys.

mod gateways;

use anyhow::Context as _;
use tern_api::v1::downlink_service_client::DownlinkServiceClient;
use tern_bus::Bus;
use tern_config::IdentityConfig;
use tern_telemetry::Shutdown;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

pub(crate) use self::gateways::{GatewayCache, GatewayState};

/// The live side of the API, shared by every handler.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    /// Bus whose JetStream context reads the event stream.
    pub bus: Bus,
    /// `identity.events_stream`.
    pub events_stream: String,
    /// Client of the application service's downlink API; `None` when not configured.
    pub application: Option<DownlinkServiceClient<Channel>>,
    /// The latest status of each gateway this replica heard of.
    pub gateways: GatewayCache,
    /// Ends streaming calls, which would otherwise hold the server's drain forever.
    pub shutdown: Shutdown,
}

impl Live {
    /// Builds the live side from `config` and starts the gateway status task, which ends on
    /// `shutdown`.
    pub(crate) async fn start(
        config: &IdentityConfig,
        bus: Bus,
        shutdown: Shutdown,
    ) -> anyhow::Result<(Live, JoinHandle<()>)> {
        let application = match &config.application_grpc_url {
            // A lazy channel: the application service may start after this one.
            Some(url) => Some(DownlinkServiceClient::new(
                Endpoint::from_shared(url.clone())
                    .context("identity.application_grpc_url")?
                    .connect_lazy(),
            )),
            None => None,
        };
        let gateways = GatewayCache::default();
        let task = gateways
            .spawn(&bus, shutdown.clone())
            .await
            .context("subscribe to gateway status")?;
        let live = Live {
            bus,
            events_stream: config.events_stream.clone(),
            application,
            gateways,
            shutdown,
        };
        Ok((live, task))
    }
}
