//! A run's status: finished, failed, the guard, and crashes told apart from
//! running runs, also when a pid is reused.
#![cfg(feature = "manifest")]

use std::fs;
use std::time::Duration;

use crate::support::{self, TestResult, forge, is_child, spawn_child};
use runlayout::{
    Run, RunStatus,
    names::{MANIFEST, STATUS},
    scan::Runs,
};
use serde_json::Value;

#[test]
fn finish_and_fail_are_recorded_with_the_end() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    assert_eq!(run.status()?, RunStatus::Running);
    assert!(run.ended()?.is_none());
    run.finish()?;
    assert_eq!(run.status()?, RunStatus::Finished);
    let ended = run.ended()?.expect("ended");
    assert!(ended.reason.is_none());
    assert!(ended.at_time().expect("a time") <= std::time::SystemTime::now());

    let other = Run::builder(root.path()).create()?;
    other.fail("loss is NaN at step 12")?;
    assert_eq!(other.status()?, RunStatus::Failed);
    assert_eq!(
        other.ended()?.and_then(|e| e.reason).as_deref(),
        Some("loss is NaN at step 12")
    );
    Ok(())
}

#[test]
fn a_guard_dropped_unfinished_records_a_failure() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    {
        let _guard = run.guard();
    }
    assert_eq!(run.status()?, RunStatus::Failed);
    assert_eq!(
        run.ended()?.and_then(|e| e.reason).as_deref(),
        Some("ended without finish")
    );
    run.guard().finish()?;
    assert_eq!(run.status()?, RunStatus::Finished);
    Ok(())
}

#[test]
fn a_guard_dropped_by_a_panic_says_so() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    let inside = run.clone();
    let result = std::panic::catch_unwind(move || {
        let _guard = inside.guard();
        panic!("diverged");
    });
    assert!(result.is_err());
    assert_eq!(run.status()?, RunStatus::Failed);
    assert_eq!(
        run.ended()?.and_then(|e| e.reason).as_deref(),
        Some("panicked")
    );
    Ok(())
}

const ROLE: &str = "runs-then-dies";
const TEST: &str = "status::a_killed_process_leaves_a_crashed_run";

#[test]
fn a_killed_process_leaves_a_crashed_run() -> TestResult {
    if is_child(ROLE) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        let run = Run::builder(&root).run_id("victim").create()?;
        let _guard = run.guard();
        println!("READY");
        std::thread::sleep(Duration::from_secs(60));
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let path = root.path().to_str().expect("utf-8");
    let mut child = spawn_child(TEST, ROLE, &[("RUNLAYOUT_TEST_ROOT", path)]);
    let run = loop {
        if let Ok(run) = Run::builder(root.path()).run_id("victim").open() {
            break run;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let alive = run.status();
    let killed = child.kill(); // SIGKILL: no guard runs
    child.wait()?;
    killed?;
    assert_eq!(alive?, RunStatus::Running, "its process was alive");
    assert_eq!(run.status()?, RunStatus::Crashed);
    assert!(run.ended()?.is_none(), "nothing was recorded by the dead");
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn a_reused_pid_is_not_mistaken_for_the_writer() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    // A status record (a heartbeat) names a process of this host with this
    // very pid (alive), but a start time that is not its own: the pid was
    // reused.
    run.heartbeat(Duration::from_secs(3600))?;
    let record: Value = serde_json::from_slice(&fs::read(run.path().join(STATUS))?)?;
    let started = record["process_started"].as_u64().expect("recorded");
    forge(&run, STATUS, &[("process_started", (started + 1).into())])?;
    assert_eq!(run.status()?, RunStatus::Crashed);
    // Another boot's process, or another pid namespace's, cannot be asked
    // from here (a reboot looks like a machine cloned from one image; a
    // container shares the host's name): its heartbeat, an hour's, decides:
    // running, never crashed.
    forge(
        &run,
        STATUS,
        &[
            ("process_started", started.into()),
            ("boot", "00000000-0000-0000-0000-000000000000".into()),
        ],
    )?;
    assert_eq!(run.status()?, RunStatus::Running);
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")?;
    forge(
        &run,
        STATUS,
        &[
            ("boot", boot.trim().into()),
            ("pid_namespace", "pid:[1]".into()),
            ("pid", u32::MAX.into()),
        ],
    )?;
    assert_eq!(run.status()?, RunStatus::Running);
    // And another host's cannot be asked: still running.
    forge(
        &run,
        STATUS,
        &[("host", "some-other-node".into()), ("pid", 1.into())],
    )?;
    assert_eq!(run.status()?, RunStatus::Running);
    // Without a status record, the creator's record alone, of a reused
    // pid: nothing tracked the run, and its creator is not alive.
    fs::remove_file(run.path().join(STATUS))?;
    let manifest: Value = serde_json::from_slice(&fs::read(run.path().join(MANIFEST))?)?;
    let started = manifest["process_started"].as_u64().expect("recorded");
    forge(&run, MANIFEST, &[("process_started", (started + 1).into())])?;
    assert_eq!(run.status()?, RunStatus::Untracked);
    Ok(())
}

#[test]
fn ranks_recording_at_once_leave_one_whole_record() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    std::thread::scope(|s| {
        for rank in 0..8 {
            let run = &run;
            s.spawn(move || {
                for i in 0..50 {
                    if (rank + i) % 2 == 0 {
                        run.finish().expect("finish");
                    } else {
                        run.fail(format!("rank {rank}")).expect("fail");
                    }
                }
            });
        }
    });
    let record: Value = serde_json::from_slice(&fs::read(run.path().join(STATUS))?)?;
    let status = run.status()?;
    assert!(matches!(status, RunStatus::Finished | RunStatus::Failed));
    assert_eq!(record["status"], status.to_string());
    assert!(support::temporaries(run.path()).is_empty());
    Ok(())
}

#[test]
fn recording_keeps_the_fields_it_does_not_know() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    run.finish()?;
    let path = run.path().join(STATUS);
    let tracker = serde_json::json!({ "url": "http://tracker/run/7" });
    forge(&run, STATUS, &[("tracker", tracker)])?;
    run.fail("rerun failed")?;
    let after: Value = serde_json::from_slice(&fs::read(&path)?)?;
    assert_eq!(after["tracker"]["url"], "http://tracker/run/7");
    assert_eq!(after["status"], "failed");
    Ok(())
}

#[test]
fn runs_without_a_manifest_record_their_end_too() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).write_manifest(false).create()?;
    // No record tracks it: nothing tells how it stands.
    assert_eq!(run.status()?, RunStatus::Untracked);
    run.fail("no data")?;
    assert_eq!(run.status()?, RunStatus::Failed);
    assert!(!run.path().join(MANIFEST).exists());
    Ok(())
}

#[test]
fn a_resumed_run_is_running_again_under_its_new_process() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).run_id("r").create()?;
    run.fail("preempted")?;
    let resumed = Run::builder(root.path()).run_id("r").open()?;
    let guard = resumed.guard();
    assert_eq!(resumed.status()?, RunStatus::Running);
    assert!(resumed.ended()?.is_none());
    guard.finish()?;
    assert_eq!(resumed.status()?, RunStatus::Finished);
    Ok(())
}

const CREATOR: &str = "creates-and-exits";

/// A run whose creator was a process that has since exited (without a
/// guard: no status record), made by a child of this test.
fn run_of_a_gone_creator(test: &str, root: &std::path::Path, id: &str) -> TestResult {
    let child = spawn_child(
        test,
        CREATOR,
        &[
            ("RUNLAYOUT_TEST_ROOT", root.as_os_str()),
            ("RUNLAYOUT_TEST_ID", std::ffi::OsStr::new(id)),
        ],
    );
    let made = support::child_lines(child, "MADE ");
    assert_eq!(made.len(), 1, "{made:?}");
    Ok(())
}

/// The child's part: create the run, and exit.
fn create_and_exit() -> TestResult {
    let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
    let id = std::env::var("RUNLAYOUT_TEST_ID")?;
    let run = Run::builder(&root).stage("s").run_id(&id).create()?;
    println!("MADE {}", run.path().display());
    Ok(())
}

/// This process as a status record names its writer, all of it: what
/// `Run::finish` records, marked running again.
fn record_of_this_process(run: &Run) -> Result<Value, Box<dyn std::error::Error>> {
    run.finish()?;
    let mut record: Value = serde_json::from_slice(&fs::read(run.path().join(STATUS))?)?;
    record["status"] = "running".into();
    record.as_object_mut().expect("an object").remove("ended");
    Ok(record)
}

/// The status of the run `s/<id>` as `Run::status` and as a scan's
/// `FoundRun::status` give it: the same, or both errors.
fn both_statuses(
    root: &std::path::Path,
    id: &str,
) -> Result<Result<RunStatus, String>, Box<dyn std::error::Error>> {
    let listing = Runs::scan(root).stage("s").list()?;
    let found = listing
        .runs
        .iter()
        .find(|f| f.run.id().as_str() == id)
        .ok_or_else(|| format!("the scan does not list {id}"))?;
    let direct = found
        .run
        .state()
        .map(|s| (s.status, s.host))
        .map_err(|e| e.to_string());
    let scanned = found
        .state()
        .map(|s| (s.status, s.host))
        .map_err(|e| e.to_string());
    assert_eq!(direct, scanned, "Run::state and FoundRun::state of {id}");
    let status = found.status().map_err(|e| e.to_string());
    assert_eq!(
        status,
        scanned.clone().map(|(s, _)| s),
        "FoundRun::status of {id}"
    );
    Ok(scanned.map(|(s, _)| s))
}

const GONE_TEST: &str = "status::a_status_record_that_names_no_living_writer_is_not_running";

#[cfg(target_os = "linux")]
#[test]
fn a_status_record_that_names_no_living_writer_is_not_running() -> TestResult {
    if is_child(CREATOR) {
        return create_and_exit();
    }
    let root = tempfile::tempdir()?;
    run_of_a_gone_creator(GONE_TEST, root.path(), "gone")?;
    let gone = Run::builder(root.path()).stage("s").run_id("gone").open()?;
    let status = gone.path().join(STATUS);
    // Its creator is gone and no status was ever recorded: untracked, not
    // crashed (it may have ended well).
    assert_eq!(gone.status()?, RunStatus::Untracked, "its creator is gone");

    let mine = Run::builder(root.path())
        .stage("s")
        .run_id("mine")
        .create()?;
    let me = record_of_this_process(&mine)?;
    let host = me["host"].clone();
    let pid = std::process::id();
    // Records that name no writer, or one without the identity this
    // platform records (a live pid alone may be anyone's): the creator
    // decides, and it is gone.
    let mut without_start = me.clone();
    without_start
        .as_object_mut()
        .expect("object")
        .remove("process_started");
    let mut without_boot = me.clone();
    without_boot.as_object_mut().expect("object").remove("boot");
    for record in [
        serde_json::json!({}),
        serde_json::json!({ "status": null }),
        serde_json::json!({ "status": "running" }),
        serde_json::json!({ "status": "running", "pid": 1 }),
        serde_json::json!({ "status": "running", "pid": pid, "host": host }),
        serde_json::json!({ "status": "running", "host": "another-node", "pid": 1 }),
        without_start,
        without_boot,
    ] {
        fs::write(&status, serde_json::to_vec(&record)?)?;
        assert_eq!(
            both_statuses(root.path(), "gone")?,
            Ok(RunStatus::Crashed),
            "{record}"
        );
    }
    // The host shown is the creator's, whose fate decided, not the one a
    // record without a whole writer claims.
    fs::write(
        &status,
        serde_json::to_vec(&serde_json::json!({ "status": "running", "host": "another-node" }))?,
    )?;
    assert_eq!(gone.state()?.host.as_deref(), runlayout::env::host_name());
    // A complete record decides: this process is alive, a process of
    // another node cannot be asked (running), a dead pid is crashed.
    let mut elsewhere = me.clone();
    elsewhere["host"] = "another-node".into();
    elsewhere["pid"] = 1.into();
    let mut dead = me.clone();
    dead["pid"] = u32::MAX.into();
    for (record, expected) in [
        (me.clone(), RunStatus::Running),
        (elsewhere, RunStatus::Running),
        (dead, RunStatus::Crashed),
    ] {
        fs::write(&status, serde_json::to_vec(&record)?)?;
        assert_eq!(
            both_statuses(root.path(), "gone")?,
            Ok(expected),
            "{record}"
        );
    }
    // A record naming no writer, on a run whose creator lives: running.
    fs::write(mine.path().join(STATUS), b"{}")?;
    assert_eq!(both_statuses(root.path(), "mine")?, Ok(RunStatus::Running));
    Ok(())
}

const TABLE_TEST: &str = "status::run_status_and_found_run_status_agree_on_every_record";

#[cfg(target_os = "linux")]
#[test]
fn run_status_and_found_run_status_agree_on_every_record() -> TestResult {
    if is_child(CREATOR) {
        return create_and_exit();
    }
    let root = tempfile::tempdir()?;
    let template = Run::builder(root.path())
        .stage("s")
        .run_id("template")
        .create()?;
    let me = record_of_this_process(&template)?;
    let mut dead = me.clone();
    dead["pid"] = u32::MAX.into();
    let mut elsewhere = me.clone();
    elsewhere["host"] = "another-node".into();
    let mut finished = me.clone();
    finished["status"] = "finished".into();
    finished["ended"] = "2026-01-01T00:00:00+00:00".into();
    let records: [(&str, Option<Vec<u8>>); 7] = [
        ("none", None),
        ("empty", Some(b"{}".to_vec())),
        ("corrupt", Some(b"{\"status\": ".to_vec())),
        ("live", Some(serde_json::to_vec(&me)?)),
        ("dead", Some(serde_json::to_vec(&dead)?)),
        ("finished", Some(serde_json::to_vec(&finished)?)),
        ("elsewhere", Some(serde_json::to_vec(&elsewhere)?)),
    ];
    // The manifest: by this (live) process, by a gone one, unreadable,
    // none at all.
    let manifests = ["live", "gone", "corrupt", "none"];
    let mut expected = Vec::new();
    for manifest in manifests {
        for (name, record) in &records {
            let id = format!("{manifest}-{name}");
            match manifest {
                "gone" => run_of_a_gone_creator(TABLE_TEST, root.path(), &id)?,
                "none" => {
                    Run::builder(root.path())
                        .stage("s")
                        .run_id(&id)
                        .write_manifest(false)
                        .create()?;
                }
                _ => {
                    Run::builder(root.path()).stage("s").run_id(&id).create()?;
                }
            }
            let dir = root.path().join("s").join(&id);
            if manifest == "corrupt" {
                fs::write(dir.join(MANIFEST), b"{\"id\": ")?;
            }
            if let Some(record) = record {
                fs::write(dir.join(STATUS), record)?;
            }
            let status = both_statuses(root.path(), &id)?;
            expected.push((id, status.map_err(|_| "error")));
        }
    }
    let want = |manifest: &str, record: &str| -> Result<RunStatus, &str> {
        use RunStatus::{Crashed, Finished, Running, Untracked};
        match (manifest, record) {
            (_, "corrupt") => Err("error"),
            (_, "live" | "elsewhere") => Ok(Running),
            (_, "dead") => Ok(Crashed),
            (_, "finished") => Ok(Finished),
            // Nothing in the status record vouches: the creator decides.
            ("live", _) => Ok(Running),
            ("corrupt", _) => Err("error"),
            // No status record: nothing ever tracked the run, and its
            // creator is not alive here (or not named).
            (_, "none") => Ok(Untracked),
            ("gone", _) => Ok(Crashed),
            // A status record that says nothing of who runs it.
            _ => Ok(Crashed),
        }
    };
    for (id, got) in expected {
        let (manifest, record) = id.split_once('-').expect("manifest-record");
        assert_eq!(got, want(manifest, record), "{id}");
    }
    Ok(())
}
