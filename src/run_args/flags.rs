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
//!
//! The variables clap reads (root, stage, debug) show in `--help` as clap
//! shows them, `[env: VAR=value]`. Those `start` reads itself, so that a
//! variable never conflicts with a typed flag, are named in words in the
//! flag's help: a hand-written `[env: ...]` would show no value, and wraps
//! into garble.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::ArgAction;
use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::parser::ValueSource;

use super::RunArgs;
use crate::RunSpec;
use crate::env::{DEFAULT_ROOT, ENV_DEBUG, ENV_ROOT, ENV_STAGE, Vars, parse_flag};

/// The heading the flags are listed under in `--help`.
const HEADING: &str = "Run folder";

/// The argument ids, named so that a user's own never clash with them.
const ROOT: &str = "runlayout-run-root";
const STAGE: &str = "runlayout-run-stage";
const ID: &str = "runlayout-run-id";
const SEED: &str = "runlayout-run-seed";
const DEBUG: &str = "runlayout-run-debug";
const RESUME: &str = "runlayout-run-resume";
const SWEEP: &str = "runlayout-run-sweep";
const TRIAL: &str = "runlayout-run-trial";

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
        value_parser = FromEnv { var: ENV_STAGE, parse: stage_value, expected: UTF8 },
        help_heading = HEADING
    )]
    run_stage: Option<String>,

    /// Start a new run with this id, an error if it exists (RUNLAYOUT_RUN_ID
    /// instead creates the run or joins it)
    #[arg(
        id = ID,
        long = "run-id",
        value_name = "ID",
        conflicts_with_all = [SEED, RESUME],
        help_heading = HEADING
    )]
    run_id: Option<String>,

    /// Start a new run with a seeded id (today's date, or under a launcher
    /// its job id, and a suffix from N), an error if it exists (or
    /// RUNLAYOUT_SEED)
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
        value_parser = FromEnv { var: ENV_DEBUG, parse: parse_flag, expected: YES_OR_NO },
        help_heading = HEADING
    )]
    run_debug: bool,

    /// Open an existing run: ID, STAGE/ID, latest or STAGE/latest (or
    /// RUNLAYOUT_RESUME)
    #[arg(
        id = RESUME,
        long = "run-resume",
        value_name = "RUN",
        value_parser = resume_value,
        help_heading = HEADING
    )]
    run_resume: Option<String>,

    /// Run a trial of this sweep: STAGE/SWEEP-ID or SWEEP-ID of
    /// --run-stage (or RUNLAYOUT_SWEEP)
    #[arg(
        id = SWEEP,
        long = "run-sweep",
        value_name = "SWEEP",
        conflicts_with_all = [ID, SEED, RESUME],
        help_heading = HEADING
    )]
    run_sweep: Option<String>,

    /// Which trial of the sweep: its number (a Slurm array's task id) or
    /// next, the next one left (or RUNLAYOUT_TRIAL; default next)
    #[arg(
        id = TRIAL,
        long = "run-trial",
        value_name = "N|next",
        value_parser = trial_value,
        help_heading = HEADING
    )]
    run_trial: Option<String>,
}

/// clap's check of `--run-trial`: a number or `next`.
fn trial_value(text: &str) -> Result<String, String> {
    match text == "next" || text.parse::<usize>().is_ok() {
        true => Ok(text.to_owned()),
        false => Err("expected a trial number or `next`".to_owned()),
    }
}

/// clap's check of `--run-resume`: the value as typed, if it has the shape
/// of a [`RunSpec`].
fn resume_value(text: &str) -> Result<String, String> {
    match text.parse::<RunSpec>() {
        Ok(_) => Ok(text.to_owned()),
        Err(_) => Err(format!("expected {}", RunSpec::SPELLINGS)),
    }
}

/// The root as given; empty (an exported `RUNLAYOUT_ROOT=`) counts as
/// unset, as in `RunBuilder::from_env`. Any bytes make a path.
fn root_or_default(root: OsString) -> PathBuf {
    let given = Vars::new(|_: &str| Some(root.clone())).value(ENV_ROOT);
    given.map_or_else(|| PathBuf::from(DEFAULT_ROOT), PathBuf::from)
}

/// What a value that must be text is expected to hold.
const UTF8: &str = "UTF-8 text";

/// A stage is any text; its naming rules are checked when the run is made,
/// with an error that names the value and the rule.
fn stage_value(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// What `RUNLAYOUT_DEBUG` takes: the runtime's one yes/no reading.
const YES_OR_NO: &str = "yes or no: 1, true, t, yes, y, on, 0, false, f, no, n or off";

/// The value parser of a flag clap may take from a variable: the variable's
/// value goes through the one reading of `RunArgs`' variables
/// ([`Vars::parsed`]; empty counts as unset and gives `T`'s default), so a
/// value that cannot be used is named with its variable, as those `start`
/// reads are. A typed value that cannot be used is named with its flag.
#[derive(Clone, Copy)]
struct FromEnv<T> {
    var: &'static str,
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
}

impl<T: Default + Clone + Send + Sync + 'static> TypedValueParser for FromEnv<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        self.parse_ref_(cmd, arg, value, ValueSource::CommandLine)
    }

    fn parse_ref_(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
        source: ValueSource,
    ) -> Result<T, clap::Error> {
        let read = match source {
            ValueSource::EnvVariable => Vars::new(|_: &str| Some(value.to_owned()))
                .parsed(self.var, self.parse, self.expected)
                .map(Option::unwrap_or_default)
                .map_err(|e| e.to_string()),
            _ => self.typed(arg, value),
        };
        // Formatted as clap's own errors are: the usage and the hint at
        // `--help` follow the message (the command is cloned on this
        // error's path only).
        read.map_err(|message| {
            clap::Error::raw(ErrorKind::ValueValidation, message).format(&mut cmd.clone())
        })
    }
}

impl<T> FromEnv<T> {
    /// A value typed after the flag, or clap's own for a flag that takes
    /// none; an error names the flag and the value (lossy).
    fn typed(&self, arg: Option<&clap::Arg>, value: &OsStr) -> Result<T, String> {
        let flag = match arg.and_then(clap::Arg::get_long) {
            Some(long) => format!("--{long}"),
            None => self.var.to_owned(),
        };
        let (text, expected) = match value.to_str() {
            Some(text) => (text, self.expected),
            None => return Err(unusable(&flag, &value.to_string_lossy(), UTF8)),
        };
        (self.parse)(text).ok_or_else(|| unusable(&flag, text, expected))
    }
}

/// The message for a typed value that cannot be used.
fn unusable(flag: &str, value: &str, expected: &str) -> String {
    format!("{flag} {value:?} cannot be used: expected {expected}")
}

impl From<Flags> for RunArgs {
    fn from(flags: Flags) -> RunArgs {
        RunArgs {
            run_root: flags.run_root,
            // An empty `RUNLAYOUT_STAGE=` is unset, as every variable is.
            run_stage: flags.run_stage.filter(|stage| !stage.is_empty()),
            run_id: flags.run_id,
            run_seed: flags.run_seed,
            run_debug: flags.run_debug,
            run_resume: flags.run_resume,
            run_sweep: flags.run_sweep,
            run_trial: flags.run_trial,
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
            run_sweep: args.run_sweep,
            run_trial: args.run_trial,
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
