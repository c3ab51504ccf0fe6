//! Attacks on `link()`: what it writes where a hostile tree put something
//! else.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::symlink;

use runlayout::Run;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A run's `descendants` replaced by a symlink to a folder outside the root
/// (another user's, or `~/.ssh`): linking a run to it writes the back-link
/// there, and sweeps "stale" temporaries there, outside every run folder.
/// `link` checks that `ancestor` is no real file; it does not check that
/// `descendants` is a real folder of the run.
#[test]
fn link_never_writes_outside_the_ancestor_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let ancestor = Run::builder(root.path())
        .stage("pre")
        .run_id("a")
        .create()?;
    symlink(outside.path(), ancestor.path().join("descendants"))?;
    let child = Run::builder(root.path())
        .stage("fine")
        .run_id("c")
        .create()?;
    let linked = child.link(&ancestor);
    let written: Vec<_> = fs::read_dir(outside.path())?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        written.is_empty(),
        "link() returned {linked:?} and wrote {written:?} into `{}`, a folder outside the root",
        outside.path().display()
    );
    Ok(())
}
