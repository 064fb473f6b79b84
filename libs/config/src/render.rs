//! Renders the commented default config file from the section docs and the default values.
//!
//! The output is what `tern configfile` prints and what `docs/configuration.md` embeds; it is
//! valid TOML that loads back into the defaults.

use std::fmt::Write as _;

use toml::Table;

use crate::schema::{self, SectionDoc};

/// Header of the rendered file.
const HEADER: &str = "\
# Tern configuration file.
# Every key is optional; the values shown are the defaults.
# Each key can be overridden by an environment variable named after its path:
# `TERN_` + section + `__` + key, upper case, e.g. TERN_NATS__SUBJECT_ROOT for `subject_root` in [nats].
";

/// Renders every section with its keys, docs and default values.
pub(crate) fn render(sections: &[&'static SectionDoc], defaults: &Table) -> String {
    let mut out = String::from(HEADER);
    for section in sections {
        out.push('\n');
        comment(&mut out, section.doc);
        // Writing to a String cannot fail.
        let _ = writeln!(out, "[{}]", section.path);
        for key in section.keys {
            let path = format!("{}.{}", section.path, key.key);
            out.push('\n');
            comment(&mut out, key.doc);
            if key.secret {
                out.push_str("# Secret: never logged.\n");
            }
            let _ = writeln!(out, "# Env: {}", schema::env_key(&path));
            match schema::value_at(defaults, &path) {
                Some(value) => {
                    let _ = writeln!(out, "{} = {value}", key.key);
                }
                None => {
                    out.push_str("# Unset by default.\n");
                    let _ = writeln!(out, "# {} = {}", key.key, key.example.unwrap_or("\"\""));
                }
            }
        }
    }
    out
}

/// Writes `text` as `#` comment lines.
fn comment(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("# ");
        out.push_str(line.trim());
        out.push('\n');
    }
}
