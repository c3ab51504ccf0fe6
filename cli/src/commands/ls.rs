//! `runlayout ls`: the runs below the root, oldest first.

use std::path::Path;

use runlayout::{DebugRuns, Runs};
use serde_json::json;

use super::{CliResult, below_root, canonical_root, or_dash, run_json};
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
    let mut problems: Vec<String> = listing.problems.iter().map(|p| p.to_string()).collect();
    // Ancestry as the `ancestor` links record it, as `show` reports it.
    let ancestors: Vec<_> = listing
        .runs
        .iter()
        .map(|found| match found.run.ancestor() {
            Ok(ancestor) => ancestor,
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        })
        .collect();
    for problem in &problems {
        output::warn(format_args!("problem: {problem}"));
    }
    let runs: Vec<_> = listing
        .runs
        .iter()
        .zip(&ancestors)
        .map(|(found, ancestor)| run_json(found, ancestor.as_deref()))
        .collect();
    let root_canon = canonical_root(root);
    out.emit(json!({ "runs": runs, "problems": problems }), |w| {
        let rows: Vec<Vec<String>> = listing
            .runs
            .iter()
            .zip(&ancestors)
            .map(|(found, ancestor)| {
                let manifest = found.manifest.as_ref();
                vec![
                    found.run.id().to_string(),
                    or_dash(found.run.stage()),
                    or_dash(manifest.map(|m| m.created.as_str())),
                    or_dash(manifest.and_then(|m| m.host.as_deref())),
                    ancestor
                        .as_deref()
                        .map_or("-".into(), |a| below_root(root_canon.as_deref(), a)),
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
