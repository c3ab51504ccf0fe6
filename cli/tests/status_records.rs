//! What `runlayout ls` and `runlayout prune` make of status records that
//! cannot vouch for a living process, and of a `run.json` that cannot be
//! read: the status the runtime gives (`Run::status` and a scan's
//! `FoundRun::status` are one function), never "running" by default.
#![cfg(target_os = "linux")]

use std::fs;
use std::path::Path;

use runlayout::{
    Run,
    names::{MANIFEST, STATUS},
};
use serde_json::Value;

#[path = "support/command.rs"]
mod command;
use command::{json, runlayout};
#[path = "../../checks/tests/it/support/fixture.rs"]
#[allow(dead_code)]
mod fixture;
use fixture::{Fate, RunFixture};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A run of stage `s` whose creator is long gone: its `run.json` names a
/// pid of this host that no process has (and no status was recorded).
fn run_of_a_dead_creator(root: &Path, id: &str) -> Result<Run, Box<dyn std::error::Error>> {
    RunFixture::new(
        Run::builder(root)
            .stage("s")
            .run_id(id)
            .latest_pointer(false),
    )
    .fate(Fate::Untracked)
    .create()
}

/// `ls --json`'s status of each run, by id.
fn listed(root: &Path) -> Vec<(String, Value)> {
    let out = json(&runlayout(root, &["ls", "--json"]));
    out["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["status"].clone(),
            )
        })
        .collect()
}

#[test]
fn records_naming_no_writer_leave_a_dead_creators_run_crashed() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let records = [
        ("empty", "{}"),
        ("null", r#"{"status": null}"#),
        ("running", r#"{"status": "running"}"#),
        ("bare-pid", r#"{"status": "running", "pid": 1}"#),
    ];
    for (id, record) in records {
        let run = run_of_a_dead_creator(root, id)?;
        fs::write(run.path().join(STATUS), record)?;
    }
    let statuses = listed(root);
    assert_eq!(statuses.len(), records.len());
    for (id, status) in &statuses {
        assert_eq!(status, "crashed", "{id}");
    }

    // Prune selects them as crashed, keeps none as running, and removes them.
    let plan = json(&runlayout(
        root,
        &["prune", "--status", "crashed", "--json"],
    ));
    assert_eq!(plan["kept"], Value::Array(Vec::new()), "{plan}");
    assert_eq!(plan["remove"].as_array().map(Vec::len), Some(records.len()));
    json(&runlayout(
        root,
        &["prune", "--status", "crashed", "--yes", "--json"],
    ));
    for (id, _) in records {
        assert!(!root.join("s").join(id).exists(), "{id} was removed");
    }
    Ok(())
}

#[test]
fn an_unreadable_manifest_is_no_running_run_and_prune_keeps_it() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let run = run_of_a_dead_creator(root, "broken")?;
    fs::write(run.path().join(MANIFEST), b"{\"id\": ")?;
    let out = json(&runlayout(root, &["ls", "--json"]));
    let runs = out["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{out}");
    assert_eq!(
        runs[0]["status"],
        Value::Null,
        "no status can be told: {out}"
    );
    let problems = out["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "said once: {problems:?}");
    assert!(problems[0].as_str().is_some_and(|p| p.contains("run.json")));

    let plan = json(&runlayout(root, &["prune", "--older-than", "0s", "--json"]));
    let kept = plan["kept"].as_array().expect("kept");
    assert_eq!(kept.len(), 1, "{plan}");
    assert_eq!(kept[0]["reason"], "unreadable", "{plan}");
    let reason = kept[0]["reason_text"].as_str().expect("a reason");
    assert!(reason.contains("run.json"), "{reason}");
    json(&runlayout(
        root,
        &["prune", "--older-than", "0s", "--yes", "--json"],
    ));
    assert!(run.path().join(MANIFEST).exists(), "kept");
    Ok(())
}

#[test]
fn untracked_runs_are_listed_and_pruned_by_their_own_status() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    // A program that never took a guard, and is gone: untracked.
    run_of_a_dead_creator(root, "plain")?;
    // A guarded run whose process died here: crashed.
    RunFixture::new(
        Run::builder(root)
            .stage("s")
            .run_id("died")
            .latest_pointer(false),
    )
    .fate(Fate::Crashed)
    .create()?;
    let mut statuses = listed(root);
    statuses.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        statuses,
        [
            ("died".to_owned(), Value::from("crashed")),
            ("plain".to_owned(), Value::from("untracked")),
        ]
    );
    let only = json(&runlayout(root, &["ls", "--status", "untracked", "--json"]));
    let ids: Vec<&str> = only["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["plain"]);
    // Pruning the crashed runs leaves the untracked one.
    json(&runlayout(
        root,
        &["prune", "--status", "crashed", "--yes", "--json"],
    ));
    assert!(!root.join("s/died").exists());
    assert!(root.join("s/plain").exists());
    Ok(())
}

#[test]
fn latest_finished_names_the_newest_finished_run_in_every_command() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let made = |id: &str, fate: Fate| {
        RunFixture::new(Run::builder(root).stage("s").run_id(id))
            .manifest(
                "created",
                format!("2026-01-0{}T00:00:00+00:00", &id[1..]).as_str(),
            )
            .fate(fate)
            .create()
    };
    made("r1", Fate::Finished)?;
    made("r2", Fate::Finished)?;
    made("r3", Fate::Failed("diverged"))?;
    for spec in ["s/latest-finished", "latest-finished", "s/LATEST-FINISHED"] {
        let shown = json(&runlayout(root, &["show", spec, "--json"]));
        assert_eq!(shown["id"], "r2", "{spec}: {shown}");
    }
    Ok(())
}
