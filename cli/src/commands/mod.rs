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

use runlayout::FoundRun;
use serde_json::{Value, json};

use crate::paths;

pub type CliResult<T> = Result<T, Box<dyn std::error::Error>>;

/// What scripts get to know about a run.
fn run_json(found: &FoundRun) -> Value {
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
        "ancestor": manifest.and_then(|m| m.ancestor.as_ref()).map(|a| json!({
            "id": a.id,
            "stage": a.stage,
            "path": a.path,
        })),
        "manifest": manifest.is_some(),
    })
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}
