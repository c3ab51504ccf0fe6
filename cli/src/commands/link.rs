//! `runlayout link <RUN> <ANCESTOR>`: records the run a run grew out of.

use std::path::Path;

use serde_json::json;

use super::{CliResult, Output};
use crate::resolve;

pub fn link(root: &Path, run: &str, ancestor: &str, out: Output) -> CliResult<()> {
    let run = resolve::find(root, run)?;
    let ancestor = resolve::find(root, ancestor)?;
    run.run.link(&ancestor.run)?;
    let value = json!({ "run": run.run.path(), "ancestor": ancestor.run.path() });
    out.emit(value, || {
        println!(
            "linked {} -> {}",
            resolve::name(&run),
            resolve::name(&ancestor)
        )
    })
}
