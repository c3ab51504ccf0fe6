//! Ancestor links and back-links: fresh, replaced, stale, blocked, pointer
//! files, moved roots, and many threads relinking at once.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::{TestResult, canon, temporaries, tree};
use runlayout::{
    Error, LinkStyle, Nesting, Run,
    names::{ANCESTOR, DESCENDANTS},
};

#[test]
fn a_fresh_link_is_a_relative_symlink_with_a_back_link() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path()).stage("pretrain").create()?;
    let fine = pre.with_run(None, Some("finetune")).create()?;
    fine.link(&pre)?;

    let link = fine.path().join(ANCESTOR);
    assert!(fs::symlink_metadata(&link)?.file_type().is_symlink());
    let target = fs::read_link(&link)?;
    assert!(target.is_relative(), "{target:?}");
    assert_eq!(
        target,
        Path::new("../..").join("pretrain").join(pre.id().as_str())
    );
    assert_eq!(fine.ancestor()?, Some(canon(pre.path())));

    let backs: Vec<_> = fs::read_dir(pre.path().join(DESCENDANTS))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    assert_eq!(backs.len(), 1);
    let back = &backs[0];
    // Readable (the run's place below its root), then a hash of its folder.
    let name = back.file_name().unwrap().to_str().unwrap();
    let readable = format!("finetune+{}+", fine.id());
    assert!(name.starts_with(&readable), "{name}");
    assert_eq!(name.len(), readable.len() + 16);
    assert!(fs::symlink_metadata(back)?.file_type().is_symlink());
    assert_eq!(canon(back), canon(fine.path()));
    assert_eq!(pre.descendants()?, vec![canon(fine.path())]);
    Ok(())
}

#[test]
fn relinking_replaces_the_link_and_moves_the_descendant() -> TestResult {
    let root = tempfile::tempdir()?;
    let a = Run::builder(root.path()).stage("a").create()?;
    let b = Run::builder(root.path()).stage("b").create()?;
    let c = Run::builder(root.path()).stage("c").create()?;
    c.link(&a)?;
    c.link(&b)?;
    assert_eq!(c.ancestor()?, Some(canon(b.path())));
    assert_eq!(b.descendants()?, vec![canon(c.path())]);
    assert!(
        a.descendants()?.is_empty(),
        "a stale back-link must not count"
    );
    c.link(&b)?;
    assert_eq!(c.ancestor()?, Some(canon(b.path())));
    assert!(temporaries(c.path()).is_empty());
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_dangling_link_is_replaced() -> TestResult {
    let root = tempfile::tempdir()?;
    let old = Run::builder(root.path()).stage("s").create()?;
    let run = Run::builder(root.path()).stage("t").create()?;
    std::os::unix::fs::symlink("../../gone/away", run.path().join(ANCESTOR))?;
    assert!(!run.path().join(ANCESTOR).exists(), "the link dangles");
    assert_eq!(
        run.ancestor()?,
        Some(root.path().join("gone/away")),
        "dangling targets are named"
    );
    run.link(&old)?;
    assert_eq!(run.ancestor()?, Some(canon(old.path())));
    Ok(())
}

#[test]
fn a_real_folder_called_ancestor_is_kept() -> TestResult {
    let root = tempfile::tempdir()?;
    let old = Run::builder(root.path()).stage("s").create()?;
    let run = Run::builder(root.path()).stage("t").create()?;
    let real = run.path().join(ANCESTOR);
    fs::create_dir(&real)?;
    fs::write(real.join("data.bin"), b"keep me")?;
    let before = tree(root.path());

    let err = run.link(&old).unwrap_err();
    assert!(
        matches!(&err, Error::NotALink { path } if path == &real),
        "{err:?}"
    );
    assert!(err.to_string().contains("left untouched"));
    assert_eq!(fs::read(real.join("data.bin"))?, b"keep me");
    assert_eq!(tree(root.path()), before, "nothing else was touched");
    assert!(matches!(run.ancestor(), Err(Error::NotALink { .. })));
    Ok(())
}

#[test]
fn a_real_file_called_ancestor_is_kept() -> TestResult {
    let root = tempfile::tempdir()?;
    let old = Run::builder(root.path()).stage("s").create()?;
    for style in [LinkStyle::Auto, LinkStyle::PointerFile] {
        let run = Run::builder(root.path())
            .stage("t")
            .link_style(style)
            .create()?;
        let real = run.path().join(ANCESTOR);
        fs::write(&real, b"my notes about the ancestor")?;
        let err = run.link(&old).unwrap_err();
        assert!(matches!(err, Error::NotALink { .. }), "{err:?}");
        assert_eq!(fs::read(&real)?, b"my notes about the ancestor");
        assert!(temporaries(run.path()).is_empty());
    }
    Ok(())
}

#[test]
fn linking_a_run_to_itself_does_nothing() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).stage("s").create()?;
    let again = run.with_run(None, None).open()?;
    let before = tree(root.path());
    run.link(&run)?;
    run.link(&again)?;
    assert_eq!(tree(root.path()), before);
    assert_eq!(run.ancestor()?, None);
    Ok(())
}

#[test]
fn pointer_files_stand_in_for_symlinks() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path())
        .stage("pretrain")
        .link_style(LinkStyle::PointerFile)
        .create()?;
    let fine = pre.with_run(None, Some("finetune")).create()?;
    assert_eq!(fine.link_style(), LinkStyle::PointerFile);
    fine.link(&pre)?;

    let link = fine.path().join(ANCESTOR);
    let meta = fs::symlink_metadata(&link)?;
    assert!(meta.is_file());
    let text = fs::read_to_string(&link)?;
    assert_eq!(
        text,
        format!("runlayout-link\n../../pretrain/{}\n", pre.id())
    );
    assert_eq!(fine.ancestor()?, Some(canon(pre.path())));
    assert_eq!(pre.descendants()?, vec![canon(fine.path())]);

    // A pointer file is replaced like a symlink, in either style.
    let other = Run::builder(root.path()).stage("other").create()?;
    fine.link(&other)?;
    assert_eq!(fine.ancestor()?, Some(canon(other.path())));
    let auto = fine
        .with_run(None, None)
        .link_style(LinkStyle::Auto)
        .open()?;
    auto.link(&pre)?;
    assert!(fs::symlink_metadata(&link)?.file_type().is_symlink());
    assert_eq!(fine.ancestor()?, Some(canon(pre.path())));
    Ok(())
}

#[test]
fn links_survive_moving_the_output_root() -> TestResult {
    let base = tempfile::tempdir()?;
    let old_root = base.path().join("old");
    for style in [LinkStyle::Auto, LinkStyle::PointerFile] {
        let pre = Run::builder(&old_root)
            .stage("pretrain")
            .link_style(style)
            .create()?;
        let fine = pre.with_run(None, Some("finetune")).create()?;
        fine.link(&pre)?;

        let new_root = base.path().join("moved");
        fs::rename(&old_root, &new_root)?;
        let pre2 = Run::builder(&new_root)
            .stage("pretrain")
            .run_id(pre.id().as_str())
            .open()?;
        let fine2 = pre2.with_run(None, Some("finetune")).open()?;
        assert_eq!(fine2.ancestor()?, Some(canon(pre2.path())));
        assert_eq!(pre2.descendants()?, vec![canon(fine2.path())]);
        fs::remove_dir_all(&new_root)?;
    }
    Ok(())
}

#[test]
fn links_cross_nestings_and_the_debug_folder() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path())
        .stage("pretrain")
        .nesting(Nesting::RunFirst)
        .create()?;
    let dbg = Run::builder(root.path())
        .stage("probe")
        .debug(true)
        .create()?;
    dbg.link(&pre)?;
    assert_eq!(dbg.ancestor()?, Some(canon(pre.path())));
    let backs: Vec<_> = fs::read_dir(pre.path().join(DESCENDANTS))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    assert_eq!(backs.len(), 1);
    let name = backs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("debug+probe+{}+", dbg.id())),
        "{name}"
    );
    assert_eq!(canon(&backs[0]), canon(dbg.path()));
    Ok(())
}

#[test]
fn descendants_drop_deleted_runs_and_ignore_foreign_files() -> TestResult {
    let root = tempfile::tempdir()?;
    let pre = Run::builder(root.path()).stage("pre").create()?;
    let kept = Run::builder(root.path()).stage("a").create()?;
    let gone = Run::builder(root.path()).stage("b").create()?;
    kept.link(&pre)?;
    gone.link(&pre)?;
    fs::remove_dir_all(gone.path())?;
    fs::write(pre.path().join(DESCENDANTS).join("README"), b"notes")?;
    assert_eq!(pre.descendants()?, vec![canon(kept.path())]);
    Ok(())
}

#[test]
fn concurrent_relinks_never_leave_the_link_missing_or_half_made() -> TestResult {
    let root = tempfile::tempdir()?;
    let run = Run::builder(root.path()).stage("run").create()?;
    let ancestors: Vec<Run> = (0..4)
        .map(|_| Run::builder(root.path()).stage("anc").create())
        .collect::<Result<_, _>>()?;
    let expected: Vec<_> = ancestors.iter().map(|a| canon(a.path())).collect();
    run.link(&ancestors[0])?;

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..1)
        .map(|_| {
            let (done, run, expected) = (done.clone(), run.clone(), expected.clone());
            std::thread::spawn(move || {
                let link = run.path().join(ANCESTOR);
                let mut reads = 0u64;
                while !done.load(Ordering::Relaxed) {
                    let meta = fs::symlink_metadata(&link).expect("ancestor link went missing");
                    assert!(meta.file_type().is_symlink());
                    let target = run.ancestor().expect("readable").expect("present");
                    assert!(expected.contains(&target), "points at {target:?}");
                    // A whole run: its folder and its manifest are there.
                    assert!(
                        target.join("run.json").is_file(),
                        "half-made target {target:?}"
                    );
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    std::thread::scope(|s| {
        for t in 0..8 {
            let (run, ancestors) = (&run, &ancestors);
            s.spawn(move || {
                for i in 0..1000 {
                    run.link(&ancestors[(t + i) % ancestors.len()])
                        .expect("relink");
                }
            });
        }
    });
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().expect("a reader saw a missing or wrong link") > 0);
    }
    let last = run.ancestor()?.expect("linked");
    assert!(expected.contains(&last));
    // The manifest is whole.
    assert!(run.manifest()?.is_some());
    assert!(
        temporaries(run.path()).is_empty(),
        "temporary links left behind"
    );
    for anc in &ancestors {
        assert!(temporaries(&anc.path().join(DESCENDANTS)).is_empty());
    }
    Ok(())
}
