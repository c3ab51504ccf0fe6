//! Many threads and many processes creating runs in one output root: every
//! caller gets its own folder, and every folder is there afterwards.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::support::{TestResult, folder_count, is_child, run_children};
use runlayout::{Nesting, Run};

fn assert_all_distinct_and_present(paths: &[PathBuf], expected: usize) {
    assert_eq!(paths.len(), expected, "some calls did not report a folder");
    let distinct: HashSet<&PathBuf> = paths.iter().collect();
    assert_eq!(
        distinct.len(),
        expected,
        "two callers received the same folder"
    );
    for p in paths {
        assert!(p.is_dir(), "{} is missing", p.display());
    }
}

#[test]
fn eight_threads_create_150_runs_each() -> TestResult {
    let root = tempfile::tempdir()?;
    for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
        let paths: Vec<PathBuf> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..150)
                            .map(|_| {
                                Run::builder(root.path())
                                    .stage("train")
                                    .nesting(nesting)
                                    .create()
                                    .map(|r| r.path().to_path_buf())
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("worker panicked").expect("create failed"))
                .collect()
        });
        assert_all_distinct_and_present(&paths, 1200);
    }
    assert_eq!(folder_count(&root.path().join("train")), 1200);
    Ok(())
}

#[test]
fn four_processes_create_250_runs_each() -> TestResult {
    const ROLE: &str = "create-250";
    if is_child(ROLE) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        for _ in 0..250 {
            let run = Run::builder(&root).stage("train").create()?;
            println!("RUN={}", run.path().display());
        }
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let root_str = root.path().to_str().expect("utf-8 temp dir");
    let envs = [("RUNLAYOUT_TEST_ROOT", root_str)];
    let paths: Vec<PathBuf> = run_children(
        "concurrency::four_processes_create_250_runs_each",
        ROLE,
        4,
        &envs,
        "RUN=",
    )
    .into_iter()
    .map(PathBuf::from)
    .collect();
    assert_all_distinct_and_present(&paths, 1000);
    assert_eq!(folder_count(&root.path().join("train")), 1000);
    Ok(())
}

#[test]
fn sixteen_processes_join_one_seeded_run() -> TestResult {
    const ROLE: &str = "join-seeded";
    if is_child(ROLE) {
        let root = std::env::var("RUNLAYOUT_TEST_ROOT")?;
        let run = Run::builder(&root)
            .stage("train")
            .seed(2026)
            .create_or_open()?;
        println!("RUN={}|{}", run.path().display(), run.is_new());
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let root_str = root.path().to_str().expect("utf-8 temp dir");
    let envs = [("RUNLAYOUT_TEST_ROOT", root_str)];
    let lines = run_children(
        "concurrency::sixteen_processes_join_one_seeded_run",
        ROLE,
        16,
        &envs,
        "RUN=",
    );
    assert_eq!(lines.len(), 16, "every process answered without error");
    let folders: HashSet<&str> = lines.iter().filter_map(|l| l.split('|').next()).collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let creators = lines.iter().filter(|l| l.ends_with("|true")).count();
    assert_eq!(creators, 1, "exactly one process creates the run");
    let run = Run::builder(root.path()).stage("train").seed(2026).open()?;
    assert_eq!(
        folders.into_iter().next(),
        Some(run.path().to_str().expect("utf-8"))
    );
    assert!(run.manifest()?.is_some(), "the creator wrote the manifest");
    Ok(())
}
