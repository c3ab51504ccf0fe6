//! Writing a file atomically through a saver that only takes a path (a
//! framework's `save(path)`): `FilePath::write_atomic_with`.
//!
//! The saver is given a path inside a fresh temporary folder of
//! runlayout's in the target's folder, `.runlayout-<...>.tmp/<name>`,
//! where `<name>` is the target's own name. Whatever the saver does at
//! that path (writes it in place, slowly; writes its own temporary beside
//! it and renames it over the path, as safetensors does; picks its format
//! by the extension), it does inside that folder, which no family, scan or
//! reader ever looks into. Once the saver returns success, the one file it
//! left is synced and renamed over the target, and the folder is removed.
//!
//! A folder rather than a bare temporary file, so that:
//! - the path the saver sees ends in the target's name, and a framework
//!   that adds its extension when the name lacks it, or sets it (burn's
//!   recorders), writes exactly that path when the target is named with
//!   that extension;
//! - a saver's own temporaries and sidecars land in the folder too, so a
//!   kill leaves one runlayout temporary, which the next process's first
//!   write into the folder removes whole (`temporary::sweep_once`), and no
//!   foreign `.tmpXXXXXX` next to the checkpoints;
//! - what the saver left can be checked: one regular file at the name it
//!   was given, nothing else. Anything else (nothing, a file under another
//!   name, several files) is `Error::SaverOutput`, and nothing moves into
//!   place. Taking a file the saver named otherwise would put it where the
//!   framework, loading by the same path, does not look; taking one of
//!   several would lose the others.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, Result};
use crate::io::fs::{self, At as _};
use crate::io::temporary;

/// How often a fresh temporary folder name is drawn if the one drawn is
/// taken (never, unless someone makes names with this process's prefix).
const ATTEMPTS: u32 = 3;

/// Writes `target` through `save`, which is given a path to write: see the
/// module's documentation. `save`'s error, or a panic, leaves `target` as
/// it was and removes the temporary folder with what `save` wrote.
pub(crate) fn write_with<T, E: From<Error>>(
    target: &Path,
    save: impl FnOnce(&Path) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let name = file_name(target)?;
    let staging = Staging::create(target)?;
    let given = staging.dir.join(name);
    // A panic unwinds through `staging`, whose drop removes the folder.
    let saved = save(&given)?;
    staging.take(name, target)?;
    Ok(saved)
}

/// The target's own name, which the saver's path ends in.
fn file_name(target: &Path) -> Result<&OsStr> {
    target.file_name().ok_or_else(|| {
        let why = io::Error::new(io::ErrorKind::InvalidInput, "the path names no file");
        Error::io(Operation::WriteFile, target, why)
    })
}

/// A temporary folder of this process's in the target's folder; removed,
/// with whatever is in it, when dropped.
struct Staging {
    dir: PathBuf,
}

impl Staging {
    /// Removes stale temporaries in `target`'s folder (the first time this
    /// process writes there), makes the folder if it is missing, and makes
    /// the temporary folder in it.
    fn create(target: &Path) -> Result<Staging> {
        let parent = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        temporary::sweep_once(parent);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let dir = parent.join(temporary::fresh_name());
            // Errors name the folder: the temporary's name says nothing.
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Staging { dir }),
                Err(e) if fs::is_not_found(&e) && attempt < ATTEMPTS => {
                    fs::create_dir_all(parent)?;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < ATTEMPTS => {}
                Err(e) => return Err(e).at(Operation::CreateTemporaryDir, parent),
            }
        }
    }

    /// Moves the file the saver left at `name` over `target`, synced
    /// first, if it is the one thing the saver left.
    fn take(self, name: &OsStr, target: &Path) -> Result<()> {
        let given = self.dir.join(name);
        let found = self.left()?;
        let one_file = found.len() == 1
            && fs::symlink_metadata_if_there(&given)?.is_some_and(|meta| meta.is_file());
        if !one_file {
            return Err(Error::SaverOutput {
                path: target.to_path_buf(),
                expected: name.to_string_lossy().into_owned(),
                found,
            });
        }
        sync(&given).at(Operation::Sync, target)?;
        std::fs::rename(&given, target).at(Operation::Rename, target)
        // The folder, empty now, is removed by the drop.
    }

    /// The names the saver left in the folder, sorted: a folder's with `/`
    /// after it, a symlink's with `@`.
    fn left(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let mut name = entry.file_name().to_string_lossy().into_owned();
            match fs::entry_type(&entry)? {
                Some(t) if t.is_dir() => name.push('/'),
                Some(t) if t.is_symlink() => name.push('@'),
                _ => {}
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Best effort: what cannot be removed now is a temporary of this
        // process's, removed by a sweep once the process is gone.
        let _ = fs::remove_any(&self.dir);
    }
}

/// Syncs the file at `path` to the storage device: the saver's own file,
/// opened again (read-only where the system allows syncing so, as a saver
/// may have made the file read-only).
fn sync(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(windows)]
    options.write(true);
    options.open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs as stdfs;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = stdfs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn write(path: &Path, text: &str) -> Result<()> {
        stdfs::write(path, text).at(Operation::WriteFile, path)
    }

    #[test]
    fn the_saver_writes_at_a_hidden_path_ending_in_the_targets_name() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("ckpt/epoch_0001.safetensors");
        let seen = write_with(&target, |path| -> Result<PathBuf> {
            assert!(!target.exists(), "nothing there before the rename");
            write(path, "weights")?;
            Ok(path.to_path_buf())
        })?;
        assert_eq!(seen.file_name(), target.file_name());
        let folder = seen.parent().and_then(Path::file_name).expect("a folder");
        assert!(temporary::is_temporary(folder), "{seen:?}");
        assert_eq!(seen.parent().and_then(Path::parent), target.parent());
        assert_eq!(stdfs::read_to_string(&target)?, "weights");
        assert_eq!(names(&dir.path().join("ckpt")), ["epoch_0001.safetensors"]);
        Ok(())
    }

    #[test]
    fn a_failing_saver_leaves_the_old_file_and_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("a.bin");
        stdfs::write(&target, "old")?;
        let err = write_with(&target, |path| -> std::result::Result<(), io::Error> {
            stdfs::write(path, "half")?;
            Err(io::Error::other("out of memory"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "out of memory");
        assert_eq!(stdfs::read_to_string(&target)?, "old");
        assert_eq!(names(dir.path()), ["a.bin"]);
        Ok(())
    }

    #[test]
    fn a_panicking_saver_leaves_the_old_file_and_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("a.bin");
        stdfs::write(&target, "old")?;
        let caught = std::panic::catch_unwind(|| {
            write_with(&target, |path| -> Result<()> {
                write(path, "half")?;
                panic!("a bug in the saver")
            })
        });
        assert!(caught.is_err());
        assert_eq!(stdfs::read_to_string(&target)?, "old");
        assert_eq!(names(dir.path()), ["a.bin"]);
        Ok(())
    }

    #[test]
    fn a_file_under_another_name_is_refused_naming_it() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("epoch_0001.ckpt");
        stdfs::write(&target, "old")?;
        let err = write_with(&target, |path| {
            write(&path.with_extension("ckpt.mpk"), "weights")
        })
        .unwrap_err();
        assert!(
            matches!(&err, Error::SaverOutput { found, .. } if found == &["epoch_0001.ckpt.mpk"]),
            "{err:?}"
        );
        assert_eq!(err.path(), Some(target.as_path()));
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "cannot save `{}`: the saver was to leave one file, `epoch_0001.ckpt`, \
                 at the path it was given, and left `epoch_0001.ckpt.mpk`;",
                target.display()
            )),
            "{message}"
        );
        assert_eq!(stdfs::read_to_string(&target)?, "old");
        assert_eq!(names(dir.path()), ["epoch_0001.ckpt"]);
        Ok(())
    }

    #[test]
    fn nothing_several_files_or_a_folder_are_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("m.st");
        let nothing = write_with(&target, |_| Ok::<_, Error>(())).unwrap_err();
        assert!(
            nothing.to_string().contains("and left nothing;"),
            "{nothing}"
        );
        let several = write_with(&target, |path| {
            write(path, "weights")?;
            write(&path.with_extension("index.json"), "{}")
        })
        .unwrap_err();
        assert!(
            several.to_string().contains("left `m.index.json`, `m.st`;"),
            "{several}"
        );
        let folder = write_with(&target, |path| {
            stdfs::create_dir(path).at(Operation::CreateDir, path)
        })
        .unwrap_err();
        assert!(folder.to_string().contains("left `m.st/`;"), "{folder}");
        assert_eq!(names(dir.path()), Vec::<String>::new());
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_first_write_into_a_folder_removes_a_dead_savers_folder() -> TestResult {
        let dir = tempfile::tempdir()?;
        let me = crate::io::process::current();
        let dead = format!(
            ".runlayout-{}-{}-{}-abcdefgh.tmp",
            u32::MAX,
            me.started.unwrap_or(0),
            me.host_tag
        );
        // What a saver killed midway leaves: its half file, its own temporary.
        stdfs::create_dir(dir.path().join(&dead))?;
        stdfs::write(dir.path().join(&dead).join("epoch_0001.ckpt"), "half")?;
        stdfs::write(dir.path().join(&dead).join(".tmpAbCdEf"), "half")?;
        write_with(&dir.path().join("epoch_0001.ckpt"), |path| {
            write(path, "whole")
        })?;
        assert_eq!(names(dir.path()), ["epoch_0001.ckpt"]);
        Ok(())
    }

    #[test]
    fn a_path_without_a_file_name_is_an_error_naming_it() {
        let err = write_with(Path::new("/"), |_| Ok::<_, Error>(())).unwrap_err();
        assert_eq!(err.to_string(), "cannot write `/`: the path names no file");
    }
}
