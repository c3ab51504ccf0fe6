//! `write_atomic` against killed writers and concurrent readers: a family
//! never lists a partial checkpoint, a killed writer's temporary is removed
//! by the next process's first write into its folder, and a reader resuming
//! from `last()` always reads a whole checkpoint.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{self, TestResult, is_child, spawn_child, temporaries};
use runlayout::Layout;

#[derive(Layout)]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
struct Paths {
    root: PathBuf,
}

const ROOT: &str = "RUNLAYOUT_TEST_ROOT";

/// A checkpoint of `epoch`: its length and epoch, then 256 KiB to 2 MiB of
/// one byte that depends on the epoch.
pub(super) fn checkpoint(epoch: u64) -> Vec<u8> {
    let len = 256 * 1024 + (epoch as usize * 77_777) % (1792 * 1024);
    // `vec![byte; n]` is one memset, so the writer spends its time writing.
    let mut out = vec![fill(epoch); 16 + len];
    out[..8].copy_from_slice(&(len as u64).to_le_bytes());
    out[8..16].copy_from_slice(&epoch.to_le_bytes());
    out
}

fn fill(epoch: u64) -> u8 {
    (epoch % 251) as u8 + 1
}

/// Whether `bytes` is the whole checkpoint of `epoch`: header and body agree.
pub(super) fn is_whole(bytes: &[u8], epoch: u64) -> bool {
    if bytes.len() < 16 {
        return false;
    }
    let (head, body) = bytes.split_at(16);
    let len = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
    let written = u64::from_le_bytes(head[8..].try_into().expect("8 bytes"));
    len == body.len() as u64 && written == epoch && body == vec![fill(epoch); body.len()]
}

/// Writes checkpoints after the last one, keeping the last 3, until killed.
fn writer_loop() -> TestResult {
    let paths = Paths {
        root: PathBuf::from(std::env::var(ROOT)?),
    };
    let family = paths.epoch_ckpt_family();
    let mut epoch = family.last()?.map_or(1, |(e, _)| e + 1);
    let stop = std::env::var("RUNLAYOUT_TEST_EPOCHS")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .map_or(u64::MAX, |n| epoch + n);
    while epoch < stop {
        paths.epoch_ckpt(epoch).write_atomic(checkpoint(epoch))?;
        family.keep_last(3)?;
        epoch += 1;
    }
    Ok(())
}

/// A writer child, killed (SIGKILL) and reaped when dropped, so that a
/// failing test never leaves one writing.
pub(super) struct Writer(Option<std::process::Child>);

impl Writer {
    pub(super) fn spawn(test: &str, role: &str, envs: &[(&str, &str)]) -> Writer {
        Writer(Some(spawn_child(test, role, envs)))
    }

    pub(super) fn kill(mut self) -> std::io::Result<()> {
        let mut child = self.0.take().expect("running");
        let killed = child.kill();
        let waited = child.wait();
        killed.and(waited).map(drop)
    }

    /// Waits for the writer to finish; panics with its output if it failed.
    pub(super) fn finish(mut self) {
        support::child_lines(self.0.take().expect("running"), "never printed");
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The hidden names in the checkpoint folder: temporaries left behind.
fn leftovers(root: &Path) -> Vec<String> {
    temporaries(&root.join("checkpoints"))
}

const KILL_ROLE: &str = "killed-writer";
const KILL_TEST: &str = "atomic_write::a_killed_writer_never_leaves_a_partial_member";

#[test]
fn a_killed_writer_never_leaves_a_partial_member() -> TestResult {
    if is_child(KILL_ROLE) {
        return writer_loop();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Paths {
        root: root.to_path_buf(),
    };
    let family = paths.epoch_ckpt_family();
    let root_text = root.to_str().expect("utf-8 temp dir");
    let (mut kills, mut mid_write) = (0, 0);
    for round in 0..60u64 {
        let before = family.last()?.map_or(0, |(e, _)| e);
        let child = Writer::spawn(KILL_TEST, KILL_ROLE, &[(ROOT, root_text)]);
        // Let it write a checkpoint, then catch it writing the next one (its
        // temporary is there) and kill it a little later each round, so the
        // kills fall at many points of a write, and some after it.
        let start = Instant::now();
        while family.last()?.map_or(0, |(e, _)| e) == before || leftovers(root).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the writer stalled"
            );
            std::thread::sleep(Duration::from_micros(100));
        }
        std::thread::sleep(Duration::from_micros(250 * (round % 12)));
        child.kill()?; // SIGKILL
        kills += 1;

        // Every member the family lists is whole.
        let members = family.list()?;
        assert!(!members.is_empty());
        for (epoch, path) in &members {
            let bytes = fs::read(path)?;
            assert!(
                is_whole(&bytes, *epoch),
                "round {round}: epoch {epoch} is partial"
            );
        }
        // A kill before the rename leaves the dead writer's temporary...
        let left = leftovers(root);
        assert!(left.len() <= 1, "round {round}: {left:?}");
        if !left.is_empty() {
            mid_write += 1;
        }
        // ...which the next write removes: that of the next process to
        // write there (a process reads a folder for stale temporaries once,
        // at its first write into it), here a writer of one checkpoint.
        let next = members.last().map_or(1, |(e, _)| e + 1);
        Writer::spawn(
            KILL_TEST,
            KILL_ROLE,
            &[(ROOT, root_text), ("RUNLAYOUT_TEST_EPOCHS", "1")],
        )
        .finish();
        assert_eq!(leftovers(root), Vec::<String>::new(), "round {round}");
        assert!(is_whole(&fs::read(paths.epoch_ckpt(next))?, next));
    }
    assert!(kills >= 50);
    // Most kills land in the middle of a write, the case under test.
    assert!(
        mid_write >= 30,
        "only {mid_write} of {kills} kills hit a write"
    );
    Ok(())
}

const RACE_ROLE: &str = "racing-writer";
const RACE_TEST: &str = "atomic_write::a_reader_of_last_always_reads_a_whole_checkpoint";

#[test]
fn a_reader_of_last_always_reads_a_whole_checkpoint() -> TestResult {
    if is_child(RACE_ROLE) {
        return writer_loop();
    }
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let paths = Paths {
        root: root.to_path_buf(),
    };
    let family = paths.epoch_ckpt_family();
    let child = Writer::spawn(
        RACE_TEST,
        RACE_ROLE,
        &[
            (ROOT, root.to_str().expect("utf-8 temp dir")),
            ("RUNLAYOUT_TEST_EPOCHS", "400"),
        ],
    );
    let (mut reads, mut pruned, mut epochs_seen) = (0, 0, std::collections::BTreeSet::new());
    let start = Instant::now();
    loop {
        // A writer that died before its first checkpoint leaves none:
        // that too must end the loop, not spin it forever.
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the writer stalled"
        );
        let Some((epoch, path)) = family.last()? else {
            continue;
        };
        match fs::read(&path) {
            Ok(bytes) => {
                assert!(is_whole(&bytes, epoch), "epoch {epoch} read partial");
                reads += 1;
                epochs_seen.insert(epoch);
            }
            // Pruned by the writer between `last()` and the read: the
            // writer keeps 3, so it wrote 3 more meanwhile. Not partial.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => pruned += 1,
            Err(e) => return Err(e.into()),
        }
        if epoch >= 400 {
            break;
        }
    }
    child.finish();
    assert!(reads >= 100, "{reads} reads, {pruned} pruned");
    assert!(epochs_seen.len() >= 20, "saw {} epochs", epochs_seen.len());
    assert_eq!(
        family
            .list()?
            .into_iter()
            .map(|(e, _)| e)
            .collect::<Vec<_>>(),
        [398, 399, 400]
    );
    Ok(())
}

const FULL_ROLE: &str = "writer-past-the-file-size-limit";
const FULL_TEST: &str = "atomic_write::a_write_that_fails_names_its_operation_and_path_once";

/// A write the file system refuses (here past a file size limit, EFBIG, as
/// a full disk refuses with ENOSPC) says what failed once: `cannot write
/// `X`: File too large`, never `cannot write `X`: cannot write `X`: ...`.
/// Nothing is left: no target, no temporary.
#[test]
fn a_write_that_fails_names_its_operation_and_path_once() -> TestResult {
    use std::io::Write as _;
    if is_child(FULL_ROLE) {
        let target = PathBuf::from(std::env::var(ROOT)?).join("checkpoints/epoch_0001.ckpt");
        let file = runlayout::FilePath::new(&target);
        let big = vec![7u8; 64 * 1024];
        let err = file.write_atomic(&big).expect_err("past the limit");
        println!("ERR={err}");
        let io = err.io_error().map(std::io::Error::kind);
        println!(
            "PARTS={:?}|{io:?}|{}",
            err.path(),
            err.to_string().matches("cannot").count()
        );
        // Written in pieces, through `Write`: the io::Error says it once too.
        let mut atomic = file.create_atomic()?;
        let err = atomic.write_all(&big).expect_err("past the limit");
        println!("WRITE={err}");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let target = tmp.path().join("checkpoints/epoch_0001.ckpt");
    // `ulimit -f 2`: files of 1 KiB at most (2 blocks of 512 bytes, or of
    // 1 KiB in bash); SIGXFSZ ignored, so the write returns EFBIG rather
    // than killing the process. Both are inherited across `exec`.
    let child = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2 && exec \"$0\" \"$@\"")
        .arg(std::env::current_exe()?)
        .args(support::child_args(FULL_TEST))
        .env(support::CHILD, FULL_ROLE)
        .env(ROOT, tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let lines = support::child_lines(child, "");
    // The harness may print "test name ... " on the line first.
    let said = |prefix: &str| -> Vec<&str> {
        lines
            .iter()
            .filter_map(|l| l.find(prefix).map(|at| &l[at + prefix.len()..]))
            .collect()
    };
    let once = format!(
        "cannot write `{}`: File too large (os error 27)",
        target.display()
    );
    assert_eq!(said("ERR="), [once.as_str()], "{lines:?}");
    assert_eq!(
        said("PARTS="),
        [format!("Some({target:?})|Some(FileTooLarge)|1").as_str()]
    );
    assert_eq!(said("WRITE="), [once.as_str()]);
    assert!(!target.exists());
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
    Ok(())
}
