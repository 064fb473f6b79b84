//! Validation helpers shared by the section structs: URL schemes, positive durations, non-empty
//! strings.
//!
//! Checks collect every finding instead of stopping at the first; they never touch the network or
//! the file system.

use std::time::Duration;

use toml::Value;

/// One validation failure before its origin is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Full dotted path of the key.
    pub(crate) path: String,
    /// The value as TOML text, with any URL password redacted.
    pub(crate) value: String,
    /// The broken rule.
    pub(crate) reason: &'static str,
}

/// Collects validation findings.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pub(crate) findings: Vec<Finding>,
}

impl Checks {
    /// Records a finding unless `ok` holds.
    pub(crate) fn require(&mut self, ok: bool, path: &str, value: &Value, reason: &'static str) {
        if !ok {
            self.findings.push(Finding {
                path: path.to_owned(),
                value: value.to_string(),
                reason,
            });
        }
    }

    /// Requires a non-empty string.
    pub(crate) fn non_empty(&mut self, path: &str, value: &str) {
        self.require(
            !value.trim().is_empty(),
            path,
            &text(value),
            "must not be empty",
        );
    }

    /// Requires a duration above zero.
    pub(crate) fn positive(&mut self, path: &str, value: Duration) {
        self.require(
            !value.is_zero(),
            path,
            &text(&humantime::format_duration(value).to_string()),
            "must be above zero",
        );
    }

    /// Requires an integer of at least one.
    pub(crate) fn at_least_one(&mut self, path: &str, value: u32) {
        self.require(
            value >= 1,
            path,
            &Value::Integer(i64::from(value)),
            "must be at least 1",
        );
    }

    /// Requires a URL with one of `schemes`, a host, and no password.
    ///
    /// `scheme_reason` names the allowed schemes for the operator.
    pub(crate) fn url(
        &mut self,
        path: &str,
        url: &str,
        schemes: &[&str],
        scheme_reason: &'static str,
    ) {
        let shown = text(&redact_password(url));
        match url_problem(url, schemes) {
            Some(UrlProblem::Scheme) => self.require(false, path, &shown, scheme_reason),
            Some(UrlProblem::Shape) => {
                self.require(false, path, &shown, "must be a URL: scheme://host[:port]")
            }
            Some(UrlProblem::Password) => self.require(
                false,
                path,
                &shown,
                "must not hold a password: set the section's password key instead",
            ),
            None => {}
        }
    }
}

/// Wraps text as a TOML string value for display.
pub(crate) fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

/// What is wrong with a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlProblem {
    Scheme,
    Shape,
    Password,
}

/// Splits a URL into scheme, optional user info and host part.
fn split_url(url: &str) -> Option<(&str, Option<&str>, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some(match authority.rsplit_once('@') {
        Some((user_info, host)) => (scheme, Some(user_info), host),
        None => (scheme, None, authority),
    })
}

fn url_problem(url: &str, schemes: &[&str]) -> Option<UrlProblem> {
    if url.chars().any(char::is_whitespace) {
        return Some(UrlProblem::Shape);
    }
    let Some((scheme, user_info, host)) = split_url(url) else {
        return Some(UrlProblem::Shape);
    };
    if !schemes
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(scheme))
    {
        return Some(UrlProblem::Scheme);
    }
    if host.is_empty() || host.starts_with(':') {
        return Some(UrlProblem::Shape);
    }
    if user_info.is_some_and(|user_info| user_info.contains(':')) {
        return Some(UrlProblem::Password);
    }
    None
}

/// Replaces the password of a URL, if any, with `<redacted>`.
pub(crate) fn redact_password(url: &str) -> String {
    match split_url(url) {
        Some((scheme, Some(user_info), _)) => match user_info.split_once(':') {
            Some((user, _)) => {
                let start = scheme.len() + "://".len() + user_info.len();
                format!(
                    "{scheme}://{user}:{}{}",
                    crate::secret::REDACTED,
                    &url[start..]
                )
            }
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_problem_table() {
        let schemes = ["redis", "rediss"];
        let cases = [
            ("redis://127.0.0.1:6379", None),
            ("REDIS://host", None),
            ("rediss://user@host:6380/0", None),
            ("redis://[::1]:6379", None),
            ("http://host", Some(UrlProblem::Scheme)),
            ("redis:/host", Some(UrlProblem::Shape)),
            ("127.0.0.1:6379", Some(UrlProblem::Shape)),
            ("redis://", Some(UrlProblem::Shape)),
            ("redis://:6379", Some(UrlProblem::Shape)),
            ("redis://user@", Some(UrlProblem::Shape)),
            ("redis://ho st", Some(UrlProblem::Shape)),
            ("redis://:pw@host", Some(UrlProblem::Password)),
            ("redis://user:pw@host/0", Some(UrlProblem::Password)),
        ];
        for (url, want) in cases {
            assert_eq!(url_problem(url, &schemes), want, "url {url:?}");
        }
    }

    #[test]
    fn redact_password_keeps_everything_but_the_password() {
        let cases = [
            (
                "redis://user:pw@host:1/0",
                "redis://user:<redacted>@host:1/0",
            ),
            ("redis://:p:w@host", "redis://:<redacted>@host"),
            ("redis://user@host", "redis://user@host"),
            ("redis://host/a@b", "redis://host/a@b"),
            ("not a url", "not a url"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_password(url), want, "url {url:?}");
        }
    }

    #[test]
    fn checks_collect_every_finding() {
        let mut checks = Checks::default();
        checks.non_empty("a.name", " ");
        checks.positive("a.timeout", Duration::ZERO);
        checks.at_least_one("a.size", 0);
        checks.url("a.url", "redis://u:pw@h", &["redis"], "must use redis://");
        checks.url("a.other", "http://h", &["redis"], "must use redis://");
        checks.non_empty("a.ok", "x");
        checks.positive("a.ok", Duration::from_millis(1));
        let got: Vec<_> = checks
            .findings
            .iter()
            .map(|finding| (finding.path.as_str(), finding.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a.name", "\" \""),
                ("a.timeout", "\"0s\""),
                ("a.size", "0"),
                ("a.url", "\"redis://u:<redacted>@h\""),
                ("a.other", "\"http://h\""),
            ]
        );
    }
}
