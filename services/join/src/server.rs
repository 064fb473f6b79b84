//! Serves `js.join`: takes requests from the queue-group subscription, answers each in its own
//! task (at most `join.max_in_flight` at once), and drains on shutdown.
//!
//! Every request gets an answer, including one whose protobuf does not decode (it gets
//! `INVALID_FRAME`), and every answer is counted. One `join` span per request continues the
//! sender's trace. Refusals are logged at `warn`, join server failures at `error`; neither
//! carries keys.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use prost::Message;
use tern_bus::{Delivery, Subscription};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Readiness, Shutdown};
use tokio::task::{JoinError, JoinSet};
use tracing::{Instrument, debug, error, field, info, info_span, warn};

use crate::handler::Handler;
use crate::metrics::{JoinMetrics, RESULT_OK};
use crate::store::JoinStore;
use crate::{COMPONENT, Error};

/// What every request task shares.
#[derive(Debug)]
pub(crate) struct Context<S> {
    /// Answers requests.
    pub(crate) handler: Handler<S>,
    /// Counts answers.
    pub(crate) metrics: JoinMetrics,
    /// `join.request_timeout`.
    pub(crate) request_timeout: Duration,
}

/// Serves `subscription` until shutdown, then drains it and waits for the requests in flight.
///
/// Fails when the subscription ends without a shutdown (the bus connection was closed).
pub(crate) async fn serve<S: JoinStore>(
    mut subscription: Subscription<Bytes>,
    context: Arc<Context<S>>,
    max_in_flight: usize,
    readiness: &Readiness,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mut tasks = JoinSet::new();
    let mut draining = false;
    loop {
        tokio::select! {
            biased;
            () = shutdown.wait(), if !draining => {
                draining = true;
                readiness.set_ready(COMPONENT, false);
                info!("join service draining");
                if let Err(error) = subscription.drain().await {
                    warn!(error = %error, "drain js.join subscription");
                    break;
                }
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => log_task_end(joined),
            delivery = subscription.next(), if tasks.len() < max_in_flight => match delivery {
                Some(delivery) => {
                    tasks.spawn(answer(delivery, Arc::clone(&context)));
                }
                None => break,
            },
        }
    }
    while let Some(joined) = tasks.join_next().await {
        log_task_end(joined);
    }
    readiness.set_ready(COMPONENT, false);
    if !draining {
        anyhow::bail!("js.join subscription ended: the nats connection was closed");
    }
    info!("join service stopped");
    Ok(())
}

/// Answers one delivery inside its `join` span.
async fn answer<S: JoinStore>(delivery: Delivery<Bytes>, context: Arc<Context<S>>) {
    let span = info_span!("join", dev_eui = field::Empty, join_eui = field::Empty);
    delivery.continue_trace(&span);
    async move {
        let started = Instant::now();
        let res = if delivery.expects_reply() {
            match pb::JoinRequest::decode(delivery.message().clone()) {
                Ok(request) => {
                    let timeout = context.request_timeout;
                    tokio::time::timeout(timeout, context.handler.handle(&request))
                        .await
                        .unwrap_or(Err(Error::Timeout(timeout)))
                }
                Err(source) => Err(Error::DecodeRequest(source)),
            }
        } else {
            Err(Error::NoReplySubject)
        };
        let (result, answer) = match res {
            Ok(accept) => {
                debug!(join_nonce = accept.join_nonce, "join accepted");
                let answer = pb::JoinAnswer {
                    result: Some(pb::join_answer::Result::Ok(accept)),
                };
                (RESULT_OK, answer)
            }
            Err(refusal) => {
                let chain = error_chain(&refusal);
                let label = refusal.result_label();
                if refusal.is_rejection() {
                    warn!(result = label, error = %chain, "join refused");
                } else {
                    error!(result = label, error = %chain, "join failed");
                }
                // Internal details stay in the log; the network server gets the class only.
                let message = if refusal.is_rejection() {
                    chain
                } else {
                    String::from("internal error; see the join server logs")
                };
                let answer = pb::JoinAnswer {
                    result: Some(pb::join_answer::Result::Error(pb::JoinError {
                        code: refusal.join_error_code() as i32,
                        message,
                    })),
                };
                (label, answer)
            }
        };
        context
            .metrics
            .answered(result, started.elapsed().as_secs_f64());
        if delivery.expects_reply()
            && let Err(error) = delivery.reply(&answer).await
        {
            warn!(error = %error, "reply on js.join");
        }
    }
    .instrument(span)
    .await;
}

/// Joins an error and its sources with `: `.
fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Logs a request task that panicked; a finished one needs nothing.
fn log_task_end(joined: Result<(), JoinError>) {
    if let Err(join_error) = joined {
        error!(error = %join_error, "join request task panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_lists_every_source() {
        let error = Error::DecodePhyPayload(lorawan_codec::Error::TooShort { needed: 23, got: 3 });
        assert_eq!(
            error_chain(&error),
            "decode PHYPayload: input too short: needed 23 bytes, got 3"
        );
    }
}
