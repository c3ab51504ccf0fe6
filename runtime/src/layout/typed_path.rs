//! `DirPath` and `FilePath`: paths that say whether they name a folder or a
//! file, so a checkpoint folder can never be passed where a log file is meant.

use std::ffi::OsStr;
use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::io::atomic_file::{self, AtomicFile};
use crate::io::{fs, staged, temporary};

/// The traits and methods both typed paths share.
macro_rules! typed_path {
    ($ty:ident) => {
        impl $ty {
            /// Wraps a path. Nothing is checked or touched on disk.
            ///
            /// ```
            #[doc = concat!("let p = runlayout::", stringify!($ty), "::new(\"run/x\");")]
            /// assert_eq!(p.to_string(), "run/x");
            /// ```
            pub fn new(path: impl Into<PathBuf>) -> $ty {
                $ty(path.into())
            }

            /// The path.
            ///
            /// ```
            #[doc = concat!("let p = runlayout::", stringify!($ty), "::new(\"run/x\");")]
            /// assert_eq!(p.as_path(), std::path::Path::new("run/x"));
            /// ```
            pub fn as_path(&self) -> &Path {
                &self.0
            }

            /// The owned path.
            ///
            /// ```
            #[doc = concat!("let p = runlayout::", stringify!($ty), "::new(\"run/x\");")]
            /// assert_eq!(p.into_path_buf(), std::path::PathBuf::from("run/x"));
            /// ```
            pub fn into_path_buf(self) -> PathBuf {
                self.0
            }
        }

        impl AsRef<Path> for $ty {
            fn as_ref(&self) -> &Path {
                &self.0
            }
        }

        impl AsRef<OsStr> for $ty {
            fn as_ref(&self) -> &OsStr {
                self.0.as_os_str()
            }
        }

        impl Deref for $ty {
            type Target = Path;

            fn deref(&self) -> &Path {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.display(), f)
            }
        }

        impl From<$ty> for PathBuf {
            fn from(path: $ty) -> PathBuf {
                path.0
            }
        }

        impl PartialEq<Path> for $ty {
            fn eq(&self, other: &Path) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<PathBuf> for $ty {
            fn eq(&self, other: &PathBuf) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&Path> for $ty {
            fn eq(&self, other: &&Path) -> bool {
                self.0 == *other
            }
        }
    };
}

/// The path of a folder.
///
/// ```
/// use runlayout::DirPath;
///
/// let root = tempfile::tempdir()?;
/// let checkpoints = DirPath::new(root.path().join("checkpoints"));
/// checkpoints.create()?;
/// assert!(checkpoints.is_dir());
/// std::fs::write(checkpoints.join("epoch_1.ckpt"), b"weights")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DirPath(PathBuf);

/// The path of a file.
///
/// ```
/// use runlayout::FilePath;
///
/// let root = tempfile::tempdir()?;
/// let log = FilePath::new(root.path().join("logs").join("log.txt"));
/// log.create_parent()?;
/// std::fs::write(&log, "step 1\n")?;
/// assert_eq!(std::fs::read_to_string(&log)?, "step 1\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FilePath(PathBuf);

typed_path!(DirPath);
typed_path!(FilePath);

impl DirPath {
    /// The folder's path with `path` appended, as [`Path::join`] does.
    ///
    /// ```
    /// let ckpt = runlayout::DirPath::new("run/checkpoints");
    /// assert_eq!(ckpt.join("last.ckpt"), std::path::Path::new("run/checkpoints/last.ckpt"));
    /// ```
    #[must_use]
    pub fn join(&self, path: impl AsRef<Path>) -> PathBuf {
        self.0.join(path)
    }

    /// A folder inside this one.
    ///
    /// ```
    /// let run = runlayout::DirPath::new("run");
    /// assert_eq!(run.dir("plots"), runlayout::DirPath::new("run/plots"));
    /// ```
    #[must_use]
    pub fn dir(&self, path: impl AsRef<Path>) -> DirPath {
        DirPath(self.0.join(path))
    }

    /// A file inside this folder.
    ///
    /// ```
    /// let run = runlayout::DirPath::new("run");
    /// assert_eq!(run.file("notes.md"), runlayout::FilePath::new("run/notes.md"));
    /// ```
    #[must_use]
    pub fn file(&self, path: impl AsRef<Path>) -> FilePath {
        FilePath(self.0.join(path))
    }

    /// Makes the folder and its missing parents (`mkdir -p`); a folder that
    /// exists already is fine.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming the path, for instance when a
    /// file stands where a folder should.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let plots = runlayout::DirPath::new(root.path().join("a/b/plots"));
    /// plots.create()?;
    /// plots.create()?;
    /// assert!(plots.is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(&self) -> Result<()> {
        fs::create_dir_all(&self.0)
    }

    /// Removes the temporaries another program left in this folder: a
    /// framework's saver killed before its rename leaves its temporary
    /// (safetensors' and most Rust crates' `.tmpXXXXXX`, made by
    /// `tempfile`), which nothing else removes. Returns the paths removed,
    /// sorted.
    ///
    /// A name is removed when all of these hold:
    ///
    /// - it is in this folder itself, not below it;
    /// - it is hidden (starts with `.`): no family member, run, record or
    ///   link runlayout keeps is, so none is ever taken, however broad
    ///   `is_temp` is. A program whose temporaries are visible names
    ///   (`model.ckpt.tmp`) is not served by this;
    /// - it is not one of runlayout's own temporaries (`.runlayout-...tmp`,
    ///   files or folders): those are removed when their writer is gone,
    ///   never by age, as [`FilePath::write_atomic`] describes;
    /// - `is_temp` accepts it (names that are not UTF-8 are never asked);
    /// - it is a regular file: a symlink is neither removed nor followed,
    ///   and folders, FIFOs and sockets are left;
    /// - it was last modified more than `older_than` ago. A saver writes
    ///   its temporary as it goes, so choose an age no save of yours takes
    ///   without writing: the temporary of a save still under way, in this
    ///   process or another, is then never taken.
    ///
    /// A missing folder holds nothing to remove.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io): `read folder` naming the folder
    /// (something other than a folder stands there, say); `read metadata of`
    /// or `remove` naming the first file that failed, the files before it
    /// being removed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let run = tempfile::tempdir()?;
    /// let ckpt = runlayout::DirPath::new(run.path().join("checkpoints"));
    /// ckpt.create()?;
    /// // A save killed an hour ago left its temporary.
    /// std::fs::write(ckpt.join(".tmpX4b9Qz"), b"half a checkpoint")?;
    /// let file = std::fs::File::options().write(true).open(ckpt.join(".tmpX4b9Qz"))?;
    /// file.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))?;
    /// std::fs::write(ckpt.join("epoch_0001.safetensors"), b"weights")?;
    ///
    /// let removed = ckpt.sweep_foreign(|name| name.starts_with(".tmp"), Duration::from_secs(600))?;
    /// assert_eq!(removed, [ckpt.join(".tmpX4b9Qz")]);
    /// assert!(ckpt.join("epoch_0001.safetensors").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sweep_foreign(
        &self,
        is_temp: impl Fn(&str) -> bool,
        older_than: Duration,
    ) -> Result<Vec<PathBuf>> {
        temporary::sweep_foreign(&self.0, is_temp, older_than)
    }
}

impl FilePath {
    /// The folder the file sits in, if the path has one.
    ///
    /// ```
    /// let log = runlayout::FilePath::new("run/log.txt");
    /// assert_eq!(log.parent_dir(), Some(runlayout::DirPath::new("run")));
    /// ```
    #[must_use]
    pub fn parent_dir(&self) -> Option<DirPath> {
        self.0
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(DirPath::new)
    }

    /// Makes the folder the file sits in, and its missing parents.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming the folder.
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let summary = runlayout::FilePath::new(root.path().join("tracker/summary.yaml"));
    /// summary.create_parent()?;
    /// assert!(root.path().join("tracker").is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_parent(&self) -> Result<()> {
        match self.parent_dir() {
            Some(parent) => parent.create(),
            None => Ok(()),
        }
    }

    /// Writes `contents` to the file atomically: readers (a family's
    /// [`last()`](crate::Family::last) among them) find the old version or
    /// the new one, whole, never half of one, even if this process is killed
    /// halfway. Makes the folder the file sits in if it is missing.
    ///
    /// The data goes to a temporary file in the same folder, under a hidden
    /// name that families and scans never take for a member or a run, is
    /// synced to the device, and is renamed over the file. Temporaries that
    /// writers killed before their rename left in the folder are removed
    /// by the first atomic write of a process into that folder, which costs
    /// one read of the folder; later writes of the process there do not read
    /// it, so a write costs the same in a folder of ten thousand files. (A
    /// temporary left while the process was writing there waits for the
    /// next process that writes into that folder.) Built on the
    /// `tempfile` crate; see [`create_atomic`](FilePath::create_atomic) to
    /// write in pieces.
    ///
    /// In the working copy of a run whose home is object storage (feature
    /// `object-store`), the file is then stored in the home too, before
    /// the call returns: one put, or an upload in parts above 16 MiB, the
    /// object visible only when whole.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io): `create a temporary file in` naming
    /// the folder, or `write`, `sync`, `move into place` naming the file. The
    /// file is then as it was, and no temporary is left.
    /// [`Error::Store`](crate::Error::Store) if storing it in a run's home
    /// failed: the file is written here, and a
    /// [`sync`](crate::Run::sync) stores it later.
    ///
    /// ```
    /// let run = tempfile::tempdir()?;
    /// let ckpt = runlayout::FilePath::new(run.path().join("checkpoints/epoch_0003.ckpt"));
    /// ckpt.write_atomic(b"weights")?;
    /// assert_eq!(std::fs::read(&ckpt)?, b"weights");
    /// ckpt.write_atomic("new weights")?;
    /// assert_eq!(std::fs::read(&ckpt)?, b"new weights");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_atomic(&self, contents: impl AsRef<[u8]>) -> Result<()> {
        AtomicFile::write(&self.0, contents.as_ref())?;
        atomic_file::stored(&self.0)
    }

    /// Starts writing the file atomically, in pieces: write to the
    /// [`AtomicFile`] returned, then [`commit`](AtomicFile::commit) it. Until
    /// the commit the file is untouched; dropped without one, the new
    /// version is thrown away. Makes the folder the file sits in if it is
    /// missing, and removes stale temporaries there the first time the
    /// process writes into it, as [`write_atomic`](FilePath::write_atomic)
    /// does.
    ///
    /// # Errors
    ///
    /// [`Error::Io`](crate::Error::Io) naming the folder: `create folders`
    /// if it cannot be made, `create a temporary file in` if the temporary
    /// cannot.
    ///
    /// ```
    /// use std::io::Write as _;
    ///
    /// let run = tempfile::tempdir()?;
    /// let metrics = runlayout::FilePath::new(run.path().join("eval/metrics.csv"));
    /// let mut file = metrics.create_atomic()?;
    /// for epoch in 1..=3 {
    ///     writeln!(file, "{epoch},0.{epoch}")?;
    /// }
    /// file.commit()?;
    /// assert_eq!(std::fs::read_to_string(&metrics)?.lines().count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_atomic(&self) -> Result<AtomicFile> {
        AtomicFile::create(&self.0)
    }

    /// Writes the file atomically through `save`, a saver that only takes
    /// a path (a framework's `save(path)`: candle's `VarMap::save`,
    /// `safetensors::serialize_to_file`, a burn recorder's `record`):
    /// readers (a family's [`last()`](crate::Family::last) among them) find
    /// the old version or the new one, whole, even if the process is killed
    /// while `save` runs. Returns what `save` returned.
    ///
    /// `save` is given a path in a fresh hidden temporary folder of
    /// runlayout's in the file's folder (made if it is missing), ending in
    /// the file's own name: `checkpoints/.runlayout-<pid>-...-<random>.tmp/epoch_0003.ckpt`
    /// for `checkpoints/epoch_0003.ckpt`. Whatever `save` does there (writes
    /// in place, writes its own temporary and renames it over the path,
    /// picks its format by the extension) stays in that folder, which no
    /// family or scan looks into. When `save` returns `Ok`, the file it
    /// wrote is synced to the device and renamed over this path, and the
    /// folder is removed. When it returns an error or panics, the folder is
    /// removed with what it wrote, and this file is as it was. A process
    /// killed meanwhile leaves the folder, which the next process's first
    /// atomic write into this folder removes, as
    /// [`write_atomic`](FilePath::write_atomic) describes for its
    /// temporaries.
    ///
    /// `save` must leave one regular file, at the path it was given, and
    /// nothing else. A framework that adds its extension to a name that
    /// lacks it (`model` to `model.mpk`), or sets it (burn's file
    /// recorders), writes that very path when this file is named with the
    /// extension already (`epoch_{epoch:04}.mpk`): name the entry as the
    /// framework names its files. A saver that writes under another name
    /// anyway, or nothing, or several files, gets
    /// [`Error::SaverOutput`](crate::Error::SaverOutput) naming what it
    /// left, and nothing moves into place: taking a file named otherwise
    /// would put it where the framework, loading from this path, does not
    /// look, and taking one of several would lose the others.
    ///
    /// # Errors
    ///
    /// `save`'s own error, as it returned it. Otherwise (converted with
    /// `From`) [`Error::Io`](crate::Error::Io): `create folders` or
    /// `create a temporary folder in` naming the folder, `sync` or `move
    /// into place` naming this file, `write` for a path without a file
    /// name; [`Error::SaverOutput`](crate::Error::SaverOutput). This file
    /// is then as it was, and no temporary is left. In the working copy of
    /// a run whose home is object storage the file is then stored there
    /// as [`write_atomic`](FilePath::write_atomic) stores it;
    /// [`Error::Store`](crate::Error::Store) if that fails (the file is
    /// written here, and a [`sync`](crate::Run::sync) stores it later).
    ///
    /// ```
    /// use std::path::Path;
    ///
    /// /// A framework's saver: it takes a path and writes the file there.
    /// fn save_weights(weights: &[f32], path: &Path) -> std::io::Result<()> {
    ///     let bytes: Vec<u8> = weights.iter().flat_map(|w| w.to_le_bytes()).collect();
    ///     std::fs::write(path, bytes)
    /// }
    ///
    /// let run = tempfile::tempdir()?;
    /// let ckpt = runlayout::FilePath::new(run.path().join("checkpoints/epoch_0001.bin"));
    /// ckpt.write_atomic_with(|tmp| {
    ///     assert!(!ckpt.exists()); // nothing at the checkpoint's path until the rename
    ///     save_weights(&[0.5, 1.5], tmp)
    /// })?;
    /// assert_eq!(std::fs::read(&ckpt)?.len(), 8);
    ///
    /// // A saver that fails leaves the checkpoint as it was.
    /// let failed = ckpt.write_atomic_with(|tmp| {
    ///     std::fs::write(tmp, b"half")?;
    ///     Err::<(), _>(std::io::Error::other("out of memory"))
    /// });
    /// assert!(failed.is_err());
    /// assert_eq!(std::fs::read(&ckpt)?.len(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_atomic_with<T, E: From<Error>>(
        &self,
        save: impl FnOnce(&Path) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let saved = staged::write_with(&self.0, save)?;
        atomic_file::stored(&self.0)?;
        Ok(saved)
    }
}
