//! `runlayout ls`: the runs below the root, oldest first.

use std::path::Path;

use runlayout::{
    RunStatus,
    scan::{DebugRuns, FoundRun, Runs},
};
use serde_json::{Map, Value};

use super::{CliResult, RunView, Standing};
use crate::output::{self, Output};
use crate::query::{self, Condition, Facts, Key, Sort};
use crate::resolve::{self, Names};
use crate::{paths, table, times};

/// `runlayout ls`'s arguments.
#[derive(clap::Args)]
pub struct LsArgs {
    /// Only the runs of this stage
    #[arg(long)]
    stage: Option<String>,
    /// List the runs below `debug/` instead of the others
    #[arg(long)]
    debug: bool,
    /// Only runs of these statuses, comma-separated: running, finished,
    /// failed, crashed, untracked
    #[arg(long, value_name = "STATUS,..", value_delimiter = ',', value_parser = super::parse_status)]
    status: Vec<RunStatus>,
    /// Only runs whose KEY (params.NAME, summary.NAME, tag, status, host,
    /// stage) is VALUE, or below or above it with KEY<VALUE, KEY>VALUE;
    /// numbers compare as numbers. Repeat it: every condition must hold
    #[arg(long = "where", value_name = "KEY=VALUE", value_parser = Condition::parse)]
    conditions: Vec<Condition>,
    /// Order the runs by KEY (-KEY: descending); runs without it come last
    #[arg(long, value_name = "KEY", allow_hyphen_values = true, value_parser = Sort::parse)]
    sort: Option<Sort>,
    /// Show these keys as columns, comma-separated (params.lr,summary.val_loss)
    #[arg(long, value_name = "KEY,..", value_delimiter = ',', value_parser = Key::parse)]
    columns: Vec<Key>,
    /// Show at most N runs (after sorting)
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Only the trials of this sweep (STAGE/SWEEP-ID, as `sweep ls` names it)
    #[arg(long, value_name = "SWEEP")]
    sweep: Option<String>,
}

impl LsArgs {
    /// Whether any key asked for needs the runs' summary records.
    pub fn needs_summary(&self) -> bool {
        self.conditions.iter().any(|c| c.key.needs_summary())
            || self.sort.as_ref().is_some_and(|s| s.key.needs_summary())
            || self.columns.iter().any(Key::needs_summary)
    }

    /// Whether any key asked for is the tags.
    pub fn needs_tags(&self) -> bool {
        self.conditions.iter().any(|c| c.key == Key::Tag)
            || self.sort.as_ref().is_some_and(|s| s.key == Key::Tag)
            || self.columns.contains(&Key::Tag)
    }
}

/// A listed run's summary and tags, read only when a key needs them.
#[derive(Default)]
struct Extras {
    summary: Option<Map<String, Value>>,
    tags: Vec<String>,
}

pub fn ls(root: &Path, args: &LsArgs, out: &mut Output) -> CliResult<()> {
    resolve::require_root_or_bucket(root)?;
    let mut scan = Runs::scan(root).debug(if args.debug {
        DebugRuns::Only
    } else {
        DebugRuns::Exclude
    });
    if let Some(stage) = &args.stage {
        scan = scan.stage(stage.as_str());
    }
    // A sweep's trials: runs of its stage, in its folders.
    let trials = match &args.sweep {
        Some(text) => {
            let sweep = runlayout::sweep::Sweep::resolve(root, text)?;
            let debug = if sweep.is_debug() {
                DebugRuns::Only
            } else {
                DebugRuns::Exclude
            };
            scan = scan.stage(sweep.stage()).debug(debug);
            let paths: std::collections::HashSet<_> =
                (0..sweep.count()).map(|n| sweep.trial_path(n)).collect();
            Some(paths)
        }
        None => None,
    };
    let mut listing = scan.list()?;
    if let Some(trials) = &trials {
        listing
            .runs
            .retain(|found| trials.contains(found.run.path()));
    }
    let mut problems: Vec<String> = listing.problems.iter().map(|p| p.to_string()).collect();
    let (summaries, tags) = (args.needs_summary(), args.needs_tags());
    let mut rows: Vec<(FoundRun, Standing, Extras)> = Vec::with_capacity(listing.runs.len());
    for found in listing.runs {
        let standing = Standing::of(&found, &mut problems);
        if !args.status.is_empty() && !standing.status.is_some_and(|s| args.status.contains(&s)) {
            continue;
        }
        let extras = read_extras(&found, summaries, tags, &mut problems);
        let keep = {
            let facts = facts(&found, &standing, &extras);
            args.conditions.iter().all(|c| c.holds(&facts))
        };
        if keep {
            rows.push((found, standing, extras));
        }
    }
    if let Some(sort) = &args.sort {
        // Stable: runs of equal value stay oldest first.
        let values: Vec<Option<Value>> = rows
            .iter()
            .map(|(found, standing, extras)| facts(found, standing, extras).value(&sort.key))
            .collect();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| sort.order(values[a].as_ref(), values[b].as_ref()));
        let mut taken: Vec<Option<(FoundRun, Standing, Extras)>> =
            rows.into_iter().map(Some).collect();
        rows = order.into_iter().filter_map(|i| taken[i].take()).collect();
    }
    if let Some(limit) = args.limit {
        rows.truncate(limit);
    }
    // Ancestry as the `ancestor` links record it, as `show` reports it.
    let ancestors: Vec<_> = rows
        .iter()
        .map(|(found, _, _)| match found.run.ancestor() {
            Ok(ancestor) => ancestor,
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        })
        .collect();
    let columns: Vec<Vec<Option<Value>>> = rows
        .iter()
        .map(|(found, standing, extras)| {
            let facts = facts(found, standing, extras);
            args.columns.iter().map(|k| facts.value(k)).collect()
        })
        .collect();

    for problem in &problems {
        output::warn(format_args!("problem: {problem}"));
    }
    let names = Names::new(root, rows.iter().map(|(found, _, _)| found));
    if out.is_json() {
        let runs: Vec<RunView> = rows
            .iter()
            .zip(&ancestors)
            .zip(&columns)
            .map(|(((found, standing, _), ancestor), values)| {
                let mut view = RunView::of(found, ancestor.as_deref(), standing, &names);
                view.columns = (!args.columns.is_empty()).then(|| {
                    args.columns
                        .iter()
                        .zip(values)
                        .map(|(k, v)| (k.to_string(), v.clone().unwrap_or(Value::Null)))
                        .collect()
                });
                view
            })
            .collect();
        #[derive(serde::Serialize)]
        struct Listing<'a> {
            runs: Vec<RunView<'a>>,
            problems: &'a [String],
        }
        out.write_json(&Listing {
            runs,
            problems: &problems,
        })?;
        return Ok(());
    }
    out.emit_with(
        || Value::Null,
        |w| {
            let table_rows: Vec<Vec<String>> = rows
                .iter()
                .zip(&ancestors)
                .zip(&columns)
                .map(|(((found, standing, _), ancestor), values)| {
                    let mut row = vec![
                        resolve::name(found),
                        standing.status.map_or("?".into(), |s| s.to_string()),
                        times::local(found.created),
                        standing.duration(found),
                        running_elsewhere(standing),
                    ];
                    row.extend(
                        values
                            .iter()
                            .map(|v| v.as_ref().map_or("-".into(), query::text)),
                    );
                    row.push(ancestor.as_deref().map_or("-".into(), |a| names.of(a)));
                    row.push(paths::of_run(&found.run).display().to_string());
                    row
                })
                .collect();
            let keys: Vec<String> = args.columns.iter().map(ToString::to_string).collect();
            let mut header = vec!["RUN", "STATUS", "CREATED", "DURATION", "HOST"];
            header.extend(keys.iter().map(String::as_str));
            header.extend(["ANCESTOR", "PATH"]);
            table::write(w, &header, &table_rows)
        },
    )?;
    Ok(())
}

/// The run's summary and tags, when asked for; what cannot be read is a
/// problem, and the run then has neither.
fn read_extras(found: &FoundRun, summary: bool, tags: bool, problems: &mut Vec<String>) -> Extras {
    let mut extras = Extras::default();
    if summary {
        match found.run.summary().read() {
            Ok(read) => extras.summary = Some(read),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if tags {
        match found.run.tags() {
            Ok(read) => extras.tags = read,
            Err(e) => {
                let problem = e.to_string();
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
    }
    extras
}

/// What the keys read of a run.
fn facts<'a>(found: &'a FoundRun, standing: &'a Standing, extras: &'a Extras) -> Facts<'a> {
    Facts {
        params: found.manifest.as_ref().and_then(|m| m.params.as_ref()),
        summary: extras.summary.as_ref(),
        tags: &extras.tags,
        status: standing.status.map(|s| s.to_string()),
        host: standing.host.as_deref(),
        stage: found.run.stage(),
    }
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
