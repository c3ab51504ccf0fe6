//! `runlayout ls`: the runs below the root, oldest first.

use std::path::Path;

use runlayout::{
    RunStatus,
    scan::{DebugRuns, Runs},
};

use super::{CliResult, RunView, Standing};
use crate::output::{self, Output};
use crate::resolve::{self, Names};
use crate::{table, times};

pub fn ls(
    root: &Path,
    stage: Option<&str>,
    debug: bool,
    statuses: &[RunStatus],
    out: &mut Output,
) -> CliResult<()> {
    resolve::require_root(root)?;
    let mut scan = Runs::scan(root).debug(if debug {
        DebugRuns::Only
    } else {
        DebugRuns::Exclude
    });
    if let Some(stage) = stage {
        scan = scan.stage(stage);
    }
    let mut listing = scan.list()?;
    let mut problems: Vec<String> = listing.problems.iter().map(|p| p.to_string()).collect();
    let mut standings: Vec<Standing> = listing
        .runs
        .iter()
        .map(|found| Standing::of(found, &mut problems))
        .collect();
    if !statuses.is_empty() {
        let keep: Vec<bool> = standings
            .iter()
            .map(|s| s.status.is_some_and(|s| statuses.contains(&s)))
            .collect();
        let mut flags = keep.iter();
        listing.runs.retain(|_| *flags.next().unwrap_or(&false));
        let mut flags = keep.iter();
        standings.retain(|_| *flags.next().unwrap_or(&false));
    }
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
    let names = Names::new(root, &listing.runs);
    if out.is_json() {
        let runs: Vec<RunView> = listing
            .runs
            .iter()
            .zip(&ancestors)
            .zip(&standings)
            .map(|((found, ancestor), standing)| {
                RunView::of(found, ancestor.as_deref(), standing, &names)
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Listed<'a> {
            runs: Vec<RunView<'a>>,
            problems: &'a [String],
        }
        out.write_json(&Listed {
            runs,
            problems: &problems,
        })?;
        return Ok(());
    }
    out.emit_with(
        || serde_json::Value::Null,
        |w| {
            let rows: Vec<Vec<String>> = listing
                .runs
                .iter()
                .zip(&ancestors)
                .zip(&standings)
                .map(|((found, ancestor), standing)| {
                    vec![
                        resolve::name(found),
                        standing.status.map_or("?".into(), |s| s.to_string()),
                        times::local(found.created),
                        standing.duration(found),
                        running_elsewhere(standing),
                        ancestor.as_deref().map_or("-".into(), |a| names.of(a)),
                        found.run.path().display().to_string(),
                    ]
                })
                .collect();
            table::write(
                w,
                &[
                    "RUN", "STATUS", "CREATED", "DURATION", "HOST", "ANCESTOR", "PATH",
                ],
                &rows,
            )
        },
    )?;
    Ok(())
}

/// The host a running run runs on (the one its status record names, else
/// its creator's), when that is not this one: its status cannot be asked
/// from here. `-` otherwise.
fn running_elsewhere(standing: &Standing) -> String {
    match (standing.status, standing.host.as_deref()) {
        (Some(RunStatus::Running), Some(host)) if Some(host) != runlayout::env::host_name() => {
            host.to_owned()
        }
        _ => "-".to_owned(),
    }
}
