//! `runlayout ls`: the runs below the root, oldest first.

use std::path::Path;

use runlayout::{DebugRuns, Runs};
use serde_json::json;

use super::{CliResult, or_dash, run_json};
use crate::output::{self, Output};
use crate::{resolve, table};

pub fn ls(root: &Path, stage: Option<&str>, debug: bool, out: &mut Output) -> CliResult<()> {
    resolve::require_root(root)?;
    let mut scan = Runs::scan(root).debug(if debug {
        DebugRuns::Only
    } else {
        DebugRuns::Exclude
    });
    if let Some(stage) = stage {
        scan = scan.stage(stage);
    }
    let listing = scan.list()?;
    for problem in &listing.problems {
        output::warn(format_args!("skipped: {problem}"));
    }
    let problems: Vec<String> = listing.problems.iter().map(|p| p.to_string()).collect();
    let runs: Vec<_> = listing.runs.iter().map(run_json).collect();
    out.emit(json!({ "runs": runs, "problems": problems }), |w| {
        let rows: Vec<Vec<String>> = listing
            .runs
            .iter()
            .map(|found| {
                let manifest = found.manifest.as_ref();
                vec![
                    found.run.id().to_string(),
                    or_dash(found.run.stage()),
                    or_dash(manifest.map(|m| m.created.as_str())),
                    or_dash(manifest.and_then(|m| m.host.as_deref())),
                    or_dash(
                        manifest
                            .and_then(|m| m.ancestor.as_ref())
                            .map(|a| a.id.as_str()),
                    ),
                    found.run.path().display().to_string(),
                ]
            })
            .collect();
        table::write(
            w,
            &["ID", "STAGE", "CREATED", "HOST", "ANCESTOR", "PATH"],
            &rows,
        )
    })?;
    Ok(())
}
