//! The study's one list of runtimes: the workspace's members named `runtime-*`, each with
//! what its `Cargo.toml` says under `[package.metadata.study]`: the runtime's name in
//! reports (`runtime = "tokio"`) and whether it plays the demos that fetch (`fetches =
//! false` for the minimal executor, which has no I/O reactor).
//!
//! compare measures every crate on this list; study-tests checks that the agreement test,
//! the README's census tables and each crate's per-runtime files leave none of it out.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Why the workspace could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// cargo could not be run.
    #[error("cannot run cargo metadata: {0}")]
    Cargo(std::io::Error),
    /// cargo ran and failed.
    #[error("cargo metadata failed: {0}")]
    Failed(String),
    /// cargo's output is not what this reads.
    #[error("cargo metadata printed what cannot be read: {0}")]
    Unreadable(String),
    /// A runtime crate does not say which runtime it is.
    #[error("{0}/Cargo.toml has no [package.metadata.study] runtime = \"…\"")]
    Unnamed(String),
}

/// One runtime crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuntimeCrate {
    /// The package's name, such as `runtime-tokio`.
    pub package: String,
    /// The runtime's name in reports, such as `tokio`.
    pub runtime: String,
    /// Whether it plays the demos that fetch (the lesson, reactive, scale, load).
    pub fetches: bool,
}

/// What the study needs of the workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace's root folder.
    pub root: PathBuf,
    /// Where cargo builds.
    pub target: PathBuf,
    /// Every runtime crate, by package name.
    pub runtimes: Vec<RuntimeCrate>,
}

impl Workspace {
    /// Reads the workspace that `dir` is in, with `cargo` (the `CARGO` that runs this
    /// program, or the one on the path), offline.
    pub fn read(dir: &Path) -> Result<Workspace, WorkspaceError> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(dir)
            .output()
            .map_err(WorkspaceError::Cargo)?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(WorkspaceError::Failed(said));
        }
        let metadata: Value = serde_json::from_slice(&output.stdout)
            .map_err(|err| WorkspaceError::Unreadable(err.to_string()))?;
        Workspace::from_metadata(&metadata)
    }

    /// The workspace as `cargo metadata --format-version 1` describes it.
    pub fn from_metadata(metadata: &Value) -> Result<Workspace, WorkspaceError> {
        let path = |key: &str| {
            metadata[key]
                .as_str()
                .map(PathBuf::from)
                .ok_or_else(|| WorkspaceError::Unreadable(format!("no {key}")))
        };
        let packages = metadata["packages"]
            .as_array()
            .ok_or_else(|| WorkspaceError::Unreadable("no packages".into()))?;
        let mut runtimes = Vec::new();
        for package in packages {
            let name = package["name"].as_str().unwrap_or_default();
            if !name.starts_with("runtime-") {
                continue;
            }
            let study = &package["metadata"]["study"];
            let runtime = study["runtime"]
                .as_str()
                .ok_or_else(|| WorkspaceError::Unnamed(name.to_owned()))?;
            runtimes.push(RuntimeCrate {
                package: name.to_owned(),
                runtime: runtime.to_owned(),
                fetches: study["fetches"].as_bool().unwrap_or(true),
            });
        }
        runtimes.sort();
        Ok(Workspace {
            root: path("workspace_root")?,
            target: path("target_directory")?,
            runtimes,
        })
    }

    /// The runtime crates that play the demos that fetch, by package name.
    pub fn fetching(&self) -> impl Iterator<Item = &RuntimeCrate> {
        self.runtimes.iter().filter(|r| r.fetches)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test: a failed unwrap is a failed test"
    )]

    use super::*;

    #[test]
    fn runtime_crates_come_with_their_metadata_and_others_are_left_out() {
        let metadata = serde_json::json!({
            "workspace_root": "/w",
            "target_directory": "/w/target",
            "packages": [
                {"name": "runtime-smol", "metadata": {"study": {"runtime": "smol"}}},
                {"name": "fetch-core", "metadata": null},
                {"name": "runtime-minimal",
                 "metadata": {"study": {"runtime": "minimal", "fetches": false}}},
            ],
        });
        let workspace = Workspace::from_metadata(&metadata).unwrap();
        let names: Vec<_> = workspace.runtimes.iter().map(|r| &r.package).collect();
        assert_eq!(names, ["runtime-minimal", "runtime-smol"]);
        let fetching: Vec<_> = workspace.fetching().map(|r| &r.runtime).collect();
        assert_eq!(fetching, ["smol"]);
        assert_eq!(workspace.target, PathBuf::from("/w/target"));
    }

    #[test]
    fn a_runtime_crate_without_its_name_is_refused_by_name() {
        let metadata = serde_json::json!({
            "workspace_root": "/w",
            "target_directory": "/w/target",
            "packages": [{"name": "runtime-new", "metadata": null}],
        });
        let err = Workspace::from_metadata(&metadata).unwrap_err().to_string();
        assert_eq!(
            err,
            "runtime-new/Cargo.toml has no [package.metadata.study] runtime = \"…\""
        );
    }

    #[test]
    fn this_workspace_reads() {
        let workspace = Workspace::read(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(
            workspace
                .runtimes
                .iter()
                .any(|r| r.package == "runtime-tokio")
        );
    }
}
