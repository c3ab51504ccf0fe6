//! The `latest` pointer: where it sits, what it names, how it is replaced.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::{TestResult, temporaries, tree};
use runlayout::{Error, LinkStyle, Nesting, Run, names::LATEST};

fn target(pointer: &Path) -> String {
    fs::read_link(pointer)
        .expect("a symlink")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn the_pointer_sits_next_to_the_run_id_folders() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = Run::builder(root.path()).stage("s").create()?;
    assert_eq!(target(&root.path().join("s").join(LATEST)), a.id().as_str());
    let b = Run::builder(root.path()).stage("s").debug(true).create()?;
    assert_eq!(
        target(&root.path().join("debug/s").join(LATEST)),
        b.id().as_str()
    );
    let c = Run::builder(root.path()).create()?;
    assert_eq!(target(&root.path().join(LATEST)), c.id().as_str());
    let d = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("t")
        .create()?;
    // Run first: the stages share the root, so each has its own pointer.
    assert_eq!(
        target(&root.path().join("latest+t")),
        format!("{}/t", d.id())
    );
    assert_eq!(target(&root.path().join(LATEST)), c.id().as_str());
    Ok(())
}

#[test]
fn every_create_moves_it_and_open_latest_follows() -> TestResult {
    let root = tempfile::tempdir()?;
    for _ in 0..3 {
        let made = Run::builder(root.path()).stage("train").create()?;
        let latest = Run::builder(root.path()).stage("train").open_latest()?;
        assert_eq!(latest.path(), made.path());
        assert!(!latest.is_new());
    }
    // Opening never moves it.
    let first = Run::builder(root.path()).stage("train").seed(1).create()?;
    let second = Run::builder(root.path()).stage("train").seed(2).create()?;
    first.with_run(None, None).open()?;
    assert_eq!(
        Run::builder(root.path())
            .stage("train")
            .open_latest()?
            .path(),
        second.path()
    );
    Ok(())
}

#[test]
fn run_first_latest_opens_the_stage_of_the_latest_id() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("pretrain")
        .create()?;
    let fine = pre.with_run(None, Some("finetune")).create()?;
    let latest = Run::builder(root.path())
        .nesting(Nesting::RunFirst)
        .stage("finetune")
        .open_latest()?;
    assert_eq!(latest.path(), fine.path());
    Ok(())
}

#[test]
fn no_pointer_is_a_clear_error() -> TestResult {
    let root = tempfile::tempdir()?;
    let err = Run::builder(root.path())
        .stage("s")
        .open_latest()
        .unwrap_err();
    match &err {
        Error::NoLatestRun { path } => assert_eq!(path, &root.path().join("s/latest")),
        other => panic!("expected NoLatestRun, got {other:?}"),
    }
    assert!(err.to_string().contains("s/latest"));
    Run::builder(root.path())
        .stage("s")
        .latest_pointer(false)
        .create()?;
    assert!(!root.path().join("s/latest").exists());
    assert!(Run::builder(root.path()).stage("s").open_latest().is_err());
    Ok(())
}

#[test]
fn pointer_files_serve_where_symlinks_do_not() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path())
        .stage("s")
        .link_style(LinkStyle::PointerFile)
        .create()?;
    let pointer = root.path().join("s").join(LATEST);
    assert!(fs::symlink_metadata(&pointer)?.is_file());
    assert_eq!(
        Run::builder(root.path()).stage("s").open_latest()?.path(),
        run.path()
    );
    Ok(())
}

#[test]
fn a_real_file_called_latest_fails_the_create_and_changes_nothing() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::create_dir(root.path().join("s"))?;
    fs::write(root.path().join("s/latest"), b"my notes")?;
    let before = tree(root.path());
    for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
        let builder = Run::builder(root.path()).stage("s").nesting(nesting);
        let err = match nesting {
            Nesting::StageFirst => builder.create().unwrap_err(),
            Nesting::RunFirst => {
                fs::write(root.path().join("latest+s"), b"mine too")?;
                builder.create().unwrap_err()
            }
        };
        assert!(matches!(err, Error::NotALink { .. }), "{err:?}");
    }
    let mut expected = before;
    expected.insert("latest+s".into());
    assert_eq!(
        tree(root.path()),
        expected,
        "the failed creations were undone"
    );
    assert_eq!(fs::read(root.path().join("s/latest"))?, b"my notes");
    Ok(())
}

#[test]
fn concurrent_creators_never_leave_it_missing_or_dangling() -> TestResult {
    let root = tempfile::tempdir()?;
    Run::builder(root.path()).stage("s").create()?;
    let pointer = root.path().join("s").join(LATEST);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (done, pointer) = (done.clone(), pointer.clone());
        let stage_dir = root.path().join("s");
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) {
                let id = fs::read_link(&pointer).expect("latest went missing");
                assert!(stage_dir.join(&id).is_dir(), "latest dangles: {id:?}");
                reads += 1;
            }
            reads
        })
    };
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    Run::builder(root.path())
                        .stage("s")
                        .create()
                        .expect("create");
                }
            });
        }
    });
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().expect("reader saw a bad pointer") > 0);
    let left = temporaries(&root.path().join("s"));
    assert!(left.is_empty(), "temporary names left: {left:?}");
    Ok(())
}

/// Threads of one process that create runs of one stage at once: after
/// each round the pointer names the newest run by recorded creation time.
/// Six creators on two cores cross between one's read of the pointer and
/// its rename far more often than "a window of microseconds" suggests
/// (usually in the first round), with or without the shortcut that takes
/// a pointer naming this process's own run for older unread (which
/// `lifecycle::latest`'s unit test isolates).
#[cfg(feature = "manifest")]
#[test]
fn threads_of_one_process_never_move_it_back() -> TestResult {
    use std::sync::Barrier;
    const MAKERS: usize = 6;
    let root = tempfile::tempdir()?;
    let root_path = root.path().to_path_buf();
    let created = |run: &Run| -> std::time::SystemTime {
        run.manifest()
            .expect("readable")
            .and_then(|m| m.created_at())
            .expect("a creation time")
    };
    let mut newest: Option<(std::time::SystemTime, std::path::PathBuf)> = None;
    for round in 0..1500 {
        let barrier = Arc::new(Barrier::new(MAKERS));
        let makers: Vec<_> = (0..MAKERS)
            .map(|_| {
                let (barrier, root) = (Arc::clone(&barrier), root_path.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    Run::builder(root).stage("s").record_git(false).create()
                })
            })
            .collect();
        for maker in makers {
            let run = maker.join().map_err(|_| "a maker panicked")??;
            let at = created(&run);
            if newest.as_ref().is_none_or(|(t, _)| at > *t) {
                newest = Some((at, run.path().to_path_buf()));
            }
        }
        let latest = Run::builder(root.path()).stage("s").open_latest()?;
        let (_, expected) = newest.as_ref().ok_or("a run")?;
        assert_eq!(
            latest.path(),
            expected.as_path(),
            "round {round}: latest names an older run than the newest recorded"
        );
    }
    Ok(())
}
