//! A process killed (SIGKILL) in the middle of creating and linking runs
//! leaves only whole runs behind, and nothing a later run trips over.
#![cfg(unix)]

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{self, TestResult, folder_count, is_child, spawn_child};
use runlayout::{Error, LinkStyle, Run, record::Manifest, scan::Runs};

const ROLE: &str = "crash-loop";
const TEST: &str = "crash::a_killed_creator_leaves_whole_runs_only";

/// Creates, links and fills runs until it is killed.
fn creation_loop() -> TestResult {
    let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
    let style = match std::env::var("RUNLAYOUT_TEST_STYLE").as_deref() {
        Ok("pointer") => LinkStyle::PointerFile,
        _ => LinkStyle::Auto,
    };
    let mut previous = Run::builder(&root).stage("s").link_style(style).create()?;
    loop {
        let run = Run::builder(&root).stage("s").link_style(style).create()?;
        run.link(&previous)?;
        fs::write(run.path().join("log.txt"), "epoch 1\n")?;
        previous = run;
    }
}

/// Everything that must hold for whatever a killed process left.
fn check_leftovers(root: &Path) -> TestResult {
    let stage = root.join("s");
    for entry in fs::read_dir(&stage)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "latest" || name.starts_with(".runlayout-") {
            continue;
        }
        let path = entry.path();
        assert!(path.is_dir(), "{name} is no run folder");
        // A manifest is there whole, or not yet there; never half written.
        if Manifest::read(&path)?.is_none() {
            // Killed between the mkdir and the manifest: an empty folder,
            // which opening reports as incomplete rather than as a run.
            let inside = fs::read_dir(&path)?.count();
            assert_eq!(inside, support::temporaries(&path).len(), "{name}");
            let opened = Run::builder(root)
                .stage("s")
                .run_id(name.as_str())
                .join_timeout(Duration::ZERO)
                .open();
            assert!(
                matches!(opened, Err(Error::IncompleteRun { .. })),
                "{opened:?}"
            );
            continue;
        }
        let run = Run::builder(root).stage("s").run_id(name.as_str()).open()?;
        // An ancestor link is there whole, or not yet there.
        if let Some(ancestor) = run.ancestor()? {
            assert!(ancestor.is_dir(), "{name} links to a missing {ancestor:?}");
        }
        run.descendants()?;
    }
    // The latest pointer names a run that exists.
    let latest = Run::builder(root).stage("s").open_latest()?;
    assert!(latest.path().is_dir());
    // Later runs are created and linked as if nothing had happened.
    let listed = Runs::scan(root).list()?;
    assert!(listed.problems.is_empty(), "{:?}", listed.problems);
    let mut previous = latest;
    for _ in 0..20 {
        let run = Run::builder(root).stage("s").create()?;
        run.link(&previous)?;
        previous = run;
    }
    Ok(())
}

#[test]
fn a_killed_creator_leaves_whole_runs_only() -> TestResult {
    if is_child(ROLE) {
        return creation_loop();
    }
    for (round, style) in ["auto", "pointer", "auto", "pointer", "auto", "pointer"]
        .into_iter()
        .enumerate()
    {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().to_str().expect("utf-8 temp dir");
        let mut child = spawn_child(
            TEST,
            ROLE,
            &[
                ("RUNLAYOUT_TEST_ROOT", root),
                ("RUNLAYOUT_TEST_STYLE", style),
            ],
        );
        // Let it get going, then kill it at a different moment each round.
        let enough = 20 + 15 * round;
        let start = Instant::now();
        while folder_count(&tmp.path().join("s")) < enough
            && start.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        let killed = child.kill(); // SIGKILL
        child.wait()?;
        killed?;
        let made = folder_count(&tmp.path().join("s"));
        assert!(made >= enough, "the child made only {made} runs");
        check_leftovers(tmp.path())?;
    }
    Ok(())
}
