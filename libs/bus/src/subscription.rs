//! Typed subscriptions: a stream of decoded messages, each with its subject, trace
//! context and a way to reply.
//!
//! A message that does not decode is counted in `tern_bus_rejected_total`, logged at
//! `warn` and skipped; it never reaches the handler and never panics. Core NATS does
//! not redeliver, so skipping is final.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use tracing::warn;
use tracing_opentelemetry::{OpenTelemetrySpanExt, SetParentError};

use crate::metrics::RejectReason;
use crate::{Bus, Error, Result, Subject, SubjectKind};

/// Turns a payload into the subscription's item type.
pub(crate) type Decoder<M> = fn(Bytes) -> std::result::Result<M, prost::DecodeError>;

/// A subscription yielding [`Delivery`] items; ends when drained, unsubscribed or
/// when the bus is drained.
pub struct Subscription<M> {
    subscriber: async_nats::Subscriber,
    subject: Subject,
    bus: Bus,
    decode: Decoder<M>,
}

impl<M> fmt::Debug for Subscription<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("subject", &self.subject.as_str())
            .finish()
    }
}

impl<M> Subscription<M> {
    pub(crate) fn new(
        subscriber: async_nats::Subscriber,
        subject: Subject,
        bus: Bus,
        decode: Decoder<M>,
    ) -> Subscription<M> {
        Subscription {
            subscriber,
            subject,
            bus,
            decode,
        }
    }

    /// Returns the subject (possibly a wildcard) this subscription listens on.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// Stops receiving new messages; buffered ones are still yielded, then the stream
    /// ends.
    pub async fn drain(&mut self) -> Result<()> {
        self.subscriber
            .drain()
            .await
            .map_err(|source| Error::Unsubscribe {
                subject: self.subject.to_string(),
                source,
            })
    }

    /// Stops receiving at once; buffered messages are dropped.
    pub async fn unsubscribe(&mut self) -> Result<()> {
        self.subscriber
            .unsubscribe()
            .await
            .map_err(|source| Error::Unsubscribe {
                subject: self.subject.to_string(),
                source,
            })
    }

    /// Decodes one NATS message, or counts and logs it as rejected.
    fn accept(&self, message: async_nats::Message) -> Option<Delivery<M>> {
        let kind = self.subject.kind();
        match (self.decode)(message.payload) {
            Ok(decoded) => {
                self.bus.metrics().received(kind);
                Some(Delivery {
                    message: decoded,
                    trace_context: self.bus.trace().extract(message.headers.as_ref()),
                    subject: message.subject,
                    reply: message.reply,
                    source: self.subject.clone(),
                    bus: self.bus.clone(),
                })
            }
            Err(error) => {
                self.bus.metrics().rejected(kind, RejectReason::Decode);
                warn!(
                    subject = %message.subject,
                    kind = kind.as_str(),
                    error = %error,
                    "bus message rejected"
                );
                None
            }
        }
    }
}

impl<M> Stream for Subscription<M> {
    type Item = Delivery<M>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery<M>>> {
        let this = self.get_mut();
        loop {
            // Rejected messages are skipped; the receiver's cooperative budget makes it
            // return `Pending` eventually, so a flood of bad messages cannot spin forever.
            match Pin::new(&mut this.subscriber).poll_next(cx) {
                Poll::Ready(Some(message)) => {
                    if let Some(delivery) = this.accept(message) {
                        return Poll::Ready(Some(delivery));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// One received message: the decoded payload, where it came from, the sender's trace
/// context and, for requests, a way to reply.
pub struct Delivery<M> {
    message: M,
    subject: async_nats::Subject,
    reply: Option<async_nats::Subject>,
    source: Subject,
    trace_context: opentelemetry::Context,
    bus: Bus,
}

impl<M: fmt::Debug> fmt::Debug for Delivery<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("subject", &self.subject.as_str())
            .field("message", &self.message)
            .field("has_reply", &self.reply.is_some())
            .finish()
    }
}

impl<M> Delivery<M> {
    /// Returns the decoded message.
    pub fn message(&self) -> &M {
        &self.message
    }

    /// Returns the decoded message, giving up the ability to reply.
    pub fn into_message(self) -> M {
        self.message
    }

    /// Returns the concrete subject the message was published on (parse it with
    /// [`Subjects::parse`](crate::Subjects::parse) to get the ids back).
    pub fn subject(&self) -> &str {
        self.subject.as_str()
    }

    /// Returns the kind of the subscription's subject.
    pub fn kind(&self) -> SubjectKind {
        self.source.kind()
    }

    /// Returns the sender's OpenTelemetry context; empty when the message carried no
    /// `traceparent`.
    pub fn trace_context(&self) -> &opentelemetry::Context {
        &self.trace_context
    }

    /// Makes `span` a child of the sender's span, so the whole exchange is one trace.
    ///
    /// Call it on the handler's span before entering it. Without an OpenTelemetry
    /// layer or when `span` is disabled, this does nothing.
    pub fn continue_trace(&self, span: &tracing::Span) {
        if let Err(error) = span.set_parent(self.trace_context.clone()) {
            // A started span can no longer change parent: that is a bug in the handler.
            debug_assert!(
                !matches!(error, SetParentError::AlreadyStarted),
                "continue_trace called on a started span"
            );
            tracing::trace!(error = %error, "trace context not applied");
        }
    }

    /// Tells whether the sender waits for a reply (a request).
    pub fn expects_reply(&self) -> bool {
        self.reply.is_some()
    }

    /// Encodes `response` and sends it to the requester, with the current trace context.
    pub async fn reply<R: prost::Message>(&self, response: &R) -> Result<()> {
        self.reply_bytes(Bytes::from(response.encode_to_vec()))
            .await
    }

    /// Sends an already encoded reply to the requester.
    pub async fn reply_bytes(&self, payload: Bytes) -> Result<()> {
        let Some(reply) = &self.reply else {
            return Err(Error::NoReplySubject {
                subject: self.subject.to_string(),
            });
        };
        self.bus
            .publish_reply(reply.clone(), &self.source, payload)
            .await
    }
}
