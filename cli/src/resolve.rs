//! Finding runs by what a person types: `id`, `stage/id`, `debug/id` or
//! `debug/stage/id`, and `latest` in place of an id for the run the stage's
//! `latest` pointer names (`stage/latest`, `debug/stage/latest`); `latest`
//! alone is the run the root's own pointer names, else the newest run. A
//! name without `debug/` is the run outside `debug/` if there is one, else
//! a debug run of that name.

use std::path::Path;

use runlayout::{DebugRuns, Error, FoundRun, LATEST, Nesting, Run, Runs};

use crate::commands::CliResult;

/// A run named on the command line.
struct Spec<'a> {
    debug: Option<bool>,
    stage: Option<&'a str>,
    id: &'a str,
}

fn parse(spec: &str) -> CliResult<Spec<'_>> {
    let mut parts: Vec<&str> = spec.split('/').collect();
    let debug = (parts.len() > 1 && parts[0] == "debug").then(|| parts.remove(0));
    let debug = debug.map(|_| true);
    match parts.as_slice() {
        [id] => Ok(Spec {
            debug,
            stage: None,
            id,
        }),
        [stage, id] => Ok(Spec {
            debug,
            stage: Some(stage),
            id,
        }),
        _ => Err(format!(
            "`{spec}` names no run: write a run id, `stage/id`, `debug/id` or `debug/stage/id`"
        )
        .into()),
    }
}

/// The root must exist: a typo there would otherwise look like "no runs".
pub fn require_root(root: &Path) -> CliResult<()> {
    if root.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "output root `{}` is not a folder (set --run-root or {})",
            root.display(),
            runlayout::ENV_ROOT
        )
        .into())
    }
}

/// The one run `spec` names below `root`.
pub fn find(root: &Path, spec: &str) -> CliResult<FoundRun> {
    find_with_problems(root, spec).map(|(found, _)| found)
}

/// [`find`], with what the scan reported about that run (a manifest that
/// disagrees with its place, one that cannot be read).
pub fn find_with_problems(root: &Path, spec: &str) -> CliResult<(FoundRun, Vec<Error>)> {
    require_root(root)?;
    let wanted = parse(spec)?;
    let mut scan = Runs::scan(root).debug(match wanted.debug {
        Some(true) => DebugRuns::Only,
        _ => DebugRuns::Include,
    });
    if let Some(stage) = wanted.stage {
        scan = scan.stage(stage);
    }
    let mut listing = scan.list()?;
    let latest = if wanted.id == LATEST {
        match latest_of(root, &wanted) {
            Ok(path) => Some(path),
            // `latest` alone, with no pointer right below the root: the
            // newest run of any stage (the listing is oldest first).
            Err(_) if wanted.stage.is_none() && !listing.runs.is_empty() => listing
                .runs
                .last()
                .map(|found| found.run.path().to_path_buf()),
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let mut matches: Vec<FoundRun> = listing
        .runs
        .into_iter()
        .filter(|f| match &latest {
            Some(path) => same_folder(f.run.path(), path),
            None => f.run.id().as_str() == wanted.id,
        })
        .collect();
    // Without `debug/`, a name means the run outside `debug/` when there
    // is one: `s/x` and `debug/s/x` can then each be named.
    if wanted.debug.is_none() && matches.iter().any(|f| !f.run.is_debug()) {
        matches.retain(|f| !f.run.is_debug());
    }
    match matches.len() {
        0 => Err(format!("no run `{spec}` below `{}`", root.display()).into()),
        1 => {
            let found = matches.remove(0);
            let problems = listing
                .problems
                .drain(..)
                .filter(|p| p.path().is_some_and(|at| at.starts_with(found.run.path())))
                .collect();
            Ok((found, problems))
        }
        _ => {
            let names: Vec<String> = matches.iter().map(name).collect();
            Err(format!(
                "`{spec}` names {} runs: {}; name one of them",
                names.len(),
                names.join(", ")
            )
            .into())
        }
    }
}

/// The folder the `latest` pointer of the wanted stage names, in either
/// nesting.
fn latest_of(root: &Path, wanted: &Spec<'_>) -> CliResult<std::path::PathBuf> {
    let mut first_error = None;
    for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
        let mut builder = Run::builder(root)
            .debug(wanted.debug == Some(true))
            .nesting(nesting);
        if let Some(stage) = wanted.stage {
            builder = builder.stage(stage);
        }
        match builder.open_latest() {
            Ok(run) => return Ok(run.path().to_path_buf()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.map_or_else(|| "no latest run".into(), Into::into))
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// How a person would name `found` without ambiguity.
pub fn name(found: &FoundRun) -> String {
    let run = &found.run;
    let mut parts = Vec::new();
    if run.is_debug() {
        parts.push("debug");
    }
    if let Some(stage) = run.stage() {
        parts.push(stage);
    }
    parts.push(run.id().as_str());
    parts.join("/")
}
