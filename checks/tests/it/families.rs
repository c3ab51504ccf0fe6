//! The `<name>_family()` accessors the derive generates: their types, what
//! counts as a member, resuming from the last one, and pruning that removes
//! members only, leaving every foreign file, link and folder byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::TestResult;
use runlayout::{DirPath, Family, FilePath, Layout, Run, family::LeftReason};

#[derive(Layout)]
#[layout(config = "config.yaml", plot = "plots/{step:u32}.png")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(
    epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt",
    best = "checkpoints/best.ckpt"
)]
#[layout(step_dir = "steps/{step:u32}/", eval = "eval/{split}/metrics.json")]
#[layout(sample = "samples/{epoch:u32}/{split}_{step:u16}.png")]
#[layout(
    by_split = "splits/{split}",
    shard = "shards/{rank:u8}/{part:usize}.bin"
)]
#[layout(trial_log = "trials/{trial:u32}/logs/{step:u32}.txt")]
#[layout(tracker = nest("tracker", Tracker))]
struct Paths {
    root: PathBuf,
}

fn paths(root: &Path) -> Paths {
    Paths {
        root: root.to_path_buf(),
    }
}

#[test]
fn family_types_follow_the_placeholders() {
    let p = paths(Path::new("r"));
    let _: Family<u64, FilePath> = p.epoch_ckpt_family();
    let _: Family<u32, DirPath> = p.step_dir_family();
    let _: Family<String, FilePath> = p.eval_family();
    let _: Family<(u32, String, u16), FilePath> = p.sample_family();
    let _: Family<String, DirPath> = p.by_split_family();
    let _: Family<(u8, usize), FilePath> = p.shard_family();
    let _: Family<u32, FilePath> = p.tracker().plot_family();
    assert_eq!(
        p.epoch_ckpt_family().template(),
        "checkpoints/epoch_{epoch:04}.ckpt"
    );
    assert_eq!(p.epoch_ckpt_family().root(), Path::new("r"));
    assert_eq!(p.tracker().plot_family().root(), Path::new("r/tracker"));
}

#[test]
fn making_a_family_touches_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let p = paths(&dir.path().join("absent"));
    let family = p.sample_family();
    assert!(!dir.path().join("absent").exists());
    assert!(family.list()?.is_empty());
    assert_eq!(family.last()?, None);
    assert!(family.keep_last(0)?.is_empty());
    assert!(!dir.path().join("absent").exists());
    Ok(())
}

#[test]
fn families_find_what_the_accessors_write() -> TestResult {
    let dir = tempfile::tempdir()?;
    let p = paths(dir.path());
    for epoch in [3, 1, 20, 7] {
        p.epoch_ckpt(epoch).write_atomic(format!("epoch {epoch}"))?;
    }
    for (epoch, split, step) in [(2, "val", 10), (1, "train", 5), (2, "train", 3)] {
        p.sample(epoch, split, step)?.write_atomic("png")?;
    }
    for split in ["val", "test"] {
        p.eval(split)?.write_atomic("{}")?;
    }
    p.step_dir(42).create()?;
    p.tracker().plot(9).write_atomic("png")?;

    let epochs = p.epoch_ckpt_family().list()?;
    assert_eq!(
        epochs,
        [1, 3, 7, 20].map(|e| (e, p.epoch_ckpt(e))).to_vec(),
        "ascending, each at the path its accessor gives"
    );
    let samples = p.sample_family().list()?;
    let expected = [(1, "train", 5), (2, "train", 3), (2, "val", 10)];
    assert_eq!(
        samples,
        expected
            .iter()
            .map(|&(e, s, t)| Ok(((e, s.to_owned(), t), p.sample(e, s, t)?)))
            .collect::<runlayout::Result<Vec<_>>>()?
    );
    let splits: Vec<String> = p
        .eval_family()
        .list()?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(splits, ["test", "val"]);
    assert_eq!(p.step_dir_family().list()?, [(42, p.step_dir(42))]);
    assert_eq!(
        p.tracker().plot_family().list()?,
        [(9, p.tracker().plot(9))]
    );
    assert_eq!(p.epoch_ckpt_family().last()?, Some((20, p.epoch_ckpt(20))));
    assert_eq!(
        p.sample_family().last()?,
        Some(((2, "val".to_owned(), 10), p.sample(2, "val", 10)?))
    );
    Ok(())
}

#[test]
fn a_pruned_first_epoch_does_not_restart_training() -> TestResult {
    // The probe `(1..).find(|e| !epoch_ckpt(e).exists())` restarts at epoch
    // 1 once epoch 1 is pruned; `last()` resumes after the last one there is.
    let dir = tempfile::tempdir()?;
    let p = paths(dir.path());
    for epoch in 1..=5 {
        p.epoch_ckpt(epoch).write_atomic("w")?;
        p.epoch_ckpt_family().keep_last(3)?;
    }
    let next = p.epoch_ckpt_family().last()?.map_or(1, |(e, _)| e + 1);
    assert_eq!(next, 6);
    let left: Vec<u64> = p
        .epoch_ckpt_family()
        .list()?
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(left, [3, 4, 5]);
    Ok(())
}

/// What a tree holds, to compare before and after: each path below `root`
/// with its kind and contents (or a link's target), never following links.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let rel = path
            .strip_prefix(root)
            .expect("below the root")
            .to_path_buf();
        let what = if meta.file_type().is_symlink() {
            format!("link -> {}", fs::read_link(&path).expect("link").display())
        } else if meta.is_dir() {
            walk(root, &path, out);
            "folder".to_owned()
        } else {
            format!("file {:?}", fs::read(&path).expect("file"))
        };
        out.insert(rel, what);
    }
}

/// A folder of checkpoints with everything that is not one beside them.
#[cfg(unix)]
fn crowded_checkpoints(run: &Path, outside: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::symlink;
    let ckpt = run.join("checkpoints");
    fs::create_dir_all(&ckpt)?;
    for epoch in 1..=6 {
        fs::write(
            ckpt.join(format!("epoch_{epoch:04}.ckpt")),
            format!("epoch {epoch}"),
        )?;
    }
    fs::write(outside.join("weights.bin"), b"outside weights \x00\xff")?;
    fs::create_dir_all(outside.join("dataset"))?;
    fs::write(outside.join("dataset/train.bin"), b"outside data")?;
    // Foreign names, hidden names, temporaries, near misses.
    for name in [
        "notes.txt",
        "epoch_1.ckpt",
        "epoch_00002.ckpt",
        "epoch_+003.ckpt",
        "epoch_0004.ckpt.tmp",
        "Epoch_0005.ckpt",
        ".epoch_0006.ckpt",
        ".hidden",
        ".runlayout-1-00000000-abcdefgh.tmp",
        ".runlayout-4294967295-00000000-abcdefgh.tmp",
    ] {
        fs::write(ckpt.join(name), format!("foreign {name}"))?;
    }
    // A folder named like a member, where the entry declares a file.
    fs::create_dir(ckpt.join("epoch_0007.ckpt"))?;
    fs::write(ckpt.join("epoch_0007.ckpt/inside.bin"), b"kept")?;
    // Links to data outside the run: under foreign names, to a folder named
    // like a member, and dangling.
    symlink(outside.join("weights.bin"), ckpt.join("imported.ckpt"))?;
    symlink(outside.join("dataset"), ckpt.join("epoch_0008.ckpt"))?;
    symlink(outside.join("missing"), ckpt.join("epoch_0009.ckpt"))?;
    // A link to a file under a member's name is a member: pruning removes
    // the link, never what it points to.
    symlink(outside.join("weights.bin"), ckpt.join("epoch_0000.ckpt"))?;
    Ok(())
}

#[cfg(unix)]
#[test]
fn keep_last_and_retain_remove_members_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside)?;
    crowded_checkpoints(&run, &outside)?;
    let p = paths(&run);
    let family = p.epoch_ckpt_family();

    let members: Vec<u64> = family.list()?.into_iter().map(|(e, _)| e).collect();
    assert_eq!(members, [0, 1, 2, 3, 4, 5, 6]);

    let before = snapshot(dir.path());
    let removed = family.keep_last(3)?;
    assert_eq!(removed, [0, 1, 2, 3].map(|e| p.epoch_ckpt(e)).to_vec());
    let mut expected = before.clone();
    for epoch in 0..=3 {
        expected.remove(Path::new(&format!("run/checkpoints/epoch_{epoch:04}.ckpt")));
    }
    assert_eq!(snapshot(dir.path()), expected, "only members are gone");
    assert_eq!(
        fs::read(outside.join("weights.bin"))?,
        b"outside weights \x00\xff",
        "the target of a member that was a link is intact"
    );

    // retain: keep the even epochs.
    let removed = family.retain(|epoch| epoch % 2 == 0)?;
    assert_eq!(removed, [p.epoch_ckpt(5)]);
    expected.remove(Path::new("run/checkpoints/epoch_0005.ckpt"));
    assert_eq!(snapshot(dir.path()), expected);

    // keep_last(0) empties the family and nothing else.
    assert_eq!(family.keep_last(0)?, [p.epoch_ckpt(4), p.epoch_ckpt(6)]);
    expected.remove(Path::new("run/checkpoints/epoch_0004.ckpt"));
    expected.remove(Path::new("run/checkpoints/epoch_0006.ckpt"));
    assert_eq!(snapshot(dir.path()), expected);
    assert!(family.list()?.is_empty());
    assert!(family.keep_last(0)?.is_empty());
    Ok(())
}

#[cfg(unix)]
#[test]
fn folder_members_go_without_following_links_out_of_them() -> TestResult {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let outside = dir.path().join("outside");
    fs::create_dir_all(outside.join("data/deeper"))?;
    fs::write(outside.join("data/a.bin"), b"outside a")?;
    fs::write(outside.join("data/deeper/b.bin"), b"outside b")?;
    fs::write(outside.join("file.bin"), b"outside file")?;
    let p = paths(&run);
    for step in [100, 200, 300] {
        let member = p.step_dir(step);
        fs::create_dir_all(member.join("shards"))?;
        fs::write(member.join("shards/0.bin"), format!("step {step}"))?;
        // Links out of the member, to a folder and to a file.
        symlink(outside.join("data"), member.join("dataset"))?;
        symlink(outside.join("file.bin"), member.join("shards/linked.bin"))?;
    }
    // A link to an outside folder under a member's name is a member (a
    // link), and a file where a folder is declared is none.
    symlink(outside.join("data"), run.join("steps/400"))?;
    fs::write(run.join("steps/500"), b"a file, not a step folder")?;
    fs::create_dir(run.join("steps/0100"))?;

    let family = p.step_dir_family();
    let keys: Vec<u32> = family.list()?.into_iter().map(|(s, _)| s).collect();
    assert_eq!(keys, [100, 200, 300, 400]);
    let outside_before = snapshot(&outside);
    let removed = family.keep_last(1)?;
    assert_eq!(removed, [100, 200, 300].map(|s| p.step_dir(s)).to_vec());
    for step in [100, 200, 300] {
        assert!(!p.step_dir(step).exists());
    }
    assert_eq!(
        snapshot(&outside),
        outside_before,
        "nothing outside was touched"
    );
    assert_eq!(
        fs::read(run.join("steps/500"))?,
        b"a file, not a step folder"
    );
    assert!(run.join("steps/0100").is_dir());

    // The member that is itself a link: the link goes, the folder stays.
    assert_eq!(family.keep_last(0)?, [p.step_dir(400)]);
    assert!(fs::symlink_metadata(run.join("steps/400")).is_err());
    assert_eq!(snapshot(&outside), outside_before);
    Ok(())
}

#[test]
fn text_families_apply_the_accessors_rules() -> TestResult {
    let dir = tempfile::tempdir()?;
    let p = paths(dir.path());
    for split in ["val", "ancestor", "con", "a.b", "x."] {
        let path = dir.path().join("splits").join(split);
        fs::create_dir_all(path)?;
    }
    fs::create_dir_all(dir.path().join("splits/.git"))?;
    fs::write(dir.path().join("splits/file"), b"a file, not a folder")?;
    let splits: Vec<String> = p
        .by_split_family()
        .list()?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    // `con` is a device name and `x.` ends with a dot: the accessor refuses
    // both, so they are no members; `ancestor` is fine below the root.
    assert_eq!(splits, ["a.b", "ancestor", "val"]);
    for split in &splits {
        assert!(p.by_split(split).is_ok());
    }
    for refused in ["con", "x.", ".git"] {
        assert!(p.by_split(refused).is_err());
    }
    Ok(())
}

#[test]
fn families_of_a_run_resume_where_the_last_run_stopped() -> TestResult {
    #[derive(Layout)]
    #[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
    struct RunPaths {
        run: Run,
    }
    let root = tempfile::tempdir()?;
    let first = RunPaths {
        run: Run::builder(root.path()).stage("s").run_id("r1").create()?,
    };
    for epoch in 1..=4 {
        first.epoch_ckpt(epoch).write_atomic(format!("{epoch}"))?;
    }
    let resumed = RunPaths {
        run: Run::builder(root.path()).stage("s").run_id("r1").open()?,
    };
    let (epoch, path) = resumed
        .epoch_ckpt_family()
        .last()?
        .expect("four checkpoints");
    assert_eq!((epoch, fs::read_to_string(path)?), (4, "4".to_owned()));
    Ok(())
}

/// The data a test links into a run: none of it may ever be removed.
#[cfg(unix)]
fn outside_data(outside: &Path) -> std::io::Result<()> {
    for rel in [
        "split/metrics.json",
        "epoch/val_1.png",
        "logs/3.txt",
        "swapped/metrics.json",
    ] {
        let path = outside.join(rel);
        fs::create_dir_all(path.parent().expect("a parent"))?;
        fs::write(path, format!("outside {rel}"))?;
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn removal_never_goes_through_a_linked_folder() -> TestResult {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let outside = dir.path().join("outside");
    outside_data(&outside)?;
    let p = paths(&run);
    p.eval("val")?.write_atomic("val")?;
    p.sample(1, "val", 1)?.write_atomic("png")?;
    p.trial_log(1, 3).write_atomic("log")?;
    p.trial_log(2, 3).write_atomic("log")?;
    // A linked folder at a placeholder's level (`eval/{split}`,
    // `samples/{epoch}`), and at a fixed level below one (`trials/{trial}/logs`).
    symlink(outside.join("split"), run.join("eval/ext"))?;
    symlink(outside.join("epoch"), run.join("samples/9"))?;
    fs::remove_dir_all(run.join("trials/2/logs"))?;
    symlink(outside.join("logs"), run.join("trials/2/logs"))?;
    let outside_before = snapshot(&outside);

    // Read through the links: a split linked elsewhere is still listed.
    let splits: Vec<String> = p
        .eval_family()
        .list()?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(splits, ["ext", "val"]);
    assert_eq!(
        p.sample_family().last()?.map(|(k, _)| k),
        Some((9, "val".to_owned(), 1))
    );

    // Removed through them, never.
    assert_eq!(p.eval_family().keep_last(0)?, [p.eval("val")?]);
    assert_eq!(p.sample_family().keep_last(0)?, [p.sample(1, "val", 1)?]);
    assert_eq!(p.trial_log_family().retain(|_| false)?, [p.trial_log(1, 3)]);
    assert_eq!(
        snapshot(&outside),
        outside_before,
        "nothing outside was touched"
    );
    let left: Vec<String> = p
        .eval_family()
        .list()?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(left, ["ext"], "the member behind the link stays a member");

    // What was left, and why.
    let report = p.eval_family().keep_last_report(0)?;
    assert!(report.removed.is_empty());
    assert_eq!(report.left.len(), 1);
    assert_eq!(report.left[0].key, "ext");
    assert_eq!(report.left[0].member, run.join("eval/ext/metrics.json"));
    let link = run.join("eval/ext");
    assert_eq!(
        report.left[0].reason,
        LeftReason::LinkedFolder { link: link.clone() }
    );
    assert_eq!(
        report.left[0].reason.to_string(),
        format!("reached through the linked folder `{}`", link.display())
    );
    let report = p.trial_log_family().retain_report(|_| false)?;
    let left: Vec<_> = report.left.iter().map(|l| (l.key, &l.reason)).collect();
    assert_eq!(
        left,
        [(
            (2, 3),
            &LeftReason::LinkedFolder {
                link: run.join("trials/2/logs")
            }
        )]
    );
    assert_eq!(snapshot(&outside), outside_before);
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_folder_swapped_for_a_link_during_removal_is_not_followed() -> TestResult {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let outside = dir.path().join("outside");
    outside_data(&outside)?;
    let p = paths(&run);
    for split in ["test", "val"] {
        p.eval(split)?.write_atomic(split)?;
    }
    let outside_before = snapshot(&outside);
    // The members are listed, then `eval/val` becomes a link to data
    // elsewhere before it is removed (`retain` asks about each member
    // between the listing and its removal).
    let report = p.eval_family().retain_report(|split| {
        if split == "val" {
            fs::rename(run.join("eval/val"), run.join("eval/val-moved")).expect("move");
            symlink(outside.join("swapped"), run.join("eval/val")).expect("link");
        }
        false
    })?;
    assert_eq!(report.removed, [("test".to_owned(), p.eval("test")?)]);
    assert_eq!(
        report.left.iter().map(|l| &l.reason).collect::<Vec<_>>(),
        [&LeftReason::LinkedFolder {
            link: run.join("eval/val")
        }]
    );
    assert_eq!(
        snapshot(&outside),
        outside_before,
        "nothing outside was touched"
    );
    assert_eq!(
        fs::read_to_string(run.join("eval/val-moved/metrics.json"))?,
        "val"
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn a_linked_base_folder_is_the_familys_own() -> TestResult {
    use std::os::unix::fs::symlink;
    // `checkpoints/` on another disk, linked from the run: a usual setup on
    // clusters. Its members are the family's, and are removed.
    let dir = tempfile::tempdir()?;
    let run = dir.path().join("run");
    let disk = dir.path().join("scratch/checkpoints");
    fs::create_dir_all(&disk)?;
    fs::create_dir_all(&run)?;
    symlink(&disk, run.join("checkpoints"))?;
    let p = paths(&run);
    for epoch in 1..=3 {
        p.epoch_ckpt(epoch).write_atomic("w")?;
    }
    assert_eq!(
        p.epoch_ckpt_family().keep_last(1)?,
        [1, 2].map(|e| p.epoch_ckpt(e))
    );
    let mut left: Vec<String> = fs::read_dir(&disk)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    left.sort();
    assert_eq!(left, ["epoch_0003.ckpt"]);
    Ok(())
}
