//! Temporary names, and the one way runlayout replaces a name atomically.
//!
//! `symlink` never overwrites and `rename` replaces its target atomically, so
//! everything runlayout replaces (links, the `latest` pointer, the manifest)
//! is first made at a fresh temporary name in the same folder, then renamed
//! over the old one: a reader finds the old version or the new one, never
//! nothing and never half a file.
//!
//! Temporary names are hidden and say who made them:
//! `.runlayout-<pid>-<start>-<tag>-<random>.tmp`, the tag naming the pid
//! space (host, machine, boot, pid namespace) and the start the process's
//! start time. No run id, stage or family member starts with `.`, so one
//! left behind by a killed process is never mistaken for anything else.
//!
//! A temporary is left behind when its writer is certainly gone: of this
//! pid space, and no process of that pid and start time exists. [`sweep`]
//! removes those, in every folder an operation touches; atomic writes, which
//! may go into folders of many thousand files, sweep a folder once per
//! process ([`sweep_once`]). A temporary of
//! another pid space (another host, another container) cannot be judged by
//! its writer, and its age says nothing sure either (a writer may hold a
//! checkpoint open for minutes): only `prune`, when asked, removes those,
//! and only when they are older than [`FOREIGN_STALE_AFTER`].
//!
//! A temporary may be a folder: `staged` hands a saver a path inside one,
//! and a sweep removes it whole. Other programs' temporaries (a
//! framework's `.tmpXXXXXX`) are runlayout's to remove only when a caller
//! names them: [`sweep_foreign`].

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use crate::error::{Operation, Result};
use crate::io::fs::{self, At as _};
use crate::io::process::{self, Fate, Writer};

const PREFIX: &str = ".runlayout-";
const SUFFIX: &str = ".tmp";

/// How long another pid space's temporary must sit unchanged before `prune`
/// counts it as left behind.
pub(crate) const FOREIGN_STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// How often a temporary that vanished before its rename (another process
/// swept it as stale) is made again.
const ATTEMPTS: u32 = 3;

/// How many taken temporary names in a row `replace` draws past.
const TAKEN_ATTEMPTS: u32 = 16;

/// Whether `name` is a temporary name of runlayout's.
pub(crate) fn is_temporary(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.starts_with(PREFIX.as_bytes()) && name.ends_with(SUFFIX.as_bytes())
}

/// `.runlayout-<pid>-<host tag>-`, the start of this process's temporaries.
fn own_prefix() -> &'static str {
    static OWN: OnceLock<String> = OnceLock::new();
    OWN.get_or_init(|| {
        let me = process::current();
        format!(
            "{PREFIX}{}-{}-{}-",
            me.pid,
            me.started.unwrap_or(0),
            me.host_tag
        )
    })
}

/// A `tempfile` builder for this process's temporary names.
pub(crate) fn builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(own_prefix()).suffix(SUFFIX).rand_bytes(8);
    builder
}

/// A fresh temporary name of this process's, for something renamed aside
/// to be removed: hidden at once from every listing, and swept as left
/// behind once this process is gone. Only this process makes names with
/// its prefix, and 8 random characters tell its own names apart.
pub(crate) fn fresh_name() -> String {
    let prefix = own_prefix();
    let mut name = String::with_capacity(prefix.len() + 8 + SUFFIX.len());
    name.push_str(prefix);
    let random = crate::io::random::fresh_chars::<8>();
    name.extend(random.iter().map(|&b| char::from(b)));
    name.push_str(SUFFIX);
    name
}

/// Makes `dst` anew: `make` creates the new version at a fresh temporary
/// name in `dst`'s folder (it must fail with `AlreadyExists` if something
/// is there, and then a new name is drawn), which is then renamed over
/// `dst`. A failure leaves `dst` as it was and removes the temporary.
/// Returns what `make` returned for the version now in place (an open
/// file, for a caller that keeps it).
pub(crate) fn replace<T>(
    dst: &Path,
    op: Operation,
    mut make: impl FnMut(&Path) -> io::Result<T>,
) -> Result<T> {
    let dir = match dst.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Names are this process's own (see `fresh_name`): one taken is
    // another thread's, or a leftover of an earlier process of this pid.
    let mut taken = 0;
    let mut swept = 0;
    loop {
        let tmp = dir.join(fresh_name());
        let made = match make(&tmp) {
            Ok(made) => made,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && taken < TAKEN_ATTEMPTS => {
                taken += 1;
                continue;
            }
            Err(e) => {
                // Half made by us; a name that was taken is someone else's.
                if e.kind() != io::ErrorKind::AlreadyExists {
                    let _ = std::fs::remove_file(&tmp);
                }
                return Err(e).at(op, dst);
            }
        };
        match std::fs::rename(&tmp, dst) {
            Ok(()) => return Ok(made),
            // Swept by another process that took it for left behind: make it again.
            Err(e) if fs::is_not_found(&e) && swept + 1 < ATTEMPTS => swept += 1,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).at(Operation::Rename, dst);
            }
        }
    }
}

/// Makes a new file appear at `dst` whole, or not at all: `write` fills
/// it (and may lock it) before it has a name; the file comes back open for
/// reading and writing.
///
/// On Linux the file is made without a name (`O_TMPFILE`) in `dst`'s folder
/// and then linked at `dst`: a process killed while writing leaves nothing
/// behind, no temporary name is drawn, and a name already at `dst` is an
/// error (`AlreadyExists`), never replaced. Where the folder's file system
/// has no unnamed files (NFS, older kernels), and on other systems, the
/// file is made at a temporary name and renamed over `dst` as [`replace`]
/// does: callers make it where nothing else writes (a run's new folder).
#[cfg_attr(
    all(not(feature = "manifest"), not(test)),
    expect(
        dead_code,
        reason = "only records are made whole, and this build keeps none"
    )
)]
pub(crate) fn create_whole(
    dst: &Path,
    op: Operation,
    mut write: impl FnMut(&File) -> io::Result<()>,
) -> Result<File> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(file) = unnamed::create(dst, op, &mut write)? {
        return Ok(file);
    }
    replace(dst, op, |tmp| {
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(tmp)?;
        write(&file)?;
        Ok(file)
    })
}

/// Files made without a name and linked into place.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod unnamed {
    use std::fs::File;
    use std::io;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
    use rustix::io::Errno;

    use crate::error::{Operation, Result};
    use crate::io::fs::At as _;

    /// Whether linking a file by its descriptor alone (`AT_EMPTY_PATH`)
    /// was refused once: kernels before 6.10 allow it only to privileged
    /// processes, and the file is then linked through `/proc/self/fd`.
    static BY_DESCRIPTOR_REFUSED: AtomicBool = AtomicBool::new(false);

    /// Whether no way to link an unnamed file was found (no `/proc`
    /// either): every file is then made at a temporary name.
    static UNLINKABLE: AtomicBool = AtomicBool::new(false);

    /// The file, written and linked at `dst`; `None` if the folder's file
    /// system (or this kernel) makes no unnamed files, or there is no way
    /// to link one, so the caller takes another way.
    pub(super) fn create(
        dst: &Path,
        op: Operation,
        write: &mut dyn FnMut(&File) -> io::Result<()>,
    ) -> Result<Option<File>> {
        if UNLINKABLE.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let dir = match dst.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        let fd = match rfs::openat(rfs::CWD, dir, flags, Mode::from_bits_truncate(0o666)) {
            Ok(fd) => fd,
            // No unnamed files here: EOPNOTSUPP from the file system,
            // EISDIR or EINVAL from a kernel that does not know the flag.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(None),
            Err(e) => return Err(e).at(op, dst),
        };
        let file = File::from(fd);
        write(&file).at(op, dst)?;
        if link(&file, dst).at(op, dst)? {
            Ok(Some(file))
        } else {
            UNLINKABLE.store(true, Ordering::Relaxed);
            Ok(None)
        }
    }

    /// Links `file` at `dst`: `false` if no way to link it is allowed here.
    fn link(file: &File, dst: &Path) -> rustix::io::Result<bool> {
        if !BY_DESCRIPTOR_REFUSED.load(Ordering::Relaxed) {
            match rfs::linkat(file, "", rfs::CWD, dst, AtFlags::EMPTY_PATH) {
                Ok(()) => return Ok(true),
                // Refused to an unprivileged process (ENOENT before 6.10).
                Err(Errno::NOENT | Errno::PERM) if exists(dst.parent()) => {
                    BY_DESCRIPTOR_REFUSED.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        use std::os::fd::AsRawFd as _;
        let by_proc = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rfs::linkat(
            rfs::CWD,
            by_proc.as_str(),
            rfs::CWD,
            dst,
            AtFlags::SYMLINK_FOLLOW,
        ) {
            Ok(()) => Ok(true),
            // No /proc to link through.
            Err(Errno::NOENT) if exists(dst.parent()) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the folder `dir` is there, to tell a refused link from a
    /// folder that vanished (which is the caller's error to report).
    fn exists(dir: Option<&Path>) -> bool {
        dir.is_none_or(|dir| dir.as_os_str().is_empty() || dir.is_dir())
    }
}

/// Who wrote the temporary `name`: its pid, start and pid-space tag.
fn writer_of(name: &str) -> Option<(u32, u64, &str)> {
    let mut parts = name.strip_prefix(PREFIX)?.splitn(4, '-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    let tag = parts.next()?;
    Some((pid, start, tag))
}

/// Whether the temporary `name` in `dir` was left behind by a writer that
/// will never rename it: one of this pid space that is gone, or, when
/// `foreign_after` is given, one of another pid space untouched that long.
fn is_stale(dir: &Path, name: &OsStr, foreign_after: Option<Duration>) -> bool {
    let Some(text) = name.to_str() else {
        return false;
    };
    let me = process::current();
    if let Some((pid, start, tag)) = writer_of(text)
        && tag == me.host_tag
    {
        let writer = Writer {
            pid,
            started: (start != 0).then_some(start),
            ..me.writer()
        };
        return process::fate(writer) == Fate::Gone;
    }
    let Some(after) = foreign_after else {
        return false;
    };
    let modified = std::fs::symlink_metadata(dir.join(name)).and_then(|m| m.modified());
    modified.is_ok_and(|at| {
        SystemTime::now()
            .duration_since(at)
            .is_ok_and(|age| age > after)
    })
}

/// Whether `name` in `dir` is a temporary whose writer is certainly gone;
/// with `foreign_after`, also one of another pid space untouched that long.
pub(crate) fn is_left_behind(dir: &Path, name: &OsStr, foreign_after: Option<Duration>) -> bool {
    is_temporary(name) && is_stale(dir, name, foreign_after)
}

/// Removes the stale temporary `name` in `dir`, if it is one. Best effort:
/// a temporary that cannot be removed stays for the next sweep.
pub(crate) fn remove_if_stale(dir: &Path, name: &OsStr) -> bool {
    if !is_left_behind(dir, name, None) {
        return false;
    }
    fs::remove_any(&dir.join(name)).is_ok()
}

/// Renames `path` to a fresh temporary name of this process's in its
/// folder: it leaves every listing at once, and once this process is gone
/// a sweep removes what is left of it. `None` if nothing was there.
pub(crate) fn move_aside(path: &Path) -> Result<Option<PathBuf>> {
    let parent = path.parent().unwrap_or(Path::new("."));
    match builder().make_in(parent, |tmp| std::fs::rename(path, tmp)) {
        Ok(made) => {
            let kept = made.into_temp_path().keep().map_err(|e| e.error);
            kept.map(Some).at(Operation::Rename, path)
        }
        Err(e) if fs::is_not_found(&e) => Ok(None),
        Err(e) => Err(e).at(Operation::Rename, path),
    }
}

/// How many folders [`sweep_once`] remembers; past that it forgets them all
/// and starts over (a folder swept twice costs one more read, nothing else),
/// so a process that writes into ever new folders holds a bounded set.
const SWEPT_MAX: usize = 4096;

/// [`sweep`], the first time this process calls it for `dir` (as spelled:
/// another spelling of the folder, or a relative one after a change of the
/// working folder, is swept once more). A writer killed halfway leaves the
/// temporaries of the writes it had under way, one per writing thread, and
/// the next process to write into that folder removes them, at the cost of
/// one read of the folder per process rather than per write. (A process
/// that keeps writing into a folder while another dies there leaves those
/// temporaries to the next process; no reader ever takes one for a member.)
pub(crate) fn sweep_once(dir: &Path) {
    static SWEPT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    {
        // A panic elsewhere while holding the lock leaves a set that is
        // still whole: keep using it.
        let mut swept = SWEPT.lock().unwrap_or_else(PoisonError::into_inner);
        let swept = swept.get_or_insert_with(HashSet::new);
        if swept.contains(dir) {
            return;
        }
        if swept.len() >= SWEPT_MAX {
            swept.clear();
        }
        swept.insert(dir.to_path_buf());
    }
    sweep(dir);
}

/// Removes the stale temporaries in `dir`. Best effort: a folder that
/// cannot be read is left for the operation itself to report.
pub(crate) fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        remove_if_stale(dir, &entry.file_name());
    }
}

/// Removes the temporaries other programs left in `dir` (a framework's
/// saver killed midway): the names in `dir` itself that are hidden (start
/// with `.`), are not runlayout's own temporaries, are accepted by
/// `is_temp`, are regular files (a symlink, folder or FIFO is never
/// removed, nor followed), and were last modified more than `older_than`
/// ago. Returns their paths, sorted. No member of a family, run, record or
/// link runlayout keeps is hidden, so none is ever taken, however broad
/// `is_temp` is; runlayout's own temporaries are judged by their writer
/// ([`sweep`]), never by age. A missing folder holds none.
pub(crate) fn sweep_foreign(
    dir: &Path,
    is_temp: impl Fn(&str) -> bool,
    older_than: Duration,
) -> Result<Vec<PathBuf>> {
    let Some(entries) = fs::read_dir_if_there(dir)? else {
        return Ok(Vec::new());
    };
    let mut stale = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        let Some(text) = name.to_str() else {
            continue;
        };
        if !text.starts_with('.') || is_temporary(&name) || !is_temp(text) {
            continue;
        }
        let path = dir.join(&name);
        if is_old_file(&path, older_than)? {
            stale.push(path);
        }
    }
    stale.sort();
    let mut removed = Vec::with_capacity(stale.len());
    for path in stale {
        // `unlink` removes a name, never what a link swapped in leads to.
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            // Removed meanwhile by another sweep, or its own writer.
            Err(e) if fs::is_not_found(&e) => {}
            Err(e) => return Err(e).at(Operation::Remove, &path),
        }
    }
    Ok(removed)
}

/// Whether a regular file stands at `path` itself (a symlink not
/// followed), last modified more than `older_than` ago. A time in the
/// future (clocks of two machines on a shared disk) is no age.
fn is_old_file(path: &Path, older_than: Duration) -> Result<bool> {
    let Some(meta) = fs::symlink_metadata_if_there(path)? else {
        return Ok(false);
    };
    if !meta.is_file() {
        return Ok(false);
    }
    let modified = meta.modified().at(Operation::Metadata, path)?;
    let age = SystemTime::now().duration_since(modified);
    Ok(age.is_ok_and(|age| age > older_than))
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn replaced_files_leave_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let dst = dir.path().join("f");
        for text in ["one", "two"] {
            replace(&dst, Operation::WriteFile, |tmp| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(tmp)
                    .and_then(|mut f| io::Write::write_all(&mut f, text.as_bytes()))
            })?;
            assert_eq!(std::fs::read_to_string(&dst)?, text);
        }
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    #[test]
    fn a_failed_make_leaves_the_old_version_and_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let dst = dir.path().join("f");
        std::fs::write(&dst, "old")?;
        let err = replace(&dst, Operation::WriteFile, |tmp| {
            std::fs::write(tmp, "half")?;
            Err::<(), _>(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read_to_string(&dst)?, "old");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    /// Makes `name` in `dir`, last modified `age` ago.
    fn aged(dir: &Path, name: &str, age: Duration) -> TestResult {
        let path = dir.join(name);
        std::fs::write(&path, "x")?;
        let file = std::fs::File::options().write(true).open(&path)?;
        file.set_modified(SystemTime::now() - age)?;
        Ok(())
    }

    fn listed(dir: &Path) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()?;
        names.sort();
        Ok(names)
    }

    #[test]
    fn foreign_sweeps_take_old_hidden_files_the_caller_names() -> TestResult {
        let dir = tempfile::tempdir()?;
        let hour = Duration::from_secs(3600);
        let day = 24 * hour;
        let ours = format!("{PREFIX}1-1-00000000-abcdefgh.tmp");
        for name in [
            ".tmpOld111",
            ".tmpOld222",
            "epoch_0001.ckpt",
            ".keep",
            &ours,
        ] {
            aged(dir.path(), name, day)?;
        }
        aged(dir.path(), ".tmpNew333", Duration::from_secs(60))?;
        // Visible names are never taken, however broad the predicate.
        aged(dir.path(), "tmp_visible", day)?;
        let removed = sweep_foreign(dir.path(), |n| n.contains("tmp"), hour)?;
        assert_eq!(
            removed,
            [dir.path().join(".tmpOld111"), dir.path().join(".tmpOld222")]
        );
        let mut left = vec![
            ".keep",
            ".tmpNew333",
            "epoch_0001.ckpt",
            "tmp_visible",
            &ours,
        ];
        left.sort_unstable();
        assert_eq!(listed(dir.path())?, left);
        // Runlayout's own temporaries are judged by their writer alone.
        assert!(sweep_foreign(dir.path(), |_| true, hour)?.ends_with(&[dir.path().join(".keep")]));
        assert!(dir.path().join(&ours).exists());
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn foreign_sweeps_never_follow_nor_take_links_folders_or_fifos() -> TestResult {
        let dir = tempfile::tempdir()?;
        let outside = tempfile::tempdir()?;
        let day = Duration::from_secs(24 * 3600);
        aged(outside.path(), "weights", day)?;
        std::os::unix::fs::symlink(outside.path().join("weights"), dir.path().join(".tmpLink"))?;
        std::os::unix::fs::symlink(outside.path(), dir.path().join(".tmpDirLink"))?;
        std::fs::create_dir(dir.path().join(".tmpFolder"))?;
        aged(&dir.path().join(".tmpFolder"), ".tmpInside", day)?;
        let fifo = dir.path().join(".tmpFifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
        assert!(made.success());
        let removed = sweep_foreign(dir.path(), |n| n.starts_with(".tmp"), Duration::ZERO)?;
        assert_eq!(removed, Vec::<PathBuf>::new());
        assert_eq!(listed(outside.path())?, ["weights"]);
        assert_eq!(listed(&dir.path().join(".tmpFolder"))?, [".tmpInside"]);
        assert_eq!(listed(dir.path())?.len(), 4);
        Ok(())
    }

    #[test]
    fn a_foreign_sweep_of_a_missing_folder_removes_nothing_and_of_a_file_names_it() -> TestResult {
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("missing");
        assert!(sweep_foreign(&missing, |_| true, Duration::ZERO)?.is_empty());
        let file = dir.path().join("file");
        std::fs::write(&file, "x")?;
        let err = sweep_foreign(&file, |_| true, Duration::ZERO).unwrap_err();
        assert_eq!(err.path(), Some(file.as_path()));
        assert!(err.to_string().starts_with("cannot read folder"), "{err}");
        Ok(())
    }

    #[test]
    fn a_file_made_whole_appears_with_its_content_and_leaves_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let dst = dir.path().join("run.json");
        let file = create_whole(&dst, Operation::WriteFile, |mut file| {
            // Nothing is at the name while it is written.
            assert!(!dst.exists());
            io::Write::write_all(&mut file, b"{}")
        })?;
        assert_eq!(std::fs::read_to_string(&dst)?, "{}");
        // The file handed back is the one in place.
        let mut text = String::new();
        io::Seek::rewind(&mut &file)?;
        io::Read::read_to_string(&mut &file, &mut text)?;
        assert_eq!(text, "{}");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    #[test]
    fn a_file_that_fails_to_be_written_never_appears() -> TestResult {
        let dir = tempfile::tempdir()?;
        let dst = dir.path().join("run.json");
        let err = create_whole(&dst, Operation::WriteFile, |mut file| {
            io::Write::write_all(&mut file, b"{\"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
        Ok(())
    }

    /// Where files can be made unnamed (Linux on a local file system), a
    /// file made whole never replaces what is there.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_made_whole_never_replaces_another() -> TestResult {
        let dir = tempfile::tempdir()?;
        let dst = dir.path().join("run.json");
        std::fs::write(&dst, "first")?;
        let made = create_whole(&dst, Operation::WriteFile, |mut file| {
            io::Write::write_all(&mut file, b"second")
        });
        let err = made.unwrap_err();
        let kind = err.io_error().map(io::Error::kind);
        assert_eq!(kind, Some(io::ErrorKind::AlreadyExists), "{err}");
        assert_eq!(std::fs::read_to_string(&dst)?, "first");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    #[test]
    fn names_say_who_made_them() {
        let name = own_prefix().to_owned() + "abcdefgh.tmp";
        assert!(is_temporary(OsStr::new(&name)));
        assert!(!is_temporary(OsStr::new("ancestor")));
        assert!(!is_temporary(OsStr::new(".runlayout-x")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_is_swept_once_per_process() -> TestResult {
        let dir = tempfile::tempdir()?;
        let me = process::current();
        let dead = |n: u32| {
            format!(
                "{PREFIX}{}-{}-{}-abcdefg{n}.tmp",
                u32::MAX,
                me.started.unwrap_or(0),
                me.host_tag
            )
        };
        std::fs::write(dir.path().join(dead(1)), "x")?;
        sweep_once(dir.path());
        assert!(
            !dir.path().join(dead(1)).exists(),
            "the first sweep removes it"
        );
        std::fs::write(dir.path().join(dead(2)), "x")?;
        sweep_once(dir.path());
        assert!(
            dir.path().join(dead(2)).exists(),
            "left to the next process"
        );
        sweep(dir.path());
        assert!(!dir.path().join(dead(2)).exists());
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_a_dead_writer_of_this_pid_space_leaves_a_temporary_behind() -> TestResult {
        let dir = tempfile::tempdir()?;
        let me = process::current();
        let tag = &me.host_tag;
        let started = me.started.unwrap_or(0);
        let mine = format!("{}abcdefgh.tmp", own_prefix());
        let dead = format!("{PREFIX}{}-{started}-{tag}-abcdefgh.tmp", u32::MAX);
        // This very pid, but a start time that is not this process's: a
        // writer that died, whose pid was reused.
        let reused = format!("{PREFIX}{}-{}-{tag}-abcdefgh.tmp", me.pid, started + 1);
        let foreign = format!("{PREFIX}1-1-00000000-abcdefgh.tmp");
        for name in [&mine, &dead, &reused, &foreign] {
            std::fs::write(dir.path().join(name), "x")?;
        }
        sweep(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()?;
        left.sort();
        let mut expected = vec![mine, foreign.clone()];
        expected.sort();
        assert_eq!(left, expected);
        // Another pid space's temporary, however old, is left to prune.
        let old = SystemTime::now() - FOREIGN_STALE_AFTER - Duration::from_secs(5);
        let file = std::fs::File::options()
            .write(true)
            .open(dir.path().join(&foreign))?;
        file.set_modified(old)?;
        sweep(dir.path());
        assert!(dir.path().join(&foreign).exists());
        assert!(is_left_behind(
            dir.path(),
            OsStr::new(&foreign),
            Some(FOREIGN_STALE_AFTER)
        ));
        Ok(())
    }
}
