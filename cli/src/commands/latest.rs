//! `runlayout latest`: the run the `latest` pointer names.

use std::path::Path;

use runlayout::Run;
use serde_json::json;

use super::{CliResult, Output};
use crate::resolve;

pub fn latest(root: &Path, stage: Option<&str>, debug: bool, out: Output) -> CliResult<()> {
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
        "path": run.path(),
    });
    out.emit(value, || println!("{}  {}", run.id(), run.path().display()))
}
