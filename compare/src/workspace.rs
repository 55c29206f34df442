//! The binaries compare measures: every runtime crate that fetches, from the study's one
//! list (study-workspace) and its bare-hyper example, the fixture server and the threads
//! baseline, built in release mode.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use study_workspace::Workspace;

/// The release binaries of the study.
pub(crate) struct Binaries {
    /// Every runtime that fetches, as (runtime name, binary).
    pub(crate) runtimes: Vec<(String, PathBuf)>,
    /// The folder they are all in.
    pub(crate) bin: PathBuf,
}

impl Binaries {
    /// Reads the workspace, builds every measured binary in release mode, and says where
    /// they are.
    pub(crate) fn build() -> anyhow::Result<Binaries> {
        let here = std::env::current_dir().context("cannot read the current folder")?;
        let workspace = Workspace::read(&here)?;
        let mut packages: Vec<&str> = workspace.fetching().map(|r| r.package.as_str()).collect();
        packages.extend(["fixture-server", "threads-baseline"]);
        eprintln!("building {} in release mode", packages.join(", "));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--release", "--locked", "--bins"]);
        for package in packages {
            build.args(["-p", package]);
        }
        // Each runtime's bare-hyper example: the cost model's floor under its row.
        for runtime in workspace.fetching() {
            build.args(["--example", &bare_hyper_example(&runtime.package)]);
        }
        let status = build.status().context("cannot run cargo build")?;
        if !status.success() {
            bail!("cargo build --release failed");
        }
        let bin = workspace.target.join("release");
        let runtimes = workspace
            .fetching()
            .map(|r| (r.runtime.clone(), bin.join(&r.package)))
            .collect();
        Ok(Binaries { runtimes, bin })
    }
}

/// The name of a runtime crate's bare-hyper example (`runtime-tokio`: `bare-hyper-tokio`).
pub(crate) fn bare_hyper_example(package: &str) -> String {
    format!(
        "bare-hyper-{}",
        package.strip_prefix("runtime-").unwrap_or(package)
    )
}
