//! The identity service's error type and its one mapping to gRPC status codes.
//!
//! Messages name the entity and its scope so a person can act on them, e.g.
//! `device 0004a30b001c0530 not found in application "field-sensors"`. Internal errors reach
//! the caller as a generic message with a trace id; their chain is only logged.

use tern_proto::{ErrorCode, ServiceError};
use tonic::Status;
use tracing::error;

/// Errors of the identity service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the request is malformed or out of range.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The request field, e.g. `device.dev_eui`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The entity does not exist, or not where the caller may see it.
    #[error("{kind} {id} not found{scope}")]
    NotFound {
        /// Entity kind, e.g. `device`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// Where it was looked for, e.g. ` in application "field-sensors"`, or empty.
        scope: String,
    },
    /// An entity with this id exists already.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// Entity kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The entity still has dependants, so it cannot be deleted.
    #[error("{kind} {id} still has {dependants}; delete them first")]
    InUse {
        /// Entity kind.
        kind: &'static str,
        /// Its id.
        id: String,
        /// What still refers to it.
        dependants: &'static str,
    },
    /// The API key lacks a right or acts outside its tenant.
    #[error("permission denied: {reason}")]
    PermissionDenied {
        /// Why, e.g. `api key lacks right devices:write`.
        reason: String,
    },
    /// No or no valid API key.
    #[error("unauthenticated: {reason}")]
    Unauthenticated {
        /// Why, e.g. `missing authorization metadata`.
        reason: &'static str,
    },
    /// The database is unreachable.
    #[error("database unavailable")]
    Unavailable(#[from] deadpool_postgres::PoolError),
    /// A query failed unexpectedly.
    #[error("query {what}")]
    Query {
        /// The query, e.g. `insert device`.
        what: &'static str,
        /// The database error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The join server did not store a root-key change.
    #[error("join server unavailable: {0}")]
    JoinServer(String),
    /// A service the call depends on (event stream, application service) did not answer.
    #[error("{what} unavailable: {reason}")]
    Upstream {
        /// The dependency, e.g. `event stream`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The network or application service did not take a device change, so the change was
    /// undone.
    #[error("{service} service {problem}; the device was not {not_done}{undone}")]
    Provision {
        /// `network` or `application`.
        service: &'static str,
        /// `did not answer`, or the refusal.
        problem: String,
        /// `created`, `updated`, `deleted` or `activated`.
        not_done: &'static str,
        /// What became of the service that had taken the change already, e.g.
        /// `; the network service was set back to its previous state`, or empty.
        undone: &'static str,
        /// The code the caller gets.
        code: ErrorCode,
    },
    /// A device profile changed, but some of its devices did not reach the network or
    /// application service with the new settings.
    #[error(
        "device profile {profile_id:?} updated, but {failed} of its {total} devices were not \
         updated in the network and application services ({first}); update the profile again \
         to retry"
    )]
    ProfileDevices {
        /// The profile.
        profile_id: String,
        /// Devices not updated.
        failed: usize,
        /// Devices of the profile.
        total: usize,
        /// The first failure, for the reader.
        first: String,
    },
    /// The request is valid, but the entity or the service is not in a state to take it
    /// (an OTAA device asked to activate by personalisation, no KEK configured).
    #[error("{0}")]
    FailedPrecondition(String),
    /// Migrating the schema failed.
    #[error("migrate identity schema")]
    Migrate(#[from] tern_postgres::Error),
    /// A password could not be hashed or a random secret drawn.
    #[error("{0}")]
    Crypto(&'static str),
}

/// Result of identity operations.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Returns a closure wrapping a query error with what the query did.
    pub(crate) fn query(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
        move |source| Error::Query { what, source }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(kind: &'static str, id: impl Into<String>) -> Error {
        Error::NotFound {
            kind,
            id: id.into(),
            scope: String::new(),
        }
    }

    pub(crate) fn denied(reason: impl Into<String>) -> Error {
        Error::PermissionDenied {
            reason: reason.into(),
        }
    }
}

impl ServiceError for Error {
    fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidArgument { .. } | Error::InUse { .. } => ErrorCode::InvalidArgument,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Error::PermissionDenied { .. } => ErrorCode::PermissionDenied,
            Error::Unauthenticated { .. } => ErrorCode::Unauthenticated,
            Error::Unavailable(_) | Error::JoinServer(_) | Error::Upstream { .. } => {
                ErrorCode::Unavailable
            }
            Error::Provision { code, .. } => *code,
            Error::ProfileDevices { .. } => ErrorCode::Unavailable,
            // `ErrorCode` has no FAILED_PRECONDITION; `status` maps this variant itself, and
            // the nearest shared code says retrying the same request will not help.
            Error::FailedPrecondition(_) => ErrorCode::InvalidArgument,
            Error::Query { .. } | Error::Migrate(_) | Error::Crypto(_) => ErrorCode::Internal,
        }
    }
}

/// Turns an identity error into a gRPC status; the one place where this happens.
pub(crate) fn status(error: &Error) -> Status {
    let message = error.to_string();
    if let Error::FailedPrecondition(_) = error {
        return Status::failed_precondition(message);
    }
    match error.code() {
        ErrorCode::InvalidArgument => Status::invalid_argument(message),
        ErrorCode::NotFound => Status::not_found(message),
        ErrorCode::AlreadyExists => Status::already_exists(message),
        ErrorCode::PermissionDenied => Status::permission_denied(message),
        ErrorCode::Unauthenticated => Status::unauthenticated(message),
        ErrorCode::Unavailable => Status::unavailable(message),
        ErrorCode::Internal => {
            let trace_id = trace_id();
            error!(error = ?error, %trace_id, "identity api request failed");
            Status::internal(format!("internal error (trace id {trace_id})"))
        }
    }
}

/// Returns an id to find this failure in the logs: random, since the API layer carries no
/// trace context yet.
fn trace_id() -> String {
    let mut bytes = [0_u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => hex::encode(bytes),
        Err(_) => String::from("unavailable"),
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Status {
        status(&error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_the_entity_and_its_scope() {
        let error = Error::NotFound {
            kind: "device",
            id: "0004a30b001c0530".to_owned(),
            scope: " in application \"field-sensors\"".to_owned(),
        };
        let status = status(&error);
        assert_eq!(status.code(), tonic::Code::NotFound);
        assert_eq!(
            status.message(),
            "device 0004a30b001c0530 not found in application \"field-sensors\""
        );
    }

    #[test]
    fn internal_errors_hide_their_chain() {
        let status = status(&Error::Crypto("draw random secret"));
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(status.message().starts_with("internal error (trace id "));
        assert!(!status.message().contains("random"));
    }
}
