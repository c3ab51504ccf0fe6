//! One file per subcommand.

mod diff;
mod latest;
mod link;
mod ls;
mod mark;
mod path;
mod prune;
mod show;
mod sweep;
mod tree;

pub use diff::{DiffArgs, diff};
pub use latest::latest;
pub use link::link;
pub use ls::{LsArgs, ls};
pub use mark::{note, tag};
pub use path::path;
pub use prune::{PruneArgs, prune};
pub use show::show;
pub use sweep::{SweepCommand, sweep};
pub use tree::tree;

use std::fmt;
use std::path::Path;

use runlayout::{RunStatus, record::Ended, scan::FoundRun};
use serde_json::Value;

use crate::durations;
use crate::paths::{self, JsonPath};
use crate::resolve::{self, Names};

pub use crate::output::CliResult;

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
                    host: found.manifest.as_ref().and_then(|m| m.process.host.clone()),
                }
            }
        }
    }

    /// How long the run ran: a live run from its creation until now
    /// (whatever end an earlier process recorded), an ended one until its
    /// recorded end; `-` for a crash, or an end that is not recorded.
    pub fn duration(&self, found: &FoundRun) -> String {
        match (self.status, &self.ended) {
            (Some(RunStatus::Running), _) => durations::between(found.created, None),
            (None | Some(RunStatus::Crashed), _) | (_, None) => "-".to_owned(),
            (Some(_), Some(ended)) => durations::between(found.created, ended.at_time()),
        }
    }
}

/// What scripts get to know about a run: where it is, its manifest, how it
/// stands, and its ancestor as the `ancestor` link records it (the one
/// record of ancestry).
fn run_json(
    found: &FoundRun,
    ancestor: Option<&Path>,
    standing: &Standing,
    names: &Names,
) -> Value {
    serde_json::to_value(RunView::of(found, ancestor, standing, names)).unwrap_or(Value::Null)
}

/// A run as `--json` names it wherever a command lists runs: its name as
/// `<RUN>` takes it (`stage/id`), id, stage, debug flag, path and the
/// creation time its manifest records.
pub fn run_ref(found: &FoundRun) -> Value {
    let run = &found.run;
    serde_json::json!({
        "run": resolve::name(found),
        "id": run.id().as_str(),
        "stage": run.stage(),
        "debug": run.is_debug(),
        "path": paths::json(paths::of_run(run)),
        "created": found.manifest.as_ref().map(|m| m.created.as_str()),
    })
}

/// A run as `--json` shows it, borrowed from what was read.
#[derive(serde::Serialize)]
pub struct RunView<'a> {
    /// As `<RUN>` takes it: `stage/id`, `debug/stage/id`.
    run: String,
    id: &'a str,
    stage: Option<&'a str>,
    debug: bool,
    path: JsonPath<'a>,
    created: Option<&'a str>,
    host: Option<&'a str>,
    pid: Option<u32>,
    command: Option<&'a [String]>,
    ancestor: Option<JsonPath<'a>>,
    /// The ancestor's name, or its path when it is outside the root.
    ancestor_run: Option<String>,
    manifest: bool,
    status: Option<String>,
    ended: Option<&'a str>,
    reason: Option<&'a str>,
    git: Option<&'a runlayout::record::GitRecord>,
    /// The parameters `run.json` records.
    params: Option<&'a serde_json::Map<String, Value>>,
    /// `ls --columns`: each key asked for, and the run's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<serde_json::Map<String, Value>>,
}

impl<'a> RunView<'a> {
    pub fn of(
        found: &'a FoundRun,
        ancestor: Option<&'a Path>,
        standing: &'a Standing,
        names: &Names,
    ) -> Self {
        let run = &found.run;
        let manifest = found.manifest.as_ref();
        RunView {
            run: resolve::name(found),
            id: run.id().as_str(),
            stage: run.stage(),
            debug: run.is_debug(),
            // As the person knows it: a bucket's runs by their URL.
            path: JsonPath(run.path()),
            created: manifest.map(|m| m.created.as_str()),
            host: standing.host.as_deref(),
            pid: manifest.and_then(|m| m.process.pid),
            command: manifest.map(|m| m.command.as_slice()),
            ancestor: ancestor.map(JsonPath),
            ancestor_run: ancestor.map(|a| names.of(a)),
            manifest: manifest.is_some(),
            status: standing.status.map(|s| s.to_string()),
            ended: standing.ended.as_ref().map(|e| e.at.as_str()),
            reason: standing.ended.as_ref().and_then(|e| e.reason.as_deref()),
            git: manifest.and_then(|m| m.git.as_ref()),
            params: manifest.and_then(|m| m.params.as_ref()),
            columns: None,
        }
    }
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}
