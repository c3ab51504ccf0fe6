//! What `#[derive(Layout)]` generates, checked on real folders.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{TestResult, tree, tree_names};
use runlayout::{
    DirPath, Error, FilePath, FromRoot, Layout, Run,
    error::NameRule,
    layout::{Entry, EntryKind},
};

#[derive(Layout)]
#[layout(config = "config.yaml", plots = "plots/")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(checkpoint = "checkpoints", logfile = "log.txt")]
#[layout(
    summary = "basetracker/summary.yaml",
    entries = "basetracker/entries.th"
)]
#[layout(version = dir("v1.0"), license = file("LICENSE"), data = "data/")]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
#[layout(step_ckpt = "checkpoints/{step:u32}/model.bin")]
#[layout(
    eval = "eval/{split}/plot_{epoch:u64}.png",
    by_split = "splits/{split}"
)]
#[layout(prefixed = "notes/a{x}.md")]
#[layout(tracker = nest("trackers/main", Tracker))]
struct TrainPaths {
    run: Run,
}

fn train_paths(root: &Path) -> runlayout::Result<TrainPaths> {
    Ok(TrainPaths {
        run: Run::builder(root).stage("train").run_id("r1").create()?,
    })
}

#[test]
fn accessors_join_the_declared_paths_to_the_root() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    let run = paths.run.path().to_path_buf();
    let checkpoint: DirPath = paths.checkpoint();
    assert_eq!(checkpoint, run.join("checkpoints"));
    let logfile: FilePath = paths.logfile();
    assert_eq!(logfile, run.join("log.txt"));
    assert_eq!(paths.summary(), run.join("basetracker/summary.yaml"));
    assert_eq!(paths.entries(), run.join("basetracker/entries.th"));
    let version: DirPath = paths.version();
    assert_eq!(version, run.join("v1.0"));
    let license: FilePath = paths.license();
    assert_eq!(license, run.join("LICENSE"));
    let data: DirPath = paths.data();
    assert_eq!(data, run.join("data"));
    assert_eq!(paths.root(), run);
    Ok(())
}

#[test]
fn accessors_touch_nothing_on_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    let before = tree(dir.path());
    let _ = (
        paths.checkpoint(),
        paths.logfile(),
        paths.epoch_ckpt(1),
        paths.step_ckpt(2),
    );
    let _ = (
        paths.eval("train", 3)?,
        paths.by_split("test")?,
        paths.tracker().config(),
    );
    let _ = paths.eval("../escape", 3);
    assert_eq!(tree(dir.path()), before);
    Ok(())
}

#[test]
fn integer_placeholders_are_infallible_and_padded() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    let run = paths.run.path();
    let epoch: FilePath = paths.epoch_ckpt(7);
    assert_eq!(epoch, run.join("checkpoints/epoch_0007.ckpt"));
    assert_eq!(
        paths.epoch_ckpt(123_456),
        run.join("checkpoints/epoch_123456.ckpt")
    );
    assert_eq!(
        paths.step_ckpt(u32::MAX),
        run.join("checkpoints/4294967295/model.bin")
    );
    Ok(())
}

#[test]
fn text_placeholders_are_checked_and_name_the_value() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    let run = paths.run.path();
    assert_eq!(paths.eval("train", 3)?, run.join("eval/train/plot_3.png"));
    assert_eq!(
        paths.eval(String::from("val"), 0)?,
        run.join("eval/val/plot_0.png")
    );
    assert_eq!(paths.by_split(42)?, run.join("splits/42"));
    assert_eq!(paths.by_split(paths.run.id())?, run.join("splits/r1"));

    for (bad, rule) in [
        ("", NameRule::Empty),
        ("..", NameRule::FirstCharacter { ch: '.' }),
        (".", NameRule::FirstCharacter { ch: '.' }),
        ("a/b", NameRule::Character { ch: '/', index: 1 }),
        ("a\\b", NameRule::Character { ch: '\\', index: 1 }),
        ("/abs", NameRule::Character { ch: '/', index: 0 }),
        ("x\0", NameRule::Character { ch: '\0', index: 1 }),
        ("con", NameRule::DeviceName),
    ] {
        match paths.eval(bad, 1) {
            Err(Error::InvalidValue {
                placeholder,
                template,
                value,
                rule: r,
            }) => {
                assert_eq!(placeholder, "split");
                assert_eq!(template, "eval/{split}/plot_{epoch:u64}.png");
                assert_eq!(value, bad);
                assert_eq!(r, rule, "{bad:?}");
            }
            other => panic!("{bad:?} was accepted: {other:?}"),
        }
    }
    let msg = paths.by_split("../../etc").unwrap_err().to_string();
    assert_eq!(
        msg,
        "value \"../../etc\" for {split} in `splits/{split}` is invalid: \
         character '/' at byte 2 is not allowed; use letters, digits, '.', '_' or '-'"
    );
    Ok(())
}

#[test]
fn components_made_of_several_parts_are_checked_whole() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    assert_eq!(paths.prefixed("bc")?, paths.run.path().join("notes/abc.md"));
    // `a` + `ux` is `aux`, a Windows device name, though `ux` alone is fine.
    match paths.prefixed("ux") {
        Err(Error::InvalidValue { value, rule, .. }) => {
            assert_eq!((value.as_str(), rule), ("ux", NameRule::DeviceName));
        }
        other => panic!("accepted: {other:?}"),
    }
    Ok(())
}

#[test]
fn nested_layouts_mount_at_their_folder() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    let tracker: Tracker = paths.tracker();
    assert_eq!(tracker.root(), paths.run.path().join("trackers/main"));
    assert_eq!(
        tracker.config(),
        paths.run.path().join("trackers/main/config.yaml")
    );
    let direct = Tracker::from_root(DirPath::new("x"));
    assert_eq!(direct.plots(), Path::new("x/plots"));
    Ok(())
}

#[test]
fn entries_follow_declaration_order_and_kind_rules() {
    let entries = TrainPaths::ENTRIES;
    let described: Vec<(&str, &str, EntryKind)> = entries
        .iter()
        .map(|e| (e.name(), e.path(), e.kind()))
        .collect();
    assert_eq!(
        described,
        [
            ("checkpoint", "checkpoints", EntryKind::Dir),
            ("logfile", "log.txt", EntryKind::File),
            ("summary", "basetracker/summary.yaml", EntryKind::File),
            ("entries", "basetracker/entries.th", EntryKind::File),
            ("version", "v1.0", EntryKind::Dir),
            ("license", "LICENSE", EntryKind::File),
            ("data", "data/", EntryKind::Dir),
            (
                "epoch_ckpt",
                "checkpoints/epoch_{epoch:04}.ckpt",
                EntryKind::File
            ),
            (
                "step_ckpt",
                "checkpoints/{step:u32}/model.bin",
                EntryKind::File
            ),
            ("eval", "eval/{split}/plot_{epoch:u64}.png", EntryKind::File),
            ("by_split", "splits/{split}", EntryKind::Dir),
            ("prefixed", "notes/a{x}.md", EntryKind::File),
            ("tracker", "trackers/main", EntryKind::Dir),
        ]
    );
    assert_eq!(entries[12].children(), Tracker::ENTRIES);
    assert_eq!(
        Tracker::ENTRIES,
        [
            Entry::file("config", "config.yaml"),
            Entry::dir("plots", "plots/")
        ]
    );
}

#[test]
fn create_all_makes_every_folder_once_and_no_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let paths = train_paths(dir.path())?;
    paths.create_all()?;
    let made = tree_names(paths.root());
    assert_eq!(
        made,
        [
            "basetracker",
            "checkpoints",
            "data",
            "eval",
            "notes",
            "run.json",
            // The layout, recorded in the run.
            "run.layout.json",
            "splits",
            "trackers",
            "trackers/main",
            "trackers/main/plots",
            "v1.0",
        ]
    );
    paths.create_all()?;
    fs::write(paths.logfile(), "ok\n")?;
    fs::write(paths.epoch_ckpt(1), b"w")?;
    Ok(())
}

#[derive(Layout)]
#[layout(out = "out/{name}.json", cache = "cache/")]
struct Generic<R: AsRef<Path>> {
    root: R,
}

#[derive(Layout)]
#[layout(cache = "cache/")]
struct Bare<R> {
    root: R,
}

#[test]
fn generic_roots_work() -> TestResult {
    let with_pathbuf = Generic {
        root: PathBuf::from("r"),
    };
    assert_eq!(with_pathbuf.out("a")?, Path::new("r/out/a.json"));
    let with_str = Generic { root: "s" };
    assert_eq!(with_str.cache(), Path::new("s/cache"));
    let bare = Bare { root: "b" };
    assert_eq!(bare.cache(), Path::new("b/cache"));
    let mounted: Bare<PathBuf> = Bare::from_root(DirPath::new("m"));
    assert_eq!(mounted.cache(), Path::new("m/cache"));
    Ok(())
}

#[derive(Layout)]
#[layout(data = "data")]
struct Marked {
    label: &'static str,
    #[layout(root)]
    base: PathBuf,
}

#[test]
fn the_marked_field_is_the_root() {
    let m = Marked {
        label: "x",
        base: PathBuf::from("base"),
    };
    assert_eq!(m.label, "x");
    assert_eq!(m.data(), Path::new("base/data"));
    assert_eq!(m.root(), Path::new("base"));
}

mod visibility {
    use runlayout::Layout;

    #[derive(Layout)]
    #[layout(notes = "notes.md")]
    pub(crate) struct Inside {
        pub(crate) root: std::path::PathBuf,
    }
}

#[test]
fn accessors_take_the_structs_visibility() {
    let inside = visibility::Inside {
        root: PathBuf::from("v"),
    };
    assert_eq!(inside.notes(), Path::new("v/notes.md"));
}

#[derive(Layout)]
#[layout(r#type = "type.txt", r#match = "match/")]
struct Raw {
    root: PathBuf,
}

#[test]
fn raw_identifiers_name_accessors() {
    let raw = Raw {
        root: PathBuf::from("r"),
    };
    assert_eq!(raw.r#type(), Path::new("r/type.txt"));
    assert_eq!(raw.r#match(), Path::new("r/match"));
    assert_eq!(Raw::ENTRIES[0].name(), "type");
}

#[derive(Layout)]
#[layout(tracker = nest("tracker", T), notes = "tracker/notes.md")]
struct WithTracker<T: Layout + FromRoot> {
    #[layout(root)]
    root: PathBuf,
    tracker_type: std::marker::PhantomData<T>,
}

/// A nested layout of a generic type, used with a type that fits beside the
/// parent's entries: its check (made when the struct is instantiated) passes,
/// and the layout works as any other.
#[test]
fn a_generic_nested_layout_that_fits_builds_and_makes_its_folders() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let paths = WithTracker::<Tracker> {
        root: tmp.path().to_path_buf(),
        tracker_type: std::marker::PhantomData,
    };
    paths.create_all()?;
    assert_eq!(
        paths.tracker().config(),
        tmp.path().join("tracker/config.yaml")
    );
    assert!(paths.tracker().plots().is_dir());
    assert_eq!(paths.notes(), tmp.path().join("tracker/notes.md"));
    Ok(())
}
