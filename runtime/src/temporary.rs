//! Temporary names, and the one way runlayout replaces a name atomically.
//!
//! `symlink` never overwrites and `rename` replaces its target atomically, so
//! everything runlayout replaces (links, the `latest` pointer, the manifest)
//! is first made at a fresh temporary name in the same folder, then renamed
//! over the old one: a reader finds the old version or the new one, never
//! nothing and never half a file.
//!
//! Temporary names are hidden and say who made them:
//! `.runlayout-<pid>-<host tag>-<random>.tmp`. No run id, stage or family
//! member starts with `.`, so one left behind by a killed process is never
//! mistaken for anything else. It is stale when its writer is gone (same
//! host, and no process of that pid), or, for another host's, when it was
//! last written more than a minute ago; [`sweep`] removes stale ones.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Operation, Result};
use crate::process;

const PREFIX: &str = ".runlayout-";
const SUFFIX: &str = ".tmp";

/// How long another host's temporary may sit unchanged before it counts as
/// left behind.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(60);

/// How often a temporary that vanished before its rename (another process
/// swept it as stale) is made again.
const ATTEMPTS: u32 = 3;

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
        format!("{PREFIX}{}-{}-", me.pid, me.host_tag)
    })
}

/// A `tempfile` builder for this process's temporary names.
pub(crate) fn builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(own_prefix()).suffix(SUFFIX).rand_bytes(8);
    builder
}

/// Makes `dst` anew: `make` creates the new version at a fresh temporary
/// name in `dst`'s folder (it must fail with `AlreadyExists` if something
/// is there, and then a new name is drawn), which is then renamed over
/// `dst`. A failure leaves `dst` as it was and removes the temporary.
pub(crate) fn replace(
    dst: &Path,
    op: Operation,
    mut make: impl FnMut(&Path) -> io::Result<()>,
) -> Result<()> {
    let dir = match dst.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let tmp = builder()
            .make_in(dir, |tmp| {
                make(tmp).inspect_err(|e| {
                    // Half made by us; a name that was taken is someone else's.
                    if e.kind() != io::ErrorKind::AlreadyExists {
                        let _ = fs::remove_file(tmp);
                    }
                })
            })
            .map_err(|e| Error::io(op, dst, e))?
            .into_temp_path();
        match tmp.persist(dst) {
            Ok(()) => return Ok(()),
            // Swept by another process that took it for left behind: make it again.
            Err(e) if e.error.kind() == io::ErrorKind::NotFound && attempt < ATTEMPTS => {}
            Err(e) => return Err(Error::io(Operation::Rename, dst, e.error)),
        }
    }
}

/// Whether the temporary `name` in `dir` was left behind by a writer that
/// will never rename it.
fn is_stale(dir: &Path, name: &OsStr) -> bool {
    let Some(text) = name.to_str() else {
        return false;
    };
    let me = process::current();
    let writer = text
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(pid, rest)| Some((pid.parse::<u32>().ok()?, rest.split('-').next()?)));
    if let Some((pid, host)) = writer
        && host == me.host_tag
        && let Some(alive) = process::is_alive(pid)
    {
        return !alive;
    }
    let modified = fs::symlink_metadata(dir.join(name)).and_then(|m| m.modified());
    modified.is_ok_and(|at| {
        SystemTime::now()
            .duration_since(at)
            .is_ok_and(|age| age > STALE_AFTER)
    })
}

/// Whether `name` in `dir` is a temporary whose writer is gone.
pub(crate) fn is_left_behind(dir: &Path, name: &OsStr) -> bool {
    is_temporary(name) && is_stale(dir, name)
}

/// Removes the stale temporary `name` in `dir`, if it is one. Best effort:
/// a temporary that cannot be removed stays for the next sweep.
pub(crate) fn remove_if_stale(dir: &Path, name: &OsStr) -> bool {
    if !is_left_behind(dir, name) {
        return false;
    }
    let path = dir.join(name);
    let removed = match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(&path),
        Ok(_) => fs::remove_file(&path),
        Err(e) => Err(e),
    };
    removed.is_ok()
}

/// Removes the stale temporaries in `dir`. Best effort: a folder that
/// cannot be read is left for the operation itself to report.
pub(crate) fn sweep(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        remove_if_stale(dir, &entry.file_name());
    }
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
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(tmp)
                    .and_then(|mut f| io::Write::write_all(&mut f, text.as_bytes()))
            })?;
            assert_eq!(fs::read_to_string(&dst)?, text);
        }
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }

    #[test]
    fn a_failed_make_leaves_the_old_version_and_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let dst = dir.path().join("f");
        fs::write(&dst, "old")?;
        let err = replace(&dst, Operation::WriteFile, |tmp| {
            fs::write(tmp, "half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(fs::read_to_string(&dst)?, "old");
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
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
    fn a_dead_writers_temporary_is_stale_and_a_live_ones_is_not() -> TestResult {
        let dir = tempfile::tempdir()?;
        let tag = &process::current().host_tag;
        let mine = format!("{}abcdefgh.tmp", own_prefix());
        let dead = format!("{PREFIX}{}-{tag}-abcdefgh.tmp", u32::MAX);
        let foreign_fresh = format!("{PREFIX}1-00000000-abcdefgh.tmp");
        for name in [&mine, &dead, &foreign_fresh] {
            fs::write(dir.path().join(name), "x")?;
        }
        sweep(dir.path());
        let mut left: Vec<String> = fs::read_dir(dir.path())?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()?;
        left.sort();
        let mut expected = vec![mine, foreign_fresh.clone()];
        expected.sort();
        assert_eq!(left, expected);
        // Another host's temporary counts as left behind after a minute.
        let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(dir.path().join(&foreign_fresh))?
            .set_modified(old)?;
        sweep(dir.path());
        assert!(!dir.path().join(&foreign_fresh).exists());
        Ok(())
    }
}
