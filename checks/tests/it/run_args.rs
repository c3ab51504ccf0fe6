//! `RunArgs` (feature `clap`): flags that live next to a program's own, help
//! text that is the program's, new runs and resumed runs told apart, and
//! variables that stand in for flags without ever conflicting with them.
#![cfg(feature = "clap")]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::support::{self, TestResult, child_lines, clean_env, is_child, spawn_child};
use clap::{Args, CommandFactory, Parser, Subcommand};
use runlayout::env::{
    DEFAULT_ROOT, ENV_DEBUG, ENV_RESUME, ENV_ROOT, ENV_RUN_ID, ENV_SEED, ENV_STAGE,
};
use runlayout::{Error, Run, RunArgs, RunId};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,
}

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("train").chain(args.iter().copied()))
}

/// No variable set: what a process outside any launcher sees.
fn no_env(_: &str) -> Option<OsString> {
    None
}

/// Starts the run `args` describe, reading variables from `env` only.
fn start(args: &[&str], env: &[(&str, &str)]) -> runlayout::Result<Run> {
    let cli = parse(args).expect("valid flags");
    cli.run.start_with(|var| {
        env.iter()
            .find(|(name, _)| *name == var)
            .map(|(_, value)| OsString::from(value))
    })
}

#[test]
fn flags_make_created_then_resumed_runs() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let made = parse(&["--run-root", root, "--run-stage", "pretrain", "--run-debug"])?
        .run
        .start_with(no_env)?;
    assert!(made.is_new() && made.is_debug());
    assert!(made.path().starts_with(tmp.path().join("debug/pretrain")));
    let id = made.id().to_string();
    let resumed = parse(&[
        "--run-root",
        root,
        "--run-stage",
        "pretrain",
        "--run-debug",
        "--run-resume",
        &id,
    ])?
    .run
    .start_with(no_env)?;
    assert_eq!(resumed.path(), made.path());
    assert!(!resumed.is_new());

    let seeded = start(&["--run-root", root, "--run-seed", "42"], &[])?;
    assert!(seeded.id().as_str().ends_with("_i73qd"));
    assert!(seeded.is_new());
    let named = start(&["--run-root", root, "--run-id", "r1"], &[])?;
    assert_eq!(named.path(), tmp.path().join("r1"));
    assert!(named.is_new());
    Ok(())
}

/// A trainer as people write them: its own `--seed` (the training seed),
/// `--debug`, `--stage`, `--root`, `--id` and `--output-root`, even fields
/// named like `RunArgs`' own, next to the flattened `RunArgs`.
#[derive(Parser, Debug)]
#[command(name = "train")]
struct Trainer {
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long)]
    debug: bool,
    #[arg(long)]
    stage: Option<String>,
    #[arg(long)]
    root: Option<PathBuf>,
    #[arg(long)]
    id: Option<String>,
    #[arg(long)]
    output_root: Option<PathBuf>,
    /// A field called like one of `RunArgs`' own, with another flag.
    #[arg(long = "resume-optimizer")]
    resume: bool,
    #[arg(long = "init-seed")]
    run_seed: Option<u64>,
    #[command(flatten)]
    run: RunArgs,
}

#[test]
fn a_program_with_its_own_seed_debug_stage_root_and_id_flags_flattens_run_args() -> TestResult {
    // Clap's debug assertions: unique argument ids and flags, valid groups.
    Trainer::command().debug_assert();
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let trainer = Trainer::try_parse_from([
        "train",
        "--seed",
        "3",
        "--debug",
        "--stage",
        "mine",
        "--root",
        "data",
        "--id",
        "x",
        "--output-root",
        "out",
        "--resume-optimizer",
        "--init-seed",
        "11",
        "--run-seed",
        "9",
        "--run-stage",
        "pretrain",
        "--run-root",
        root,
        "--run-debug",
    ])?;
    assert_eq!(trainer.seed, 3);
    assert!(trainer.debug && trainer.resume);
    assert_eq!(trainer.stage.as_deref(), Some("mine"));
    assert_eq!(trainer.run_seed, Some(11));
    assert_eq!(trainer.run.run_seed, Some(9));
    assert_eq!(trainer.run.run_stage.as_deref(), Some("pretrain"));
    assert!(trainer.run.run_debug);
    let run = trainer.run.start_with(no_env)?;
    assert_eq!(run.id(), &RunId::from_seed(9));
    assert!(run.path().starts_with(tmp.path().join("debug/pretrain")));
    Ok(())
}

/// A Lightning or Hugging Face habit: the trainer's own `--resume <CKPT>`
/// (a checkpoint to load), next to the flattened `RunArgs`.
#[derive(Parser, Debug)]
#[command(name = "train")]
struct CheckpointTrainer {
    /// Checkpoint to load the weights from
    #[arg(long, value_name = "CKPT")]
    resume: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

#[test]
fn a_trainers_own_resume_flag_lives_next_to_run_args() -> TestResult {
    // Clap's debug assertions (these tests build in debug): unique long
    // flags. A second `--resume` panicked here.
    CheckpointTrainer::command().debug_assert();
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let first = CheckpointTrainer::try_parse_from([
        "train",
        "--run-root",
        root,
        "--resume",
        "init/base.ckpt",
        "--run-id",
        "r1",
    ])?;
    assert_eq!(first.resume.as_deref(), Some(Path::new("init/base.ckpt")));
    let made = first.run.start_with(no_env)?;
    let again = CheckpointTrainer::try_parse_from([
        "train",
        "--run-root",
        root,
        "--run-resume",
        "latest",
        "--resume",
        "other.ckpt",
    ])?;
    assert_eq!(again.resume.as_deref(), Some(Path::new("other.ckpt")));
    assert_eq!(again.run.run_resume.as_deref(), Some("latest"));
    assert_eq!(again.run.start_with(no_env)?.path(), made.path());
    Ok(())
}

#[test]
fn every_run_args_flag_starts_with_run() {
    let cmd = Cli::command();
    let longs: Vec<&str> = cmd
        .get_arguments()
        .filter_map(clap::Arg::get_long)
        .filter(|long| *long != "help")
        .collect();
    assert_eq!(
        longs,
        [
            "run-root",
            "run-stage",
            "run-id",
            "run-seed",
            "run-debug",
            "run-resume",
            "run-sweep",
            "run-trial"
        ]
    );
}

/// A trainer whose runs go to `pretrain` unless the user says otherwise.
fn pretrain_by_default(args: &[&str]) -> Result<RunArgs, clap::Error> {
    let mut cli = parse(args)?;
    cli.run.default_stage("pretrain");
    Ok(cli.run)
}

#[test]
fn a_program_gives_its_own_default_stage() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let made = pretrain_by_default(&["--run-root", root, "--run-id", "a"])?.start_with(no_env)?;
    assert_eq!(made.path(), tmp.path().join("pretrain/a"));
    assert_eq!(made.stage(), Some("pretrain"));
    // A typed stage wins over the program's default.
    let typed = pretrain_by_default(&["--run-root", root, "--run-stage", "eval", "--run-id", "b"])?;
    assert_eq!(typed.run_stage.as_deref(), Some("eval"));
    assert_eq!(typed.start_with(no_env)?.path(), tmp.path().join("eval/b"));
    // `latest` is the default stage's.
    let resumed = pretrain_by_default(&["--run-root", root, "--run-resume", "latest"])?;
    assert_eq!(resumed.start_with(no_env)?.path(), made.path());
    // Chained, as a program writes it.
    let mut cli = parse(&["--run-root", root, "--run-resume", "a"])?;
    assert_eq!(
        cli.run.default_stage("pretrain").start_with(no_env)?.path(),
        made.path()
    );
    // One stage flag in the help.
    let help = help_of(Cli::command(), &["train", "--help"]);
    assert_eq!(help.matches("stage <").count(), 1, "{help}");
    Ok(())
}

#[test]
fn the_stage_variable_beats_the_programs_default_stage() -> TestResult {
    const TEST: &str = "run_args::the_stage_variable_beats_the_programs_default_stage";
    if is_child(TEST) {
        let run = pretrain_by_default(&[])?.start()?;
        println!("RUN={}", run.path().display());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let lines = run_child(
        TEST,
        &[(ENV_ROOT, root), (ENV_STAGE, "eval"), (ENV_RUN_ID, "v")],
    );
    assert_eq!(lines, [tmp.path().join("eval/v").display().to_string()]);
    // Empty counts as unset: the program's default.
    let lines = run_child(
        TEST,
        &[(ENV_ROOT, root), (ENV_STAGE, ""), (ENV_RUN_ID, "w")],
    );
    assert_eq!(lines, [tmp.path().join("pretrain/w").display().to_string()]);
    Ok(())
}

/// Phrases of `RunArgs`' rustdoc that must never reach a user's help.
const RUSTDOC: &[&str] = &["| flag", "| ---", "# Ok::<", "```", "#[derive", "flatten"];

fn help_of(cmd: clap::Command, args: &[&str]) -> String {
    let err = cmd
        .try_get_matches_from(args)
        .expect_err("--help ends parsing");
    assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
    err.to_string()
}

fn assert_no_rustdoc(help: &str) {
    for phrase in RUSTDOC {
        assert!(!help.contains(phrase), "{phrase:?} leaked into:\n{help}");
    }
}

/// About text but no long about: clap used to fill the long one from the
/// flattened struct's doc comment.
#[derive(Parser)]
#[command(name = "train", about = "Trains a model")]
struct AboutOnly {
    #[command(flatten)]
    run: RunArgs,
    /// Learning rate
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
}

#[derive(Parser)]
#[command(name = "tool")]
struct Tool {
    #[command(subcommand)]
    command: ToolCommand,
}

#[derive(Subcommand)]
enum ToolCommand {
    // No doc comments: clap took the flattened struct's as the description.
    Train(RunArgs),
    Eval(EvalArgs),
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    run: RunArgs,
}

#[test]
fn help_holds_none_of_run_args_rustdoc() {
    for args in [&["train", "--help"][..], &["train", "-h"]] {
        let help = help_of(AboutOnly::command(), args);
        assert!(help.contains("Trains a model"), "{help}");
        assert!(help.contains("Run folder:"), "own heading: {help}");
        assert!(help.contains("--run-root <DIR>"), "{help}");
        // The program's own flag, declared after RunArgs, keeps its heading.
        let (own, run_folder) = help.split_once("Run folder:").expect("heading");
        assert!(
            own.contains("--lr") && !run_folder.contains("--lr"),
            "{help}"
        );
        assert_no_rustdoc(&help);
    }
    let top = help_of(Tool::command(), &["tool", "--help"]);
    assert_no_rustdoc(&top);
    for sub in ["train", "eval"] {
        let help = help_of(Tool::command(), &["tool", sub, "--help"]);
        assert!(help.contains("--run-resume <RUN>"), "{help}");
        assert_no_rustdoc(&help);
        // The subcommand has no description of its own, so none shows.
        let first = help.lines().next().unwrap_or_default();
        assert!(first.starts_with("Usage:"), "{help}");
    }
    // Built by hand: the command's own about survives the flattening.
    let cmd = RunArgs::augment_args(
        clap::Command::new("train")
            .about("Mine")
            .long_about("Mine, long"),
    );
    let help = help_of(cmd, &["train", "--help"]);
    assert!(help.starts_with("Mine, long"), "{help}");
}

/// The "Run folder" lines of `--help`, as a program built on `RunArgs`
/// shows them outside any launcher: clap's own `[env: VAR=value]` for the
/// variables clap reads, plain words for those `start` reads.
#[test]
fn the_help_lines_read_cleanly() -> TestResult {
    const TEST: &str = "run_args::the_help_lines_read_cleanly";
    if is_child(TEST) {
        // One line per flag, whatever the terminal (clap wraps help when a
        // dependency turns on its `wrap_help`).
        let cmd = Cli::command().term_width(0);
        for line in help_of(cmd, &["train", "--help"]).lines() {
            println!("HELP={line}");
        }
        return Ok(());
    }
    let lines = child_lines(spawn_child(TEST, TEST, &clean_env(&[])), "HELP=");
    let at = lines
        .iter()
        .position(|l| l == "Run folder:")
        .expect("the heading");
    assert_eq!(
        lines[at + 1..],
        [
            "      --run-root <DIR>      Folder that holds every run [env: RUNLAYOUT_ROOT=] [default: runs]",
            "      --run-stage <NAME>    Stage of the run: pretrain, finetune, ... [env: RUNLAYOUT_STAGE=]",
            "      --run-id <ID>         Start a new run with this id, an error if it exists (RUNLAYOUT_RUN_ID instead creates the run or joins it)",
            "      --run-seed <N>        Start a new run with a seeded id (today's date, or under a launcher its job id, and a suffix from N), an error if it exists (or RUNLAYOUT_SEED)",
            "      --run-debug           Put the run below the root's debug/ folder [env: RUNLAYOUT_DEBUG=]",
            "      --run-resume <RUN>    Open an existing run: ID, STAGE/ID, latest or STAGE/latest (or RUNLAYOUT_RESUME)",
            "      --run-sweep <SWEEP>   Run a trial of this sweep: STAGE/SWEEP-ID or SWEEP-ID of --run-stage (or RUNLAYOUT_SWEEP)",
            "      --run-trial <N|next>  Which trial of the sweep: its number (a Slurm array's task id) or next, the next one left (or RUNLAYOUT_TRIAL; default next)",
        ]
    );
    Ok(())
}

#[test]
fn a_taken_run_id_or_seed_is_an_error_that_says_how_to_resume() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let first = start(
        &[
            "--run-root",
            root,
            "--run-stage",
            "pretrain",
            "--run-id",
            "baseline",
        ],
        &[],
    )?;
    std::fs::write(first.path().join("config.json"), "{\"lr\": 0.1}")?;
    // The same id again (with another config): an error, nothing touched.
    let err = start(
        &[
            "--run-root",
            root,
            "--run-stage",
            "pretrain",
            "--run-id",
            "baseline",
        ],
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::RunIdTaken { path, .. } if path == first.path()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("--run-resume baseline"), "{message}");
    assert!(
        message.contains(&first.path().display().to_string()),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(first.path().join("config.json"))?,
        "{\"lr\": 0.1}"
    );

    let seeded = start(&["--run-root", root, "--run-seed", "7"], &[])?;
    let err = start(&["--run-root", root, "--run-seed", "7"], &[]).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("--run-resume {}", seeded.id())),
        "{message}"
    );
    Ok(())
}

#[test]
fn a_fixed_id_is_shared_by_the_ranks_of_one_launched_job_only() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let args = ["--run-root", root, "--run-id", "sweep"];
    let step0 = [("SLURM_JOB_ID", "41"), ("SLURM_STEP_ID", "0")];
    let rank0 = start(&args, &step0)?;
    let rank1 = start(&args, &step0)?;
    assert_eq!(rank0.path(), rank1.path());
    assert!(rank0.is_new() && !rank1.is_new());
    // Another step, another job, or no launcher: the id is taken.
    for env in [
        &[("SLURM_JOB_ID", "41"), ("SLURM_STEP_ID", "1")][..],
        &[("SLURM_JOB_ID", "42"), ("SLURM_STEP_ID", "0")],
        &[],
    ] {
        let err = start(&args, env).unwrap_err();
        assert!(matches!(err, Error::RunIdTaken { .. }), "{env:?}: {err:?}");
    }
    Ok(())
}

#[test]
fn resume_takes_an_id_a_stage_and_id_latest_or_a_stage_and_latest() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let pre = |id: &str| {
        start(
            &[
                "--run-root",
                root,
                "--run-stage",
                "pretrain",
                "--run-id",
                id,
            ],
            &[],
        )
    };
    let a = pre("a")?;
    let b = pre("b")?;
    let fine = start(
        &[
            "--run-root",
            root,
            "--run-stage",
            "finetune",
            "--run-id",
            "c",
        ],
        &[],
    )?;
    let dbg = start(
        &[
            "--run-root",
            root,
            "--run-debug",
            "--run-stage",
            "pretrain",
            "--run-id",
            "d",
        ],
        &[],
    )?;

    let resume = |extra: &[&str]| -> runlayout::Result<PathBuf> {
        let mut args = vec!["--run-root", root];
        args.extend_from_slice(extra);
        let run = start(&args, &[])?;
        assert!(!run.is_new());
        Ok(run.path().to_path_buf())
    };
    assert_eq!(
        resume(&["--run-stage", "pretrain", "--run-resume", "a"])?,
        a.path()
    );
    assert_eq!(
        resume(&["--run-stage", "pretrain", "--run-resume", "latest"])?,
        b.path()
    );
    // The stage in `<RUN>` wins over --run-stage.
    assert_eq!(
        resume(&["--run-stage", "finetune", "--run-resume", "pretrain/a"])?,
        a.path()
    );
    assert_eq!(resume(&["--run-resume", "pretrain/latest"])?, b.path());
    assert_eq!(resume(&["--run-resume", "finetune/latest"])?, fine.path());
    assert_eq!(resume(&["--run-resume", "debug/pretrain/d"])?, dbg.path());
    assert_eq!(
        resume(&["--run-resume", "debug/pretrain/latest"])?,
        dbg.path()
    );

    // Spellings that name no run are usage errors, before anything runs.
    for bad in ["a/b/c/d", "", "pretrain/", "/a"] {
        assert!(parse(&["--run-resume", bad]).is_err(), "{bad:?}");
    }
    Ok(())
}

#[test]
fn resuming_finetune_with_a_pretrain_id_says_where_the_id_is() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let pretrain = start(&["--run-root", root, "--run-stage", "pretrain"], &[])?;
    let id = pretrain.id().to_string();
    let err = start(
        &[
            "--run-root",
            root,
            "--run-stage",
            "finetune",
            "--run-resume",
            &id,
        ],
        &[],
    )
    .unwrap_err();
    match &err {
        Error::RunNotFound { path, elsewhere } => {
            assert_eq!(path, &tmp.path().join("finetune").join(&id));
            assert_eq!(elsewhere, &[pretrain.path().to_path_buf()]);
        }
        other => panic!("expected RunNotFound, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&pretrain.path().display().to_string()),
        "{message}"
    );
    Ok(())
}

#[test]
fn resume_of_a_missing_run_names_it() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let err = start(
        &[
            "--run-root",
            root,
            "--run-stage",
            "s",
            "--run-resume",
            "gone",
        ],
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::RunNotFound { path, .. } if path == &tmp.path().join("s/gone")),
        "{err:?}"
    );
    let err = start(
        &[
            "--run-root",
            root,
            "--run-stage",
            "s",
            "--run-resume",
            "latest",
        ],
        &[],
    )
    .unwrap_err();
    assert!(matches!(&err, Error::NoLatestRun { .. }), "{err:?}");
    Ok(())
}

#[test]
fn typed_flags_that_choose_the_run_conflict_with_each_other() {
    assert!(parse(&["--run-resume", "a", "--run-id", "b"]).is_err());
    assert!(parse(&["--run-seed", "1", "--run-id", "b"]).is_err());
    assert!(parse(&["--run-resume", "a", "--run-seed", "1"]).is_err());
}

#[test]
fn variables_stand_in_for_flags_in_order_and_flags_beat_them() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let r1 = start(&["--run-root", root, "--run-id", "r1"], &[])?;
    let args = ["--run-root", root];
    // RUNLAYOUT_RESUME opens, RUNLAYOUT_RUN_ID joins (a launcher script's
    // id), RUNLAYOUT_SEED starts a new run.
    let opened = start(
        &args,
        &[(ENV_RESUME, "r1"), (ENV_RUN_ID, "x"), (ENV_SEED, "1")],
    )?;
    assert_eq!(opened.path(), r1.path());
    let joined = start(&args, &[(ENV_RUN_ID, "r1"), (ENV_SEED, "1")])?;
    assert_eq!(joined.path(), r1.path());
    assert!(!joined.is_new());
    let seeded = start(&args, &[(ENV_SEED, "3")])?;
    assert_eq!(seeded.id(), &RunId::from_seed(3));
    // Under a launcher a seed, typed or from the environment, is made with
    // the launcher's id in place of the date.
    let launched = start(&args, &[(ENV_SEED, "3"), ("SLURM_JOB_ID", "12")])?;
    assert_eq!(
        launched.id(),
        format!("slurm-12_{}", RunId::seed_suffix(3)).as_str()
    );
    let typed = start(
        &["--run-root", root, "--run-seed", "4"],
        &[(ENV_SEED, "3"), ("SLURM_JOB_ID", "12")],
    )?;
    assert_eq!(
        typed.id(),
        format!("slurm-12_{}", RunId::seed_suffix(4)).as_str()
    );
    let bare = start(&args, &[("SLURM_JOB_ID", "12")])?;
    assert_eq!(bare.id(), "slurm-12");
    // Typed flags win over every variable.
    let env = [(ENV_RESUME, "r1"), (ENV_RUN_ID, "x"), (ENV_SEED, "1")];
    let fresh = start(&["--run-root", root, "--run-id", "fresh"], &env)?;
    assert!(fresh.is_new() && fresh.id() == "fresh");
    let env = [(ENV_RESUME, "nope"), (ENV_RUN_ID, "x")];
    assert_eq!(
        start(&["--run-root", root, "--run-resume", "r1"], &env)?.path(),
        r1.path()
    );
    // A variable that cannot be used names itself.
    let err = start(&args, &[(ENV_SEED, "seven")]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidEnv { var: ENV_SEED, .. }),
        "{err:?}"
    );
    let err = start(&args, &[(ENV_RESUME, "a/b/c/d")]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidEnv {
                var: ENV_RESUME,
                ..
            }
        ),
        "{err:?}"
    );
    Ok(())
}

/// The variable that hands a child its command line, arguments separated by
/// spaces.
const ARGS: &str = "RUNLAYOUT_TEST_ARGS";

/// The body of a child: parse the arguments handed to it, with the process
/// environment, start the run, say where.
fn child_body() -> TestResult {
    let args = std::env::var(ARGS).unwrap_or_default();
    let cli = parse(&args.split_whitespace().collect::<Vec<_>>())?;
    let run = cli.run.start()?;
    println!(
        "RUN={}|{}|{}",
        run.path().display(),
        run.is_new(),
        cli.run.run_root.display()
    );
    Ok(())
}

fn run_child(test: &str, env: &[(&str, &str)]) -> Vec<String> {
    let env = clean_env(env);
    child_lines(spawn_child(test, test, &env), "RUN=")
}

#[test]
fn a_variable_never_conflicts_with_a_typed_flag() -> TestResult {
    const TEST: &str = "run_args::a_variable_never_conflicts_with_a_typed_flag";
    if is_child(TEST) {
        return child_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let r1 = start(&["--run-root", root, "--run-id", "r1"], &[])?;
    // A launcher script exported RUNLAYOUT_RUN_ID; the user typed --run-resume.
    let resume = format!("--run-root {root} --run-resume r1");
    let lines = run_child(
        TEST,
        &[
            (ENV_RUN_ID, "from-script"),
            (ENV_SEED, "2"),
            (ARGS, &resume),
        ],
    );
    assert_eq!(lines, [format!("{}|false|{root}", r1.path().display())]);
    // RUNLAYOUT_RESUME exported; the user typed --run-id or --run-seed.
    let fresh = format!("--run-root {root} --run-id fresh");
    let lines = run_child(
        TEST,
        &[(ENV_RESUME, "r1"), (ENV_RUN_ID, "x"), (ARGS, &fresh)],
    );
    assert_eq!(
        lines,
        [format!(
            "{}|true|{root}",
            tmp.path().join("fresh").display()
        )]
    );
    let seeded = format!("--run-root {root} --run-seed 5");
    let lines = run_child(TEST, &[(ENV_RESUME, "r1"), (ARGS, &seeded)]);
    let path = tmp.path().join(RunId::from_seed(5).as_str());
    assert_eq!(lines, [format!("{}|true|{root}", path.display())]);
    Ok(())
}

#[test]
fn the_debug_variable_takes_the_spellings_clap_took() -> TestResult {
    const TEST: &str = "run_args::the_debug_variable_takes_the_spellings_clap_took";
    if is_child(TEST) {
        return child_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    for (value, debug) in [
        ("t", true),
        ("Y", true),
        ("on", true),
        ("f", false),
        ("NO", false),
    ] {
        let lines = run_child(TEST, &[(ENV_ROOT, root), (ENV_DEBUG, value)]);
        let (path, _) = lines[0].split_once('|').expect("path|...");
        assert_eq!(
            Path::new(path).starts_with(tmp.path().join("debug")),
            debug,
            "RUNLAYOUT_DEBUG={value}: {path}"
        );
        // from_env reads the same spellings the same way.
        let builder = Run::builder(root)
            .run_id("probe")
            .from_env_with(|var| (var == ENV_DEBUG).then(|| OsString::from(value)))?;
        let planned = builder.planned_path()?.expect("fixed id");
        assert_eq!(
            planned.starts_with(tmp.path().join("debug")),
            debug,
            "{value}"
        );
    }
    Ok(())
}

#[test]
fn variables_stand_in_for_the_root_stage_and_id() -> TestResult {
    const TEST: &str = "run_args::variables_stand_in_for_the_root_stage_and_id";
    if is_child(TEST) {
        return child_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let env = [
        (ENV_ROOT, root),
        (ENV_STAGE, "finetune"),
        (ENV_DEBUG, "yes"),
        (ENV_RUN_ID, "from-env"),
    ];
    let lines = run_child(TEST, &env);
    let made = tmp.path().join("debug/finetune/from-env");
    assert_eq!(lines, [format!("{}|true|{root}", made.display())]);
    let slurm = [(ENV_ROOT, root), ("SLURM_JOB_ID", "31")];
    let lines = run_child(TEST, &slurm);
    assert_eq!(
        lines,
        [format!(
            "{}|true|{root}",
            tmp.path().join("slurm-31").display()
        )]
    );
    Ok(())
}

/// Every variable `RunArgs` reads, holding bytes that are not UTF-8 (or,
/// for the debug flag, no yes or no), is an error that names the variable
/// and its value (lossy), whether clap reads it (stage, debug) or `start`
/// does (resume, run id, seed).
#[cfg(unix)]
#[test]
fn a_variable_that_cannot_be_used_is_named_with_its_value() -> TestResult {
    use std::os::unix::ffi::OsStringExt;
    const TEST: &str = "run_args::a_variable_that_cannot_be_used_is_named_with_its_value";
    if is_child(TEST) {
        let message = match parse(&[]) {
            Err(e) => e.to_string(),
            Ok(cli) => match cli.run.start() {
                Err(e) => e.to_string(),
                Ok(run) => format!("made {}", run.path().display()),
            },
        };
        println!("ERR={}", message.lines().next().unwrap_or_default());
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let not_utf8 = || OsString::from_vec(b"a\xffb".to_vec());
    let utf8 = "expected UTF-8 text";
    let cases = [
        (
            ENV_STAGE,
            not_utf8(),
            format!("error: {ENV_STAGE}=\"a\u{fffd}b\" cannot be used: {utf8}"),
        ),
        (
            ENV_DEBUG,
            not_utf8(),
            format!("error: {ENV_DEBUG}=\"a\u{fffd}b\" cannot be used: {utf8}"),
        ),
        (
            ENV_DEBUG,
            OsString::from("maybe"),
            format!(
                "error: {ENV_DEBUG}=\"maybe\" cannot be used: expected yes or no: \
                 1, true, t, yes, y, on, 0, false, f, no, n or off"
            ),
        ),
        (
            ENV_RESUME,
            not_utf8(),
            format!("{ENV_RESUME}=\"a\u{fffd}b\" cannot be used: {utf8}"),
        ),
        (
            ENV_RUN_ID,
            not_utf8(),
            format!("{ENV_RUN_ID}=\"a\u{fffd}b\" cannot be used: {utf8}"),
        ),
        (
            ENV_SEED,
            not_utf8(),
            format!("{ENV_SEED}=\"a\u{fffd}b\" cannot be used: {utf8}"),
        ),
    ];
    for (var, value, expected) in cases {
        let mut env: Vec<(&str, OsString)> = clean_env(&[(ENV_ROOT, root)])
            .into_iter()
            .map(|(k, v)| (k, OsString::from(v)))
            .collect();
        env.push((var, value));
        let lines = child_lines(spawn_child(TEST, TEST, &env), "ERR=");
        assert_eq!(lines, [expected], "{var}");
    }
    // Nothing was made.
    assert_eq!(support::folder_count(tmp.path()), 0);
    Ok(())
}

/// A typed `--run-stage` that is not UTF-8 names the flag and its value.
#[cfg(unix)]
#[test]
fn a_typed_stage_that_is_not_utf8_names_the_flag() {
    use std::os::unix::ffi::OsStringExt;
    let args = [
        OsString::from("train"),
        OsString::from("--run-stage"),
        OsString::from_vec(b"a\xffb".to_vec()),
    ];
    let err = Cli::try_parse_from(args).err().expect("an error");
    let first = err.to_string();
    assert_eq!(
        first.lines().next(),
        Some("error: --run-stage \"a\u{fffd}b\" cannot be used: expected UTF-8 text"),
        "{first}"
    );
}

#[test]
fn the_default_root_is_the_runtimes_constant() -> TestResult {
    const TEST: &str = "run_args::the_default_root_is_the_runtimes_constant";
    if is_child(TEST) {
        let cli = parse(&[])?;
        println!("ROOT={}", cli.run.run_root.display());
        return Ok(());
    }
    let lines = child_lines(spawn_child(TEST, TEST, &clean_env(&[])), "ROOT=");
    assert_eq!(lines, [DEFAULT_ROOT]);
    assert_eq!(DEFAULT_ROOT, "runs");
    Ok(())
}

#[test]
fn ranks_of_one_srun_step_typing_one_run_id_share_one_new_run() -> TestResult {
    const TEST: &str = "run_args::ranks_of_one_srun_step_typing_one_run_id_share_one_new_run";
    if is_child(TEST) {
        let args = std::env::var(ARGS).unwrap_or_default();
        let cli = parse(&args.split_whitespace().collect::<Vec<_>>())?;
        match cli.run.start() {
            Ok(run) => println!("RUN={}|{}", run.path().display(), run.is_new()),
            Err(err) => println!("RUN=error|{err}"),
        }
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let args = format!("--run-root {root} --run-id baseline");
    // `srun -n 4 train --run-id baseline`, then a second step typing the same.
    let step = |n: &'static str| {
        let env = clean_env(&[("SLURM_JOB_ID", "77"), ("SLURM_STEP_ID", n), (ARGS, &args)]);
        let children: Vec<_> = (0..4).map(|_| spawn_child(TEST, TEST, &env)).collect();
        children
            .into_iter()
            .flat_map(|c| child_lines(c, "RUN="))
            .collect::<Vec<_>>()
    };
    let first = step("0");
    let folder = tmp.path().join("baseline").display().to_string();
    let mut seen = first.clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            format!("{folder}|false"),
            format!("{folder}|false"),
            format!("{folder}|false"),
            format!("{folder}|true"),
        ]
    );
    let second = step("1");
    assert_eq!(second.len(), 4);
    for line in &second {
        assert!(
            line.starts_with("error|") && line.contains("--run-resume baseline"),
            "{line}"
        );
    }
    Ok(())
}

/// `srun -n 4 train --run-seed 7`, two ranks in a time zone 26 hours ahead
/// of the other two (`TZ=UTC+12`, `TZ=UTC-14`: their dates always differ):
/// one run for the step, made by one rank, whatever each rank's clock says.
#[test]
fn a_typed_run_seed_under_srun_makes_one_run_in_two_time_zones() -> TestResult {
    const TEST: &str = "run_args::a_typed_run_seed_under_srun_makes_one_run_in_two_time_zones";
    if is_child(TEST) {
        return child_body();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let args = format!("--run-root {root} --run-seed 7");
    let children: Vec<_> = ["UTC+12", "UTC-14", "UTC+12", "UTC-14"]
        .into_iter()
        .map(|tz| {
            let env = clean_env(&[
                ("TZ", tz),
                ("SLURM_JOB_ID", "55"),
                ("SLURM_STEP_ID", "0"),
                (ARGS, &args),
            ]);
            spawn_child(TEST, TEST, &env)
        })
        .collect();
    let mut lines: Vec<String> = children
        .into_iter()
        .flat_map(|c| child_lines(c, "RUN="))
        .collect();
    lines.sort();
    let folder = tmp
        .path()
        .join(format!("slurm-55.0_{}", RunId::seed_suffix(7)));
    let seen = |new: bool| format!("{}|{new}|{root}", folder.display());
    assert_eq!(lines, [seen(false), seen(false), seen(false), seen(true)]);
    assert_eq!(support::folder_count(tmp.path()), 1, "one run folder");
    // The same seed typed by the next step of the allocation: a run of its own.
    let env = clean_env(&[
        ("TZ", "UTC-14"),
        ("SLURM_JOB_ID", "55"),
        ("SLURM_STEP_ID", "1"),
        (ARGS, &args),
    ]);
    let next = child_lines(spawn_child(TEST, TEST, &env), "RUN=");
    let other = tmp
        .path()
        .join(format!("slurm-55.1_{}", RunId::seed_suffix(7)));
    assert_eq!(next, [format!("{}|true|{root}", other.display())]);
    Ok(())
}

/// `RUNLAYOUT_SEED` stands in for `--run-seed`, under a launcher too.
#[test]
fn the_seed_variable_under_a_launcher_names_the_jobs_seeded_run() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path().to_str().expect("utf-8");
    let env = [
        (ENV_SEED, "7"),
        ("SLURM_JOB_ID", "56"),
        ("SLURM_STEP_ID", "0"),
    ];
    let rank0 = start(&["--run-root", root], &env)?;
    let rank1 = start(&["--run-root", root], &env)?;
    let folder = tmp
        .path()
        .join(format!("slurm-56.0_{}", RunId::seed_suffix(7)));
    assert_eq!(rank0.path(), folder);
    assert_eq!(rank1.path(), folder);
    assert!(rank0.is_new() && !rank1.is_new());
    Ok(())
}
