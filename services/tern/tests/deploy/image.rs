//! The Dockerfile builds every binary the workspace ships, with the workspace's toolchain, and
//! runs `tern serve` as a non-root user.

use crate::{read, workspace_root};

/// A workspace package that builds binaries, and their names.
struct BinaryPackage {
    name: String,
    binaries: Vec<String>,
}

/// Every member of the workspace that has a `src/main.rs` or `[[bin]]` targets.
fn binary_packages() -> Vec<BinaryPackage> {
    let root: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let members = root["workspace"]["members"].as_array().unwrap();
    let mut packages = Vec::new();
    for member in members {
        let member = member.as_str().unwrap();
        let manifest: toml::Table = toml::from_str(&read(&format!("{member}/Cargo.toml"))).unwrap();
        let name = manifest["package"]["name"].as_str().unwrap().to_owned();
        let mut binaries: Vec<String> = manifest
            .get("bin")
            .and_then(toml::Value::as_array)
            .map(|bins| {
                bins.iter()
                    .map(|bin| bin["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let has_main = workspace_root().join(member).join("src/main.rs").is_file();
        if has_main && !binaries.contains(&name) {
            binaries.push(name.clone());
        }
        if !binaries.is_empty() {
            packages.push(BinaryPackage { name, binaries });
        }
    }
    packages
}

#[test]
fn dockerfile_builds_every_binary_package_of_the_workspace() {
    let dockerfile = read("Dockerfile");
    let packages = binary_packages();
    assert!(
        packages.iter().any(|package| package.name == "tern"),
        "the workspace has no `tern` binary package"
    );
    let build_line = dockerfile
        .lines()
        .find(|line| line.contains("cargo build"))
        .expect("the Dockerfile runs cargo build");
    assert!(
        build_line.contains("--release") && build_line.contains("--locked"),
        "{build_line}"
    );
    for package in &packages {
        assert!(
            dockerfile.contains(&format!("-p {}", package.name)),
            "the Dockerfile does not build package {}",
            package.name
        );
        for binary in &package.binaries {
            let copied = dockerfile
                .lines()
                .filter(|line| line.contains("binaries="))
                .any(|line| line.split(['"', ' ', ';']).any(|word| word == binary));
            assert!(copied, "the Dockerfile does not copy binary {binary}");
        }
    }
}

#[test]
fn dockerfile_uses_the_workspace_rust_version() {
    let root: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let rust_version = root["workspace"]["package"]["rust-version"]
        .as_str()
        .unwrap();
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains(&format!("ARG RUST_VERSION={rust_version}\n")),
        "the Dockerfile's RUST_VERSION is not {rust_version}"
    );
    assert!(dockerfile.contains("FROM rust:${RUST_VERSION}-bookworm AS builder"));
}

#[test]
fn image_runs_tern_serve_as_non_root_with_its_ports_exposed() {
    let dockerfile = read("Dockerfile");
    let runtime = dockerfile
        .rsplit_once("\nFROM ")
        .map(|(_, stage)| stage)
        .expect("the Dockerfile has a runtime stage");
    assert!(
        runtime.starts_with("gcr.io/distroless/cc-debian12:nonroot"),
        "{runtime}"
    );
    for line in [
        "USER nonroot:nonroot",
        "ENTRYPOINT [\"tern\"]",
        "CMD [\"serve\"]",
        "EXPOSE 1700/udp",
        "EXPOSE 9090",
    ] {
        assert!(
            runtime.lines().any(|l| l == line),
            "runtime stage lacks {line}"
        );
    }
    let admin_port = crate::image_admin_port();
    assert!(
        runtime.lines().any(|l| l == format!("EXPOSE {admin_port}")),
        "the admin port {admin_port} is not exposed"
    );
}

#[test]
fn dockerignore_keeps_build_output_and_history_out_of_the_context() {
    let dockerignore = read(".dockerignore");
    let entries: Vec<&str> = dockerignore
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect();
    for entry in ["target", ".git"] {
        assert!(entries.contains(&entry), ".dockerignore lacks {entry}");
    }
    // The build needs every crate, the protobuf files and the lock file.
    for needed in ["libs", "services", "proto", "Cargo.toml", "Cargo.lock"] {
        assert!(!entries.contains(&needed), ".dockerignore drops {needed}");
    }
}
