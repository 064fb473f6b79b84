//! Renders a command's JSON report as readable indented text, so the text and `--json`
//! forms of every command always show the same fields.

use serde_json::Value;

/// Renders `value` as `key: value` lines, nesting objects and arrays by indentation.
pub fn text(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("-".to_owned()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) => Some(text.clone()),
        Value::Array(items) if items.is_empty() => Some("[]".to_owned()),
        Value::Object(fields) if fields.is_empty() => Some("{}".to_owned()),
        // Short lists of numbers and flags read well on one line; strings may be sentences.
        Value::Array(items)
            if items
                .iter()
                .all(|item| item.is_number() || item.is_boolean()) =>
        {
            Some(
                items
                    .iter()
                    .filter_map(scalar)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        }
        _ => None,
    }
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match scalar(field) {
                    Some(text) => out.push_str(&format!("{indent}{key}: {text}\n")),
                    None => {
                        out.push_str(&format!("{indent}{key}:\n"));
                        write_value(out, field, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(text) => out.push_str(&format!("{indent}- {text}\n")),
                    None => {
                        out.push_str(&format!("{indent}-\n"));
                        write_value(out, item, depth + 1);
                    }
                }
            }
        }
        other => {
            if let Some(text) = scalar(other) {
                out.push_str(&format!("{indent}{text}\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_objects_and_arrays_as_indented_lines() {
        let value = serde_json::json!({
            "a": 1,
            "b": {"c": "x", "d": [1, 2]},
            "e": [{"f": true}],
            "g": null
        });
        assert_eq!(
            text(&value),
            "a: 1\nb:\n  c: x\n  d: 1, 2\ne:\n  -\n    f: true\ng: -\n"
        );
    }
}
