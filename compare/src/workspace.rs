//! The binaries compare measures: every runtime crate that fetches, from the study's one
//! list (study-workspace), the fixture server and the threads baseline, built in release
//! mode.

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
        build.args(["build", "--release", "--locked"]);
        for package in packages {
            build.args(["-p", package]);
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
