//! `runlayout`: list, inspect, link and find the latest of the runs below an
//! output root.
//!
//! ```text
//! runlayout [--run-root DIR] [--json] ls [--stage S] [--debug] [--status S,..]
//!           [--where KEY=VALUE]... [--sort [-]KEY] [--columns KEY,..] [--limit N]
//! runlayout show <RUN>          manifest, params, summary, tags, note, restarts, ancestry
//! runlayout diff <RUN> <RUN> [--all]
//! runlayout tag <RUN> +TAG -TAG
//! runlayout note <RUN> [TEXT]
//! runlayout tree <RUN>          the files of a run
//! runlayout path <RUN> <ENTRY> [VALUE...]
//! runlayout latest [--stage S] [--debug]
//! runlayout prune [--stage S] [--debug] [--status S,..] [--older-than D] [--keep-last N] [--include-latest] [--yes]
//! runlayout link <RUN> <ANCESTOR>
//! runlayout sweep new --stage S --grid NAME=V1,V2 [--grid ..] [--trial JSON] [--id ID]
//! runlayout sweep ls
//! runlayout sweep show <SWEEP> [--sort [-]KEY] [--columns KEY,..]
//! ```
//!
//! `<RUN>` is a run id, or `stage/id`, `debug/id`, `debug/stage/id` where an
//! id alone names several runs; `latest` in place of the id reads the
//! `latest` pointers by one rule for every command (see `resolve`).

#![forbid(unsafe_code)]

mod bucket;
mod commands;
mod durations;
mod output;
mod paths;
mod query;
mod resolve;
mod table;
mod times;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::bucket::Reading;
use crate::commands::CliResult;
use crate::output::Output;
use crate::resolve::RUN_HELP;

/// Lists, inspects and links the runs below an output root.
#[derive(Parser)]
#[command(name = "runlayout", version)]
struct Cli {
    /// Output root that holds the runs (also --root)
    #[arg(
        long = "run-root",
        alias = "root",
        global = true,
        env = runlayout::env::ENV_ROOT,
        value_name = "DIR",
        default_value = runlayout::env::DEFAULT_ROOT
    )]
    root: PathBuf,

    /// Print JSON for scripts instead of tables
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List runs, oldest first
    Ls(commands::LsArgs),
    /// Show a run: its manifest, parameters, summary, tags, note, restarts,
    /// ancestor and descendants
    Show {
        #[arg(help = RUN_HELP)]
        run: String,
    },
    /// Print where an entry of the run's recorded layout is, placeholders
    /// filled in (`runlayout path latest epoch_ckpt 12`)
    Path {
        #[arg(help = RUN_HELP)]
        run: String,
        /// The entry's name, as the layout declares it (`tracker.config` for
        /// a nested layout's entry)
        entry: String,
        /// A value for each placeholder, in order (a negative number, such
        /// as a float's `-1.25`, is a value, not a flag)
        #[arg(allow_negative_numbers = true)]
        values: Vec<String>,
    },
    /// Print the files of a run
    Tree {
        #[arg(help = RUN_HELP)]
        run: String,
    },
    /// Print each stage's latest run, oldest first: the last is the one
    /// `latest` names
    Latest {
        /// Only this stage's latest run
        #[arg(long)]
        stage: Option<String>,
        /// The latest runs below `debug/`
        #[arg(long)]
        debug: bool,
    },
    /// Remove runs: a dry run unless --yes; never a running run, one a
    /// `latest` pointer names, or an ancestor of a run that stays
    Prune(commands::PruneArgs),
    /// What differs between two runs: parameters, summary, tags, git
    /// state, launcher, command line, status
    Diff(commands::DiffArgs),
    /// Add (+TAG) and remove (-TAG) tags of a run, then print its tags
    Tag {
        #[arg(help = RUN_HELP)]
        run: String,
        /// +TAG to add, -TAG to remove
        #[arg(value_name = "+TAG|-TAG", allow_hyphen_values = true, required = true)]
        changes: Vec<String>,
    },
    /// Print a run's note, or set it to TEXT
    Note {
        #[arg(help = RUN_HELP)]
        run: String,
        /// The new note (empty: remove it)
        text: Option<String>,
    },
    /// Sweeps: record one, list them, compare a sweep's trials
    #[command(subcommand)]
    Sweep(commands::SweepCommand),
    /// Link a run to the run it grew out of
    Link {
        /// The run that resumes or continues (as <RUN> of `show`)
        run: String,
        /// The run it grew out of (as <RUN> of `show`)
        ancestor: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = BufWriter::new(io::stdout().lock());
    let result = run(&cli, &mut Output::new(cli.json, &mut stdout));
    bucket::clean_up();
    let flushed = stdout.flush();
    match result.and(flushed.map_err(Into::into)) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`runlayout ls | head -1`): it has all it
        // wanted.
        Err(err) if output::is_broken_pipe(&*err) => ExitCode::SUCCESS,
        Err(err) => {
            output::warn(err);
            ExitCode::FAILURE
        }
    }
}

/// The folder a command that reads runs reads for `root` (see `bucket`).
fn local_root(root: &Path) -> CliResult<std::borrow::Cow<'_, Path>> {
    bucket::local_root(root, Reading::Runs, warn)
}

fn warn(message: &dyn std::fmt::Display) {
    output::warn(message);
}

fn run(cli: &Cli, out: &mut Output) -> CliResult<()> {
    match &cli.command {
        // A bucket's runs are laid out in a folder for these (see `bucket`).
        Command::Ls(args) => {
            let summaries = args.needs_summary() || args.needs_tags();
            let reading = Reading::Listing { summaries };
            commands::ls(&bucket::local_root(&cli.root, reading, warn)?, args, out)
        }
        Command::Show { run } => commands::show(&local_root(&cli.root)?, run, out),
        Command::Tree { run } => commands::tree(&local_root(&cli.root)?, run, out),
        Command::Path { run, entry, values } => {
            commands::path(&local_root(&cli.root)?, run, entry, values, out)
        }
        Command::Latest { stage, debug } => {
            commands::latest(&local_root(&cli.root)?, stage.as_deref(), *debug, out)
        }
        Command::Prune(args) => commands::prune(&cli.root, args, out),
        Command::Diff(args) => commands::diff(&local_root(&cli.root)?, args, out),
        // A bucket's run is marked in the bucket (its summary record
        // changed there by a conditional replace).
        Command::Tag { run, changes } => commands::tag(&local_root(&cli.root)?, run, changes, out),
        Command::Note { run, text } => {
            commands::note(&local_root(&cli.root)?, run, text.as_deref(), out)
        }
        Command::Link { run, ancestor } => {
            commands::link(&local_root(&cli.root)?, run, ancestor, out)
        }
        Command::Sweep(command) => commands::sweep(&cli.root, command, out),
    }
}
