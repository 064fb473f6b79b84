//! Checked schema names, safe to splice into SQL text.
//!
//! PostgreSQL cannot bind identifiers as query parameters, so a service's schema goes into the
//! query text. [`SchemaName`] only admits plain lowercase identifiers and always renders quoted,
//! so a configured name can neither break a query nor inject SQL.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Longest identifier PostgreSQL keeps without truncation (NAMEDATALEN - 1).
const MAX_LEN: usize = 63;

/// A PostgreSQL schema name: 1 to 63 characters of `a-z`, `0-9` and `_`, starting with a
/// letter or `_`, and not starting with the reserved `pg_` prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

impl SchemaName {
    /// Checks `name` and wraps it; fails with [`Error::InvalidSchemaName`].
    pub fn new(name: &str) -> Result<SchemaName> {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if first_ok && rest_ok && name.len() <= MAX_LEN && !name.starts_with("pg_") {
            Ok(SchemaName(name.to_owned()))
        } else {
            Err(Error::InvalidSchemaName {
                name: name.to_owned(),
            })
        }
    }

    /// Returns the bare name, e.g. `join`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns `"<schema>"."<table>"` for a table name the caller controls (a literal).
    pub fn table(&self, table: &str) -> String {
        debug_assert!(
            SchemaName::new(table).is_ok(),
            "table names are plain identifiers"
        );
        format!("{self}.\"{table}\"")
    }
}

impl fmt::Display for SchemaName {
    /// Prints the quoted identifier, e.g. `"join"`, ready for SQL text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0)
    }
}

impl FromStr for SchemaName {
    type Err = Error;

    fn from_str(name: &str) -> Result<SchemaName> {
        SchemaName::new(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_plain_lowercase_identifiers() {
        let cases = [
            ("join", true),
            ("_x", true),
            ("test_0123456789abcdef", true),
            (&"a".repeat(63), true),
            (&"a".repeat(64), false),
            ("", false),
            ("Join", false),
            ("1join", false),
            ("jo-in", false),
            ("jo in", false),
            ("join\"; drop table x; --", false),
            ("pg_catalog", false),
            ("é", false),
        ];
        for (name, ok) in cases {
            assert_eq!(SchemaName::new(name).is_ok(), ok, "{name:?}");
        }
    }

    #[test]
    fn renders_quoted_for_sql_text() {
        let schema: SchemaName = "join".parse().unwrap();
        assert_eq!(schema.to_string(), "\"join\"");
        assert_eq!(schema.as_str(), "join");
        assert_eq!(schema.table("devices"), "\"join\".\"devices\"");
    }
}
