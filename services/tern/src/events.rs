//! `tern events follow`: prints an application's (or one device's) live events as the
//! identity API streams them, one line each, until Ctrl-C or the server ends the stream.
//!
//! Lines are printed as they arrive, not collected; `--json` prints each event's JSON
//! document on its own line (NDJSON) for scripts.

use std::io::Write as _;
use std::time::UNIX_EPOCH;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::Value;
use tern_api::v1 as api;
use tern_api::v1::event_service_client::EventServiceClient;

use crate::login::ConnectArgs;
use crate::registry::{Client, block_on, status_error};

/// Event commands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print live events until Ctrl-C.
    Follow {
        /// Application id.
        #[arg(long = "app")]
        application_id: String,
        /// Only this device (DevEUI, 16 hex digits).
        #[arg(long = "device", default_value = "")]
        dev_eui: String,
        /// Replay stored events from this time first, RFC 3339 (e.g. 2026-01-31T12:00:00Z).
        #[arg(long)]
        since: Option<String>,
    },
}

/// Turns `--since` into Unix milliseconds.
fn since_unix_ms(since: Option<&str>) -> anyhow::Result<i64> {
    let Some(text) = since else {
        return Ok(0);
    };
    let time = humantime::parse_rfc3339_weak(text)
        .with_context(|| format!("--since {text:?} is not an RFC 3339 time"))?;
    let ms = time
        .duration_since(UNIX_EPOCH)
        .context("--since is before 1970")?
        .as_millis();
    // Zero means "new events only" on the wire, so the epoch itself becomes 1 ms later.
    Ok(i64::try_from(ms).context("--since is too far away")?.max(1))
}

/// Formats one event as a line: time, event name, DevEUI and a short summary of its body.
fn pretty(event: &api::ApplicationEvent) -> String {
    let document: Value = serde_json::from_str(&event.json).unwrap_or(Value::Null);
    let time = document
        .get("time")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let body = document.get(&event.event).map_or(String::new(), |body| {
        let mut body = body.clone();
        // The uplink's radio metadata makes a line unreadable; `--json` keeps it.
        if let Some(map) = body.as_object_mut() {
            map.remove("rx_metadata");
            map.remove("modulation");
        }
        body.to_string()
    });
    format!("{time} {:<8} {} {body}", event.event, event.dev_eui)
}

/// Runs an events command; returns what is left to print (nothing: lines go out as they come).
pub fn run(command: EventsCommand, connect: &ConnectArgs) -> anyhow::Result<String> {
    let credentials = crate::login::resolve(connect)?;
    let json_output = connect.json;
    let EventsCommand::Follow {
        application_id,
        dev_eui,
        since,
    } = command;
    let since_unix_ms = since_unix_ms(since.as_deref())?;
    block_on(async move {
        let client = Client::connect(&credentials).await?;
        let mut service = EventServiceClient::new(client.channel());
        let mut events = service
            .stream_events(client.request(api::StreamEventsRequest {
                application_id,
                dev_eui,
                since_unix_ms,
            })?)
            .await
            .map_err(status_error)?
            .into_inner();
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            let event = tokio::select! {
                _ = &mut ctrl_c => return Ok(String::new()),
                event = events.message() => event.map_err(status_error)?,
            };
            let Some(event) = event else {
                return Ok(String::new());
            };
            let line = if json_output {
                event.json.clone()
            } else {
                pretty(&event)
            };
            let mut stdout = std::io::stdout().lock();
            // A closed pipe ends the command quietly, like `| head` expects.
            if writeln!(stdout, "{line}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return Ok(String::new());
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_parsed_as_rfc3339() {
        assert_eq!(since_unix_ms(None).unwrap(), 0);
        assert_eq!(
            since_unix_ms(Some("2023-11-14T22:13:20Z")).unwrap(),
            1_700_000_000_000
        );
        assert!(since_unix_ms(Some("yesterday")).is_err());
    }

    #[test]
    fn pretty_line_names_the_event_and_device() {
        let event = api::ApplicationEvent {
            event: String::from("up"),
            dev_eui: String::from("0004a30b001c0530"),
            json: String::from(
                r#"{"time":"2026-01-01T00:00:00Z","up":{"f_port":2,"rx_metadata":[1]}}"#,
            ),
            ..api::ApplicationEvent::default()
        };
        assert_eq!(
            pretty(&event),
            r#"2026-01-01T00:00:00Z up       0004a30b001c0530 {"f_port":2}"#
        );
    }
}
