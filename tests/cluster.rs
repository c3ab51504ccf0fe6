//! The ranks of one launched job meet in one run folder; two jobs never do.
//! Each rank is a real process started with the variables a launcher sets.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use common::{TestResult, is_child, run_children};
use runlayout::{ENV_DEBUG, ENV_ROOT, ENV_RUN_ID, ENV_STAGE, Run};

const RANK: &str = "rank";
const TEST: &str = "ranks_of_one_job_share_a_folder_and_jobs_do_not";

/// What one rank does: settle on the run from its environment and say where.
fn rank_body() -> TestResult {
    let run = Run::builder("unused-default-root")
        .stage("pretrain")
        .from_env()?
        .start()?;
    println!("RUN={}|{}", run.path().display(), run.is_new());
    Ok(())
}

/// Starts `ranks` processes of one job with `launcher_env`; returns each
/// rank's folder and whether it created it.
fn launch(root: &str, ranks: usize, launcher_env: &[(&str, &str)]) -> Vec<(PathBuf, bool)> {
    let mut env = vec![(ENV_ROOT, root)];
    env.extend_from_slice(launcher_env);
    run_children(TEST, RANK, ranks, &env, "RUN=")
        .into_iter()
        .map(|line| {
            let (path, new) = line.split_once('|').expect("path|new");
            (PathBuf::from(path), new == "true")
        })
        .collect()
}

fn one_folder(results: &[(PathBuf, bool)], ranks: usize) -> PathBuf {
    assert_eq!(results.len(), ranks, "every rank reported");
    let folders: HashSet<&PathBuf> = results.iter().map(|(p, _)| p).collect();
    assert_eq!(folders.len(), 1, "ranks split over {folders:?}");
    let creators = results.iter().filter(|(_, new)| *new).count();
    assert_eq!(creators, 1, "exactly one rank creates the folder");
    let folder = results[0].0.clone();
    assert!(folder.is_dir());
    folder
}

#[test]
fn ranks_of_one_job_share_a_folder_and_jobs_do_not() -> TestResult {
    if is_child(RANK) {
        return rank_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");

    let job_a = one_folder(&launch(root, 8, &[("SLURM_JOB_ID", "1001")]), 8);
    assert_eq!(job_a, tmp.path().join("pretrain/slurm-1001"));
    let job_b = one_folder(&launch(root, 8, &[("SLURM_JOB_ID", "1002")]), 8);
    assert_ne!(job_a, job_b);

    let array_task = one_folder(
        &launch(
            root,
            4,
            &[
                ("SLURM_JOB_ID", "2001"),
                ("SLURM_ARRAY_JOB_ID", "2000"),
                ("SLURM_ARRAY_TASK_ID", "1"),
            ],
        ),
        4,
    );
    assert_eq!(array_task, tmp.path().join("pretrain/slurm-2000_1"));
    let other_task = one_folder(
        &launch(
            root,
            4,
            &[
                ("SLURM_JOB_ID", "2002"),
                ("SLURM_ARRAY_JOB_ID", "2000"),
                ("SLURM_ARRAY_TASK_ID", "2"),
            ],
        ),
        4,
    );
    assert_ne!(array_task, other_task);

    let torch = one_folder(&launch(root, 4, &[("TORCHELASTIC_RUN_ID", "a1b2c3")]), 4);
    assert_eq!(torch, tmp.path().join("pretrain/torchrun-a1b2c3"));

    // Settings from RUNLAYOUT_* win over the code's.
    let explicit = one_folder(
        &launch(
            root,
            3,
            &[
                (ENV_RUN_ID, "chosen"),
                (ENV_STAGE, "eval"),
                (ENV_DEBUG, "1"),
                ("SLURM_JOB_ID", "9"),
            ],
        ),
        3,
    );
    assert_eq!(explicit, tmp.path().join("debug/eval/chosen"));
    Ok(())
}

#[test]
fn outside_a_launcher_every_process_gets_its_own_run() -> TestResult {
    const ALONE: &str = "alone";
    const NAME: &str = "outside_a_launcher_every_process_gets_its_own_run";
    if is_child(ALONE) {
        let run = Run::builder("x").stage("solo").from_env()?.start()?;
        println!("RUN={}", run.path().display());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8 temp dir");
    // The test itself may run under a launcher: clear what one would set.
    let clear = [
        (ENV_ROOT, root),
        ("SLURM_JOB_ID", ""),
        ("SLURM_ARRAY_JOB_ID", ""),
        ("SLURM_ARRAY_TASK_ID", ""),
        ("TORCHELASTIC_RUN_ID", ""),
        (ENV_RUN_ID, ""),
    ];
    let folders: HashSet<String> = run_children(NAME, ALONE, 4, &clear, "RUN=")
        .into_iter()
        .collect();
    assert_eq!(folders.len(), 4);
    Ok(())
}
