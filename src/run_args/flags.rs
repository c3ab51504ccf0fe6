//! The clap side of `RunArgs`: the flags, derived on a struct of their own.
//!
//! clap turns the doc comment of a struct it derives `Args` for into the
//! `about` and `long_about` of whatever command flattens it. `RunArgs`
//! carries its documentation for rustdoc; this struct carries none, so the
//! user's command keeps its own description (or has none).
//!
//! Every argument has an id of its own (`runlayout-...`), a long flag that
//! starts with `run-` and its own help heading, so a program may have
//! fields and flags called `seed`, `debug`, `stage`, `root`, `id` or
//! `resume` (a trainer's own `--resume <CKPT>`) next to these, and its
//! flags declared after the flattened `RunArgs` keep their heading.

use std::path::PathBuf;

use std::ffi::OsString;

use clap::ArgAction;
use clap::builder::{OsStringValueParser, TypedValueParser};

use super::{RunArgs, resume};
use crate::{DEFAULT_ROOT, ENV_DEBUG, ENV_ROOT, ENV_STAGE, parse_flag};

/// The heading the flags are listed under in `--help`.
const HEADING: &str = "Run folder";

/// The argument ids, named so that a user's own never clash with them.
const ROOT: &str = "runlayout-run-root";
const STAGE: &str = "runlayout-run-stage";
const ID: &str = "runlayout-run-id";
const SEED: &str = "runlayout-run-seed";
const DEBUG: &str = "runlayout-run-debug";
const RESUME: &str = "runlayout-run-resume";

#[derive(clap::Args)]
#[group(id = "runlayout-run-args")]
pub(super) struct Flags {
    /// Folder that holds every run
    #[arg(
        id = ROOT,
        long = "run-root",
        env = ENV_ROOT,
        value_name = "DIR",
        default_value = DEFAULT_ROOT,
        value_parser = OsStringValueParser::new().map(root_or_default),
        help_heading = HEADING
    )]
    run_root: PathBuf,

    /// Stage of the run: pretrain, finetune, ...
    #[arg(
        id = STAGE,
        long = "run-stage",
        env = ENV_STAGE,
        value_name = "NAME",
        help_heading = HEADING
    )]
    run_stage: Option<String>,

    /// Start a new run with this id, an error if it exists [env:
    /// RUNLAYOUT_RUN_ID= creates or joins it]
    #[arg(
        id = ID,
        long = "run-id",
        value_name = "ID",
        conflicts_with_all = [SEED, RESUME],
        help_heading = HEADING
    )]
    run_id: Option<String>,

    /// Start a new run with a seeded id (today's date, or under a launcher
    /// its job id, and a suffix from N), an error if it exists [env:
    /// RUNLAYOUT_SEED=]
    #[arg(
        id = SEED,
        long = "run-seed",
        value_name = "N",
        conflicts_with_all = [RESUME],
        help_heading = HEADING
    )]
    run_seed: Option<u64>,

    /// Put the run below the root's debug/ folder
    #[arg(
        id = DEBUG,
        long = "run-debug",
        env = ENV_DEBUG,
        action = ArgAction::SetTrue,
        value_parser = debug_value,
        help_heading = HEADING
    )]
    run_debug: bool,

    /// Open an existing run: ID, STAGE/ID, latest or STAGE/latest [env:
    /// RUNLAYOUT_RESUME=]
    #[arg(
        id = RESUME,
        long = "run-resume",
        value_name = "RUN",
        value_parser = resume::value_parser,
        help_heading = HEADING
    )]
    run_resume: Option<String>,
}

/// The root as given; empty (an exported `RUNLAYOUT_ROOT=`) counts as
/// unset, as in `RunBuilder::from_env`.
fn root_or_default(root: OsString) -> PathBuf {
    if root.is_empty() {
        PathBuf::from(DEFAULT_ROOT)
    } else {
        PathBuf::from(root)
    }
}

/// `RUNLAYOUT_DEBUG`, read by the runtime's one yes/no reading (typed,
/// `--run-debug` takes no value). Empty counts as unset: no.
fn debug_value(text: &str) -> Result<bool, String> {
    if text.trim().is_empty() {
        return Ok(false);
    }
    parse_flag(text).ok_or_else(|| {
        "expected yes or no: 1, true, t, yes, y, on, 0, false, f, no, n or off".to_owned()
    })
}

impl From<Flags> for RunArgs {
    fn from(flags: Flags) -> RunArgs {
        RunArgs {
            run_root: flags.run_root,
            run_stage: flags.run_stage,
            run_id: flags.run_id,
            run_seed: flags.run_seed,
            run_debug: flags.run_debug,
            run_resume: flags.run_resume,
        }
    }
}

impl From<RunArgs> for Flags {
    fn from(args: RunArgs) -> Flags {
        Flags {
            run_root: args.run_root,
            run_stage: args.run_stage,
            run_id: args.run_id,
            run_seed: args.run_seed,
            run_debug: args.run_debug,
            run_resume: args.run_resume,
        }
    }
}

impl clap::FromArgMatches for RunArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Flags::from_arg_matches(matches).map(RunArgs::from)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        Flags::from_arg_matches_mut(matches).map(RunArgs::from)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        let mut flags = Flags::from(self.clone());
        flags.update_from_arg_matches(matches)?;
        *self = flags.into();
        Ok(())
    }

    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        let mut flags = Flags::from(self.clone());
        flags.update_from_arg_matches_mut(matches)?;
        *self = flags.into();
        Ok(())
    }
}

impl clap::Args for RunArgs {
    fn group_id() -> Option<clap::Id> {
        Flags::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        Flags::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Flags::augment_args_for_update(cmd)
    }
}
