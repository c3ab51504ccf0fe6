//! One file per subcommand.

mod latest;
mod link;
mod ls;
mod show;
mod tree;

pub use latest::latest;
pub use link::link;
pub use ls::ls;
pub use show::show;
pub use tree::tree;

use std::fmt;
use std::path::{Path, PathBuf};

use runlayout::FoundRun;
use serde_json::{Value, json};

use crate::paths;

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

/// What scripts get to know about a run: where it is, its manifest, and its
/// ancestor as the `ancestor` link records it (the one record of ancestry).
fn run_json(found: &FoundRun, ancestor: Option<&Path>) -> Value {
    let run = &found.run;
    let manifest = found.manifest.as_ref();
    json!({
        "id": run.id().as_str(),
        "stage": run.stage(),
        "debug": run.is_debug(),
        "path": paths::json(run.path()),
        "created": manifest.map(|m| m.created.as_str()),
        "host": manifest.and_then(|m| m.host.as_deref()),
        "pid": manifest.and_then(|m| m.pid),
        "command": manifest.map(|m| &m.command),
        "ancestor": ancestor.map(paths::json),
        "manifest": manifest.is_some(),
    })
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
