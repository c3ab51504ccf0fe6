//! The life of a run as the `runlayout` command shows it: status, duration,
//! how it ended, where it runs, filtered by status.

use std::fs;
use std::path::Path;

use runlayout::Run;
use serde_json::Value;

#[path = "support/command.rs"]
mod command;
use command::{ok, runlayout};
#[path = "../../checks/tests/it/support/fixture.rs"]
#[allow(dead_code)]
mod fixture;
use fixture::{Fate, OTHER_HOST, RunFixture};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn ls_shows_and_filters_by_status() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let b = || Run::builder(root).stage("s");
    // `crashed`: its creator is a process of this host that no longer
    // exists; `elsewhere`: a process of another node.
    let _runs = [
        ("done", Fate::Finished),
        ("failed", Fate::Failed("loss diverged")),
        ("running", Fate::Running),
        ("crashed", Fate::Crashed),
        ("elsewhere", Fate::Elsewhere),
    ]
    .into_iter()
    .map(|(id, fate)| RunFixture::new(b().run_id(id)).fate(fate).create())
    .collect::<Result<Vec<Run>, _>>()?;

    let table = ok(&runlayout(root, &["ls"]));
    let status_of = |id: &str| -> String {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("s/{id} ")))
            .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
        line.split_whitespace().nth(1).expect("a status").to_owned()
    };
    assert!(
        table
            .lines()
            .next()
            .is_some_and(|h| h.contains("STATUS") && h.contains("DURATION") && h.contains("HOST"))
    );
    assert_eq!(status_of("done"), "finished");
    assert_eq!(status_of("failed"), "failed");
    assert_eq!(status_of("running"), "running");
    assert_eq!(status_of("crashed"), "crashed");
    assert_eq!(status_of("elsewhere"), "running");
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("s/{id} ")))
            .expect("row")
            .to_owned()
    };
    assert!(
        row("elsewhere").contains(OTHER_HOST),
        "the host of a run elsewhere"
    );
    assert!(!row("running").contains(OTHER_HOST));

    let picked = ok(&runlayout(
        root,
        &["ls", "--status", "failed,crashed", "--json"],
    ));
    let picked: Value = serde_json::from_str(&picked)?;
    let mut ids: Vec<&str> = picked["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    ids.sort();
    assert_eq!(ids, ["crashed", "failed"]);
    let failed_json = picked["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["id"] == "failed")
        .expect("failed");
    assert_eq!(failed_json["status"], "failed");
    assert_eq!(failed_json["reason"], "loss diverged");
    assert!(failed_json["ended"].is_string());
    assert!(failed_json.get("git").is_some());

    let bad = runlayout(root, &["ls", "--status", "paused"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown status `paused`"));
    Ok(())
}

/// The HOST column and `--json`'s `host` of run `id`.
fn hosts_of(root: &Path, id: &str) -> (String, Value) {
    let table = ok(&runlayout(root, &["ls"]));
    let header = table.lines().next().expect("a header");
    // Where the column starts: cells may hold spaces (CREATED does).
    let column = header.find(" HOST ").expect("a HOST column") + 1;
    let row = table
        .lines()
        .find(|l| l.starts_with(&format!("s/{id} ")))
        .unwrap_or_else(|| panic!("no row for {id}:\n{table}"));
    let cell = row[column..]
        .split_whitespace()
        .next()
        .expect("a cell")
        .to_owned();
    let json: Value = serde_json::from_str(&ok(&runlayout(root, &["ls", "--json"]))).expect("json");
    let run = json["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["id"] == id)
        .expect("the run")
        .clone();
    (cell, run["host"].clone())
}

#[test]
fn the_host_shown_is_the_one_of_the_process_the_status_names() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let here = runlayout::env::host_name().expect("this host has a name");

    // Created here, then resumed by a process on another node: its status
    // record names that process, whole (a record naming only part of its
    // writer vouches for nothing, and the creator decides).
    let moved = Run::builder(root).stage("s").run_id("moved").create()?;
    fs::write(
        moved.path().join(runlayout::names::STATUS),
        serde_json::to_vec(&serde_json::json!({
            "status": "running",
            "host": "gpu-node-9",
            "pid": 1,
            "process_started": 1,
            "boot": "00000000-0000-0000-0000-000000000009",
            "pid_namespace": "pid:[4026531836]",
        }))?,
    )?;
    let (cell, json) = hosts_of(root, "moved");
    assert_eq!(cell, "gpu-node-9");
    assert_eq!(json, "gpu-node-9");
    assert_eq!(moved.state()?.host.as_deref(), Some("gpu-node-9"));

    // Created on another node, resumed here by a live process: its guard
    // names this process.
    let back = RunFixture::new(Run::builder(root).stage("s").run_id("back"))
        .fate(Fate::Elsewhere)
        .create()?;
    assert_eq!(back.state()?.host.as_deref(), Some(OTHER_HOST));
    let guard = back.guard();
    let (cell, json) = hosts_of(root, "back");
    assert_eq!(cell, "-", "running here: no other host to show");
    assert_eq!(json, here);
    assert_eq!(back.state()?.host.as_deref(), Some(here));
    guard.finish()?;
    // Ended here: the record still names this host.
    let (_, json) = hosts_of(root, "back");
    assert_eq!(json, here);
    Ok(())
}
