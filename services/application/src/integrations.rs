//! Integrations: delivery of an application's events to its webhooks and MQTT brokers.
//!
//! Each integration has one worker task fed by a bounded queue, so a slow or failing endpoint
//! delays only its own deliveries; when its queue is full, further events are dropped for it
//! and an `error` event says so (the event stream still holds them). Workers retry with
//! exponential backoff (`webhook`) or through the MQTT session (`mqtt`). Integration lists are
//! read from the registry and cached for [`INTEGRATIONS_TTL`].

mod mqtt;
mod webhook;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::future::BoxFuture;
use tern_bus::AppEvent;
use tern_telemetry::Shutdown;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::events::{ErrorEvent, EventPublisher};
use crate::metrics::ApplicationMetrics;
use crate::registry::{ApplicationDevice, Integration, IntegrationKind};

/// How long an application's integration list is cached; registry changes take effect after
/// at most this long.
pub const INTEGRATIONS_TTL: Duration = Duration::from_secs(5);

/// Loads an application's integrations.
pub type IntegrationLoader =
    Arc<dyn Fn(String) -> BoxFuture<'static, crate::Result<Vec<Integration>>> + Send + Sync>;

/// How webhooks are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt.
    pub initial_backoff: Duration,
    /// Longest wait.
    pub max_backoff: Duration,
    /// Deadline of one request.
    pub timeout: Duration,
}

impl RetryPolicy {
    /// Returns the wait after failed attempt `attempt` (1-based): doubling, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2_u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// One event for one integration.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    device: ApplicationDevice,
    event: AppEvent,
    payload: Bytes,
}

struct Worker {
    kind: IntegrationKind,
    sender: mpsc::Sender<Job>,
}

struct State {
    cache: HashMap<String, (Instant, Vec<Integration>)>,
    workers: HashMap<(String, String), Worker>,
    tasks: JoinSet<()>,
    closed: bool,
}

/// Hands events to integration workers. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    loader: IntegrationLoader,
    policy: RetryPolicy,
    queue_len: usize,
    http: reqwest::Client,
    metrics: ApplicationMetrics,
    shutdown: Shutdown,
    state: Mutex<State>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("policy", &self.inner.policy)
            .field("queue_len", &self.inner.queue_len)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Creates the dispatcher; workers stop retrying once `shutdown` triggers.
    pub fn new(
        loader: IntegrationLoader,
        policy: RetryPolicy,
        queue_len: usize,
        metrics: ApplicationMetrics,
        shutdown: Shutdown,
    ) -> anyhow::Result<Dispatcher> {
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .build()
            .map_err(|error| anyhow::anyhow!("build http client: {error}"))?;
        Ok(Dispatcher {
            inner: Arc::new(Inner {
                loader,
                policy,
                queue_len: queue_len.max(1),
                http,
                metrics,
                shutdown,
                state: Mutex::new(State {
                    cache: HashMap::new(),
                    workers: HashMap::new(),
                    tasks: JoinSet::new(),
                    closed: false,
                }),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A worker never panics while holding the lock; a poisoned lock still holds valid maps.
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn integrations(&self, application_id: &str) -> Vec<Integration> {
        if let Some((at, list)) = self.lock().cache.get(application_id)
            && at.elapsed() < INTEGRATIONS_TTL
        {
            return list.clone();
        }
        match (self.inner.loader)(application_id.to_owned()).await {
            Ok(list) => {
                self.lock()
                    .cache
                    .insert(application_id.to_owned(), (Instant::now(), list.clone()));
                list
            }
            Err(error) => {
                warn!(error = %error, "load integrations");
                Vec::new()
            }
        }
    }

    /// Queues `payload` (an event of `device`) for every integration of its application that
    /// wants `event`.
    pub(crate) async fn deliver(
        &self,
        device: &ApplicationDevice,
        event: AppEvent,
        payload: Bytes,
        publisher: &EventPublisher,
    ) {
        let integrations = self.integrations(&device.application_id).await;
        let mut dropped = Vec::new();
        {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            for integration in integrations.iter().filter(|i| i.wants(event)) {
                let sender = self.worker(&mut state, integration, publisher);
                let job = Job {
                    device: device.clone(),
                    event,
                    payload: payload.clone(),
                };
                if sender.try_send(job).is_err() {
                    self.inner
                        .metrics
                        .delivery(kind_name(&integration.kind), "dropped");
                    dropped.push(integration.integration_id.clone());
                }
            }
        }
        for integration_id in dropped {
            let error = ErrorEvent {
                kind: String::from("integration_queue_full"),
                message: format!(
                    "integration {integration_id} queue is full; {} event dropped for it",
                    event.as_str()
                ),
                f_cnt: None,
                subject_id: Some(integration_id),
            };
            if let Err(error) = publisher.publish_error(device, error).await {
                warn!(error = %error, "publish integration error event");
            }
        }
    }

    /// Returns the queue of `integration`'s worker, starting one (or replacing one whose
    /// settings changed).
    fn worker(
        &self,
        state: &mut State,
        integration: &Integration,
        publisher: &EventPublisher,
    ) -> mpsc::Sender<Job> {
        let key = (
            integration.application_id.clone(),
            integration.integration_id.clone(),
        );
        if let Some(worker) = state.workers.get(&key)
            && worker.kind == integration.kind
            && !worker.sender.is_closed()
        {
            return worker.sender.clone();
        }
        let (sender, receiver) = mpsc::channel(self.inner.queue_len);
        let context = WorkerContext {
            integration_id: integration.integration_id.clone(),
            policy: self.inner.policy,
            metrics: self.inner.metrics.clone(),
            publisher: publisher.clone(),
            shutdown: self.inner.shutdown.clone(),
        };
        match &integration.kind {
            IntegrationKind::Webhook { url, headers } => {
                state.tasks.spawn(webhook::run(
                    context,
                    self.inner.http.clone(),
                    url.clone(),
                    headers.clone(),
                    receiver,
                ));
            }
            IntegrationKind::Mqtt {
                url,
                username,
                password,
            } => {
                let settings = mqtt::Settings {
                    url: url.clone(),
                    username: username.clone(),
                    password: password.clone(),
                };
                state.tasks.spawn(mqtt::run(context, settings, receiver));
            }
        }
        debug!(integration_id = %integration.integration_id, "integration worker started");
        // Replacing the entry drops the old sender; the old worker drains its queue and ends.
        state.workers.insert(
            key,
            Worker {
                kind: integration.kind.clone(),
                sender: sender.clone(),
            },
        );
        sender
    }

    /// Stops taking events, lets every worker finish its queue (retries end early once
    /// shutdown has triggered) and waits for them.
    pub async fn close(&self) {
        let mut tasks = {
            let mut state = self.lock();
            state.closed = true;
            state.workers.clear();
            std::mem::take(&mut state.tasks)
        };
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined {
                warn!(error = %error, "integration worker panicked");
            }
        }
    }
}

fn kind_name(kind: &IntegrationKind) -> &'static str {
    match kind {
        IntegrationKind::Webhook { .. } => "webhook",
        IntegrationKind::Mqtt { .. } => "mqtt",
    }
}

/// What every worker needs besides its endpoint.
pub(crate) struct WorkerContext {
    integration_id: String,
    policy: RetryPolicy,
    metrics: ApplicationMetrics,
    publisher: EventPublisher,
    shutdown: Shutdown,
}

impl WorkerContext {
    /// Publishes an `error` event about this integration for `device`.
    async fn report(&self, device: &ApplicationDevice, kind: &str, message: String) {
        let error = ErrorEvent {
            kind: kind.to_owned(),
            message,
            f_cnt: None,
            subject_id: Some(self.integration_id.clone()),
        };
        if let Err(error) = self.publisher.publish_error(device, error).await {
            warn!(error = %error, "publish integration error event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        };
        let waits: Vec<u128> = (1..=6).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.backoff(200), Duration::from_secs(1));
    }
}
