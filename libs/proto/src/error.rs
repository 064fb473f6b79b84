//! The error contract shared by every service: a coarse [`ErrorCode`] per error.
//!
//! The gRPC layer maps [`ErrorCode`] to a status code in one place; this module
//! deliberately knows nothing about gRPC, HTTP or NATS.

use std::fmt;

/// Coarse class of a service error, chosen by the code that raised it.
///
/// The classes follow the gRPC status codes of the same names
/// (gRPC `doc/statuscodes.md`), so the mapping to `tonic::Status` is one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The caller sent something malformed or out of range; retrying won't help.
    InvalidArgument,
    /// The addressed entity (device, gateway, session, ...) does not exist.
    NotFound,
    /// The entity to create exists already.
    AlreadyExists,
    /// The caller is known but lacks the right for this operation.
    PermissionDenied,
    /// The caller did not present valid credentials.
    Unauthenticated,
    /// A dependency (NATS, Redis, PostgreSQL, another service) is unreachable or
    /// overloaded; retrying with backoff may succeed.
    Unavailable,
    /// A bug or broken invariant. Callers get a generic message plus the trace id;
    /// the error chain is logged, never sent.
    Internal,
}

impl ErrorCode {
    /// Every code, for exhaustive tables and tests.
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::PermissionDenied,
        ErrorCode::Unauthenticated,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// Returns the snake_case name, stable for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// Tells whether the same request may succeed later without change.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::Unavailable)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that a service may return to a caller.
///
/// Every service crate's `Error` implements it; the gRPC layer and NATS reply
/// handlers use [`ServiceError::code`] to pick the status to send back.
pub trait ServiceError: std::error::Error {
    /// Returns the class of this error.
    fn code(&self) -> ErrorCode;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_names_are_distinct_snake_case() {
        let names: std::collections::HashSet<&str> =
            ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn only_unavailable_is_retryable() {
        let cases = [
            (ErrorCode::InvalidArgument, false),
            (ErrorCode::NotFound, false),
            (ErrorCode::AlreadyExists, false),
            (ErrorCode::PermissionDenied, false),
            (ErrorCode::Unauthenticated, false),
            (ErrorCode::Unavailable, true),
            (ErrorCode::Internal, false),
        ];
        assert_eq!(cases.len(), ErrorCode::ALL.len());
        for (code, retryable) in cases {
            assert_eq!(code.is_retryable(), retryable, "{code}");
        }
    }

    #[derive(Debug, thiserror::Error)]
    enum SampleError {
        #[error("device not found")]
        DeviceNotFound,
        #[error("redis unreachable")]
        Redis,
    }

    impl ServiceError for SampleError {
        fn code(&self) -> ErrorCode {
            match self {
                SampleError::DeviceNotFound => ErrorCode::NotFound,
                SampleError::Redis => ErrorCode::Unavailable,
            }
        }
    }

    #[test]
    fn service_error_is_usable_as_trait_object() {
        let errors: Vec<Box<dyn ServiceError>> = vec![
            Box::new(SampleError::DeviceNotFound),
            Box::new(SampleError::Redis),
        ];
        let codes: Vec<ErrorCode> = errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes, vec![ErrorCode::NotFound, ErrorCode::Unavailable]);
        assert_eq!(errors[0].to_string(), "device not found");
    }
}
