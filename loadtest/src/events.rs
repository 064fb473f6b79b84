//! Reads the application events of the fleet's application from core NATS
//! (`{root}.app.{application_id}.*.*`, schema in docs/events.md): `up` events are matched to
//! the uplinks by the sequence number in their payload, the others are counted.
//!
//! The subscription is made, and flushed to the server, before anything is sent, so no event
//! of the run is missed. Core NATS drops messages for a subscriber that falls behind; the
//! subscription's buffer is large so a burst is absorbed, and a dropped event shows as loss.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use futures::StreamExt;
use serde::Deserialize;

use crate::engine::{Engine, Notice};
use crate::tracker::Delivery;

/// Messages the subscription buffers before NATS drops them for this slow consumer.
const SUBSCRIPTION_CAPACITY: usize = 1 << 20;

/// The parts of an `up` event the load test reads.
#[derive(Debug, Deserialize)]
struct UpEvent {
    device: EventDevice,
    up: UpBody,
}

#[derive(Debug, Deserialize)]
struct EventDevice {
    dev_eui: String,
}

#[derive(Debug, Deserialize)]
struct UpBody {
    f_cnt: u32,
    frm_payload: String,
    #[serde(default)]
    rx_metadata: Vec<serde::de::IgnoredAny>,
}

/// A live subscription to the application's events.
pub(crate) struct Events {
    subscriber: async_nats::Subscriber,
    _client: async_nats::Client,
}

impl Events {
    /// Connects to NATS and subscribes to the events of `application_id` under `root`.
    pub(crate) async fn subscribe(
        url: &str,
        root: &str,
        application_id: &str,
    ) -> anyhow::Result<Events> {
        let subjects =
            tern_bus::Subjects::new(root).with_context(|| format!("nats subject root {root:?}"))?;
        let subject = subjects
            .app_event_application(application_id)
            .with_context(|| format!("application id {application_id:?} as a subject token"))?;
        let client = async_nats::ConnectOptions::new()
            .subscription_capacity(SUBSCRIPTION_CAPACITY)
            .connection_timeout(Duration::from_secs(5))
            .name("tern-loadtest")
            .connect(url)
            .await
            .with_context(|| format!("connect to nats at {url}"))?;
        let subscriber = client
            .subscribe(subject.as_str().to_owned())
            .await
            .with_context(|| format!("subscribe to {subject}"))?;
        client
            .flush()
            .await
            .context("flush the nats subscription")?;
        Ok(Events {
            subscriber,
            _client: client,
        })
    }

    /// Handles events until the subscription ends or the task is dropped.
    pub(crate) async fn handle(mut self, engine: Arc<Engine>) {
        while let Some(message) = self.subscriber.next().await {
            let event = message.subject.as_str().rsplit('.').next().unwrap_or("");
            let counters = &engine.counters;
            match event {
                "up" => {
                    bump(&counters.up_events);
                    handle_up(&engine, &message.payload);
                }
                "join" => bump(&counters.join_events),
                "ack" => bump(&counters.ack_events),
                "nack" => bump(&counters.nack_events),
                "txack" => bump(&counters.txack_events),
                "error" => bump(&counters.error_events),
                _ => bump(&counters.other_events),
            }
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

fn handle_up(engine: &Engine, payload: &[u8]) {
    let now = engine.now_ns();
    let Ok(event) = serde_json::from_slice::<UpEvent>(payload) else {
        bump(&engine.counters.bad_events);
        return;
    };
    let Ok(frm_payload) = base64::engine::general_purpose::STANDARD.decode(&event.up.frm_payload)
    else {
        bump(&engine.counters.bad_events);
        return;
    };
    if let Delivery::First(latency) = engine.tracker.deliver(&frm_payload, now)
        && let Some(notices) = &engine.notices
    {
        // Nobody listening any more only happens at shutdown.
        let _ = notices.send(Notice::Delivered {
            dev_eui: event.device.dev_eui,
            f_cnt: event.up.f_cnt,
            latency,
            gateways: event.up.rx_metadata.len(),
        });
    }
}
