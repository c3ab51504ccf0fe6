//! One file per subcommand.

mod latest;
mod link;
mod ls;
mod path;
mod prune;
mod show;
mod tree;

pub use latest::latest;
pub use link::link;
pub use ls::ls;
pub use path::path;
pub use prune::{PruneArgs, prune};
pub use show::show;
pub use tree::tree;

use std::fmt;
use std::path::{Path, PathBuf};

use runlayout::{Ended, FoundRun, RunStatus};
use serde_json::Value;

use crate::durations;
use crate::paths::JsonPath;

pub type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A command printed what it could and reported problems with the run it
/// was asked about: it ends with status 1, with nothing more to say.
#[derive(Debug)]
pub struct ProblemsReported(pub usize);

impl fmt::Display for ProblemsReported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.0 == 1 { "" } else { "s" };
        write!(f, "{} problem{s} found, listed above", self.0)
    }
}

impl std::error::Error for ProblemsReported {}

/// A status as typed on the command line.
pub fn parse_status(text: &str) -> Result<RunStatus, String> {
    RunStatus::ALL
        .into_iter()
        .find(|s| s.to_string().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            let known: Vec<String> = RunStatus::ALL.iter().map(ToString::to_string).collect();
            format!("unknown status `{text}`: use {}", known.join(", "))
        })
}

/// What is known of how a run stands, read once for table and JSON alike.
pub struct Standing {
    pub status: Option<RunStatus>,
    pub ended: Option<Ended>,
    /// The host of the process the status record names (the creator's
    /// before any status was recorded).
    pub host: Option<String>,
}

impl Standing {
    /// Reads it; what cannot be read is added to `problems`, unless it is
    /// there already (a `run.json` the scan could not read is also why the
    /// status cannot be told: one problem, said once).
    pub fn of(found: &FoundRun, problems: &mut Vec<String>) -> Standing {
        match found.state() {
            Ok(state) => Standing {
                status: Some(state.status),
                ended: state.ended,
                host: state.host,
            },
            Err(e) => {
                let problem = e.to_string();
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
                Standing {
                    status: None,
                    ended: None,
                    // The status cannot be read: the creator's, as recorded.
                    host: found.manifest.as_ref().and_then(|m| m.host.clone()),
                }
            }
        }
    }

    /// How long the run ran, or has run so far; `-` for a crash, whose end
    /// is unknown.
    pub fn duration(&self, found: &FoundRun) -> String {
        match (self.status, &self.ended) {
            (Some(RunStatus::Crashed), _) | (None, _) => "-".to_owned(),
            (_, Some(ended)) => durations::between(found.created, ended.at_time()),
            (_, None) => durations::between(found.created, None),
        }
    }
}

/// What scripts get to know about a run: where it is, its manifest, how it
/// stands, and its ancestor as the `ancestor` link records it (the one
/// record of ancestry).
fn run_json(found: &FoundRun, ancestor: Option<&Path>, standing: &Standing) -> Value {
    serde_json::to_value(RunView::of(found, ancestor, standing)).unwrap_or(Value::Null)
}

/// A run as `--json` shows it, borrowed from what was read.
#[derive(serde::Serialize)]
pub struct RunView<'a> {
    id: &'a str,
    stage: Option<&'a str>,
    debug: bool,
    path: JsonPath<'a>,
    created: Option<&'a str>,
    host: Option<&'a str>,
    pid: Option<u32>,
    command: Option<&'a [String]>,
    ancestor: Option<JsonPath<'a>>,
    manifest: bool,
    status: Option<String>,
    ended: Option<&'a str>,
    reason: Option<&'a str>,
    git: Option<&'a runlayout::GitRecord>,
}

impl<'a> RunView<'a> {
    pub fn of(found: &'a FoundRun, ancestor: Option<&'a Path>, standing: &'a Standing) -> Self {
        let run = &found.run;
        let manifest = found.manifest.as_ref();
        RunView {
            id: run.id().as_str(),
            stage: run.stage(),
            debug: run.is_debug(),
            path: JsonPath(run.path()),
            created: manifest.map(|m| m.created.as_str()),
            host: standing.host.as_deref(),
            pid: manifest.and_then(|m| m.pid),
            command: manifest.map(|m| m.command.as_slice()),
            ancestor: ancestor.map(JsonPath),
            manifest: manifest.is_some(),
            status: standing.status.map(|s| s.to_string()),
            ended: standing.ended.as_ref().map(|e| e.at.as_str()),
            reason: standing.ended.as_ref().and_then(|e| e.reason.as_deref()),
            git: manifest.and_then(|m| m.git.as_ref()),
        }
    }
}

/// A run's folder as a person would name it: below the root when it is
/// there (`pretrain/2026-11-30_k3x9a`), else the whole path.
fn below_root(root: Option<&Path>, path: &Path) -> String {
    root.and_then(|root| path.strip_prefix(root).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The root's canonical form, to show ancestors (canonical) below it.
fn canonical_root(root: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(root).ok()
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}
