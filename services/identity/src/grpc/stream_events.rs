//! `EventService`: an application's or one device's live events (right `events:read`), read
//! from the application service's JetStream event stream with one ephemeral ordered consumer
//! per call.
//!
//! The consumer starts at `since_unix_ms` when given, else at the next event. It is not
//! acknowledged and disappears when the call ends; the stream itself is never changed.

use std::pin::Pin;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::{Stream, StreamExt as _};
use lorawan_codec::Eui64;
use tern_api::v1 as api;
use tern_api::v1::event_service_server::EventService;
use tern_bus::ParsedSubject;
use tonic::{Request, Response, Status};
use tracing::warn;

use super::Api;
use crate::auth::Right;
use crate::validate::eui;
use crate::{Error, Result};

/// The stream of events one call answers with.
pub(crate) type EventStream =
    Pin<Box<dyn Stream<Item = std::result::Result<api::ApplicationEvent, Status>> + Send>>;

fn upstream(error: impl std::fmt::Display) -> Error {
    Error::Upstream {
        what: "event stream",
        reason: error.to_string(),
    }
}

/// Where the consumer starts.
fn deliver_policy(since_unix_ms: i64) -> Result<DeliverPolicy> {
    match since_unix_ms {
        0 => Ok(DeliverPolicy::New),
        ms if ms < 0 => Err(Error::invalid("since_unix_ms", "must not be negative")),
        ms => {
            let start_time =
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .map_err(|_| Error::invalid("since_unix_ms", "out of range"))?;
            Ok(DeliverPolicy::ByStartTime { start_time })
        }
    }
}

/// Turns a stored message into an API event; `None` for one that is not an event.
fn to_event(
    subjects: &tern_bus::Subjects,
    message: &async_nats::jetstream::Message,
) -> Option<api::ApplicationEvent> {
    let Ok(ParsedSubject::AppEvent { dev_eui, event, .. }) = subjects.parse(&message.subject)
    else {
        warn!(subject = %message.subject, "event stream message on an unexpected subject skipped");
        return None;
    };
    let Ok(json) = std::str::from_utf8(&message.payload) else {
        warn!(subject = %message.subject, "event stream message that is not UTF-8 skipped");
        return None;
    };
    let time_unix_ms = message
        .info()
        .map(|info| i64::try_from(info.published.unix_timestamp_nanos() / 1_000_000))
        .ok()
        .and_then(std::result::Result::ok)
        .unwrap_or_default();
    Some(api::ApplicationEvent {
        event: event.as_str().to_owned(),
        subject: message.subject.to_string(),
        json: json.to_owned(),
        time_unix_ms,
        dev_eui: Eui64::from_u64(dev_eui).to_string(),
    })
}

#[tonic::async_trait]
impl EventService for Api {
    type StreamEventsStream = EventStream;

    async fn stream_events(
        &self,
        request: Request<api::StreamEventsRequest>,
    ) -> std::result::Result<Response<EventStream>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::EventsRead)?;
        let request = request.into_inner();
        let application = self
            .visible_application(&caller, &request.application_id)
            .await?;
        let subjects = self.live.bus.subjects().clone();
        let filter = if request.dev_eui.is_empty() {
            subjects.app_event_application(&application.id)
        } else {
            let dev_eui: Eui64 = eui("dev_eui", &request.dev_eui)?
                .parse()
                .map_err(|_| Error::invalid("dev_eui", "not an EUI-64"))?;
            subjects.app_event_device(&application.id, dev_eui.to_u64())
        }
        .map_err(|error| Error::invalid("application_id", error.to_string()))?;
        let deliver_policy = deliver_policy(request.since_unix_ms)?;
        let stream = self
            .live
            .bus
            .jetstream()
            .get_stream(&self.live.events_stream)
            .await
            .map_err(upstream)?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: filter.as_str().to_owned(),
                deliver_policy,
                ..pull::OrderedConfig::default()
            })
            .await
            .map_err(upstream)?;
        let messages = consumer.messages().await.map_err(upstream)?;
        // A streaming call never ends by itself; shutdown ends it so the server can drain.
        let events = messages
            .take_until(self.live.shutdown.clone().wait_owned())
            .filter_map(move |message| {
                let event = match message {
                    Ok(message) => to_event(&subjects, &message).map(Ok),
                    Err(error) => Some(Err(Status::from(upstream(error)))),
                };
                std::future::ready(event)
            });
        Ok(Response::new(Box::pin(events)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_chooses_where_the_consumer_starts() {
        assert!(matches!(deliver_policy(0), Ok(DeliverPolicy::New)));
        assert!(matches!(
            deliver_policy(1_700_000_000_000),
            Ok(DeliverPolicy::ByStartTime { start_time }) if start_time.unix_timestamp() == 1_700_000_000
        ));
        assert!(matches!(
            deliver_policy(-1),
            Err(Error::InvalidArgument { .. })
        ));
    }
}
