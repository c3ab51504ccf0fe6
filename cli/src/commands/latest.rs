//! `runlayout latest`: the runs the `latest` pointers name, one per stage
//! (or the one of `--stage`), oldest first; the last is the run `latest`
//! names on the command line (see `resolve`).

use std::path::Path;

use runlayout::scan::{DebugRuns, Runs};

use super::{CliResult, ProblemsReported, run_ref};
use crate::output::{self, Output};
use crate::{resolve, table};

pub fn latest(root: &Path, stage: Option<&str>, debug: bool, out: &mut Output) -> CliResult<()> {
    resolve::require_root(root)?;
    let side = if debug {
        DebugRuns::Only
    } else {
        DebugRuns::Exclude
    };
    let mut scan = Runs::scan(root).debug(side);
    if let Some(stage) = stage {
        scan = scan.stage(stage);
    }
    let listing = scan.list()?;
    let latest = resolve::latest_in(root, &listing, debug, stage)?;
    let runs: Vec<_> = latest.runs.iter().map(|&at| &listing.runs[at]).collect();
    for problem in &latest.problems {
        output::warn(format_args!("problem: {problem}"));
    }
    out.emit_with(
        || runs.iter().map(|found| run_ref(found)).collect(),
        |w| {
            let rows: Vec<Vec<String>> = runs
                .iter()
                .map(|found| {
                    vec![
                        resolve::name(found),
                        crate::bucket::shown(found.run.path()).display().to_string(),
                    ]
                })
                .collect();
            table::write_rows(w, &rows)
        },
    )?;
    if latest.problems.is_empty() {
        Ok(())
    } else {
        Err(ProblemsReported(latest.problems.len()).into())
    }
}
