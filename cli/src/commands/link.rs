//! `runlayout link <RUN> <ANCESTOR>`: records the run a run grew out of.

use std::path::Path;

use serde_json::json;

use super::CliResult;
use crate::output::Output;
use crate::{paths, resolve};

pub fn link(root: &Path, run: &str, ancestor: &str, out: &mut Output) -> CliResult<()> {
    let run = resolve::find(root, run)?;
    let ancestor = resolve::find(root, ancestor)?;
    run.run.link(&ancestor.run)?;
    let value = json!({
        "run": paths::json(run.run.path()),
        "ancestor": paths::json(ancestor.run.path()),
    });
    out.emit(value, |w| {
        writeln!(
            w,
            "linked {} -> {}",
            resolve::name(&run),
            resolve::name(&ancestor)
        )
    })?;
    Ok(())
}
