//! `RunArgs`: a run's settings as command-line flags, for programs built on
//! clap (feature `clap`).

use std::path::PathBuf;

use crate::{Result, Run, RunBuilder};

/// The output root when none is given.
const DEFAULT_ROOT: &str = "runs";

/// The command-line flags of a run, to `#[command(flatten)]` into a clap
/// parser. Each falls back to its `RUNLAYOUT_*` environment variable.
///
/// | flag | environment | meaning |
/// | --- | --- | --- |
/// | `--output-root <DIR>` | `RUNLAYOUT_ROOT` | the output root (default `runs`) |
/// | `--run-id <ID>` | `RUNLAYOUT_RUN_ID` | the run id (default: the launcher's job id, else generated) |
/// | `--stage <STAGE>` | `RUNLAYOUT_STAGE` | the stage |
/// | `--debug` | `RUNLAYOUT_DEBUG` | put the run below `debug/` |
/// | `--resume <RUN_ID>` | `RUNLAYOUT_RESUME` | open this existing run instead of starting one |
/// | `--seed <SEED>` | `RUNLAYOUT_SEED` | a seeded run id |
///
/// ```
/// use clap::Parser;
/// use runlayout::RunArgs;
///
/// #[derive(Parser)]
/// struct Train {
///     #[command(flatten)]
///     run: RunArgs,
///     #[arg(long, default_value_t = 10)]
///     epochs: u32,
/// }
///
/// let root = tempfile::tempdir()?;
/// let root = root.path().to_str().unwrap();
/// let cli = Train::parse_from(["train", "--output-root", root, "--stage", "pretrain", "--run-id", "r1"]);
/// let run = cli.run.start()?;
/// assert_eq!(run.path(), std::path::Path::new(root).join("pretrain/r1"));
///
/// let again = Train::parse_from(["train", "--output-root", root, "--stage", "pretrain", "--resume", "r1"]);
/// assert_eq!(again.run.start()?.path(), run.path());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, clap::Args)]
#[non_exhaustive]
pub struct RunArgs {
    /// Folder that holds every run
    #[arg(
        long,
        env = "RUNLAYOUT_ROOT",
        value_name = "DIR",
        default_value = "runs"
    )]
    pub output_root: PathBuf,

    /// Run id [default: the launcher's job id, else a new `YYYY-MM-DD_xxxxx`]
    #[arg(long, env = "RUNLAYOUT_RUN_ID", value_name = "ID")]
    pub run_id: Option<String>,

    /// Stage of the run (`pretrain`, `finetune`, ...)
    #[arg(long, env = "RUNLAYOUT_STAGE")]
    pub stage: Option<String>,

    /// Put the run below the root's `debug/` folder
    #[arg(
        long,
        env = "RUNLAYOUT_DEBUG",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub debug: bool,

    /// Resume the existing run with this id instead of starting a new one
    #[arg(long, env = "RUNLAYOUT_RESUME", value_name = "RUN_ID", conflicts_with_all = ["run_id", "seed"])]
    pub resume: Option<String>,

    /// Derive the run id from this seed
    #[arg(long, env = "RUNLAYOUT_SEED", conflicts_with = "run_id")]
    pub seed: Option<u64>,
}

impl RunArgs {
    /// The builder these flags describe: with `--resume`, its run id; without
    /// an explicit id, the launcher's job id if a launcher started the process.
    ///
    /// # Errors
    ///
    /// None today: launcher ids are always valid.
    ///
    /// ```
    /// use clap::Parser;
    ///
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     run: runlayout::RunArgs,
    /// }
    ///
    /// let cli = Cli::parse_from(["x", "--output-root", "out", "--stage", "eval", "--seed", "4"]);
    /// let planned = cli.run.builder()?.planned_path()?.unwrap();
    /// assert!(planned.starts_with("out/eval"));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn builder(&self) -> Result<RunBuilder> {
        // An empty variable counts as unset, as in `RunBuilder::from_env`.
        let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        let root = match self.output_root.as_os_str().is_empty() {
            true => PathBuf::from(DEFAULT_ROOT),
            false => self.output_root.clone(),
        };
        let mut builder = Run::builder(root).debug(self.debug);
        if let Some(stage) = given(&self.stage) {
            builder = builder.stage(stage);
        }
        if let Some(id) = given(&self.resume).or(given(&self.run_id)) {
            builder = builder.run_id(id);
        }
        if let Some(seed) = self.seed {
            builder = builder.seed(seed);
        }
        Ok(builder.launcher_id())
    }

    /// The run: the one `--resume` names, opened; else created, or joined
    /// when its id is fixed (the ranks of one job).
    ///
    /// # Errors
    ///
    /// Those of [`RunBuilder::open`] with `--resume`, else those of
    /// [`RunBuilder::start`].
    ///
    /// ```
    /// use clap::Parser;
    ///
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     run: runlayout::RunArgs,
    /// }
    ///
    /// let root = tempfile::tempdir()?;
    /// let root = root.path().to_str().unwrap();
    /// let missing = Cli::parse_from(["x", "--output-root", root, "--resume", "nope"]);
    /// assert!(missing.run.start().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self) -> Result<Run> {
        let builder = self.builder()?;
        if self.resume.is_some() {
            builder.open()
        } else {
            builder.start()
        }
    }
}
