//! Attacks on creating and joining runs when a creator is killed.

use std::fs;
use std::time::{Duration, SystemTime};

use runlayout::{Error, Run};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// README: "Killed before its manifest, a creation leaves an empty folder
/// that no scan lists", and a requeued Slurm job "keeps its job id ...: it
/// resumes its folder". The two together: a job preempted between its
/// `mkdir` and its manifest can never run again under its id. Every later
/// `create_or_open` (each requeue, every rank) fails with `IncompleteRun`,
/// forever; `ls` does not show the folder and `prune` does not remove it,
/// so nothing tells the user what to delete.
#[test]
fn a_requeued_job_resumes_after_its_first_creator_died_before_the_manifest() -> TestResult {
    let root = tempfile::tempdir()?;
    // What the killed creator left: the run folder, empty, made an hour ago.
    let folder = root.path().join("pretrain/slurm-4242.0");
    fs::create_dir_all(&folder)?;
    fs::File::open(&folder)?.set_modified(SystemTime::now() - Duration::from_secs(3600))?;
    let requeued = Run::builder(root.path())
        .stage("pretrain")
        .run_id("slurm-4242.0")
        .join_timeout(Duration::from_millis(200))
        .create_or_open();
    match requeued {
        Ok(run) => assert!(run.path().join(runlayout::names::MANIFEST).is_file()),
        Err(e @ Error::IncompleteRun { .. }) => {
            let ls = std::process::Command::new(env!("CARGO_BIN_EXE_runlayout"))
                .arg("--root")
                .arg(root.path())
                .arg("ls")
                .output()?;
            panic!(
                "the requeued job cannot start: {e}\n`runlayout ls` shows:\n{}",
                String::from_utf8_lossy(&ls.stdout)
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
