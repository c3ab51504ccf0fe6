//! `Runs::scan`: every run below a root, both nestings, filters, order,
//! foreign files and unreadable entries.

use std::fs;

use crate::support::TestResult;
use runlayout::{
    Error, Nesting, Run, RunId,
    names::MANIFEST,
    scan::{DebugRuns, Runs},
};

fn ids(listing: &runlayout::scan::Listing) -> Vec<String> {
    listing
        .runs
        .iter()
        .map(|r| r.run.id().to_string())
        .collect()
}

#[test]
fn finds_runs_of_both_nestings_oldest_first() -> TestResult {
    let root = tempfile::tempdir()?;
    let made = [
        Run::builder(root.path())
            .stage("pretrain")
            .run_id("a")
            .create()?,
        Run::builder(root.path())
            .nesting(Nesting::RunFirst)
            .stage("finetune")
            .run_id("b")
            .create()?,
        Run::builder(root.path()).run_id("c").create()?,
        Run::builder(root.path())
            .stage("pretrain")
            .debug(true)
            .run_id("d")
            .create()?,
        Run::builder(root.path())
            .nesting(Nesting::RunFirst)
            .stage("eval")
            .run_id("b")
            .create()?,
    ];
    fs::write(root.path().join("README.md"), "foreign")?;
    fs::create_dir_all(root.path().join("pretrain/a/checkpoints"))?;
    fs::create_dir_all(root.path().join(".cache/x"))?;

    let listing = Runs::scan(root.path()).list()?;
    assert_eq!(
        ids(&listing),
        ["a", "b", "c", "d", "b"],
        "in creation order"
    );
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    for (found, run) in listing.runs.iter().zip(&made) {
        assert_eq!(found.run.path(), run.path());
        assert_eq!(found.run.stage(), run.stage());
        assert_eq!(found.run.is_debug(), run.is_debug());
        assert_eq!(found.run.nesting(), run.nesting());
        assert!(found.manifest.is_some());
        assert!(found.created.is_some());
    }
    let created: Vec<_> = listing.runs.iter().map(|r| r.created).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));
    Ok(())
}

#[test]
fn filters_by_stage_and_debug() -> TestResult {
    let root = tempfile::tempdir()?;
    Run::builder(root.path())
        .stage("pretrain")
        .run_id("a")
        .create()?;
    Run::builder(root.path())
        .stage("finetune")
        .run_id("b")
        .create()?;
    Run::builder(root.path())
        .stage("pretrain")
        .debug(true)
        .run_id("c")
        .create()?;
    let scan = || Runs::scan(root.path());
    assert_eq!(ids(&scan().stage("pretrain").list()?), ["a", "c"]);
    assert_eq!(ids(&scan().debug(DebugRuns::Exclude).list()?), ["a", "b"]);
    assert_eq!(ids(&scan().debug(DebugRuns::Only).list()?), ["c"]);
    assert_eq!(
        ids(&scan().stage("pretrain").debug(DebugRuns::Only).list()?),
        ["c"]
    );
    assert!(scan().stage("eval").list()?.runs.is_empty());
    Ok(())
}

#[test]
fn runs_without_manifests_are_found_with_a_stage() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::create_dir_all(root.path().join("pretrain/by-hand/checkpoints"))?;
    fs::create_dir_all(root.path().join("r9/eval"))?;
    fs::write(root.path().join("r9/eval/log.txt"), "by hand")?;
    assert!(Runs::scan(root.path()).list()?.runs.is_empty());
    let stage_first = Runs::scan(root.path()).stage("pretrain").list()?;
    assert_eq!(ids(&stage_first), ["by-hand"]);
    assert!(stage_first.runs[0].manifest.is_none());
    assert!(
        stage_first.runs[0].created.is_some(),
        "the folder's time stands in"
    );
    let run_first = Runs::scan(root.path())
        .stage("eval")
        .nesting(Nesting::RunFirst)
        .list()?;
    assert_eq!(ids(&run_first), ["r9"]);
    // What the scan found can be used like any run.
    let found = &run_first.runs[0].run;
    let reopened = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("eval")
        .run_id("r9")
        .open()?;
    assert_eq!(found.path(), reopened.path());
    Ok(())
}

#[test]
fn unreadable_manifests_are_reported_and_the_scan_goes_on() -> TestResult {
    let root = tempfile::tempdir()?;
    let good = Run::builder(root.path()).stage("s").create()?;
    let bad = Run::builder(root.path()).stage("s").create()?;
    fs::write(bad.path().join(MANIFEST), "{ broken")?;
    let wrong_id = Run::builder(root.path()).stage("s").create()?;
    let text = fs::read_to_string(wrong_id.path().join(MANIFEST))?;
    let id = wrong_id.id().as_str();
    fs::write(wrong_id.path().join(MANIFEST), text.replace(id, "../evil"))?;

    let listing = Runs::scan(root.path()).list()?;
    // Every run is listed under its folder's name; each fault is a problem
    // naming the manifest.
    let mut expected: Vec<String> = [&good, &bad, &wrong_id]
        .iter()
        .map(|r| r.id().to_string())
        .collect();
    expected.sort();
    let mut listed = ids(&listing);
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(listing.problems.len(), 2, "{:?}", listing.problems);
    assert!(
        listing.problems.iter().any(
            |p| matches!(p, Error::InvalidRecord { path, .. } if path.starts_with(bad.path()))
        )
    );
    assert!(listing.problems.iter().any(|p| matches!(
        p,
        Error::ManifestMismatch { path, field: "run id", .. } if path.starts_with(wrong_id.path())
    )));
    let by_stage = Runs::scan(root.path()).stage("s").list()?;
    let found: Vec<&RunId> = by_stage.runs.iter().map(|r| r.run.id()).collect();
    assert!(found.contains(&bad.id()) && found.contains(&good.id()));
    Ok(())
}

#[test]
fn a_missing_root_is_an_io_error_naming_it_not_a_missing_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let missing = root.path().join("nope");
    match Runs::scan(&missing).list() {
        Err(err @ Error::Io { .. }) => {
            assert_eq!(err.path(), Some(missing.as_path()));
            assert_eq!(
                err.io_error().map(|e| e.kind()),
                Some(std::io::ErrorKind::NotFound)
            );
            assert!(!err.to_string().contains("no run folder"), "{err}");
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    Ok(())
}
