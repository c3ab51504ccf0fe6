//! The `Layout` trait's `create_all` and the typed paths, on a hand-written
//! implementation (the derive generates the same).

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{TestResult, tree, tree_names};
use runlayout::{
    DirPath, Error, FilePath, Layout, Run,
    layout::{Entry, EntryKind},
};

struct Tracker {
    root: PathBuf,
}

impl Layout for Tracker {
    const ENTRIES: &'static [Entry] = &[
        Entry::file("config", "config.yaml"),
        Entry::dir("plots", "plots/"),
    ];
    fn root(&self) -> &Path {
        &self.root
    }
}

struct Paths {
    run: Run,
}

impl Layout for Paths {
    const ENTRIES: &'static [Entry] = &[
        Entry::dir("checkpoint", "checkpoints"),
        Entry::file("logfile", "log.txt"),
        Entry::file("summary", "basetracker/summary.yaml"),
        Entry::file("entries", "basetracker/entries.th"),
        Entry::file("epoch", "checkpoints/epoch_{epoch}/model.bin"),
        Entry::nested("tracker", "trackers/main", Tracker::ENTRIES),
    ];
    fn root(&self) -> &Path {
        self.run.path()
    }
}

#[test]
fn create_all_makes_every_folder_and_no_file() -> TestResult {
    let root = tempfile::tempdir()?;
    let paths = Paths {
        run: Run::builder(root.path()).run_id("r").create()?,
    };
    paths.create_all()?;
    let made = tree_names(paths.root());
    assert_eq!(
        made,
        [
            "basetracker",
            "checkpoints",
            "run.json",
            // The layout, recorded in the run.
            "run.layout.json",
            "trackers",
            "trackers/main",
            "trackers/main/plots"
        ]
    );
    // Again: everything exists, nothing changes, no error.
    paths.create_all()?;
    assert_eq!(tree(paths.root()).len(), 7);
    Ok(())
}

#[test]
fn create_all_makes_a_missing_root() -> TestResult {
    let root = tempfile::tempdir()?;
    let t = Tracker {
        root: root.path().join("not/yet"),
    };
    t.create_all()?;
    assert!(root.path().join("not/yet/plots").is_dir());
    Ok(())
}

#[test]
fn create_all_names_a_file_in_the_way() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::write(root.path().join("plots"), b"a file")?;
    let t = Tracker {
        root: root.path().to_path_buf(),
    };
    let err = t.create_all().unwrap_err();
    assert!(
        matches!(&err, Error::NotADirectory { path } if path == &root.path().join("plots")),
        "{err:?}"
    );
    assert_eq!(fs::read(root.path().join("plots"))?, b"a file");
    Ok(())
}

#[test]
fn entries_describe_the_layout() {
    let e = Paths::ENTRIES;
    assert_eq!(e.len(), 6);
    assert_eq!(
        (e[0].name(), e[0].path(), e[0].kind()),
        ("checkpoint", "checkpoints", EntryKind::Dir)
    );
    assert_eq!(e[1].kind(), EntryKind::File);
    assert!(e[4].is_parameterized());
    assert_eq!(e[5].children(), Tracker::ENTRIES);
}

#[test]
fn typed_paths_behave_like_paths() -> TestResult {
    let root = tempfile::tempdir()?;
    let dir = DirPath::new(root.path().join("a/b"));
    dir.create()?;
    assert!(dir.is_dir());
    let file: FilePath = dir.file("c/log.txt");
    file.create_parent()?;
    fs::write(&file, b"line\n")?;
    assert_eq!(fs::read(file.as_path())?, b"line\n");
    assert_eq!(file.parent_dir(), Some(dir.dir("c")));
    assert_eq!(dir.join("x"), root.path().join("a/b/x"));
    assert_eq!(
        format!("{dir}"),
        root.path().join("a/b").display().to_string()
    );
    let p: PathBuf = file.clone().into();
    assert_eq!(p, file.into_path_buf());
    assert_eq!(dir, root.path().join("a/b"));
    assert_eq!(FilePath::new("log.txt").parent_dir(), None);
    FilePath::new("log.txt").create_parent()?;
    Ok(())
}

#[test]
fn dir_create_names_the_path_on_failure() -> TestResult {
    let root = tempfile::tempdir()?;
    fs::write(root.path().join("f"), b"")?;
    let err = DirPath::new(root.path().join("f/sub"))
        .create()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Io { path, .. } if path.ends_with("f/sub")),
        "{err:?}"
    );
    Ok(())
}
