//! The consistency checker of the run record: given an output root, every
//! reader must tell one story.
//!
//! - every run's `run.json` parses and matches its folder's place (the scan
//!   reports no problem at all);
//! - for every run, `Run::ancestor()`, the ancestor `runlayout ls --json` and
//!   `runlayout show --json` report, and the ancestor's `descendants()` agree,
//!   and every descendant listed points back;
//! - every temporary left anywhere in the tree is runlayout's and belongs to
//!   a writer that is gone (so the next operation in its folder removes it),
//!   and none is listed as a run or a descendant;
//! - the `latest` pointer of every stage names a whole run of that stage, no
//!   older than the newest run whose creation is known to have finished.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use runlayout::{
    Run,
    scan::{DebugRuns, FoundRun, Runs},
};
use serde_json::Value;

/// What the checker found: how many runs, links and pointers it checked.
#[derive(Debug, Default)]
pub struct Report {
    pub runs: usize,
    pub linked: usize,
    pub pointers: usize,
    pub temporaries: usize,
}

/// One stage's runs share a `latest` pointer: (debug, nesting, stage).
type StageKey = (bool, String, Option<String>);

fn stage_key(run: &Run) -> StageKey {
    (
        run.is_debug(),
        format!("{:?}", run.nesting()),
        run.stage().map(str::to_owned),
    )
}

/// Checks everything above below `root`. `finished` lists run folders whose
/// creation returned (for `latest`: it may name a newer run whose creation
/// was cut short after the pointer moved, never an older one); without it,
/// `latest` must name the newest run of its stage. `show_at_most` bounds how
/// many runs are also checked through `runlayout show` (one process each).
pub fn check(root: &Path, finished: Option<&[PathBuf]>, show_at_most: usize) -> Report {
    let listing = Runs::scan(root)
        .debug(DebugRuns::Include)
        .list()
        .expect("scan the root");
    assert!(
        listing.problems.is_empty(),
        "the scan found problems: {:#?}",
        listing
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let mut report = Report {
        runs: listing.runs.len(),
        ..Report::default()
    };
    let by_path: HashMap<PathBuf, &FoundRun> = listing
        .runs
        .iter()
        .map(|f| (canon(f.run.path()), f))
        .collect();
    let cli = cli_ancestors(root);
    for found in &listing.runs {
        let run = &found.run;
        assert!(
            found.manifest.is_some(),
            "{} has no manifest",
            run.path().display()
        );
        let ancestor = run
            .ancestor()
            .unwrap_or_else(|e| panic!("ancestor of {}: {e}", run.path().display()));
        let me = canon(run.path());
        assert_eq!(
            cli.get(&me).cloned().flatten(),
            ancestor,
            "`runlayout ls --json` and ancestor() disagree for {}",
            me.display()
        );
        if let Some(ancestor) = &ancestor {
            report.linked += 1;
            let parent = by_path.get(ancestor).unwrap_or_else(|| {
                panic!("{} links to {}, no run", me.display(), ancestor.display())
            });
            let descendants = parent.run.descendants().expect("descendants");
            assert!(
                descendants.contains(&me),
                "{} points at {}, whose descendants {descendants:?} miss it",
                me.display(),
                ancestor.display()
            );
        }
        for child in run.descendants().expect("descendants") {
            let back = by_path
                .get(&child)
                .unwrap_or_else(|| panic!("descendant {} is no run", child.display()));
            assert_eq!(back.run.ancestor().expect("ancestor"), Some(me.clone()));
        }
    }
    for found in listing.runs.iter().take(show_at_most) {
        let shown = show_ancestor(root, &found.run);
        assert_eq!(
            shown,
            found.run.ancestor().expect("ancestor"),
            "`runlayout show --json` and ancestor() disagree for {}",
            found.run.path().display()
        );
    }
    report.temporaries = check_temporaries(root, &by_path);
    report.pointers = check_latest(root, &listing.runs, finished);
    report
}

fn canon(p: &Path) -> PathBuf {
    p.canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", p.display()))
}

fn runlayout(root: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .output()
        .expect("run runlayout");
    assert!(
        out.status.success(),
        "runlayout {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("runlayout prints JSON")
}

/// Each run's ancestor as `runlayout ls --json` reports it, debug runs too.
fn cli_ancestors(root: &Path) -> HashMap<PathBuf, Option<PathBuf>> {
    let mut out = HashMap::new();
    for args in [&["ls", "--json"][..], &["ls", "--debug", "--json"]] {
        let listed = runlayout(root, args);
        for run in listed["runs"].as_array().expect("runs") {
            let path = canon(Path::new(run["path"].as_str().expect("path")));
            let ancestor = run["ancestor"].as_str().map(PathBuf::from);
            out.insert(path, ancestor);
        }
    }
    out
}

/// The run's ancestor as `runlayout show --json` reports it.
fn show_ancestor(root: &Path, run: &Run) -> Option<PathBuf> {
    let mut name = Vec::new();
    if run.is_debug() {
        name.push("debug");
    }
    if let Some(stage) = run.stage() {
        name.push(stage);
    }
    name.push(run.id().as_str());
    let shown = runlayout(root, &["show", "--json", &name.join("/")]);
    assert_eq!(
        shown["problems"].as_array().map(Vec::len),
        Some(0),
        "{shown}"
    );
    shown["ancestor"].as_str().map(PathBuf::from)
}

/// Every hidden name in the tree is a temporary of runlayout's whose writer
/// is gone, and none is a run; returns how many there are.
fn check_temporaries(root: &Path, runs: &HashMap<PathBuf, &FoundRun>) -> usize {
    let mut found = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().expect("file type");
            if name.starts_with('.') {
                assert!(
                    name.starts_with(".runlayout-") && name.ends_with(".tmp"),
                    "foreign hidden name {}",
                    entry.path().display()
                );
                let pid: u32 = name
                    .trim_start_matches(".runlayout-")
                    .split('-')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("a pid in the name");
                assert!(
                    !Path::new("/proc").join(pid.to_string()).exists() || pid == std::process::id(),
                    "temporary {} of a live writer",
                    entry.path().display()
                );
                assert!(!runs.contains_key(&entry.path()));
                found += 1;
            } else if kind.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    found
}

/// Every stage's `latest` names a whole run of it, not older than the
/// newest finished one; returns how many pointers were checked.
fn check_latest(root: &Path, runs: &[FoundRun], finished: Option<&[PathBuf]>) -> usize {
    let mut stages: BTreeMap<StageKey, Vec<&FoundRun>> = BTreeMap::new();
    for found in runs {
        stages.entry(stage_key(&found.run)).or_default().push(found);
    }
    let finished: Option<BTreeSet<PathBuf>> =
        finished.map(|f| f.iter().map(|p| canon(p)).collect());
    let mut checked = 0;
    for group in stages.values() {
        let sample = &group[0].run;
        let mut builder = Run::builder(root)
            .debug(sample.is_debug())
            .nesting(sample.nesting());
        if let Some(stage) = sample.stage() {
            builder = builder.stage(stage);
        }
        let latest = match builder.open_latest() {
            Ok(run) => run,
            Err(runlayout::Error::NoLatestRun { .. }) => continue,
            Err(e) => panic!("latest of {:?}: {e}", stage_key(sample)),
        };
        checked += 1;
        let named = group
            .iter()
            .find(|f| canon(f.run.path()) == canon(latest.path()))
            .unwrap_or_else(|| {
                panic!(
                    "latest names {}, no run of its stage",
                    latest.path().display()
                )
            });
        assert!(
            named.manifest.is_some(),
            "latest names a run without manifest"
        );
        let floor = group
            .iter()
            .filter(|f| {
                finished
                    .as_ref()
                    .is_none_or(|done| done.contains(&canon(f.run.path())))
            })
            .filter_map(|f| f.created)
            .max();
        if named.created < floor {
            let mut sorted: Vec<&&FoundRun> = group.iter().collect();
            sorted.sort_by_key(|f| f.created);
            let rows: Vec<String> = sorted
                .iter()
                .map(|f| {
                    let done = finished
                        .as_ref()
                        .is_none_or(|d| d.contains(&canon(f.run.path())));
                    let pid = f.manifest.as_ref().and_then(|m| m.process.pid);
                    format!("{:?} {} pid={pid:?} finished={done}", f.created, f.run.id())
                })
                .collect();
            let parent = latest
                .path()
                .parent()
                .and_then(|p| p.parent())
                .unwrap_or(root);
            let mut near: Vec<String> = Vec::new();
            for dir in [root, parent, latest.path().parent().unwrap_or(root)] {
                for e in fs::read_dir(dir).into_iter().flatten().flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n.starts_with('.') || n.starts_with("latest") {
                        near.push(format!(
                            "{} -> {:?}",
                            e.path().display(),
                            fs::read_link(e.path())
                        ));
                    }
                }
            }
            panic!(
                "latest of {:?} names {} ({:?}), older than a finished run ({floor:?}):\n{}\n{}",
                stage_key(sample),
                latest.path().display(),
                named.created,
                rows.join("\n"),
                near.join("\n")
            );
        }
    }
    checked
}
