//! The [`Bus`]: typed publish, subscribe and request/reply of protobuf messages over NATS.
//!
//! Every outgoing message carries the current span's W3C trace context in its headers
//! and every operation is counted in [`BusMetrics`]. The bus does not retry, queue or
//! persist anything: JetStream streams and consumers belong to the services that own them.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::RequestErrorKind;
use bytes::Bytes;
use futures::StreamExt;
use tracing::info;

use crate::metrics::RequestResult;
use crate::subscription::{Decoder, Subscription};
use crate::trace::TracePropagation;
use crate::{BusMetrics, BusOptions, Error, Result, Subject, Subjects, validate_token};

/// A connection to NATS with the subject map of one deployment.
///
/// Cheap to clone; clones share the connection, metrics and trace propagator.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<BusInner>,
}

struct BusInner {
    client: async_nats::Client,
    subjects: Subjects,
    metrics: BusMetrics,
    trace: TracePropagation,
    flush_timeout: Duration,
}

impl fmt::Debug for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bus")
            .field("subject_root", &self.inner.subjects.root())
            .finish()
    }
}

fn decode_prost<M: prost::Message + Default>(
    payload: Bytes,
) -> std::result::Result<M, prost::DecodeError> {
    M::decode(payload)
}

fn decode_raw(payload: Bytes) -> std::result::Result<Bytes, prost::DecodeError> {
    Ok(payload)
}

impl Bus {
    /// Connects to NATS with `options` and counts every operation in `metrics`.
    ///
    /// Fails at once when the root is not a single token, the credentials file cannot
    /// be read, or no server answers within `options.connection_timeout`; after that
    /// the client reconnects by itself.
    pub async fn connect(options: &BusOptions, metrics: BusMetrics) -> Result<Bus> {
        let subjects = Subjects::new(&options.subject_root)?;
        let connect_options = match &options.credentials_file {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|source| Error::Credentials {
                    path: path.clone(),
                    source,
                })?,
            None => match (&options.password, crate::options::url_user(&options.url)) {
                (Some(password), Some(user)) => async_nats::ConnectOptions::with_user_and_password(
                    user.to_owned(),
                    password.clone(),
                ),
                (Some(_), None) => return Err(Error::PasswordWithoutUser),
                (None, _) => async_nats::ConnectOptions::new(),
            },
        };
        let urls: Vec<&str> = options.url.split(',').map(str::trim).collect();
        let client = connect_options
            .name(&options.name)
            .connection_timeout(options.connection_timeout)
            .connect(urls)
            .await
            .map_err(Error::Connect)?;
        info!(subject_root = subjects.root(), name = %options.name, "connected to nats");
        let inner = BusInner {
            client,
            subjects,
            metrics,
            trace: TracePropagation::default(),
            flush_timeout: options.connection_timeout,
        };
        Ok(Bus {
            inner: Arc::new(inner),
        })
    }

    /// Returns the subject map of this bus's root.
    pub fn subjects(&self) -> &Subjects {
        &self.inner.subjects
    }

    /// Encodes `message` and publishes it on `subject`, with the current trace context.
    ///
    /// Returns once the message is queued on the connection; use [`Bus::flush`] to wait
    /// until the server has processed it.
    pub async fn publish<M: prost::Message>(&self, subject: &Subject, message: &M) -> Result<()> {
        self.publish_bytes(subject, Bytes::from(message.encode_to_vec()))
            .await
    }

    /// Publishes an already encoded payload (for the JSON subjects under `app.`).
    pub async fn publish_bytes(&self, subject: &Subject, payload: Bytes) -> Result<()> {
        if subject.is_wildcard() {
            return Err(Error::WildcardPublish {
                subject: subject.to_string(),
            });
        }
        let client = &self.inner.client;
        let res = match self.inner.trace.current_headers() {
            Some(headers) => {
                client
                    .publish_with_headers(subject.nats(), headers, payload)
                    .await
            }
            None => client.publish(subject.nats(), payload).await,
        };
        match res {
            Ok(()) => {
                self.inner.metrics.published(subject.kind());
                Ok(())
            }
            Err(source) => {
                self.inner.metrics.publish_failed(subject.kind());
                Err(Error::Publish {
                    subject: subject.to_string(),
                    source,
                })
            }
        }
    }

    /// Returns a JetStream context on this connection, for the services that own streams
    /// (stream creation and consumers); subjects still come from [`Subjects`].
    pub fn jetstream(&self) -> async_nats::jetstream::Context {
        async_nats::jetstream::new(self.inner.client.clone())
    }

    /// Publishes an encoded payload on `subject`, with the current trace context, and waits
    /// until the JetStream stream capturing `subject` confirms it stored the message.
    ///
    /// Fails with [`Error::Stream`] when no stream captures the subject or the store fails.
    pub async fn publish_stored(&self, subject: &Subject, payload: Bytes) -> Result<()> {
        if subject.is_wildcard() {
            return Err(Error::WildcardPublish {
                subject: subject.to_string(),
            });
        }
        let jetstream = self.jetstream();
        let sent = match self.inner.trace.current_headers() {
            Some(headers) => {
                jetstream
                    .publish_with_headers(subject.nats(), headers, payload)
                    .await
            }
            None => jetstream.publish(subject.nats(), payload).await,
        };
        let res = match sent {
            Ok(ack) => ack.await.map(drop),
            Err(error) => Err(error),
        };
        match res {
            Ok(()) => {
                self.inner.metrics.published(subject.kind());
                Ok(())
            }
            Err(source) => {
                self.inner.metrics.publish_failed(subject.kind());
                Err(Error::Stream {
                    subject: subject.to_string(),
                    source,
                })
            }
        }
    }

    /// Subscribes to `subject` (wildcards allowed); every subscriber gets every message.
    ///
    /// Returns once the server has registered the subscription (see [`Bus::flush`]).
    pub async fn subscribe<M: prost::Message + Default>(
        &self,
        subject: &Subject,
    ) -> Result<Subscription<M>> {
        self.subscribe_with(subject, None, decode_prost::<M>).await
    }

    /// Subscribes to `subject` in queue group `group`: each message goes to one member.
    pub async fn queue_subscribe<M: prost::Message + Default>(
        &self,
        subject: &Subject,
        group: &str,
    ) -> Result<Subscription<M>> {
        self.subscribe_with(subject, Some(group), decode_prost::<M>)
            .await
    }

    /// Subscribes to `subject` and yields raw payloads (for the JSON subjects).
    pub async fn subscribe_bytes(&self, subject: &Subject) -> Result<Subscription<Bytes>> {
        self.subscribe_with(subject, None, decode_raw).await
    }

    /// Subscribes to `subject` in queue group `group` and yields raw payloads.
    pub async fn queue_subscribe_bytes(
        &self,
        subject: &Subject,
        group: &str,
    ) -> Result<Subscription<Bytes>> {
        self.subscribe_with(subject, Some(group), decode_raw).await
    }

    async fn subscribe_with<M>(
        &self,
        subject: &Subject,
        group: Option<&str>,
        decode: Decoder<M>,
    ) -> Result<Subscription<M>> {
        let client = &self.inner.client;
        let res = match group {
            Some(group) => {
                validate_token(group)?;
                client
                    .queue_subscribe(subject.nats(), group.to_owned())
                    .await
            }
            None => client.subscribe(subject.nats()).await,
        };
        let subscriber = res.map_err(|source| Error::Subscribe {
            subject: subject.to_string(),
            source,
        })?;
        // Return only once the server has registered the interest, so a message
        // published by anyone after this call is delivered.
        self.flush().await?;
        Ok(Subscription::new(
            subscriber,
            subject.clone(),
            self.clone(),
            decode,
        ))
    }

    /// Sends `request` on `subject` and waits up to `timeout` for one reply.
    ///
    /// Fails with [`Error::NoResponders`] at once when nobody subscribes to `subject`,
    /// with [`Error::Timeout`] when subscribers exist but none replies in time, and with
    /// [`Error::Decode`] when the reply is not a valid `Resp`.
    pub async fn request<Req, Resp>(
        &self,
        subject: &Subject,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp>
    where
        Req: prost::Message,
        Resp: prost::Message + Default,
    {
        if subject.is_wildcard() {
            return Err(Error::WildcardPublish {
                subject: subject.to_string(),
            });
        }
        let mut nats_request = async_nats::Request::new()
            .payload(Bytes::from(request.encode_to_vec()))
            .timeout(Some(timeout));
        if let Some(headers) = self.inner.trace.current_headers() {
            nats_request = nats_request.headers(headers);
        }
        let started = Instant::now();
        let res = self
            .inner
            .client
            .send_request(subject.nats(), nats_request)
            .await;
        let (result, outcome) = match res {
            Ok(reply) => match Resp::decode(reply.payload) {
                Ok(response) => (RequestResult::Ok, Ok(response)),
                Err(source) => (
                    RequestResult::Decode,
                    Err(Error::Decode {
                        subject: subject.to_string(),
                        source,
                    }),
                ),
            },
            Err(source) => match source.kind() {
                RequestErrorKind::TimedOut => (
                    RequestResult::Timeout,
                    Err(Error::Timeout {
                        subject: subject.to_string(),
                        timeout,
                    }),
                ),
                RequestErrorKind::NoResponders => (
                    RequestResult::NoResponders,
                    Err(Error::NoResponders {
                        subject: subject.to_string(),
                    }),
                ),
                _ => (
                    RequestResult::Error,
                    Err(Error::Request {
                        subject: subject.to_string(),
                        source,
                    }),
                ),
            },
        };
        let seconds = started.elapsed().as_secs_f64();
        self.inner
            .metrics
            .request_done(subject.kind(), result, seconds);
        outcome
    }

    /// Waits until the server has processed everything sent so far on this connection:
    /// publishes are delivered to current subscribers and subscriptions are active.
    ///
    /// NATS handles one connection's operations in order, so a message published to a
    /// fresh inbox and received back proves everything before it was processed.
    /// Fails with [`Error::FlushTimeout`] after `BusOptions::connection_timeout`.
    pub async fn flush(&self) -> Result<()> {
        let client = &self.inner.client;
        let inbox = async_nats::Subject::from(client.new_inbox());
        let mut probe =
            client
                .subscribe(inbox.clone())
                .await
                .map_err(|source| Error::Subscribe {
                    subject: inbox.to_string(),
                    source,
                })?;
        client
            .publish(inbox.clone(), Bytes::new())
            .await
            .map_err(|source| Error::Publish {
                subject: inbox.to_string(),
                source,
            })?;
        client.flush().await.map_err(Error::Flush)?;
        let timeout = self.inner.flush_timeout;
        match tokio::time::timeout(timeout, probe.next()).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Error::Closed),
            Err(_) => Err(Error::FlushTimeout { timeout }),
        }
    }

    /// Starts a graceful shutdown of the connection.
    ///
    /// Every subscription stops receiving new messages, delivers what it has buffered
    /// and then ends; pending publishes are flushed; then the connection closes and
    /// later operations on any clone of this bus fail. Callers wait for their
    /// subscription streams to end to know that in-flight messages are handled.
    pub async fn drain(&self) -> Result<()> {
        info!(
            subject_root = self.inner.subjects.root(),
            "draining nats connection"
        );
        self.inner.client.drain().await.map_err(Error::Drain)
    }

    /// Publishes a reply with the current trace context, for [`crate::Delivery::reply`].
    pub(crate) async fn publish_reply(
        &self,
        reply: async_nats::Subject,
        subject: &Subject,
        payload: Bytes,
    ) -> Result<()> {
        let client = &self.inner.client;
        let res = match self.inner.trace.current_headers() {
            Some(headers) => {
                client
                    .publish_with_headers(reply.clone(), headers, payload)
                    .await
            }
            None => client.publish(reply.clone(), payload).await,
        };
        res.map_err(|source| Error::Publish {
            subject: reply.to_string(),
            source,
        })?;
        self.inner.metrics.published(subject.kind());
        Ok(())
    }

    pub(crate) fn metrics(&self) -> &BusMetrics {
        &self.inner.metrics
    }

    pub(crate) fn trace(&self) -> &TracePropagation {
        &self.inner.trace
    }
}
