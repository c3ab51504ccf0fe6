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
    let ancestor = Run::builder(root.path()).stage("pre").run_id("a").create()?;
    symlink(outside.path(), ancestor.path().join("descendants"))?;
    let child = Run::builder(root.path()).stage("fine").run_id("c").create()?;
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

/// README: a moved or copied run is listed under its new name, the
/// `ancestor` link is the truth, and "every reader agrees". After a run is
/// renamed (`mv fine/c fine/c-best`), `ls` and `show` of the run report its
/// ancestor, but the ancestor's `descendants()` (and `show` of it) no
/// longer list it: the back-link names the old folder, and nothing finds a
/// descendant without one.
#[test]
fn a_moved_run_is_still_its_ancestors_descendant() -> TestResult {
    let root = tempfile::tempdir()?;
    let ancestor = Run::builder(root.path()).stage("pre").run_id("a").create()?;
    let child = Run::builder(root.path()).stage("fine").run_id("c").create()?;
    child.link(&ancestor)?;
    let moved = root.path().join("fine/c-best");
    fs::rename(child.path(), &moved)?;
    let resumed = Run::builder(root.path()).stage("fine").run_id("c-best").open()?;
    assert_eq!(resumed.ancestor()?, Some(ancestor.path().canonicalize()?));
    assert_eq!(
        ancestor.descendants()?,
        vec![moved.canonicalize()?],
        "the moved run names `pre/a` as its ancestor, but `pre/a` does not list it"
    );
    Ok(())
}
