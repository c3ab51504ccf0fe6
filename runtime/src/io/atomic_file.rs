//! Writing a file so that readers find the old version or the new one,
//! whole, and never half of one: `FilePath::write_atomic` and
//! `FilePath::create_atomic`.
//!
//! The new version is written to a temporary file in the target's folder,
//! made by `tempfile` under one of runlayout's hidden temporary names
//! (`.runlayout-<pid>-<host tag>-<random>.tmp`), synced to the device, and
//! renamed over the target. Families, `create_all` and `Runs::scan` never
//! take such a name for a member or a run. A writer killed halfway leaves
//! its temporary behind; the first atomic write of the next process into
//! that folder removes it (see `temporary::sweep_once`: a temporary is
//! stale once its process, of this pid space, is gone). A folder is read
//! for this once per process, not at every write, so a write costs the
//! same in a folder of ten names or of ten thousand.

use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, Operation, Result};
use crate::io::fs::{self, At as _};
use crate::io::temporary;

/// A file being written in place of another: [`Write`] to it, then
/// [`commit`](AtomicFile::commit) renames it over its target. Until then the
/// target is untouched, and readers see its old version (or nothing, if it
/// is new). Dropped without `commit`, the temporary file is removed and the
/// target stays as it was.
///
/// Made by [`FilePath::create_atomic`](crate::FilePath::create_atomic).
///
/// ```
/// use std::io::Write as _;
/// use runlayout::FilePath;
///
/// let run = tempfile::tempdir()?;
/// let ckpt = FilePath::new(run.path().join("checkpoints/epoch_0001.ckpt"));
/// let mut file = ckpt.create_atomic()?; // makes checkpoints/ if it is missing
/// file.write_all(b"weights, ")?;
/// assert!(!ckpt.exists()); // nothing there until the commit
/// file.write_all(b"optimizer state")?;
/// file.commit()?;
/// assert_eq!(std::fs::read(&ckpt)?, b"weights, optimizer state");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AtomicFile {
    file: NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing a new version of `target`: removes stale temporaries
    /// in its folder (the first time this process writes there), makes the
    /// folder if it is missing, and creates the temporary file there.
    pub(crate) fn create(target: &Path) -> Result<AtomicFile> {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        temporary::sweep_once(dir);
        let file = match make(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir)?;
                make(dir)
            }
            made => made,
        }
        .at(Operation::CreateTemporary, dir)?;
        Ok(AtomicFile {
            file,
            target: target.to_path_buf(),
        })
    }

    /// The path the file will have once committed.
    ///
    /// ```
    /// let run = tempfile::tempdir()?;
    /// let log = runlayout::FilePath::new(run.path().join("summary.json"));
    /// let file = log.create_atomic()?;
    /// assert_eq!(file.target(), log.as_path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The path of the temporary file being written, in the target's
    /// folder under one of runlayout's hidden temporary names, for a
    /// library that wants to open the file again by its path (to read back
    /// what was written, or to hand it to a writer of its own). It is
    /// renamed over the target by [`commit`](AtomicFile::commit) and removed
    /// when the `AtomicFile` is dropped: a file left at that path, or one
    /// renamed over it, is what the commit moves into place.
    ///
    /// ```
    /// use std::io::Write as _;
    ///
    /// let run = tempfile::tempdir()?;
    /// let ckpt = runlayout::FilePath::new(run.path().join("epoch_0001.ckpt"));
    /// let mut file = ckpt.create_atomic()?;
    /// file.write_all(b"weights")?;
    /// assert_eq!(file.path().parent(), ckpt.parent());
    /// assert_eq!(std::fs::read(file.path())?, b"weights");
    /// file.commit()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The temporary file being written, for what [`Write`] does not offer
    /// (its metadata, `set_len`, ...). It is renamed or removed by
    /// runlayout; [`path`](AtomicFile::path) says where it is meanwhile.
    ///
    /// ```
    /// use std::io::Write as _;
    ///
    /// let run = tempfile::tempdir()?;
    /// let out = runlayout::FilePath::new(run.path().join("out.bin"));
    /// let mut file = out.create_atomic()?;
    /// file.write_all(&[0; 16])?;
    /// file.flush()?;
    /// assert_eq!(file.as_file().metadata()?.len(), 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_file(&self) -> &File {
        self.file.as_file()
    }

    /// Syncs the written data to the storage device, then renames the file
    /// over its target in one step: readers see the old version or the new
    /// one, whole, and after a power loss the target is the old version or
    /// the new one, never a truncated file. (The folder itself is not
    /// synced: after a power loss, a new name may be missing.) In the
    /// working copy of a run whose home is object storage, the file is
    /// then stored there too, before this returns, as
    /// [`FilePath::write_atomic`](crate::FilePath::write_atomic) stores it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the target: `sync` if the data cannot be
    /// written through, `move into place` if the rename fails (the target
    /// is a folder, say). The temporary file is removed either way.
    /// [`Error::Store`] if storing it in a run's home failed (the file is
    /// in place here).
    ///
    /// ```
    /// use std::io::Write as _;
    ///
    /// let run = tempfile::tempdir()?;
    /// let cfg = runlayout::FilePath::new(run.path().join("config.yaml"));
    /// std::fs::write(&cfg, "lr: 0.1\n")?;
    /// let mut file = cfg.create_atomic()?;
    /// writeln!(file, "lr: 0.01")?;
    /// assert_eq!(std::fs::read_to_string(&cfg)?, "lr: 0.1\n"); // the old version
    /// file.commit()?;
    /// assert_eq!(std::fs::read_to_string(&cfg)?, "lr: 0.01\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit(self) -> Result<()> {
        let target = self.target.clone();
        self.commit_here()?;
        stored(&target)
    }

    /// [`commit`](AtomicFile::commit), in the working copy alone: nothing
    /// is stored in a run's home.
    pub(crate) fn commit_here(mut self) -> Result<()> {
        // Flushes nothing of ours (there is no buffer) but is what `Write`
        // promises before the data counts as written.
        let target = self.target.as_path();
        self.file
            .as_file_mut()
            .flush()
            .at(Operation::WriteFile, target)?;
        self.file.as_file().sync_all().at(Operation::Sync, target)?;
        // On failure the temporary comes back inside the error and is
        // removed when that is dropped.
        let persisted = self.file.persist(target).map_err(|e| e.error);
        persisted.map(drop).at(Operation::Rename, target)
    }

    /// Writes all of `contents` and commits: the file whole, or as it was.
    /// Stores nothing in a run's home: see [`stored`].
    pub(crate) fn write(target: &Path, contents: &[u8]) -> Result<()> {
        let mut file = AtomicFile::create(target)?;
        file.write_all(contents).at(Operation::WriteFile, target)?;
        file.commit_here()
    }

    /// An I/O error of the temporary file, naming the target.
    fn error(&self, op: Operation, e: io::Error) -> io::Error {
        Error::io(op, &self.target, e).into()
    }
}

/// After `target` was written atomically by a user's call: in the working
/// copy of a run whose home is object storage, the file is stored there
/// too, before the call returns (the `object-store` feature); elsewhere,
/// nothing.
pub(crate) fn stored(target: &Path) -> Result<()> {
    #[cfg(feature = "object-store")]
    crate::io::working_copy::store_written(target)?;
    let _ = target;
    Ok(())
}

/// A fresh temporary file in `dir`, under runlayout's temporary names,
/// created with the permissions `fs::write` gives a new file (`0o666` less
/// the umask) rather than `tempfile`'s private `0o600`. Opened here rather
/// than by `tempfile_in`, whose errors name the temporary that could not be
/// made ("at path .runlayout-...tmp"): the error names the folder already.
fn make(dir: &Path) -> io::Result<NamedTempFile> {
    temporary::builder().make_in(dir, |path| {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o666);
        }
        options.open(path)
    })
}

/// Errors carry the target's path once (and keep their kind, so
/// `write_all` still retries an interrupted write). The writes go to the
/// temporary's `File` itself: `NamedTempFile`'s own `Write` would add the
/// temporary's hidden name to every error.
impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.file.as_file_mut().write(buf);
        written.map_err(|e| self.error(Operation::WriteFile, e))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let written = self.file.as_file_mut().write_vectored(bufs);
        written.map_err(|e| self.error(Operation::WriteFile, e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let written = self.file.as_file_mut().write_all(buf);
        written.map_err(|e| self.error(Operation::WriteFile, e))
    }

    fn flush(&mut self) -> io::Result<()> {
        let flushed = self.file.as_file_mut().flush();
        flushed.map_err(|e| self.error(Operation::WriteFile, e))
    }
}

/// Seeking moves in the temporary file, for writers that go back to fill
/// in a header once the data is written (a zip or `npz` writer, a format
/// whose header holds lengths). Errors name the target, as writes do.
///
/// ```
/// use std::io::{Seek as _, SeekFrom, Write as _};
///
/// let run = tempfile::tempdir()?;
/// let out = runlayout::FilePath::new(run.path().join("tensors.bin"));
/// let mut file = out.create_atomic()?;
/// file.write_all(&[0; 8])?; // room for the length, known at the end
/// file.write_all(b"data")?;
/// let end = file.stream_position()?;
/// file.seek(SeekFrom::Start(0))?;
/// file.write_all(&end.to_le_bytes())?;
/// file.commit()?;
/// assert_eq!(std::fs::read(&out)?[..8], 12u64.to_le_bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let moved = self.file.as_file_mut().seek(pos);
        moved.map_err(|e| self.error(Operation::WriteFile, e))
    }
}

impl fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicFile")
            .field("target", &self.target)
            .field("temporary", &self.file.path())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FilePath;
    use std::fs;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_dropped_file_leaves_the_target_and_no_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = FilePath::new(dir.path().join("a.txt"));
        fs::write(&target, "old")?;
        let mut file = target.create_atomic()?;
        file.write_all(b"half of the new")?;
        assert_eq!(names(dir.path()).len(), 2);
        drop(file);
        assert_eq!(names(dir.path()), ["a.txt"]);
        assert_eq!(fs::read_to_string(&target)?, "old");
        Ok(())
    }

    #[test]
    fn a_seek_before_the_start_names_the_target() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("a.bin");
        let mut file = FilePath::new(&target).create_atomic()?;
        file.write_all(b"abc")?;
        file.seek(SeekFrom::Start(1))?;
        file.write_all(b"X")?;
        let err = file.seek(SeekFrom::Current(-10)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(
            err.to_string()
                .starts_with(&format!("cannot write `{}`:", target.display())),
            "{err}"
        );
        file.commit()?;
        assert_eq!(fs::read(&target)?, b"aXc");
        Ok(())
    }

    #[test]
    fn temporaries_are_runlayouts_hidden_names() -> TestResult {
        let dir = tempfile::tempdir()?;
        let file = FilePath::new(dir.path().join("a.txt")).create_atomic()?;
        let name = file.path().file_name().expect("a name").to_os_string();
        assert_eq!(file.path().parent(), Some(dir.path()));
        assert!(temporary::is_temporary(&name), "{name:?}");
        assert!(format!("{file:?}").contains(".runlayout-"));
        Ok(())
    }

    #[test]
    fn a_failed_rename_names_the_target_and_removes_the_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("taken");
        fs::create_dir(&target)?;
        fs::write(target.join("inside"), "kept")?;
        let err = FilePath::new(&target).write_atomic("x").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Io {
                    op: Operation::Rename,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.path(), Some(target.as_path()));
        assert_eq!(
            err.to_string(),
            format!(
                "cannot move into place `{}`: Is a directory (os error 21)",
                target.display()
            )
        );
        assert_eq!(names(dir.path()), ["taken"]);
        assert_eq!(fs::read_to_string(target.join("inside"))?, "kept");
        Ok(())
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_an_error_naming_it() -> TestResult {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join("blocker"), "a file")?;
        let err = FilePath::new(dir.path().join("blocker/a.txt"))
            .write_atomic("x")
            .unwrap_err();
        // Said once, and without the name of a temporary that never was.
        let blocker = dir.path().join("blocker");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot create a temporary file in `{}`: Not a directory (os error 20)",
                blocker.display()
            )
        );
        assert_eq!(fs::read_to_string(dir.path().join("blocker"))?, "a file");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_permissions_fs_write_gives() -> TestResult {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir()?;
        let plain = dir.path().join("plain");
        fs::write(&plain, "x")?;
        let atomic = FilePath::new(dir.path().join("atomic"));
        atomic.write_atomic("x")?;
        let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode(&atomic)?, mode(&plain)?);
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_first_write_into_a_folder_removes_a_dead_writers_temporary() -> TestResult {
        let dir = tempfile::tempdir()?;
        let tag = &crate::io::process::current().host_tag;
        let dead = format!(".runlayout-{}-1-{tag}-abcdefgh.tmp", u32::MAX);
        fs::write(dir.path().join(&dead), "half a checkpoint")?;
        FilePath::new(dir.path().join("epoch_0002.ckpt")).write_atomic("whole")?;
        assert_eq!(names(dir.path()), ["epoch_0002.ckpt"]);
        Ok(())
    }
}
