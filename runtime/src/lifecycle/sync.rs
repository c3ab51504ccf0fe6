//! A run's working copy and its home in object storage: `Run::remote`,
//! `Run::sync` uploads what changed, `Run::fetch` brings a file or a
//! folder down.

use std::path::{Path, PathBuf};

use crate::error::{Error, Operation, Result};
use crate::io::atomic_file::AtomicFile;
use crate::io::fs::At;
use crate::io::temporary;
use crate::io::working_copy::{RunHome, State, is_own, key_below, stamp};
use crate::run::Run;

/// What [`Run::sync`] did.
///
/// ```
/// let report = runlayout::remote::SyncReport::default();
/// assert!(report.uploaded.is_empty() && report.bytes == 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncReport {
    /// The files uploaded, relative to the run folder, in the order of
    /// their paths.
    pub uploaded: Vec<PathBuf>,
    /// How many files were as they were last uploaded, and were left.
    pub unchanged: usize,
    /// The bytes uploaded.
    pub bytes: u64,
}

impl Run {
    /// The run's URL, if its home is object storage (its root was a URL):
    /// [`path`](Run::path) is then its local working copy.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let cache = tempfile::tempdir()?;
    /// let run = Run::builder("memory://doc-remote/runs")
    ///     .cache_dir(cache.path())
    ///     .stage("pretrain")
    ///     .run_id("r1")
    ///     .create()?;
    /// assert_eq!(run.remote(), Some("memory://doc-remote/runs/pretrain/r1"));
    /// assert_eq!(run.path(), cache.path().join("pretrain/r1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remote(&self) -> Option<&str> {
        self.home().map(|home| home.url.as_str())
    }

    /// Uploads every file of the working copy that is new or changed since
    /// the last sync (by size and modification time) to the run's home:
    /// files a framework wrote through a plain path, the status and
    /// summary records, logs. Symbolic links, runlayout's temporaries and
    /// locks, and the manifest (written once, when the run was made) are
    /// not uploaded; a file removed here is not removed from the home.
    /// Files above 16 MiB go up in parts, each object visible only when
    /// whole. A run that lives on a local file system has no home: nothing
    /// is done.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] naming the object a request failed for,
    /// [`Error::Io`] naming the file that could not be read. What was
    /// uploaded before the failure stays recorded as uploaded.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let cache = tempfile::tempdir()?;
    /// let run = Run::builder("memory://doc-sync/runs").cache_dir(cache.path()).create()?;
    /// std::fs::write(run.path().join("metrics.csv"), "step,loss\n1,0.5\n")?;
    /// let report = run.sync()?;
    /// assert_eq!(report.uploaded, ["metrics.csv"].map(std::path::PathBuf::from));
    /// assert!(run.sync()?.uploaded.is_empty(), "nothing changed since");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&self) -> Result<SyncReport> {
        let Some(home) = self.home() else {
            return Ok(SyncReport::default());
        };
        // Read once, to tell what changed: each upload marks its file.
        let state = State::read(self.path(), &home.url)?;
        let mut report = SyncReport::default();
        let mut files = Vec::new();
        walk(self.path(), String::new(), &mut files)?;
        for relative in files {
            let path = self.path().join(&relative);
            let meta = std::fs::symlink_metadata(&path).at(Operation::Metadata, &path)?;
            if state.files.get(&relative) == Some(&stamp(&meta)) {
                report.unchanged += 1;
                continue;
            }
            report.bytes += home.upload(&relative)?;
            report.uploaded.push(PathBuf::from(relative));
        }
        Ok(report)
    }

    /// Brings the file at `relative` (a path below the run folder, such as
    /// `checkpoints/epoch_0003.ckpt`) from the run's home into the working
    /// copy, replacing what is there atomically, and returns its local
    /// path. When the home holds no file there but files below it,
    /// `relative` is a folder and every file below it is brought (how a
    /// job resumed on a new node gets the checkpoints other nodes stored,
    /// so that a family's `last()` finds the newest of them). A run with
    /// no home returns the path as it is.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`InvalidInput`) for a path that leaves the run
    /// folder, (`NotFound`, naming the local path) if the home holds
    /// nothing there; [`Error::Store`] if a request failed.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let cache = tempfile::tempdir()?;
    /// let home = "memory://doc-fetch/runs";
    /// let run = Run::builder(home).cache_dir(cache.path().join("node-a")).run_id("r").create()?;
    /// std::fs::create_dir(run.path().join("checkpoints"))?;
    /// std::fs::write(run.path().join("checkpoints/1.ckpt"), b"\x01\x02")?;
    /// run.sync()?;
    /// // Another node, another working copy.
    /// let resumed = Run::builder(home).cache_dir(cache.path().join("node-b")).run_id("r").open()?;
    /// let local = resumed.fetch("checkpoints/1.ckpt")?;
    /// assert_eq!(std::fs::read(local)?, b"\x01\x02");
    /// resumed.fetch("checkpoints")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fetch(&self, relative: impl AsRef<Path>) -> Result<PathBuf> {
        let relative = relative.as_ref();
        let local = self.path().join(relative);
        let key = key_below(relative).ok_or_else(|| {
            let why = "a path below the run folder, without `..`";
            Error::io(
                Operation::ReadFile,
                &local,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, why),
            )
        })?;
        let Some(home) = self.home() else {
            return Ok(local);
        };
        let fetched = if bring(home, &key)? {
            true
        } else {
            let below = home.store.list(&home.key_of(&key))?;
            let run_prefix = format!("{}/", home.key);
            let mut brought = false;
            for listed in &below {
                // Only keys that name a path below the run folder: a key
                // another writer made with `..` or a leading `/` in it
                // would lead out of the working copy.
                let Some(relative) = listed.key.strip_prefix(&run_prefix) else {
                    continue;
                };
                if key_below(Path::new(relative)).as_deref() == Some(relative) {
                    brought |= bring(home, relative)?;
                }
            }
            brought
        };
        if !fetched {
            let why = format!("nothing at this path in the run's home `{}`", home.url);
            return Err(Error::io(
                Operation::ReadFile,
                &local,
                std::io::Error::new(std::io::ErrorKind::NotFound, why),
            ));
        }
        Ok(local)
    }
}

/// Brings the object at `relative` (below the run's key) into the working
/// copy, replacing the file there atomically (and storing nothing back),
/// and marks it as it now is; `false` if the home holds none.
pub(crate) fn bring(home: &RunHome, relative: &str) -> Result<bool> {
    // Nothing is made here for an object the home does not hold.
    let Some(download) = home.store.download(&home.key_of(relative))? else {
        return Ok(false);
    };
    let local = home.dir.join(relative);
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).at(Operation::CreateDirAll, parent)?;
    }
    let file = AtomicFile::create(&local)?;
    let handle = file
        .as_file()
        .try_clone()
        .at(Operation::WriteFile, &local)?;
    home.store.save(download, handle, &local)?;
    file.commit_here()?;
    placed(home, relative, &local)?;
    Ok(true)
}

/// Writes `bytes`, the object at `relative` read already, into the working
/// copy (the folders it needs made), replacing the file there atomically
/// and storing nothing back.
pub(crate) fn place(home: &RunHome, relative: &str, bytes: &[u8]) -> Result<()> {
    let local = home.dir.join(relative);
    if let Some(parent) = local.parent() {
        std::fs::create_dir_all(parent).at(Operation::CreateDirAll, parent)?;
    }
    AtomicFile::write(&local, bytes)?;
    placed(home, relative, &local)
}

/// Marks the file at `local` (`relative` in the run) as the home holds it.
fn placed(home: &RunHome, relative: &str, local: &Path) -> Result<()> {
    home.update(|state| {
        if let Ok(meta) = std::fs::symlink_metadata(local) {
            state.files.insert(relative.to_owned(), stamp(&meta));
        }
    })
}

/// The regular files below `dir` that a sync uploads, `/`-separated
/// below the run folder (`prefix`), in order.
fn walk(dir: &Path, prefix: String, files: &mut Vec<String>) -> Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).at(Operation::ReadDir, dir)? {
        let entry = entry.at(Operation::ReadDir, dir)?;
        entries.push(entry);
    }
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if temporary::is_temporary(&name) {
            continue;
        }
        let Some(name) = name.to_str() else {
            let path = entry.path();
            let why = "a file name that is not UTF-8 has no object key";
            return Err(Error::io(
                Operation::ReadDir,
                &path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, why),
            ));
        };
        let relative = format!("{prefix}{name}");
        let kind = entry.file_type().at(Operation::Metadata, &entry.path())?;
        if kind.is_dir() {
            walk(&entry.path(), format!("{relative}/"), files)?;
        } else if kind.is_file() && !is_own(&relative) {
            files.push(relative);
        }
    }
    Ok(())
}
