//! `runlayout sweep new|ls|show`, `ls --sweep` and `prune --sweep` on a
//! sweep whose trials a program ran.

use std::path::Path;

use runlayout::Run;
use runlayout::sweep::Sweep;
use serde_json::json;

#[path = "support/command.rs"]
mod command;
use command::{json, ok, runlayout};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The rows of a table, cells split at runs of two spaces or more.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// A 3 × 2 sweep made by the command: trials 0 to 3 finished with a
/// validation loss, 4 failed, 5 never claimed.
fn fixture(root: &Path) -> Result<Sweep, Box<dyn std::error::Error>> {
    let made = ok(&runlayout(
        root,
        &[
            "sweep",
            "new",
            "--stage",
            "lr",
            "--grid",
            "lr=0.1,0.01,0.001",
            "--grid",
            "seed=1,2",
            "--id",
            "s1",
        ],
    ));
    assert_eq!(made, "lr/s1\n");
    let sweep = Sweep::resolve(root, "lr/s1")?;
    for loss in [0.5, 0.4, 0.1, 0.2] {
        let trial = sweep.claim_next()?.ok_or("a trial")?;
        trial.run().summary().set("val_loss", loss)?;
        trial.guard().finish()?;
    }
    sweep
        .claim_next()?
        .ok_or("trial 4")?
        .guard()
        .fail("diverged")?;
    Ok(sweep)
}

#[test]
fn sweep_show_sorts_the_trials_by_a_summary_value() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let table = ok(&runlayout(
        tmp.path(),
        &["sweep", "show", "lr/s1", "--sort", "summary.val_loss"],
    ));
    let r = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        rows(&table),
        [
            r(&[
                "TRIAL", "lr", "seed", "STATUS", "DURATION", "val_loss", "RUN"
            ]),
            r(&["2", "0.01", "1", "finished", "0s", "0.1", "lr/s1-t002"]),
            r(&["3", "0.01", "2", "finished", "0s", "0.2", "lr/s1-t003"]),
            r(&["1", "0.1", "2", "finished", "0s", "0.4", "lr/s1-t001"]),
            r(&["0", "0.1", "1", "finished", "0s", "0.5", "lr/s1-t000"]),
            r(&["4", "0.001", "1", "failed", "0s", "-", "lr/s1-t004"]),
            r(&["5", "0.001", "2", "-", "-", "-", "-"]),
        ],
        "{table}"
    );
    let descending = ok(&runlayout(
        tmp.path(),
        &[
            "sweep",
            "show",
            "lr/s1",
            "--sort",
            "-summary.val_loss",
            "--columns",
            "params.lr,summary.val_loss",
        ],
    ));
    let got = rows(&descending);
    assert_eq!(
        got[0],
        r(&[
            "TRIAL",
            "params.lr",
            "summary.val_loss",
            "STATUS",
            "DURATION",
            "RUN"
        ])
    );
    assert_eq!(
        got[1],
        r(&["0", "0.1", "0.5", "finished", "0s", "lr/s1-t000"])
    );
    let out = json(&runlayout(
        tmp.path(),
        &[
            "--json",
            "sweep",
            "show",
            "lr/s1",
            "--columns",
            "summary.val_loss",
        ],
    ));
    assert_eq!(out["sweep"], "lr/s1");
    let first = &out["trials"][0];
    assert_eq!(first["trial"], 0);
    assert_eq!(first["params"], json!({"lr": 0.1, "seed": 1}));
    assert_eq!(first["status"], "finished");
    assert_eq!(first["summary"], json!({"val_loss": 0.5}));
    assert_eq!(first["columns"], json!({"summary.val_loss": 0.5}));
    assert_eq!(first["run"], "lr/s1-t000");
    assert_eq!(out["trials"][5]["status"], json!(null));
    assert_eq!(out["trials"][5]["run"], json!(null));
    Ok(())
}

#[test]
fn sweep_ls_counts_trials_and_ls_sweep_lists_them() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    Run::builder(tmp.path())
        .stage("lr")
        .run_id("other")
        .create()?
        .finish()?;
    let table = ok(&runlayout(tmp.path(), &["sweep", "ls"]));
    let got = rows(&table);
    assert_eq!(
        got[0],
        [
            "SWEEP",
            "STAGE",
            "TRIALS",
            "FINISHED",
            "RUNNING",
            "FAILED",
            "CRASHED",
            "UNCLAIMED",
            "CREATED"
        ]
    );
    assert_eq!(got[1][..8], ["lr/s1", "lr", "6", "4", "0", "1", "0", "1"]);
    assert_eq!(got.len(), 2);
    let listed = json(&runlayout(
        tmp.path(),
        &["--json", "ls", "--sweep", "lr/s1"],
    ));
    let names: Vec<&str> = listed["runs"]
        .as_array()
        .ok_or("runs")?
        .iter()
        .filter_map(|r| r["run"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "lr/s1-t000",
            "lr/s1-t001",
            "lr/s1-t002",
            "lr/s1-t003",
            "lr/s1-t004"
        ]
    );
    let all = json(&runlayout(tmp.path(), &["--json", "ls"]));
    assert_eq!(
        all["runs"].as_array().map(Vec::len),
        Some(6),
        "the record is no run"
    );
    assert_eq!(all["problems"], json!([]));
    let missing = runlayout(tmp.path(), &["ls", "--sweep", "lr/nope"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("sweep+nope"));
    Ok(())
}

#[test]
fn prune_sweep_removes_the_trials_then_the_record() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let sweep = fixture(tmp.path())?;
    // The newest trial is the stage's latest: prune keeps it, and the record.
    let dry = json(&runlayout(
        tmp.path(),
        &["--json", "prune", "--sweep", "lr/s1"],
    ));
    assert_eq!(dry["remove"].as_array().map(Vec::len), Some(4));
    assert_eq!(dry["sweep"]["record_removed"], json!(null));
    let kept = json(&runlayout(
        tmp.path(),
        &["--json", "prune", "--sweep", "lr/s1", "--yes"],
    ));
    assert_eq!(kept["removed"].as_array().map(Vec::len), Some(4));
    assert_eq!(kept["sweep"]["record_removed"], json!(false));
    assert!(sweep.path().is_dir());
    // Another run becomes the latest: the last trial and the record go.
    let other = Run::builder(tmp.path())
        .stage("lr")
        .run_id("other")
        .create()?;
    other.finish()?;
    drop(other);
    let done = ok(&runlayout(
        tmp.path(),
        &["prune", "--sweep", "lr/s1", "--yes"],
    ));
    assert!(done.contains("removed the record of sweep lr/s1"), "{done}");
    assert!(!sweep.path().exists());
    assert!(
        tmp.path().join("lr/other").is_dir(),
        "no other run is touched"
    );
    assert_eq!(
        ok(&runlayout(tmp.path(), &["sweep", "ls"])).lines().count(),
        1
    );
    Ok(())
}

#[test]
fn sweep_new_refuses_a_changed_spec_and_bad_values() -> TestResult {
    let tmp = tempfile::tempdir()?;
    fixture(tmp.path())?;
    let changed = runlayout(
        tmp.path(),
        &[
            "sweep",
            "new",
            "--stage",
            "lr",
            "--grid",
            "lr=0.1,0.02,0.001",
            "--grid",
            "seed=1,2",
            "--id",
            "s1",
        ],
    );
    assert!(!changed.status.success());
    let err = String::from_utf8_lossy(&changed.stderr);
    assert!(
        err.contains("values [0.1,0.01,0.001] recorded, [0.1,0.02,0.001] given"),
        "{err}"
    );
    let words = json(&runlayout(
        tmp.path(),
        &[
            "--json",
            "sweep",
            "new",
            "--stage",
            "opt",
            "--grid",
            "name=adam,\"a,b\",[1,2]",
            "--trial",
            "{\"name\": \"sgd\"}",
        ],
    ));
    assert_eq!(words["trials"], 4);
    let sweep = Sweep::resolve(tmp.path(), words["sweep"].as_str().ok_or("sweep")?)?;
    assert_eq!(sweep.params(1).ok_or("trial 1")?["name"], "a,b");
    assert_eq!(sweep.params(2).ok_or("trial 2")?["name"], json!([1, 2]));
    assert_eq!(sweep.params(3).ok_or("trial 3")?["name"], "sgd");
    let bad = runlayout(
        tmp.path(),
        &["sweep", "new", "--stage", "x", "--trial", "[1]"],
    );
    assert!(!bad.status.success());
    Ok(())
}
