//! Running the real `runlayout` binary on a root, and reading what it
//! printed: shared by the command's test files.
#![allow(dead_code)] // Each test file uses its own part of it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `runlayout --run-root <root> <args>`, with no `RUNLAYOUT_ROOT` from the
/// environment of the test.
pub fn runlayout(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--run-root")
        .arg(root)
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .output()
        .expect("run the binary")
}

/// What a command that must succeed printed on stdout.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a command that must succeed printed, read as JSON.
pub fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("valid JSON")
}

/// The run as a scan finds it, in nobody's use: a `Run` that created or
/// opened a run holds it in use (no prune removes it) for as long as it
/// lives, as the program that ran it did until it exited.
pub fn unclaimed(run: runlayout::Run) -> Result<runlayout::Run, runlayout::Error> {
    let (path, root, nesting) = (
        run.path().to_path_buf(),
        run.root().to_path_buf(),
        run.nesting(),
    );
    drop(run);
    let listing = runlayout::scan::Runs::scan(root)
        .nesting(nesting)
        .debug(runlayout::scan::DebugRuns::Include)
        .list()?;
    Ok(listing
        .runs
        .into_iter()
        .map(|f| f.run)
        .find(|r| r.path() == path)
        .expect("the scan lists the run"))
}
