//! `FilePath::write_atomic_with` against killed savers: a framework's
//! saver that only takes a path, writing in place (slowly, in pieces, so
//! that kills land in the middle of a save) or through its own temporary
//! and rename (as safetensors does). Killed mid-save again and again, the
//! family's `last()` is always a whole checkpoint, and the next process's
//! write leaves no temporary, its own or the saver's. The same saver
//! without `write_atomic_with` leaves a torn checkpoint for `last()`:
//! the check below can tell.
#![cfg(unix)]

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::atomic_write::{Writer, checkpoint, is_whole};
use crate::support::{TestResult, is_child, spawn_child, temporaries};
use runlayout::{Error, Layout};

#[derive(Layout)]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
#[layout(record = "records/epoch_{epoch:04}.mpk")]
struct Paths {
    root: PathBuf,
}

const ROOT: &str = "RUNLAYOUT_TEST_ROOT";
const EPOCHS: &str = "RUNLAYOUT_TEST_EPOCHS";
/// How the child saves: `in-place`, `own-rename` (both through
/// `write_atomic_with`) or `bare` (in place at the checkpoint's own path).
const SAVER: &str = "RUNLAYOUT_TEST_SAVER";

/// How much a saver writes at a time, and how long it waits in between: a
/// checkpoint takes 4 to 32 pieces, some milliseconds in all.
const PIECE: usize = 64 * 1024;
const PAUSE: Duration = Duration::from_micros(400);

/// Writes `bytes` to `file` in pieces, slowly.
fn write_slowly(mut file: &fs::File, bytes: &[u8]) -> std::io::Result<()> {
    for piece in bytes.chunks(PIECE) {
        file.write_all(piece)?;
        std::thread::sleep(PAUSE);
    }
    Ok(())
}

/// A saver that writes in place at the path it is given (safetensors 0.4,
/// candle 0.8 and older, `torch.save`).
fn save_in_place(path: &Path, epoch: u64) -> std::io::Result<()> {
    write_slowly(&fs::File::create(path)?, &checkpoint(epoch))
}

/// A saver that writes its own temporary beside the path and renames it
/// over the path (safetensors 0.8's `serialize_to_file`), not synced.
fn save_own_rename(path: &Path, epoch: u64) -> std::io::Result<()> {
    let dir = path.parent().expect("a folder");
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    write_slowly(tmp.as_file(), &checkpoint(epoch))?;
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

/// Saves checkpoints after the last one as `SAVER` says, keeping the last
/// 3, until killed (or `EPOCHS` are saved).
fn saver_loop() -> TestResult {
    let paths = Paths {
        root: PathBuf::from(std::env::var(ROOT)?),
    };
    let how = std::env::var(SAVER)?;
    let family = paths.epoch_ckpt_family();
    let mut epoch = family.last()?.map_or(1, |(e, _)| e + 1);
    let stop = std::env::var(EPOCHS)
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(u64::MAX, |n| epoch + n);
    while epoch < stop {
        let ckpt = paths.epoch_ckpt(epoch);
        match how.as_str() {
            "in-place" => ckpt.write_atomic_with(|tmp| save_in_place(tmp, epoch))?,
            "own-rename" => ckpt.write_atomic_with(|tmp| save_own_rename(tmp, epoch))?,
            "bare" => {
                ckpt.create_parent()?;
                save_in_place(&ckpt, epoch)?;
            }
            other => return Err(format!("no saver {other:?}").into()),
        }
        family.keep_last(3)?;
        epoch += 1;
    }
    Ok(())
}

/// The hidden names in the checkpoint folder: temporaries left behind.
fn leftovers(root: &Path) -> Vec<String> {
    temporaries(&root.join("checkpoints"))
}

/// Whether a partial checkpoint lies anywhere in the checkpoint folder's
/// hidden names (in a temporary folder of runlayout's, or the saver's own
/// temporary in it): the kill landed in the middle of a save.
fn killed_mid_save(root: &Path) -> bool {
    let dir = root.join("checkpoints");
    leftovers(root).iter().any(|name| {
        let path = dir.join(name);
        let files: Vec<PathBuf> = match fs::read_dir(&path) {
            Ok(inside) => inside.flatten().map(|e| e.path()).collect(),
            Err(_) => vec![path],
        };
        files
            .iter()
            .any(|f| fs::read(f).is_ok_and(|bytes| is_partial(&bytes)))
    })
}

/// Whether `bytes` is less than the whole checkpoint its header announces.
fn is_partial(bytes: &[u8]) -> bool {
    let Some(epoch) = bytes.get(8..16) else {
        return true;
    };
    !is_whole(
        bytes,
        u64::from_le_bytes(epoch.try_into().expect("8 bytes")),
    )
}

/// Whether `last()` finds a whole checkpoint (or none), and every member
/// is whole: what a resumed job would load.
fn all_whole(paths: &Paths) -> Result<bool, Box<dyn std::error::Error>> {
    let family = paths.epoch_ckpt_family();
    if let Some((epoch, path)) = family.last()?
        && !is_whole(&fs::read(&path)?, epoch)
    {
        return Ok(false);
    }
    for (epoch, path) in family.list()? {
        if !is_whole(&fs::read(&path)?, epoch) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Starts a saver child of kind `how`, waits until it saved one checkpoint
/// and is in the middle of the next one, and kills it a little later each
/// round.
fn kill_mid_save(test: &str, role: &str, root: &Path, how: &str, round: u64) -> TestResult {
    let paths = Paths {
        root: root.to_path_buf(),
    };
    let family = paths.epoch_ckpt_family();
    let before = family.last()?.map_or(0, |(e, _)| e);
    let root_text = root.to_str().expect("utf-8 temp dir");
    let child = Writer::spawn(test, role, &[(ROOT, root_text), (SAVER, how)]);
    let start = Instant::now();
    // The bare saver leaves no temporary: its save is under way once the
    // next epoch's file is there.
    let saving = |last: u64| {
        if how == "bare" {
            paths.epoch_ckpt(last + 1).exists()
        } else {
            !leftovers(root).is_empty()
        }
    };
    loop {
        let last = family.last()?.map_or(0, |(e, _)| e);
        if last > before && saving(last) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the saver stalled"
        );
        std::thread::sleep(Duration::from_micros(100));
    }
    std::thread::sleep(Duration::from_micros(300 * (round % 10)));
    child.kill()?; // SIGKILL
    Ok(())
}

/// Kills savers of kind `how` mid-save until 20 kills landed in the middle
/// of a save; after each, `last()` and every member are whole, and the
/// next process's one write leaves no temporary.
fn kills_never_tear_a_checkpoint(test: &str, role: &str, how: &str) -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Paths {
        root: root.to_path_buf(),
    };
    let root_text = root.to_str().expect("utf-8 temp dir");
    let (mut kills, mut mid_save) = (0, 0);
    while mid_save < 20 {
        assert!(
            kills < 80,
            "only {mid_save} of {kills} kills landed mid-save"
        );
        kill_mid_save(test, role, root, how, kills)?;
        kills += 1;
        assert!(all_whole(&paths)?, "kill {kills}: a torn checkpoint");
        if killed_mid_save(root) {
            mid_save += 1;
        }
        // The next process's first write into the folder removes the
        // killed saver's temporary folder, with the saver's own temporary.
        let next = paths.epoch_ckpt_family().last()?.map_or(1, |(e, _)| e + 1);
        Writer::spawn(
            test,
            role,
            &[(ROOT, root_text), (SAVER, how), (EPOCHS, "1")],
        )
        .finish();
        assert_eq!(leftovers(root), Vec::<String>::new(), "kill {kills}");
        assert!(is_whole(&fs::read(paths.epoch_ckpt(next))?, next));
    }
    Ok(())
}

const IN_PLACE_ROLE: &str = "in-place-saver";
const IN_PLACE_TEST: &str = "saver::a_saver_writing_in_place_killed_mid_save_never_tears_last";

#[test]
fn a_saver_writing_in_place_killed_mid_save_never_tears_last() -> TestResult {
    if is_child(IN_PLACE_ROLE) {
        return saver_loop();
    }
    kills_never_tear_a_checkpoint(IN_PLACE_TEST, IN_PLACE_ROLE, "in-place")
}

const OWN_RENAME_ROLE: &str = "own-rename-saver";
const OWN_RENAME_TEST: &str =
    "saver::a_saver_renaming_its_own_temporary_killed_mid_save_leaves_nothing_foreign";

#[test]
fn a_saver_renaming_its_own_temporary_killed_mid_save_leaves_nothing_foreign() -> TestResult {
    if is_child(OWN_RENAME_ROLE) {
        return saver_loop();
    }
    kills_never_tear_a_checkpoint(OWN_RENAME_TEST, OWN_RENAME_ROLE, "own-rename")
}

const BARE_ROLE: &str = "bare-saver";
const BARE_TEST: &str = "saver::the_same_saver_at_the_checkpoints_own_path_tears_last";

/// The control: the in-place saver given the checkpoint's own path leaves
/// a torn checkpoint that `last()` returns, and the check above sees it.
#[test]
fn the_same_saver_at_the_checkpoints_own_path_tears_last() -> TestResult {
    if is_child(BARE_ROLE) {
        return saver_loop();
    }
    let tmp = tempfile::tempdir()?;
    let paths = Paths {
        root: tmp.path().to_path_buf(),
    };
    let mut torn = 0;
    for round in 0..20 {
        kill_mid_save(BARE_TEST, BARE_ROLE, tmp.path(), "bare", round)?;
        if !all_whole(&paths)? {
            torn += 1;
            // As a user would: remove the torn checkpoint by hand.
            let (_, last) = paths.epoch_ckpt_family().last()?.expect("a member");
            fs::remove_file(last)?;
        }
        if torn >= 3 {
            return Ok(());
        }
    }
    panic!("only {torn} of 20 kills tore the last checkpoint");
}

const FAILING_ROLE: &str = "failing-saver";
const FAILING_TEST: &str =
    "saver::a_saver_that_fails_or_panics_leaves_the_old_file_and_no_temporary";

/// Saves epoch 1, then saves it again with a saver that writes half of it
/// and fails (`fail`) or panics (`panic`), in a child process.
fn failing_saver() -> TestResult {
    let paths = Paths {
        root: PathBuf::from(std::env::var(ROOT)?),
    };
    let ckpt = paths.epoch_ckpt(1);
    ckpt.write_atomic_with(|tmp| save_in_place(tmp, 1))?;
    let half = |tmp: &Path| fs::write(tmp, &checkpoint(2)[..PIECE]);
    if std::env::var(SAVER)? == "panic" {
        ckpt.write_atomic_with(|tmp| -> std::io::Result<()> {
            half(tmp)?;
            panic!("a bug in the saver");
        })?;
    }
    let err = ckpt
        .write_atomic_with(|tmp| {
            half(tmp)?;
            Err::<(), _>(std::io::Error::other("out of memory"))
        })
        .expect_err("the saver fails");
    println!("ERR={err}");
    Ok(())
}

#[test]
fn a_saver_that_fails_or_panics_leaves_the_old_file_and_no_temporary() -> TestResult {
    if is_child(FAILING_ROLE) {
        return failing_saver();
    }
    for how in ["fail", "panic"] {
        let tmp = tempfile::tempdir()?;
        let root_text = tmp.path().to_str().expect("utf-8 temp dir");
        let child = spawn_child(
            FAILING_TEST,
            FAILING_ROLE,
            &[(ROOT, root_text), (SAVER, how)],
        );
        let out = child.wait_with_output()?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        if how == "fail" {
            assert!(out.status.success(), "{stdout}\n{stderr}");
            assert!(stdout.contains("ERR=out of memory"), "{stdout}");
        } else {
            // The panic unwound through the save and ended the process.
            assert!(!out.status.success(), "{stdout}\n{stderr}");
            assert!(
                stdout.contains("a bug in the saver") || stderr.contains("a bug in the saver"),
                "{stdout}\n{stderr}"
            );
        }
        let paths = Paths {
            root: tmp.path().to_path_buf(),
        };
        assert!(is_whole(&fs::read(paths.epoch_ckpt(1))?, 1), "{how}");
        assert_eq!(leftovers(tmp.path()), Vec::<String>::new(), "{how}");
    }
    Ok(())
}

/// A saver that sets its own extension (burn's file recorders) writes the
/// very path it is given when the entry is named with that extension; one
/// that appends an extension anyway is refused, naming what it wrote, and
/// the old file stays.
#[test]
fn savers_that_name_their_file_themselves() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let paths = Paths {
        root: tmp.path().to_path_buf(),
    };
    let sets_extension = |path: &Path, bytes: &[u8]| {
        let mut path = path.to_path_buf();
        path.set_extension("mpk");
        fs::write(path, bytes)
    };
    let record = paths.record(1);
    record.write_atomic_with(|tmp| sets_extension(tmp, b"first"))?;
    record.write_atomic_with(|tmp| sets_extension(tmp, b"second"))?;
    assert_eq!(fs::read(&record)?, b"second");

    let ckpt = paths.epoch_ckpt(1);
    ckpt.write_atomic_with(|tmp| save_own_rename(tmp, 1))?;
    let appends = |path: &Path| {
        let mut name = path.as_os_str().to_owned();
        name.push(".mpk");
        fs::write(PathBuf::from(name), b"weights")
    };
    // The saver's error type is io::Error; runlayout's comes inside it.
    let err = ckpt.write_atomic_with(appends).unwrap_err();
    let err = err
        .into_inner()
        .and_then(|inner| inner.downcast::<Error>().ok())
        .expect("runlayout's error");
    assert!(
        matches!(&*err, Error::SaverOutput { found, .. } if found == &["epoch_0001.ckpt.mpk"]),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&format!(
            "cannot save `{}`: the saver was to leave one file, `epoch_0001.ckpt`",
            ckpt.display()
        )),
        "{err}"
    );
    assert!(is_whole(&fs::read(&ckpt)?, 1));
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
    let members: Vec<u64> = paths
        .epoch_ckpt_family()
        .list()?
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(members, [1]);
    Ok(())
}
