//! `RunArgs`: a run's settings as command-line flags, for programs built on
//! clap (feature `clap`).

mod choice;
mod flags;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::env::{DEFAULT_ROOT, ENV_SWEEP, ENV_TRIAL, Vars};
use crate::{Error, Launcher, Result, Run, RunBuilder, RunId, RunSpec};
use choice::{Choice, Named};

/// The command-line flags of a run, to `#[command(flatten)]` into a clap
/// parser next to the program's own.
///
/// | flag | variable | meaning |
/// | --- | --- | --- |
/// | `--run-root <DIR>` | `RUNLAYOUT_ROOT` | the output root (default `runs`, [`DEFAULT_ROOT`]) |
/// | `--run-stage <NAME>` | `RUNLAYOUT_STAGE` | the stage, else the program's [`default_stage`](RunArgs::default_stage) |
/// | `--run-debug` | `RUNLAYOUT_DEBUG` | below `debug/` (the variable in any spelling [`parse_flag`](crate::env::parse_flag) reads: `1`, `t`, `yes`, ...) |
/// | `--run-id <ID>` | | a **new** run of this id; an error if it exists |
/// | `--run-seed <N>` | `RUNLAYOUT_SEED` | a **new** run with a seeded id (the local date and five characters fixed by N; under a launcher the launcher's id in place of the date); an error if it exists |
/// | `--run-resume <RUN>` | `RUNLAYOUT_RESUME` | open an existing run: `id`, `stage/id`, `latest` or `stage/latest` |
/// | | `RUNLAYOUT_RUN_ID` | the id a launcher script gives: created by the first rank, joined by the others |
/// | `--run-sweep <SWEEP>` | `RUNLAYOUT_SWEEP` | run a trial of this [sweep](crate::sweep::Sweep): `[debug/]stage/sweep-id`, or the sweep id alone in `--run-stage`'s stage |
/// | `--run-trial <N\|next>` | `RUNLAYOUT_TRIAL` | which trial: its number (`$SLURM_ARRAY_TASK_ID`), or `next` (the default), the next one left |
///
/// The flags sit under their own heading ("Run folder") in `--help` and
/// bring no description of their own into the program's: its `about` and
/// `long_about` stay its own. Every flag starts with `run-`, so a
/// program's own `--seed`, `--debug`, `--stage`, `--root`, `--id` or
/// `--resume <CKPT>` (a checkpoint to load, as Lightning and Hugging Face
/// trainers spell it) lives next to them.
///
/// # Which run
///
/// [`start`](RunArgs::start) gives the first that applies:
///
/// 0. `--run-sweep <SWEEP>`, else `RUNLAYOUT_SWEEP` unless one of the flags
///    below is typed: the trial of that sweep `--run-trial` (or
///    `RUNLAYOUT_TRIAL`) names, claimed for this process
///    ([`Sweep::claim`](crate::sweep::Sweep::claim),
///    [`claim_next`](crate::sweep::Sweep::claim_next)). The run returned
///    holds the trial's claim for as long as it (or a clone, a guard)
///    lives; its parameters are the trial's ([`Run::params`]). So a clap
///    trainer runs as a Slurm array (`--run-trial $SLURM_ARRAY_TASK_ID`)
///    or as N identical workers (`--run-trial next`) unchanged. Needs the
///    `manifest` feature.
/// 1. `--run-resume <RUN>`, `--run-id <ID>` or `--run-seed <N>` as typed (only
///    one of them can be).
/// 2. `RUNLAYOUT_RESUME`, then `RUNLAYOUT_RUN_ID`, then `RUNLAYOUT_SEED`.
/// 3. The id of the [`Launcher`] (torchrun, Slurm) that started the process:
///    every rank of the job joins one run, and a requeued job finds it again.
/// 4. A new run with a generated id.
///
/// A typed flag beats every variable silently, as clap's own `env` values
/// do, and a variable never makes a typed flag a usage error. Under a
/// launcher, `--run-id` and `--run-seed` (or `RUNLAYOUT_SEED`) make one new
/// run for all the ranks of the job ([`RunBuilder::create_for`]); a run of
/// that id made by anything else is [`Error::RunIdTaken`], whose message
/// says to `--run-resume` it.
///
/// # Seeds and ranks
///
/// Outside a launcher, `--run-seed 7` names the run [`RunId::from_seed`]
/// gives: the local date and five characters fixed by the seed
/// (`2026-11-30_wifod`), so the same seed starts a new run tomorrow. Under
/// a launcher the date would split the ranks (two ranks in different time
/// zones, or on either side of midnight, see two dates), so the launcher's
/// id takes its place ([`Launcher::seeded_id`]): `srun -n 4 train
/// --run-seed 7` in step 0 of job 55 makes `slurm-55.0_wifod`, created by
/// one rank and joined by the three others, whatever their clocks; step 1
/// of the same allocation makes `slurm-55.1_wifod`, and a requeued job
/// finds its folder again.
///
/// ```
/// use clap::Parser;
/// use runlayout::RunArgs;
///
/// #[derive(Parser)]
/// struct Train {
///     #[command(flatten)]
///     run: RunArgs,
///     /// The training seed: no clash with RunArgs' `--run-seed`.
///     #[arg(long, default_value_t = 0)]
///     seed: u64,
/// }
///
/// let root = tempfile::tempdir()?;
/// let root = root.path().to_str().unwrap();
/// let cli = Train::parse_from(["train", "--run-root", root, "--run-stage", "pretrain", "--run-id", "r1", "--seed", "3"]);
/// let run = cli.run.start_with(|_| None)?; // no variables: outside any launcher
/// assert_eq!(run.path(), std::path::Path::new(root).join("pretrain/r1"));
///
/// let again = Train::parse_from(["train", "--run-root", root, "--run-stage", "pretrain", "--run-resume", "latest"]);
/// assert_eq!(again.run.start_with(|_| None)?.path(), run.path());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunArgs {
    /// `--run-root <DIR>`, else `RUNLAYOUT_ROOT`, else [`DEFAULT_ROOT`].
    pub run_root: PathBuf,
    /// `--run-stage <NAME>`, else `RUNLAYOUT_STAGE`, else the program's
    /// [`default_stage`](RunArgs::default_stage).
    pub run_stage: Option<String>,
    /// `--run-id <ID>` as typed (`RUNLAYOUT_RUN_ID` is read by
    /// [`start`](RunArgs::start)).
    pub run_id: Option<String>,
    /// `--run-seed <N>` as typed (`RUNLAYOUT_SEED` is read by
    /// [`start`](RunArgs::start)).
    pub run_seed: Option<u64>,
    /// `--run-debug`, else `RUNLAYOUT_DEBUG`.
    pub run_debug: bool,
    /// `--run-resume <RUN>` as typed (`RUNLAYOUT_RESUME` is read by
    /// [`start`](RunArgs::start)).
    pub run_resume: Option<String>,
    /// `--run-sweep <SWEEP>` as typed (`RUNLAYOUT_SWEEP` is read by
    /// [`start`](RunArgs::start)).
    pub run_sweep: Option<String>,
    /// `--run-trial <N|next>` as typed (`RUNLAYOUT_TRIAL` is read by
    /// [`start`](RunArgs::start)).
    pub run_trial: Option<String>,
}

impl RunArgs {
    /// The stage of the program's runs when the user names none: used when
    /// neither `--run-stage` nor `RUNLAYOUT_STAGE` is given (an empty
    /// variable counts as unset), for new runs and for `--run-resume
    /// latest` alike. A typed stage or the variable wins. `--help` keeps
    /// its one stage flag, `--run-stage`.
    ///
    /// ```
    /// use clap::Parser;
    ///
    /// #[derive(Parser)]
    /// struct Finetune {
    ///     #[command(flatten)]
    ///     run: runlayout::RunArgs,
    /// }
    ///
    /// let root = tempfile::tempdir()?;
    /// let root = root.path().to_str().unwrap();
    /// let mut cli = Finetune::parse_from(["finetune", "--run-root", root, "--run-id", "r1"]);
    /// let run = cli.run.default_stage("finetune").start_with(|_| None)?;
    /// assert!(run.path().ends_with("finetune/r1"));
    ///
    /// let mut typed = Finetune::parse_from(["finetune", "--run-stage", "ablation"]);
    /// typed.run.default_stage("finetune");
    /// assert_eq!(typed.run.run_stage.as_deref(), Some("ablation"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn default_stage(&mut self, stage: impl Into<String>) -> &mut RunArgs {
        // The parsed flags hold the typed stage, else the variable's: only
        // when both are missing is the program's default the stage.
        if self.run_stage.as_deref().is_none_or(str::is_empty) {
            self.run_stage = Some(stage.into());
        }
        self
    }

    /// The settings the flags give every run: root, stage and debug flag,
    /// with no run id yet. For a look at where runs go, or settings
    /// `RunArgs` has no flag for; [`start`](RunArgs::start) chooses the run.
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
    /// let cli = Cli::parse_from(["x", "--run-root", "out", "--run-stage", "eval"]);
    /// let planned = cli.run.builder().run_id("r1").planned_path()?.unwrap();
    /// assert_eq!(planned, std::path::Path::new("out/eval/r1"));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn builder(&self) -> RunBuilder {
        // An empty variable counts as unset, as in `RunBuilder::from_env`.
        let root = match self.run_root.as_os_str().is_empty() {
            true => Path::new(DEFAULT_ROOT),
            false => self.run_root.as_path(),
        };
        let mut builder = Run::builder(root).debug(self.run_debug);
        if let Some(stage) = self.run_stage.as_deref().filter(|s| !s.is_empty()) {
            builder = builder.stage(stage);
        }
        builder
    }

    /// The run the flags and the environment ask for (see the
    /// [order](RunArgs#which-run)): opened for `--run-resume`, created new for
    /// `--run-id` and `--run-seed` (one new run for all the ranks of a
    /// launched job, a seed's id then holding the launcher's id in place of
    /// the date, see [seeds and ranks](RunArgs#seeds-and-ranks)), created or
    /// joined for a launcher's id, created with a generated id otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::RunIdTaken`] when `--run-id` or `--run-seed` names a run
    /// that exists; for `--run-resume`, those of [`RunBuilder::open`] (a
    /// [`Error::RunNotFound`] says where else below the root that id
    /// exists) and [`RunBuilder::open_latest`]; [`Error::InvalidEnv`]
    /// naming a variable that cannot be used; those of
    /// [`RunBuilder::create`] and [`RunBuilder::create_or_open`].
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
    /// let missing = Cli::parse_from(["x", "--run-root", root, "--run-resume", "nope"]);
    /// assert!(missing.run.start().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self) -> Result<Run> {
        self.start_with(|var| std::env::var_os(var))
    }

    /// [`start`](RunArgs::start), reading the variables it reads itself
    /// (`RUNLAYOUT_RESUME`, `RUNLAYOUT_RUN_ID`, `RUNLAYOUT_SEED` and the
    /// launcher's) through `get`: for tests, or for settings kept
    /// somewhere else. Root, stage and debug flag come from the parsed
    /// flags, which clap fills from their variables.
    ///
    /// # Errors
    ///
    /// As [`start`](RunArgs::start).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use clap::Parser;
    ///
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     run: runlayout::RunArgs,
    /// }
    ///
    /// let root = tempfile::tempdir()?;
    /// let cli = Cli::parse_from(["x", "--run-root", root.path().to_str().unwrap()]);
    /// let rank = |k: &str| (k == "SLURM_JOB_ID").then(|| OsString::from("77"));
    /// let first = cli.run.start_with(rank)?;
    /// let second = cli.run.start_with(rank)?;
    /// assert_eq!(first.path(), root.path().join("slurm-77"));
    /// assert!(first.is_new() && !second.is_new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start_with(&self, get: impl Fn(&str) -> Option<OsString>) -> Result<Run> {
        self.start_from(self.builder(), get)
    }

    /// [`start`](RunArgs::start), recording `params` as the run's
    /// parameters ([`RunBuilder::params`]): what a program built on clap
    /// calls with its whole parsed command line, so that every run records
    /// the configuration it ran with. A struct that derives both
    /// `clap::Parser` and `serde::Serialize` and flattens `RunArgs` records
    /// its own fields: `RunArgs` serialises as an empty map, so its flags
    /// (where the run is, which run) are left out. Give the `RunArgs`
    /// field `#[serde(flatten)]` (or `#[serde(skip)]`); without either it
    /// is recorded as an empty object under its field's name.
    ///
    /// A resumed or joined run keeps the parameters its creator recorded;
    /// other ones are kept in this process's restart record
    /// ([`Run::restarts`]). Needs the features `clap` and `serde`.
    ///
    /// # Errors
    ///
    /// As [`start`](RunArgs::start), and [`Error::InvalidParams`] when
    /// `params` is no JSON object.
    ///
    /// ```
    /// # #[cfg(feature = "manifest")] {
    /// use clap::Parser;
    /// use serde_json::json;
    ///
    /// #[derive(Parser, serde::Serialize)]
    /// struct Cli {
    ///     #[arg(long, default_value_t = 0.01)]
    ///     lr: f64,
    ///     #[arg(long, default_value_t = 0)]
    ///     seed: u64,
    ///     #[command(flatten)]
    ///     #[serde(flatten)]
    ///     run: runlayout::RunArgs,
    /// }
    ///
    /// let root = tempfile::tempdir()?;
    /// let cli = Cli::parse_from(["train", "--lr", "0.1", "--run-root", root.path().to_str().unwrap()]);
    /// let run = cli.run.start_with_params(&cli)?;
    /// assert_eq!(run.params()?, Some(json!({ "lr": 0.1, "seed": 0 })));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "serde")]
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    pub fn start_with_params(&self, params: &impl serde::Serialize) -> Result<Run> {
        self.start_from(self.builder().params(params), |var| std::env::var_os(var))
    }

    /// [`start_with`](RunArgs::start_with) from `builder`.
    fn start_from(
        &self,
        builder: RunBuilder,
        get: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Run> {
        let vars = Vars::new(&get);
        if let Some(sweep) = self.sweep_asked(&vars)? {
            let trial = match &self.run_trial {
                Some(trial) => Some(trial.clone()),
                None => vars.parsed(ENV_TRIAL, trial_of, "a trial number or `next`")?,
            };
            return self.start_trial(&sweep, trial.as_deref().unwrap_or("next"));
        }
        let typed = choice::Typed {
            resume: self.run_resume.as_deref(),
            id: self.run_id.as_deref(),
            seed: self.run_seed,
        };
        match choice::choose(typed, &vars)? {
            Choice::Resume(text) => resume(builder, &text),
            Choice::New(named) => {
                let launcher = Launcher::detect_with(&get);
                let builder = match named {
                    Named::Id(id) => builder.run_id(id),
                    // Under the launcher `get` names: its id and the seed's
                    // characters (`create_for` makes it so).
                    Named::Seed(seed) if launcher.is_some() => builder.seed(seed),
                    // Dated, whatever launcher the process's own
                    // environment may name.
                    Named::Seed(seed) => builder.run_id(RunId::from_seed(seed)),
                };
                let made = match &launcher {
                    Some(launcher) => builder.create_for(launcher),
                    None => builder.create(),
                };
                made.map_err(taken)
            }
            Choice::Join(id) => builder.run_id(id).create_or_open(),
            Choice::Generated => builder.create(),
        }
    }
}

impl RunArgs {
    /// The sweep asked for: typed, else `RUNLAYOUT_SWEEP` unless another
    /// flag that chooses the run is typed.
    fn sweep_asked(
        &self,
        vars: &Vars<impl Fn(&str) -> Option<OsString>>,
    ) -> Result<Option<String>> {
        if self.run_sweep.is_some() {
            return Ok(self.run_sweep.clone());
        }
        if self.run_resume.is_some() || self.run_id.is_some() || self.run_seed.is_some() {
            return Ok(None);
        }
        vars.text(ENV_SWEEP)
    }

    /// Claims the trial `trial` (a number or `next`) of the sweep `text`
    /// names below the root, and returns its run, which holds the claim.
    #[cfg(feature = "manifest")]
    fn start_trial(&self, text: &str, trial: &str) -> Result<Run> {
        use crate::sweep::{Sweep, SweepSpec};
        let builder = self.builder();
        let root = builder.root();
        let spec = match (text.parse::<SweepSpec>(), &self.run_stage) {
            (Ok(spec), _) => spec,
            // The sweep id alone, in the stage of `--run-stage`.
            (Err(e), Some(stage)) => {
                let debug = if self.run_debug { "debug/" } else { "" };
                format!("{debug}{stage}/{text}").parse().map_err(|_| e)?
            }
            (Err(e), None) => return Err(e),
        };
        let sweep = Sweep::open(root, &spec)?;
        let claimed = match trial.parse::<usize>() {
            Ok(n) => sweep.claim(n)?,
            Err(_) => sweep
                .claim_next()?
                .ok_or_else(|| Error::NoTrialLeft { path: sweep.path() })?,
        };
        Ok(claimed.into_run())
    }

    /// Without the `manifest` feature there are no records, so no sweeps.
    #[cfg(not(feature = "manifest"))]
    fn start_trial(&self, text: &str, _trial: &str) -> Result<Run> {
        Err(Error::InvalidParams {
            value: text.to_owned(),
            problem: "sweeps need runlayout's `manifest` feature".to_owned(),
        })
    }
}

/// A trial as `RUNLAYOUT_TRIAL` gives it: a number or `next`.
fn trial_of(text: &str) -> Option<String> {
    let text = text.trim();
    (text == "next" || text.parse::<usize>().is_ok()).then(|| text.to_owned())
}

/// Opens the run `text` names (its shape was checked already).
/// `RunArgs` serialises as an empty map: a program's configuration that
/// flattens it (`#[command(flatten)] #[serde(flatten)] run: RunArgs`) is
/// recorded as its own fields alone ([`RunArgs::start_with_params`]). Where
/// the run is and which run it is are recorded by the run itself.
///
/// ```
/// use clap::Parser;
///
/// #[derive(Parser, serde::Serialize)]
/// struct Cli {
///     #[arg(long, default_value_t = 2)]
///     layers: u32,
///     #[command(flatten)]
///     #[serde(flatten)]
///     run: runlayout::RunArgs,
/// }
///
/// let cli = Cli::parse_from(["x", "--run-stage", "pretrain"]);
/// assert_eq!(serde_json::to_string(&cli)?, r#"{"layers":2}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl serde::Serialize for RunArgs {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        serializer.serialize_map(Some(0))?.end()
    }
}

fn resume(builder: RunBuilder, text: &str) -> Result<Run> {
    match text.parse::<RunSpec>() {
        Ok(spec) => builder.resolve(&spec),
        // Only a field set by code gets here: clap and the variable's
        // reading check the shape. Name the part that breaks it.
        Err(_) => builder.run_id(text).open(),
    }
}

/// A run the user asked to start anew exists: say how to continue it.
fn taken(err: Error) -> Error {
    match err {
        Error::RunExists { path } => {
            let id = path.file_name().unwrap_or_default().to_string_lossy();
            let resume = format!("--run-resume {id}");
            Error::RunIdTaken { path, resume }
        }
        other => other,
    }
}
