//! The MQTT worker: publishes each event's JSON with QoS 1 on
//! `v3/{application_id}/devices/{device_id}/{event}` (the topic layout of The Things Stack's MQTT
//! integration) to the integration's broker.
//!
//! One client per integration; its event loop runs in a sibling task and reconnects by itself,
//! and QoS 1 messages in flight are resent after a reconnect, so a short broker outage loses
//! nothing that was queued.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, QoS};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::{Job, WorkerContext};

/// Where and how to connect.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// `mqtt://host:port` (port 1883 when missing).
    pub(super) url: String,
    /// User name.
    pub(super) username: Option<String>,
    /// Password.
    pub(super) password: Option<String>,
}

/// Splits `mqtt://host:port` (or `tcp://`, or a bare `host:port`) into host and port.
pub(crate) fn parse_url(url: &str) -> Option<(String, u16)> {
    let rest = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("tcp://"))
        .unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None if !rest.is_empty() => Some((rest.to_owned(), 1883)),
        None => None,
    }
}

/// Returns the topic of one event.
pub(crate) fn topic(application_id: &str, device_id: &str, event: &str) -> String {
    format!("v3/{application_id}/devices/{device_id}/{event}")
}

/// Runs until the queue closes.
pub(super) async fn run(context: WorkerContext, settings: Settings, mut jobs: mpsc::Receiver<Job>) {
    let Some((host, port)) = parse_url(&settings.url) else {
        warn!(integration_id = %context.integration_id, "mqtt integration url is not mqtt://host:port");
        while let Some(job) = jobs.recv().await {
            context.metrics.delivery("mqtt", "failed");
            context
                .report(
                    &job.device,
                    "mqtt",
                    String::from("mqtt url is not mqtt://host:port"),
                )
                .await;
        }
        return;
    };
    let client_id = format!("tern-{}-{:08x}", context.integration_id, std::process::id());
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    if let Some(username) = &settings.username {
        options.set_credentials(
            username.clone(),
            settings.password.clone().unwrap_or_default(),
        );
    }
    let (client, mut event_loop) = AsyncClient::new(options, 64);
    let stop = context.shutdown.child();
    let poll_stop = stop.clone();
    let integration_id = context.integration_id.clone();
    let poller = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                () = poll_stop.wait() => break,
                polled = event_loop.poll() => match polled {
                    Ok(Event::Incoming(packet)) => debug!(?packet, "mqtt incoming"),
                    Ok(Event::Outgoing(_)) => {}
                    Err(error) => {
                        warn!(integration_id = %integration_id, error = %error, "mqtt connection");
                        tokio::select! {
                            biased;
                            () = poll_stop.wait() => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                },
            }
        }
    });
    while let Some(job) = jobs.recv().await {
        let topic = topic(
            &job.device.application_id,
            &job.device.device_id,
            job.event.as_str(),
        );
        match client
            .publish(topic, QoS::AtLeastOnce, false, job.payload.to_vec())
            .await
        {
            Ok(()) => context.metrics.delivery("mqtt", "ok"),
            Err(error) => {
                context.metrics.delivery("mqtt", "failed");
                context
                    .report(&job.device, "mqtt", format!("mqtt publish: {error}"))
                    .await;
            }
        }
    }
    // Give the event loop a moment to send what was queued before the connection closes.
    if client.disconnect().await.is_ok() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.trigger();
    if let Err(error) = poller.await {
        warn!(error = %error, "mqtt event loop task panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_broker_urls_and_builds_topics() {
        assert_eq!(
            parse_url("mqtt://127.0.0.1:1883"),
            Some((String::from("127.0.0.1"), 1883))
        );
        assert_eq!(
            parse_url("broker.example"),
            Some((String::from("broker.example"), 1883))
        );
        assert_eq!(parse_url("mqtt://host:notaport"), None);
        assert_eq!(parse_url(""), None);
        assert_eq!(topic("app", "dev", "up"), "v3/app/devices/dev/up");
    }
}
