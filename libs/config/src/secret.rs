//! A wrapper that keeps secret config values out of logs and debug output.
//!
//! It redacts formatting only; it does not zero memory or encrypt the value.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// The text printed in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// Holds a secret value (password, key, credentials) read from config.
///
/// `Debug` and `Display` print `<redacted>`, so a secret never reaches a log line through `{:?}` of a
/// config struct.
/// It deserializes transparently from the plain value; it serializes as the `<redacted>` placeholder,
/// so writing a config back out never leaks the value.
/// Call [`Secret::expose`] at the one place that needs the value, e.g. when building a connection pool.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Returns a reference to the secret value; keep the result out of logs.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Returns the secret value, consuming the wrapper.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_print_redacted() {
        let secret = Secret::new(String::from("hunter2"));
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
    }

    #[test]
    fn deserializes_transparently_and_serializes_placeholder() {
        #[derive(Deserialize, Serialize)]
        struct Holder {
            password: Secret<String>,
        }
        let holder: Holder = toml::from_str(r#"password = "hunter2""#).unwrap();
        assert_eq!(holder.password.expose(), "hunter2");
        let text = toml::to_string(&holder).unwrap();
        assert_eq!(text.trim(), r#"password = "<redacted>""#);
        assert_eq!(holder.password.into_inner(), "hunter2");
    }
}
