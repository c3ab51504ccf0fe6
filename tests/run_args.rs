//! `RunArgs` (feature `clap`): flags, environment fallbacks, one call to a run.
#![cfg(feature = "clap")]

mod common;

use clap::Parser;
use common::{TestResult, child_lines, is_child, spawn_child};
use runlayout::{Error, RunArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
}

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("train").chain(args.iter().copied()))
}

#[test]
fn flags_make_created_then_resumed_runs() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let made = parse(&["--output-root", root, "--stage", "pretrain", "--debug"])?
        .run
        .start()?;
    assert!(made.is_new() && made.is_debug());
    assert!(made.path().starts_with(tmp.path().join("debug/pretrain")));
    let id = made.id().to_string();
    let resumed = parse(&[
        "--output-root",
        root,
        "--stage",
        "pretrain",
        "--debug",
        "--resume",
        &id,
    ])?
    .run
    .start()?;
    assert_eq!(resumed.path(), made.path());
    assert!(!resumed.is_new());

    let seeded = parse(&["--output-root", root, "--seed", "42"])?
        .run
        .start()?;
    assert!(seeded.id().as_str().ends_with("_i73qd"));
    let named = parse(&["--output-root", root, "--run-id", "r1"])?
        .run
        .start()?;
    assert_eq!(named.path(), tmp.path().join("r1"));
    let joined = parse(&["--output-root", root, "--run-id", "r1"])?
        .run
        .start()?;
    assert!(!joined.is_new(), "a fixed id is joined, as ranks do");
    Ok(())
}

#[test]
fn resume_of_a_missing_run_names_it() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let err = parse(&["--output-root", root, "--stage", "s", "--resume", "gone"])?
        .run
        .start()
        .unwrap_err();
    assert!(
        matches!(&err, Error::RunNotFound { path, .. } if path == &tmp.path().join("s/gone")),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn conflicting_flags_are_usage_errors() {
    assert!(parse(&["--resume", "a", "--run-id", "b"]).is_err());
    assert!(parse(&["--seed", "1", "--run-id", "b"]).is_err());
    assert!(parse(&["--resume", "a", "--seed", "1"]).is_err());
}

#[test]
fn environment_variables_stand_in_for_flags() -> TestResult {
    const ROLE: &str = "env-args";
    if is_child(ROLE) {
        let cli = parse(&[])?;
        let run = cli.run.start()?;
        println!("RUN={}", run.path().display());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let env = [
        ("RUNLAYOUT_ROOT", root),
        ("RUNLAYOUT_STAGE", "finetune"),
        ("RUNLAYOUT_DEBUG", "yes"),
        ("RUNLAYOUT_RUN_ID", "from-env"),
    ];
    let child = spawn_child("environment_variables_stand_in_for_flags", ROLE, &env);
    let lines = child_lines(child, "RUN=");
    assert_eq!(
        lines,
        [tmp.path()
            .join("debug/finetune/from-env")
            .display()
            .to_string()]
    );
    let slurm = [
        ("RUNLAYOUT_ROOT", root),
        ("SLURM_JOB_ID", "31"),
        ("RUNLAYOUT_RUN_ID", ""),
    ];
    let child = spawn_child("environment_variables_stand_in_for_flags", ROLE, &slurm);
    assert_eq!(
        child_lines(child, "RUN="),
        [tmp.path().join("slurm-31").display().to_string()]
    );
    Ok(())
}
