//! Finding runs by what a person types, and naming them the same way.
//!
//! `<RUN>` is a [`RunSpec`]: `id`, `stage/id`, `debug/id` or
//! `debug/stage/id`, read by the runtime as `RunArgs`' `--run-resume` reads
//! it. A name without `debug/` is the run outside `debug/` if there is
//! one, else a debug run of that name. In place of the id, `latest` (in
//! any case) reads the `latest`
//! pointers, by one rule for every command ([`latest_in`]): `stage/latest`
//! is the run the stage's pointer names; `latest` alone is the newest of
//! the runs the pointers of all stages name (the root's own pointer, for
//! runs without a stage, among them), by the creation time their manifests
//! record. `debug/` in front reads the pointers below `debug/`; without it,
//! those outside. `latest-finished` is the newest run (by creation) whose
//! status is finished: of the stage with `stage/`, of every stage without. `runlayout latest` prints the runs of all those pointers,
//! oldest first: its last line is the run `latest` names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use runlayout::{
    Error, Nesting, Run, RunSpec, RunStatus,
    record::Manifest,
    scan::{DebugRuns, FoundRun, Listing, Runs},
};

use crate::bucket::{self, is_url};
use crate::output::CliResult;

/// What `<RUN>` takes, for every command's help.
pub const RUN_HELP: &str = "Run: ID, STAGE/ID, debug/STAGE/ID; latest (the newest of every \
                        stage's latest run), STAGE/latest or [STAGE/]latest-finished in \
                        place of the id";

/// The root must exist: a typo there would otherwise look like "no runs".
pub fn require_root_or_bucket(root: &Path) -> CliResult<()> {
    if cfg!(feature = "object-store") && is_url(root) {
        Ok(())
    } else {
        require_root(root)
    }
}

/// Fails unless `root` is a folder, naming it.
pub fn require_root(root: &Path) -> CliResult<()> {
    if root.is_dir() {
        Ok(())
    } else if is_url(root) && cfg!(feature = "object-store") {
        Err(format!(
            "output root `{}` is a URL: the runlayout commands that work on runs in object \
             storage are ls, show, tree, path, diff, latest, prune, tag, note, link and sweep",
            root.display()
        )
        .into())
    } else if is_url(root) {
        Err(format!(
            "output root `{}` is a URL: this runlayout was built without the \
             `object-store` feature, which reads runs in object storage",
            root.display()
        )
        .into())
    } else {
        Err(format!(
            "output root `{}` is not a folder (set --run-root or {})",
            root.display(),
            runlayout::env::ENV_ROOT
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
    let wanted: RunSpec = spec.parse()?;
    let newest = wanted.is_latest() || wanted.is_latest_finished();
    let side = match (wanted.is_debug(), newest) {
        (true, _) => DebugRuns::Only,
        // `latest` and `latest-finished` read one side only.
        (false, true) => DebugRuns::Exclude,
        (false, false) => DebugRuns::Include,
    };
    let mut scan = Runs::scan(root).debug(side);
    if let Some(stage) = wanted.stage() {
        scan = scan.stage(stage);
    }
    let mut listing = scan.list()?;
    let mut matches: Vec<FoundRun> = if wanted.is_latest() {
        let latest = latest_in(root, &listing, wanted.is_debug(), wanted.stage())?;
        if let Some(problem) = latest.problems.first() {
            return Err(format!("cannot tell which run `{spec}` is: {problem}").into());
        }
        // The newest: the listing, and so the pointers' runs, are oldest first.
        latest
            .runs
            .last()
            .map(|&at| listing.runs.swap_remove(at))
            .into_iter()
            .collect()
    } else if wanted.is_latest_finished() {
        // The newest finished run: the listing is oldest first.
        let at = listing
            .runs
            .iter()
            .rposition(|f| matches!(f.status(), Ok(RunStatus::Finished)));
        at.map(|at| listing.runs.swap_remove(at))
            .into_iter()
            .collect()
    } else {
        listing
            .runs
            .into_iter()
            .filter(|f| wanted.id() == Some(f.run.id().as_str()))
            .collect()
    };
    // Without `debug/`, a name means the run outside `debug/` when there
    // is one: `s/x` and `debug/s/x` can then each be named.
    if !wanted.is_debug() && matches.iter().any(|f| !f.run.is_debug()) {
        matches.retain(|f| !f.run.is_debug());
    }
    match matches.len() {
        0 => Err(format!("no run `{spec}` below `{}`", root.display()).into()),
        1 => {
            let mut found = matches.remove(0);
            // In a bucket's laid-out folder: the run whole, living there.
            let (run, unlaid) = bucket::complete(found.run)?;
            found.run = run;
            let mut problems: Vec<Error> = listing
                .problems
                .drain(..)
                .filter(|p| p.path().is_some_and(|at| at.starts_with(found.run.path())))
                .collect();
            problems.extend(unlaid);
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

/// The runs the `latest` pointers name, as positions in the listing they
/// were found in (oldest first, as the listing is), and the pointers that
/// could not be read.
pub struct Latest {
    pub runs: Vec<usize>,
    pub problems: Vec<String>,
}

/// The one reading of `latest`: the runs the pointers of `stage` (every
/// stage of `listing`, and the runs without one, when `None`) name, on the
/// `debug` side, found in `listing` (a scan of at least those runs).
/// Ordered as the listing is, oldest first by the creation time the
/// manifests record: the last is what `latest` alone names. A stage whose
/// runs have no pointer (switched off) is left out; a pointer that cannot
/// be followed is a problem.
///
/// # Errors
///
/// No pointer at all: for a stage, the error naming where its pointer was
/// looked for; else one naming the root.
pub fn latest_in(
    root: &Path,
    listing: &Listing,
    debug: bool,
    stage: Option<&str>,
) -> CliResult<Latest> {
    let mut places: Vec<(Option<&str>, Nesting)> = Vec::new();
    for found in listing.runs.iter().filter(|f| f.run.is_debug() == debug) {
        let place = (found.run.stage(), found.run.nesting());
        if stage.is_none_or(|s| place.0 == Some(s)) && !places.contains(&place) {
            places.push(place);
        }
    }
    if let (Some(stage), true) = (stage, places.is_empty()) {
        // No run of the stage was listed: its pointer says why.
        places.push((Some(stage), Nesting::StageFirst));
    }
    let mut latest = Latest {
        runs: Vec::new(),
        problems: Vec::new(),
    };
    let mut missing = None;
    for (stage, nesting) in places {
        // Read, not resumed: no restart is recorded in the run.
        let mut builder = Run::builder(root)
            .debug(debug)
            .nesting(nesting)
            .record_restart(false);
        if let Some(stage) = stage {
            builder = builder.stage(stage);
        }
        match builder.open_latest() {
            Ok(run) => match position(listing, &run) {
                Some(at) if !latest.runs.contains(&at) => latest.runs.push(at),
                Some(_) => {}
                None => latest.problems.push(format!(
                    "the `latest` pointer of {} names `{}`, which is no run",
                    stage.map_or("the runs without a stage".to_owned(), |s| format!(
                        "stage `{s}`"
                    )),
                    run.path().display()
                )),
            },
            Err(e @ Error::NoLatestRun { .. }) => {
                missing.get_or_insert(e);
            }
            Err(e) => latest.problems.push(e.to_string()),
        }
    }
    latest.runs.sort_unstable();
    if latest.runs.is_empty() && latest.problems.is_empty() {
        return Err(match (stage, missing) {
            (Some(_), Some(e)) => e.into(),
            _ => format!(
                "no `latest` pointer below `{}`{}: no run was created there yet",
                root.display(),
                if debug { " (debug runs)" } else { "" }
            )
            .into(),
        });
    }
    Ok(latest)
}

/// Where `run` is in the listing: at the same path (both are built from
/// the root), else the same folder reached another way.
fn position(listing: &Listing, run: &Run) -> Option<usize> {
    let runs = &listing.runs;
    runs.iter()
        .position(|f| f.run.path() == run.path())
        .or_else(|| {
            let wanted = std::fs::canonicalize(run.path()).ok()?;
            runs.iter()
                .position(|f| std::fs::canonicalize(f.run.path()).is_ok_and(|p| p == wanted))
        })
}

/// How a person would name `found` without ambiguity.
pub fn name(found: &FoundRun) -> String {
    name_of(&found.run)
}

/// How a person names `run`: `stage/id`, `id` for a run without a stage,
/// `debug/` in front of a debug run; what `<RUN>` takes.
pub fn name_of(run: &Run) -> String {
    RunSpec::of(run).to_string()
}

/// Names the runs a path leads to (ancestors, descendants) as
/// [`name_of`] names runs: by their place below the root, the runs a scan
/// listed by their names, others read in the nesting their manifest
/// records. A run outside the root keeps its path.
pub struct Names {
    /// The root as given and canonical: paths arrive in either form.
    roots: Vec<PathBuf>,
    /// Runs already known, by their folder below the root.
    known: HashMap<PathBuf, String>,
}

impl Names {
    /// Names for the runs below `root`, those of `listed` known already.
    pub fn new<'a>(root: &Path, listed: impl IntoIterator<Item = &'a FoundRun>) -> Names {
        let mut roots = vec![root.to_path_buf()];
        roots.extend(std::fs::canonicalize(root).ok());
        let known = listed
            .into_iter()
            .filter_map(|f| {
                let below = f.run.path().strip_prefix(root).ok()?;
                Some((below.to_path_buf(), name(f)))
            })
            .collect();
        Names { roots, known }
    }

    /// `path` below the root (`pretrain/latest`), else the whole path.
    pub fn place(&self, path: &Path) -> String {
        // A path in a folder a bucket is laid out in, as the URL it stands for.
        let path = &*bucket::shown(path);
        let below = self.roots.iter().find_map(|r| path.strip_prefix(r).ok());
        below.unwrap_or(path).display().to_string()
    }

    /// The name of the run at `path`, else its path.
    pub fn of(&self, path: &Path) -> String {
        if let Some(name) = self.known_in_bucket(path) {
            return name;
        }
        let below = self.roots.iter().find_map(|r| path.strip_prefix(r).ok());
        let name = below.and_then(|below| {
            self.known
                .get(below)
                .cloned()
                .or_else(|| by_place(path, below))
        });
        name.unwrap_or_else(|| path.display().to_string())
    }
}

impl Names {
    /// The name of the run at `path` if it is in a folder a bucket is laid
    /// out in and below this root's URL: read from its place, its manifest
    /// read where it is laid out.
    fn known_in_bucket(&self, path: &Path) -> Option<String> {
        let url = bucket::shown(path);
        if url == path {
            return None;
        }
        let below = self.roots.iter().find_map(|r| url.strip_prefix(r).ok())?;
        by_place(path, below)
    }
}

/// The name of the run at `path`, `below` the root: `[debug/]id`, or two
/// parts read in the nesting the run's manifest records (stage first when
/// it has none). `None` where no run can be.
fn by_place(path: &Path, below: &Path) -> Option<String> {
    let run_first = || {
        Manifest::read(path)
            .ok()
            .flatten()
            .is_some_and(|m| m.nesting == Nesting::RunFirst)
    };
    let spec = match RunSpec::at(below, Nesting::StageFirst) {
        Some(spec) if spec.stage().is_some() && run_first() => {
            RunSpec::at(below, Nesting::RunFirst)
        }
        spec => spec,
    };
    spec.map(|spec| spec.to_string())
}
