//! A run's status: finished, failed, the guard, and crashes told apart from
//! running runs, also when a pid is reused.
#![cfg(feature = "manifest")]

mod common;

use std::fs;
use std::time::Duration;

use common::{TestResult, is_child, spawn_child};
use runlayout::{
    Run, RunStatus,
    names::{MANIFEST, STATUS},
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
const TEST: &str = "a_killed_process_leaves_a_crashed_run";

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
    // The record names a process of this host with this very pid (alive),
    // but a start time that is not its own: the pid was reused.
    let path = run.path().join(MANIFEST);
    let mut manifest: Value = serde_json::from_slice(&fs::read(&path)?)?;
    let started = manifest["process_started"].as_u64().expect("recorded");
    manifest["process_started"] = (started + 1).into();
    fs::write(&path, serde_json::to_vec(&manifest)?)?;
    assert_eq!(run.status()?, RunStatus::Crashed);
    // Another boot's process, or another pid namespace's, cannot be asked
    // from here (a reboot looks like a machine cloned from one image; a
    // container shares the host's name): still running, never crashed.
    manifest["process_started"] = started.into();
    manifest["boot"] = "00000000-0000-0000-0000-000000000000".into();
    fs::write(&path, serde_json::to_vec(&manifest)?)?;
    assert_eq!(run.status()?, RunStatus::Running);
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")?;
    manifest["boot"] = boot.trim().into();
    manifest["pid_namespace"] = "pid:[1]".into();
    manifest["pid"] = u32::MAX.into();
    fs::write(&path, serde_json::to_vec(&manifest)?)?;
    assert_eq!(run.status()?, RunStatus::Running);
    // And another host's cannot be asked: still running.
    manifest["host"] = "some-other-node".into();
    manifest["pid"] = 1.into();
    fs::write(&path, serde_json::to_vec(&manifest)?)?;
    assert_eq!(run.status()?, RunStatus::Running);
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
    assert!(common::temporaries(run.path()).is_empty());
    Ok(())
}

#[test]
fn recording_keeps_the_fields_it_does_not_know() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).create()?;
    run.finish()?;
    let path = run.path().join(STATUS);
    let mut record: Value = serde_json::from_slice(&fs::read(&path)?)?;
    record["tracker"] = serde_json::json!({ "url": "http://tracker/run/7" });
    fs::write(&path, serde_json::to_vec(&record)?)?;
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
    assert_eq!(run.status()?, RunStatus::Running);
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
