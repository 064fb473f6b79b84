//! Environment overrides: `TERN_<SECTION>__<KEY>` variables merged into the parsed TOML tree.
//!
//! The mapping is mechanical: lowercase the name after `TERN_` and read `__` as the `.` of the
//! TOML path, so `TERN_NATS__SUBJECT_ROOT` sets `[nats] subject_root`.
//! Each value is converted to the TOML type of the key's default before the tree is deserialized.
//! There is no `$VAR` substitution inside the config file.
//!
//! Variables starting with `TERN_` but without `__` are not overrides and are ignored, so names
//! such as `TERN_CONFIG` or the `TERN_*_SERVICE_HOST` variables Kubernetes injects for a Service
//! named `tern-*` do no harm; one that spells a known key with a single underscore is reported.

use std::collections::{BTreeMap, HashMap};

use toml::{Table, Value};

use crate::error::{Origin, Problem, ProblemKind};
use crate::schema::{self, Node, SectionDoc};

/// Prefix of every override variable.
pub(crate) const PREFIX: &str = "TERN_";

/// Separator between path segments in an override variable.
pub(crate) const SEPARATOR: &str = "__";

/// Merges the `TERN_*` overrides of `env` into `table`.
///
/// Returns the overridden dotted paths with the variable that set each; problems are appended to
/// `problems` in variable-name order.
pub(crate) fn apply(
    sections: &[&'static SectionDoc],
    table: &mut Table,
    env: &HashMap<String, String>,
    defaults: &Table,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let mut overridden = BTreeMap::new();
    let mut keys: Vec<&String> = env.keys().filter(|key| key.starts_with(PREFIX)).collect();
    keys.sort();
    for key in keys {
        let rest = &key[PREFIX.len()..];
        let raw = &env[key];
        if !rest.contains(SEPARATOR) {
            if let Some(expected) = misspelled(sections, rest) {
                problems.push(Problem {
                    path: rest.to_ascii_lowercase(),
                    origin: Origin::Env(key.clone()),
                    value: None,
                    kind: ProblemKind::MisspelledEnvKey { expected },
                });
            }
            continue;
        }
        let path = rest
            .split(SEPARATOR)
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        let mut problem = |value: Option<String>, kind: ProblemKind| {
            problems.push(Problem {
                path: path.clone(),
                origin: Origin::Env(key.clone()),
                value,
                kind,
            });
        };
        let key_doc = match schema::lookup(sections, &path) {
            Some(Node::Key(key_doc)) => key_doc,
            Some(Node::Section) => {
                problem(None, ProblemKind::NotAKey);
                continue;
            }
            None => {
                // The value is not printed: a misspelled password key would leak it.
                problem(None, ProblemKind::UnknownKey);
                continue;
            }
        };
        match convert(
            raw,
            schema::typed_default(defaults, &path, key_doc).as_ref(),
        ) {
            Ok(value) => {
                if insert(table, &path, value) {
                    overridden.insert(path.clone(), key.clone());
                }
            }
            Err(expected) => {
                let shown = (!key_doc.secret).then(|| Value::String(raw.clone()).to_string());
                problem(shown, ProblemKind::WrongType { expected });
            }
        }
    }
    overridden
}

/// Converts an environment string to the TOML type of the default value.
///
/// Keys without a default (optional ones) take the string as is.
fn convert(raw: &str, default: Option<&Value>) -> Result<Value, &'static str> {
    let trimmed = raw.trim();
    match default {
        None | Some(Value::String(_)) => Ok(Value::String(raw.to_owned())),
        Some(Value::Integer(_)) => trimmed
            .parse()
            .map(Value::Integer)
            .map_err(|_| type_name(&Value::Integer(0))),
        Some(Value::Float(_)) => trimmed
            .parse()
            .map(Value::Float)
            .map_err(|_| type_name(&Value::Float(0.0))),
        Some(Value::Boolean(_)) => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(type_name(&Value::Boolean(false))),
        },
        // Arrays, tables and datetimes are written in TOML syntax, e.g. `["a", "b"]`.
        Some(other) => {
            let wrapped = format!("v = {trimmed}");
            toml::from_str::<Table>(&wrapped)
                .ok()
                .and_then(|mut table| table.remove("v"))
                .filter(|value| value.same_type(other))
                .ok_or(type_name(other))
        }
    }
}

/// Inserts `value` at a dotted path, creating missing tables.
///
/// Returns `false` when a parent is present but not a table; the key check reports that.
fn insert(table: &mut Table, path: &str, value: Value) -> bool {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(leaf) = parts.pop() else {
        return false;
    };
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part)
            .or_insert_with(|| Value::Table(Table::new()));
        match entry {
            Value::Table(child) => current = child,
            _ => return false,
        }
    }
    current.insert(leaf.to_owned(), value);
    true
}

/// Returns the override name a single-underscore variable probably meant, e.g. `TERN_NATS__URL`
/// for `NATS_URL`.
fn misspelled(sections: &[&'static SectionDoc], rest: &str) -> Option<String> {
    let lower = rest.to_ascii_lowercase();
    schema::leaf_paths(sections)
        .into_iter()
        .find(|(path, _)| path.replace('.', "_") == lower)
        .map(|(path, _)| schema::env_key(&path))
}

/// Names the TOML type of a value, as used in error messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Integer(_) => "integer",
        Value::Float(_) => "float",
        Value::Boolean(_) => "boolean",
        Value::Datetime(_) => "datetime",
        Value::Array(_) => "array",
        Value::Table(_) => "table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::KeyDoc;

    static TOP: SectionDoc = SectionDoc {
        path: "net",
        doc: "Net.",
        keys: &[
            KeyDoc::new("name", "Name."),
            KeyDoc::new("count", "Count."),
            KeyDoc::new("ratio", "Ratio."),
            KeyDoc::new("enabled", "Enabled."),
            KeyDoc::new("bands", "Bands."),
            KeyDoc::optional("token", "Token.", "\"t\"").secret(),
        ],
    };
    static NESTED: SectionDoc = SectionDoc {
        path: "net.adr",
        doc: "ADR.",
        keys: &[KeyDoc::new("margin_db", "Margin.")],
    };

    fn defaults() -> Table {
        toml::from_str(
            "[net]\nname = \"a\"\ncount = 1\nratio = 0.5\nenabled = true\nbands = [\"EU868\"]\n\
             [net.adr]\nmargin_db = 10\n",
        )
        .unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn run(pairs: &[(&str, &str)]) -> (Table, BTreeMap<String, String>, Vec<Problem>) {
        let mut table = Table::new();
        let mut problems = Vec::new();
        let overridden = apply(
            &[&TOP, &NESTED],
            &mut table,
            &env(pairs),
            &defaults(),
            &mut problems,
        );
        (table, overridden, problems)
    }

    #[test]
    fn converts_values_to_the_type_of_the_default() {
        let (table, overridden, problems) = run(&[
            ("TERN_NET__NAME", "b"),
            ("TERN_NET__COUNT", " 42 "),
            ("TERN_NET__RATIO", "0.25"),
            ("TERN_NET__ENABLED", "FALSE"),
            ("TERN_NET__BANDS", r#"["US915", "AU915"]"#),
            ("TERN_NET__TOKEN", "s3cret"),
            ("TERN_NET__ADR__MARGIN_DB", "15"),
            ("OTHER", "ignored"),
        ]);
        assert_eq!(problems, vec![]);
        let want: Table = toml::from_str(
            "[net]\nname = \"b\"\ncount = 42\nratio = 0.25\nenabled = false\n\
             bands = [\"US915\", \"AU915\"]\ntoken = \"s3cret\"\n[net.adr]\nmargin_db = 15\n",
        )
        .unwrap();
        assert_eq!(table, want);
        assert_eq!(overridden.len(), 7);
        assert_eq!(overridden["net.adr.margin_db"], "TERN_NET__ADR__MARGIN_DB");
    }

    #[test]
    fn reports_every_bad_variable_without_leaking_unknown_values() {
        let (table, _, problems) = run(&[
            ("TERN_NET__COUNT", "many"),
            ("TERN_NET__ENABLED", "yes"),
            ("TERN_NET__BANDS", "EU868"),
            ("TERN_NET__PASWORD", "hunter2"),
            ("TERN_NET__ADR", "1"),
            ("TERN_NET_NAME", "x"),
            ("TERN_NETWORK_SERVICE_HOST", "10.0.0.1"),
            ("TERN_CONFIG", "/etc/tern.toml"),
        ]);
        let env_problem = |path: &str, key: &str, value: Option<&str>, kind| Problem {
            path: path.into(),
            origin: Origin::Env(key.into()),
            value: value.map(String::from),
            kind,
        };
        assert_eq!(
            problems,
            vec![
                // Sorted by variable name: `TERN_NET_N` sorts before `TERN_NET__`.
                env_problem(
                    "net_name",
                    "TERN_NET_NAME",
                    None,
                    ProblemKind::MisspelledEnvKey {
                        expected: "TERN_NET__NAME".into()
                    }
                ),
                env_problem("net.adr", "TERN_NET__ADR", None, ProblemKind::NotAKey),
                env_problem(
                    "net.bands",
                    "TERN_NET__BANDS",
                    Some("\"EU868\""),
                    ProblemKind::WrongType { expected: "array" }
                ),
                env_problem(
                    "net.count",
                    "TERN_NET__COUNT",
                    Some("\"many\""),
                    ProblemKind::WrongType {
                        expected: "integer"
                    }
                ),
                env_problem(
                    "net.enabled",
                    "TERN_NET__ENABLED",
                    Some("\"yes\""),
                    ProblemKind::WrongType {
                        expected: "boolean"
                    }
                ),
                env_problem(
                    "net.pasword",
                    "TERN_NET__PASWORD",
                    None,
                    ProblemKind::UnknownKey
                ),
            ]
        );
        assert!(table.is_empty());
    }

    #[test]
    fn skips_insert_below_a_non_table_value() {
        let mut table: Table = toml::from_str("net = 3").unwrap();
        let mut problems = Vec::new();
        let overridden = apply(
            &[&TOP, &NESTED],
            &mut table,
            &env(&[("TERN_NET__NAME", "b")]),
            &defaults(),
            &mut problems,
        );
        assert!(overridden.is_empty());
        assert_eq!(table["net"], Value::Integer(3));
    }
}
