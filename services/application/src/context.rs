//! What every handler needs: the bus, the stores, the KEK, the event publisher and settings.

use std::time::Duration;

use tern_bus::Bus;

use crate::events::EventPublisher;
use crate::formatter::FormatterLimits;
use crate::kek::Kek;
use crate::metrics::ApplicationMetrics;
use crate::session::SessionStore;

/// Shared state of one application service replica.
#[derive(Debug)]
pub(crate) struct Context<R> {
    pub(crate) bus: Bus,
    pub(crate) registry: R,
    pub(crate) sessions: SessionStore,
    pub(crate) kek: Kek,
    pub(crate) publisher: EventPublisher,
    pub(crate) metrics: ApplicationMetrics,
    pub(crate) limits: FormatterLimits,
    pub(crate) queue_timeout: Duration,
}
