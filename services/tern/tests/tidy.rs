//! Repository-wide rules that reviews would otherwise have to catch by eye.
//!
//! Checks every Rust file of the workspace: a `//!` header, no stubs, and no environment
//! access outside the binary. It reads files only; it never rewrites them.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("services/tern sits two levels below the workspace root")
        .to_path_buf()
}

/// Every `.rs` file under `libs/`, `services/` and `loadtest/`, minus build output.
fn rust_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = ["libs", "services", "loadtest"]
        .iter()
        .map(|dir| root.join(dir))
        .filter(|dir| dir.is_dir())
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "target" | "corpus" | "artifacts" | "coverage"
                ) {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 10,
        "found only {} Rust files; is the root right?",
        files.len()
    );
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// True for code that only runs in tests, benchmarks, fuzzing or build scripts.
fn is_non_production(rel: &str) -> bool {
    rel.contains("/tests/")
        || rel.contains("/benches/")
        || rel.contains("/fuzz/")
        || rel.ends_with("/build.rs")
        || rel.ends_with("/tests.rs")
}

/// The part of a file before its `#[cfg(test)]` module, which STYLE.md puts at the end.
fn production_part(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |idx| &text[..idx])
}

#[test]
fn every_rust_file_starts_with_a_module_doc_comment() {
    let missing: Vec<String> = rust_files()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| relative(&path))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading `//!` comment: {missing:#?}"
    );
}

#[test]
fn no_stub_macros_in_production_code() {
    let stubs = ["todo!(", "unimplemented!("];
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .filter(|path| !is_non_production(&relative(path)))
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            stubs
                .iter()
                .any(|stub| production_part(&text).contains(stub))
        })
        .map(|path| relative(&path))
        .collect();
    assert!(offenders.is_empty(), "stub macros in: {offenders:#?}");
}

#[test]
fn only_the_binary_reads_the_environment() {
    let needles = ["std::env", "env::var", "env::args"];
    let offenders: Vec<String> = rust_files()
        .into_iter()
        .map(|path| relative(&path))
        .filter(|rel| !rel.starts_with("services/tern/") && !is_non_production(rel))
        .filter(|rel| {
            let text = std::fs::read_to_string(workspace_root().join(rel)).unwrap();
            // Doc comments may name `std::env::vars()` as what a caller passes in.
            production_part(&text)
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .any(|line| needles.iter().any(|needle| line.contains(needle)))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "library code touching the environment (pass values in through config instead): {offenders:#?}"
    );
}
