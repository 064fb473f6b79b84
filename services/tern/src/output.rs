//! Output of the registry commands: one JSON value per entity, printed as JSON for scripts or
//! as an aligned table (lists) or `key: value` lines (single entities) for people.

use serde_json::Value;

/// Renders one entity.
pub fn entity(value: &Value, json: bool) -> String {
    if json {
        return pretty(value);
    }
    crate::render::text(value)
}

/// Renders a list with the given columns.
pub fn list(values: &[Value], columns: &[&str], json: bool) -> String {
    if json {
        return pretty(&Value::Array(values.to_vec()));
    }
    table(values, columns)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialise")
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) if text.is_empty() => "-".to_owned(),
        Value::String(text) => text.clone(),
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| format!("{key}={}", cell(value)))
            .collect::<Vec<_>>()
            .join(","),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Renders rows as plain text columns aligned with spaces, headers in upper case.
pub fn table(values: &[Value], columns: &[&str]) -> String {
    let mut rows: Vec<Vec<String>> = vec![columns.iter().map(|c| c.to_uppercase()).collect()];
    for value in values {
        rows.push(columns.iter().map(|column| cell(&value[*column])).collect());
    }
    let widths: Vec<usize> = (0..columns.len())
        .map(|index| {
            rows.iter()
                .map(|row| row[index].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(text, width)| format!("{text:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn table_aligns_columns_and_marks_empty_cells() {
        let rows = [
            json!({"id": "acme", "name": "Acme Corp"}),
            json!({"id": "b", "name": ""}),
        ];
        assert_eq!(
            table(&rows, &["id", "name"]),
            "ID    NAME\nacme  Acme Corp\nb     -\n"
        );
    }
}
