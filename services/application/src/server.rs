//! The NATS loop: takes uplinks (`as.up`), sessions (`as.session`), downlink outcomes
//! (`as.downlink`), queue invalidations (`as.queue.invalidated`), provisioning requests
//! (`as.device`) and downlink requests (`app.*.*.down.push`), all in queue group
//! `application`, and handles each in its own task
//! (at most `application.max_in_flight` at once); drains on shutdown.
//!
//! Every message is handled inside a span that continues the sender's trace. Nothing here
//! panics on input: a malformed downlink request is answered with an error (when the sender
//! waits for a reply) and counted.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use lorawan_codec::Eui64;
use serde::Serialize;
use tern_bus::{Delivery, ParsedSubject, Subscription};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Readiness, Shutdown};
use tokio::task::{JoinError, JoinSet};
use tracing::{Instrument, debug, error, field, info, info_span, warn};

use crate::context::Context;
use crate::downlink::{self, DownlinkRequest};
use crate::registry::ApplicationRegistry;
use crate::{COMPONENT, device_api, uplink};

/// The subscriptions the service serves.
pub(crate) struct Subscriptions {
    pub(crate) uplinks: Subscription<pb::ApplicationUplink>,
    pub(crate) sessions: Subscription<pb::SessionEvent>,
    pub(crate) downlink_events: Subscription<pb::DownlinkEvent>,
    pub(crate) invalidations: Subscription<pb::QueueInvalidated>,
    pub(crate) pushes: Subscription<Bytes>,
    pub(crate) devices: Subscription<pb::ApplicationDeviceRequest>,
}

impl Subscriptions {
    async fn drain(&mut self) {
        let results = [
            self.uplinks.drain().await,
            self.sessions.drain().await,
            self.downlink_events.drain().await,
            self.invalidations.drain().await,
            self.pushes.drain().await,
            self.devices.drain().await,
        ];
        for result in results {
            if let Err(error) = result {
                warn!(error = %error, "drain subscription");
            }
        }
    }
}

/// One message of any subscription.
enum Work {
    Uplink(Delivery<pb::ApplicationUplink>),
    Session(Delivery<pb::SessionEvent>),
    DownlinkEvent(Delivery<pb::DownlinkEvent>),
    Invalidated(Delivery<pb::QueueInvalidated>),
    Push(Delivery<Bytes>),
    Device(Delivery<pb::ApplicationDeviceRequest>),
}

/// Serves every subscription until shutdown, then drains them and waits for tasks in flight.
///
/// Fails when the uplink subscription ends without a shutdown (the bus connection closed).
pub(crate) async fn serve<R: ApplicationRegistry>(
    mut subscriptions: Subscriptions,
    context: Arc<Context<R>>,
    max_in_flight: usize,
    readiness: &Readiness,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mut tasks = JoinSet::new();
    let mut draining = false;
    let mut open = [true; 5];
    loop {
        let room = tasks.len() < max_in_flight;
        let work = tokio::select! {
            biased;
            () = shutdown.wait(), if !draining => {
                draining = true;
                readiness.set_ready(COMPONENT, false);
                info!("application service draining");
                subscriptions.drain().await;
                continue;
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                log_task_end(joined);
                continue;
            }
            delivery = subscriptions.sessions.next(), if room && open[0] => match delivery {
                Some(delivery) => Work::Session(delivery),
                None => { open[0] = false; continue; }
            },
            delivery = subscriptions.invalidations.next(), if room && open[1] => match delivery {
                Some(delivery) => Work::Invalidated(delivery),
                None => { open[1] = false; continue; }
            },
            delivery = subscriptions.downlink_events.next(), if room && open[2] => match delivery {
                Some(delivery) => Work::DownlinkEvent(delivery),
                None => { open[2] = false; continue; }
            },
            delivery = subscriptions.pushes.next(), if room && open[3] => match delivery {
                Some(delivery) => Work::Push(delivery),
                None => { open[3] = false; continue; }
            },
            delivery = subscriptions.devices.next(), if room && open[4] => match delivery {
                Some(delivery) => Work::Device(delivery),
                None => { open[4] = false; continue; }
            },
            delivery = subscriptions.uplinks.next(), if room => match delivery {
                Some(delivery) => Work::Uplink(delivery),
                None => break,
            },
        };
        tasks.spawn(handle(work, Arc::clone(&context)));
    }
    while let Some(joined) = tasks.join_next().await {
        log_task_end(joined);
    }
    readiness.set_ready(COMPONENT, false);
    if !draining {
        anyhow::bail!("as.up subscription ended: the nats connection was closed");
    }
    info!("application service stopped");
    Ok(())
}

async fn handle<R: ApplicationRegistry>(work: Work, context: Arc<Context<R>>) {
    match work {
        Work::Uplink(delivery) => {
            let span = info_span!(
                "uplink",
                dev_eui = field::Empty,
                dev_addr = field::Empty,
                f_cnt = field::Empty
            );
            delivery.continue_trace(&span);
            async move {
                let uplink = delivery.message();
                let span = tracing::Span::current();
                span.record("dev_eui", field::display(Eui64::from_u64(uplink.dev_eui)));
                span.record(
                    "dev_addr",
                    field::display(lorawan_codec::DevAddr::from_u32(uplink.dev_addr)),
                );
                span.record("f_cnt", uplink.f_cnt);
                let result = uplink::handle_uplink(&context, uplink)
                    .await
                    .unwrap_or_else(|error| {
                        error!(error = %error, "uplink failed");
                        "error"
                    });
                debug!(result, "uplink handled");
                context.metrics.uplink(result);
            }
            .instrument(span)
            .await;
        }
        Work::Session(delivery) => {
            let span = info_span!("join", dev_eui = field::Empty);
            delivery.continue_trace(&span);
            async move {
                let event = delivery.message();
                tracing::Span::current()
                    .record("dev_eui", field::display(Eui64::from_u64(event.dev_eui)));
                let result = uplink::handle_session(&context, event)
                    .await
                    .unwrap_or_else(|error| {
                        error!(error = %error, "session event failed");
                        "error"
                    });
                context.metrics.session(result);
            }
            .instrument(span)
            .await;
        }
        Work::DownlinkEvent(delivery) => {
            let span = info_span!("downlink", downlink_id = field::Empty);
            delivery.continue_trace(&span);
            async move {
                let event = delivery.message();
                tracing::Span::current().record("downlink_id", event.item_id.as_str());
                let result = match uplink::handle_downlink_event(&context, event).await {
                    Ok("ok") => "outcome_reported",
                    Ok("unknown_device") => "outcome_unknown_device",
                    Ok(_) => "outcome_malformed",
                    Err(error) => {
                        error!(error = %error, "downlink event failed");
                        "outcome_error"
                    }
                };
                debug!(result, "downlink event handled");
                context.metrics.downlink(result);
            }
            .instrument(span)
            .await;
        }
        Work::Invalidated(delivery) => {
            let span = info_span!("downlink", dev_eui = field::Empty);
            delivery.continue_trace(&span);
            async move {
                let invalidated = delivery.message();
                tracing::Span::current().record(
                    "dev_eui",
                    field::display(Eui64::from_u64(invalidated.dev_eui)),
                );
                let result = downlink::handle_invalidated(&context, invalidated)
                    .await
                    .unwrap_or_else(|error| {
                        warn!(error = %error, "re-encrypt invalidated downlinks");
                        "reencrypt_failed"
                    });
                context.metrics.downlink(result);
            }
            .instrument(span)
            .await;
        }
        Work::Device(delivery) => {
            let span = info_span!(
                "device",
                dev_eui = %Eui64::from_u64(delivery.message().dev_eui),
            );
            delivery.continue_trace(&span);
            handle_device(delivery, &context).instrument(span).await;
        }
        Work::Push(delivery) => {
            let span = info_span!("downlink", dev_eui = field::Empty);
            delivery.continue_trace(&span);
            async move {
                let answer = push(&context, &delivery).await;
                if let Err(error) = &answer {
                    debug!(error = %error, "downlink push refused");
                    context.metrics.downlink("refused");
                }
                if delivery.expects_reply() {
                    let reply = match answer {
                        Ok((id, f_cnt_down)) => PushReply {
                            id: Some(id),
                            f_cnt_down: Some(f_cnt_down),
                            error: None,
                        },
                        Err(error) => PushReply {
                            id: None,
                            f_cnt_down: None,
                            error: Some(error.to_string()),
                        },
                    };
                    let payload = serde_json::to_vec(&reply).unwrap_or_default();
                    if let Err(error) = delivery.reply_bytes(payload.into()).await {
                        warn!(error = %error, "reply to down.push");
                    }
                }
            }
            .instrument(span)
            .await;
        }
    }
}

/// Answers one `as.device` request; a store failure is answered `UNAVAILABLE`.
async fn handle_device<R: ApplicationRegistry>(
    delivery: Delivery<pb::ApplicationDeviceRequest>,
    context: &Context<R>,
) {
    let answer = match device_api::handle(context, delivery.message()).await {
        Ok(answer) => answer,
        Err(error) => {
            error!(error = %error, "device request failed");
            device_api::refusal(
                pb::ProvisionError::Unavailable,
                "the application server could not store the change; retry",
            )
        }
    };
    if delivery.expects_reply()
        && let Err(error) = delivery.reply(&answer).await
    {
        warn!(error = %error, "reply to as.device");
    }
}

/// The reply to a `down.push` request, when the sender asked for one.
#[derive(Debug, Serialize)]
struct PushReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    f_cnt_down: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn push<R: ApplicationRegistry>(
    context: &Context<R>,
    delivery: &Delivery<Bytes>,
) -> crate::Result<(String, u32)> {
    let ParsedSubject::AppDownPush {
        application_id,
        dev_eui,
    } = context.bus.subjects().parse(delivery.subject())?
    else {
        return Err(crate::Error::InvalidArgument(String::from(
            "not a down.push subject",
        )));
    };
    let dev_eui = Eui64::from_u64(dev_eui);
    tracing::Span::current().record("dev_eui", field::display(dev_eui));
    let request: DownlinkRequest = serde_json::from_slice(delivery.message())
        .map_err(|error| crate::Error::InvalidArgument(format!("downlink json: {error}")))?;
    downlink::push(context, &application_id, dev_eui, &request).await
}

/// Logs a task that panicked; a finished one needs nothing.
fn log_task_end(joined: Result<(), JoinError>) {
    if let Err(join_error) = joined {
        error!(error = %join_error, "application task panicked");
    }
}
