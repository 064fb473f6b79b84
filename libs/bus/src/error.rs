//! The error type of `tern-bus`.
//!
//! Subjects appear in full in error messages (they help debugging and may contain
//! EUIs); metrics use the bounded [`SubjectKind`](crate::SubjectKind) instead.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tern_proto::{ErrorCode, ServiceError};

/// Why a string cannot be a NATS subject token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidTokenReason {
    /// The token is empty.
    Empty,
    /// The token contains the `.` separator.
    Separator,
    /// The token contains a `*` or `>` wildcard.
    Wildcard,
    /// The token contains whitespace or a control character.
    Whitespace,
}

impl fmt::Display for InvalidTokenReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidTokenReason::Empty => "empty",
            InvalidTokenReason::Separator => "contains '.'",
            InvalidTokenReason::Wildcard => "contains a wildcard",
            InvalidTokenReason::Whitespace => "contains whitespace or a control character",
        })
    }
}

/// Errors of subject building, connecting, publishing, subscribing and requests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An id or root cannot be used as a subject token.
    #[error("invalid subject token {token:?}: {reason}")]
    InvalidToken {
        /// The rejected token.
        token: String,
        /// What is wrong with it.
        reason: InvalidTokenReason,
    },
    /// A subject does not match any entry of the subject map under this root.
    #[error("unknown subject {subject:?}")]
    UnknownSubject {
        /// The subject as received.
        subject: String,
    },
    /// A password was configured but the URL names no user (`nats://user@host`).
    #[error("nats password given but the url names no user (nats://user@host)")]
    PasswordWithoutUser,
    /// The NATS credentials file could not be read or parsed.
    #[error("read nats credentials file {path}")]
    Credentials {
        /// The configured path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The connection to NATS could not be established.
    #[error("connect to nats")]
    Connect(#[source] async_nats::ConnectError),
    /// A wildcard subject was used to publish or request; wildcards only subscribe.
    #[error("cannot publish to wildcard subject {subject}")]
    WildcardPublish {
        /// The subject.
        subject: String,
    },
    /// A message could not be published.
    #[error("publish to {subject}")]
    Publish {
        /// The subject.
        subject: String,
        /// The underlying error.
        #[source]
        source: async_nats::client::PublishError,
    },
    /// A subscription could not be created.
    #[error("subscribe to {subject}")]
    Subscribe {
        /// The subject.
        subject: String,
        /// The underlying error.
        #[source]
        source: async_nats::SubscribeError,
    },
    /// A subscription could not be drained or unsubscribed.
    #[error("unsubscribe from {subject}")]
    Unsubscribe {
        /// The subject.
        subject: String,
        /// The underlying error.
        #[source]
        source: async_nats::UnsubscribeError,
    },
    /// A request got no reply within its timeout.
    #[error("request to {subject} timed out after {timeout:?}")]
    Timeout {
        /// The subject.
        subject: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// A request found no subscriber on its subject.
    #[error("no responders on {subject}")]
    NoResponders {
        /// The subject.
        subject: String,
    },
    /// A request failed for another reason (connection lost, payload too large).
    #[error("request to {subject}")]
    Request {
        /// The subject.
        subject: String,
        /// The underlying error.
        #[source]
        source: async_nats::RequestError,
    },
    /// A reply could not be decoded as the expected message.
    #[error("decode reply from {subject}")]
    Decode {
        /// The subject the request went to.
        subject: String,
        /// The protobuf error.
        #[source]
        source: prost::DecodeError,
    },
    /// [`Delivery::reply`](crate::Delivery::reply) was called on a message sent
    /// without a reply subject.
    #[error("message on {subject} has no reply subject")]
    NoReplySubject {
        /// The subject the message came on.
        subject: String,
    },
    /// Pending messages could not be flushed.
    #[error("flush nats connection")]
    Flush(#[source] async_nats::client::FlushError),
    /// The server did not confirm a flush in time.
    #[error("nats flush not confirmed within {timeout:?}")]
    FlushTimeout {
        /// The time waited.
        timeout: Duration,
    },
    /// The connection is closed (drained, or given up).
    #[error("nats connection closed")]
    Closed,
    /// The connection could not be drained.
    #[error("drain nats connection")]
    Drain(#[source] async_nats::client::DrainError),
    /// JetStream did not confirm that a stream stored a message.
    #[error("store message of {subject} in jetstream")]
    Stream {
        /// The subject.
        subject: String,
        /// The client's error.
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
}

/// Result of `tern-bus` operations.
pub type Result<T> = std::result::Result<T, Error>;

impl ServiceError for Error {
    fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidToken { .. }
            | Error::PasswordWithoutUser
            | Error::UnknownSubject { .. }
            | Error::WildcardPublish { .. } => ErrorCode::InvalidArgument,
            Error::Connect(_)
            | Error::Stream { .. }
            | Error::Publish { .. }
            | Error::Subscribe { .. }
            | Error::Unsubscribe { .. }
            | Error::Timeout { .. }
            | Error::NoResponders { .. }
            | Error::Request { .. }
            | Error::Flush(_)
            | Error::FlushTimeout { .. }
            | Error::Closed
            | Error::Drain(_) => ErrorCode::Unavailable,
            Error::Credentials { .. } | Error::Decode { .. } | Error::NoReplySubject { .. } => {
                ErrorCode::Internal
            }
        }
    }
}
