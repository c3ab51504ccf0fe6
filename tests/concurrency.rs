//! Many threads and many processes creating runs in one output root: every
//! caller gets its own folder, and every folder is there afterwards.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use common::{TestResult, child_lines, folder_count, is_child, spawn_child};
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
    let children: Vec<_> = (0..4)
        .map(|_| {
            spawn_child(
                "four_processes_create_250_runs_each",
                ROLE,
                &[("RUNLAYOUT_TEST_ROOT", root_str)],
            )
        })
        .collect();
    let paths: Vec<PathBuf> = children
        .into_iter()
        .flat_map(|c| child_lines(c, "RUN="))
        .map(PathBuf::from)
        .collect();
    assert_all_distinct_and_present(&paths, 1000);
    assert_eq!(folder_count(&root.path().join("train")), 1000);
    Ok(())
}
