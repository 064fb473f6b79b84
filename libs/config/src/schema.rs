//! The documented key list of every config section, used as the schema for overrides and as the
//! source of the rendered default config file.
//!
//! It holds documentation and key names only; types and defaults come from the section structs
//! themselves, and a test checks that both agree.

use toml::{Table, Value};

/// Documents one key of a config section.
#[derive(Debug)]
pub(crate) struct KeyDoc {
    /// Key name inside its section, e.g. `subject_root`.
    pub(crate) key: &'static str,
    /// Doc text, one sentence per line.
    pub(crate) doc: &'static str,
    /// TOML text shown (commented out) for a key that has no default value.
    pub(crate) example: Option<&'static str>,
    /// Whether the value must never be printed, not even in an error.
    pub(crate) secret: bool,
}

impl KeyDoc {
    /// Documents a key that has a default value.
    pub(crate) const fn new(key: &'static str, doc: &'static str) -> Self {
        Self {
            key,
            doc,
            example: None,
            secret: false,
        }
    }

    /// Documents an optional key that is unset by default, with example TOML text for its value.
    pub(crate) const fn optional(
        key: &'static str,
        doc: &'static str,
        example: &'static str,
    ) -> Self {
        Self {
            key,
            doc,
            example: Some(example),
            secret: false,
        }
    }

    /// Marks the key as secret.
    pub(crate) const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}

/// Documents one config table, e.g. `[nats]`.
#[derive(Debug)]
pub(crate) struct SectionDoc {
    /// Dotted TOML path of the table, e.g. `nats`.
    pub(crate) path: &'static str,
    /// Doc text, one sentence per line.
    pub(crate) doc: &'static str,
    /// Every key of the table, in the order they are rendered.
    pub(crate) keys: &'static [KeyDoc],
}

/// What a dotted config path names.
#[derive(Debug)]
pub(crate) enum Node {
    /// A config table.
    Section,
    /// A leaf key.
    Key(&'static KeyDoc),
}

/// Looks up a dotted path, e.g. `nats.url`, in the documented sections.
pub(crate) fn lookup(sections: &[&'static SectionDoc], path: &str) -> Option<Node> {
    for section in sections {
        if section.path == path {
            return Some(Node::Section);
        }
        // A parent of a nested section is a section too.
        if section.path.starts_with(path) && section.path.as_bytes().get(path.len()) == Some(&b'.')
        {
            return Some(Node::Section);
        }
        let key = path
            .strip_prefix(section.path)
            .and_then(|rest| rest.strip_prefix('.'));
        if let Some(doc) = key.and_then(|key| section.keys.iter().find(|doc| doc.key == key)) {
            return Some(Node::Key(doc));
        }
    }
    None
}

/// Returns every documented leaf path, e.g. `nats.url`, in rendering order.
pub(crate) fn leaf_paths(sections: &[&'static SectionDoc]) -> Vec<(String, &'static KeyDoc)> {
    sections
        .iter()
        .flat_map(|section| {
            section
                .keys
                .iter()
                .map(move |key| (format!("{}.{}", section.path, key.key), key))
        })
        .collect()
}

/// Returns the value at a dotted path in a TOML table.
pub(crate) fn value_at<'a>(table: &'a Table, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut value = table.get(first)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

/// Returns the value that gives a key's TOML type: its default, or else its parsed example.
pub(crate) fn typed_default(defaults: &Table, path: &str, key: &KeyDoc) -> Option<Value> {
    if let Some(value) = value_at(defaults, path) {
        return Some(value.clone());
    }
    let example = key.example?;
    toml::from_str::<Table>(&format!("v = {example}"))
        .ok()
        .and_then(|mut table| table.remove("v"))
}

/// Returns the environment variable that overrides a dotted path: `nats.subject_root` gives
/// `TERN_NATS__SUBJECT_ROOT`.
pub(crate) fn env_key(path: &str) -> String {
    let mut key = String::from(crate::env::PREFIX);
    for (idx, part) in path.split('.').enumerate() {
        if idx > 0 {
            key.push_str(crate::env::SEPARATOR);
        }
        key.push_str(&part.to_ascii_uppercase());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    static NESTED: SectionDoc = SectionDoc {
        path: "net.adr",
        doc: "ADR.",
        keys: &[KeyDoc::new("margin_db", "Margin.")],
    };
    static TOP: SectionDoc = SectionDoc {
        path: "net",
        doc: "Net.",
        keys: &[KeyDoc::optional("name", "Name.", "\"x\"").secret()],
    };

    #[test]
    fn lookup_finds_sections_parents_and_keys() {
        let sections: &[&'static SectionDoc] = &[&TOP, &NESTED];
        let cases = [
            ("net", Some("section")),
            ("net.adr", Some("section")),
            ("net.adr.margin_db", Some("margin_db")),
            ("net.name", Some("name")),
            ("net.ad", None),
            ("net.adr.name", None),
            ("nett", None),
            ("", None),
        ];
        for (path, want) in cases {
            let got = match lookup(sections, path) {
                Some(Node::Section) => Some("section"),
                Some(Node::Key(doc)) => Some(doc.key),
                None => None,
            };
            assert_eq!(got, want, "path {path:?}");
        }
    }

    #[test]
    fn env_key_upper_cases_and_joins_with_double_underscore() {
        assert_eq!(env_key("nats.subject_root"), "TERN_NATS__SUBJECT_ROOT");
        assert_eq!(env_key("net.adr.margin_db"), "TERN_NET__ADR__MARGIN_DB");
    }

    #[test]
    fn value_at_walks_nested_tables() {
        let table: Table = toml::from_str("[a.b]\nc = 1\n[d]\ne = 2").unwrap();
        assert_eq!(value_at(&table, "a.b.c"), Some(&Value::Integer(1)));
        assert_eq!(value_at(&table, "d.e"), Some(&Value::Integer(2)));
        assert_eq!(value_at(&table, "d.e.f"), None);
        assert_eq!(value_at(&table, "x"), None);
    }
}
