//! Attacks by a second process (here: a thread) doing the opposite of a
//! prune at the same moment: linking a run to the run being removed.

use std::fs;
use std::sync::{Arc, Barrier};

use runlayout::{Run, RunStatus, names::MANIFEST, prune::Prune};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `link()` while prune removes the ancestor. `link` canonicalizes the
/// ancestor, then makes `<ancestor>/descendants` with all its parents: when
/// the prune's rename falls between the two, the link re-creates the removed
/// run's folder as an empty skeleton (`descendants/` and a back-link, no
/// `run.json`) and returns `Ok`, pointing the new run at it. Or the link
/// completes just before the rename, returns `Ok`, and the ancestor it named
/// is gone. Either way a `link` that returned `Ok` leaves a run whose
/// ancestor is no run.
#[test]
fn link_racing_prune_never_leaves_an_ancestor_that_is_no_run() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut skeletons = Vec::new();
    let mut dangling = Vec::new();
    for i in 0..300 {
        let ancestor = Run::builder(root.path())
            .stage("pre")
            .run_id(format!("a{i:03}"))
            .latest_pointer(false)
            .create()?;
        ancestor.fail("x")?;
        let child = Run::builder(root.path())
            .stage("fine")
            .run_id(format!("c{i:03}"))
            .create()?;
        child.finish()?;
        let plan = Prune::new(root.path())
            .stage("pre")
            .status([RunStatus::Failed])
            .plan()?;
        let barrier = Arc::new(Barrier::new(2));
        let linker = {
            let (child, ancestor, barrier) = (child.clone(), ancestor.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                child.link(&ancestor)
            })
        };
        barrier.wait();
        let _ = plan.execute();
        let linked = linker.join().expect("no panic");
        if linked.is_ok() {
            if ancestor.path().exists() && !ancestor.path().join(MANIFEST).exists() {
                skeletons.push(ancestor.path().to_path_buf());
            } else if !ancestor.path().exists() {
                dangling.push(child.path().to_path_buf());
            }
        }
    }
    assert!(
        skeletons.is_empty() && dangling.is_empty(),
        "link() returned Ok, yet {} removed ancestors were re-created as folders without \
         run.json (first: {:?}, holding {:?}) and {} linked runs point at a removed run",
        skeletons.len(),
        skeletons.first(),
        skeletons.first().map(
            |s| fs::read_dir(s).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        ),
        dangling.len()
    );
    Ok(())
}
