//! `runlayout latest`: the run the `latest` pointer names.

use std::path::Path;

use runlayout::Run;
use serde_json::json;

use super::CliResult;
use crate::output::Output;
use crate::{paths, resolve};

pub fn latest(root: &Path, stage: Option<&str>, debug: bool, out: &mut Output) -> CliResult<()> {
    resolve::require_root(root)?;
    let mut builder = Run::builder(root).debug(debug);
    if let Some(stage) = stage {
        builder = builder.stage(stage);
    }
    let run = builder.open_latest()?;
    let value = json!({
        "id": run.id().as_str(),
        "stage": run.stage(),
        "debug": run.is_debug(),
        "path": paths::json(run.path()),
    });
    out.emit(value, |w| {
        writeln!(w, "{}  {}", run.id(), run.path().display())
    })?;
    Ok(())
}
