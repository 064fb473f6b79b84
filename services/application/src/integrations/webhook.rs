//! The webhook worker: POSTs each event's JSON to the integration's URL, retrying with
//! exponential backoff until it succeeds or `webhook_max_attempts` are spent, then reports an
//! `error` event. Events are sent one at a time, in order, so a receiver sees them as they
//! happened; a down endpoint holds the queue until it answers again.

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::{Job, WorkerContext};

/// Why one attempt failed.
fn attempt_error(res: Result<reqwest::Response, reqwest::Error>) -> Option<String> {
    match res {
        Ok(response) if response.status().is_success() => None,
        Ok(response) => Some(format!("http status {}", response.status().as_u16())),
        Err(error) => Some(format!("request: {error}")),
    }
}

/// Runs until the queue closes.
pub(super) async fn run(
    context: WorkerContext,
    http: reqwest::Client,
    url: String,
    headers: Vec<(String, String)>,
    mut jobs: mpsc::Receiver<Job>,
) {
    let mut header_map = reqwest::header::HeaderMap::new();
    header_map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in &headers {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                header_map.insert(name, value);
            }
            _ => {
                warn!(integration_id = %context.integration_id, "webhook header ignored: invalid name or value")
            }
        }
    }
    while let Some(job) = jobs.recv().await {
        let mut attempt = 1;
        loop {
            let res = http
                .post(&url)
                .headers(header_map.clone())
                .header("x-tern-event", job.event.as_str())
                .body(job.payload.clone())
                .send()
                .await;
            let Some(reason) = attempt_error(res) else {
                context.metrics.delivery("webhook", "ok");
                break;
            };
            debug!(integration_id = %context.integration_id, attempt, reason = %reason, "webhook attempt failed");
            if attempt >= context.policy.max_attempts || context.shutdown.is_triggered() {
                context.metrics.delivery("webhook", "failed");
                warn!(integration_id = %context.integration_id, attempts = attempt, "webhook delivery failed");
                let message = format!(
                    "webhook delivery of {} failed after {attempt} attempts: {reason}",
                    job.event.as_str()
                );
                context.report(&job.device, "webhook", message).await;
                break;
            }
            context.metrics.delivery("webhook", "retry");
            let wait = context.policy.backoff(attempt);
            tokio::select! {
                biased;
                () = context.shutdown.wait() => {}
                () = tokio::time::sleep(wait) => {}
            }
            attempt += 1;
        }
    }
}
