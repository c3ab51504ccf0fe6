//! Ancestor links: a run records the run it grew out of, and the ancestor
//! records its descendants, so either can be found from the other.

use std::fs;
use std::io;
use std::path::PathBuf;

use crate::atomic;
use crate::error::{Error, Operation, Result};
use crate::fsx;
use crate::relpath::{relative, resolve};
use crate::run::Run;

/// The name of the link inside a run folder that leads to its ancestor.
///
/// ```
/// assert_eq!(runlayout_runtime::ANCESTOR, "ancestor");
/// ```
pub const ANCESTOR: &str = "ancestor";

/// The folder inside a run folder that holds one back-link per descendant.
///
/// ```
/// assert_eq!(runlayout_runtime::DESCENDANTS, "descendants");
/// ```
pub const DESCENDANTS: &str = "descendants";

/// How [`Run::link`] records a link.
///
/// ```
/// use runlayout_runtime::{LinkStyle, Run};
///
/// let root = tempfile::tempdir()?;
/// let old = Run::builder(root.path()).stage("pretrain").create()?;
/// let new = Run::builder(root.path())
///     .stage("finetune")
///     .link_style(LinkStyle::PointerFile)
///     .create()?;
/// new.link(&old)?;
/// // A plain file, which any file system and any copy tool keeps.
/// assert!(new.path().join("ancestor").is_file());
/// assert_eq!(new.ancestor()?, Some(old.path().canonicalize()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkStyle {
    /// A relative symlink; where the system refuses symlinks (Windows
    /// without the privilege, some network shares), a pointer file instead.
    #[default]
    Auto,
    /// Always a pointer file: a small text file holding the relative path,
    /// for file systems and transfer tools that mangle symlinks.
    PointerFile,
}

impl Run {
    /// Records `ancestor` as the run this one grew out of (for resuming).
    ///
    /// `<run>/ancestor` becomes a relative symlink to the ancestor's folder
    /// (so a moved output root keeps its links), replaced atomically: a
    /// reader never finds it missing, and a stale or dangling old link is
    /// replaced too. Where symlinks cannot be made it becomes a pointer
    /// file; see [`LinkStyle`]. The ancestor gets a back-link in its
    /// `descendants/` folder, named after this run's place below its root
    /// with `+` between the parts (`finetune+2026-11-30_k3x9a`,
    /// `debug+finetune+...`), which [`Run::descendants`] reads. The run's
    /// manifest, if it has one, records the ancestor too.
    ///
    /// Linking a run to itself does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::NotALink`] if a real file or folder is called `ancestor`
    /// (it is kept as it is), [`Error::InvalidManifest`] if the run's
    /// manifest cannot be read (checked before anything changes),
    /// [`Error::Io`] naming the path.
    ///
    /// ```
    /// use runlayout_runtime::Run;
    ///
    /// let root = tempfile::tempdir()?;
    /// let pretrain = Run::builder(root.path()).stage("pretrain").create()?;
    /// let finetune = pretrain.with_run(None, Some("finetune")).create()?;
    /// finetune.link(&pretrain)?;
    /// assert_eq!(finetune.ancestor()?, Some(pretrain.path().canonicalize()?));
    /// assert_eq!(pretrain.descendants()?, vec![finetune.path().canonicalize()?]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn link(&self, ancestor: &Run) -> Result<()> {
        let me = fsx::canonicalize(&self.path)?;
        let them = fsx::canonicalize(&ancestor.path)?;
        if me == them {
            return Ok(());
        }
        // Read first: a broken manifest stops the link before anything changes.
        #[cfg(feature = "manifest")]
        let manifest = self.manifest()?;
        let target = relative(&me, &them);
        atomic::replace(&self.path.join(ANCESTOR), &target, self.link_style)?;
        let back_dir = ancestor.path.join(DESCENDANTS);
        fsx::create_dir_all(&back_dir)?;
        atomic::replace(
            &back_dir.join(self.backlink_name()),
            &relative(&them.join(DESCENDANTS), &me),
            self.link_style,
        )?;
        #[cfg(feature = "manifest")]
        if let Some(manifest) = manifest {
            manifest
                .with_ancestor(ancestor, &target)
                .write(&self.path)?;
        }
        Ok(())
    }

    /// The folder of the run this one was linked to, if any: canonical when
    /// it exists, else the path the link names (a dangling link is reported,
    /// not hidden). Reads symlinks and pointer files alike.
    ///
    /// # Errors
    ///
    /// [`Error::NotALink`] if a real file or folder is called `ancestor`,
    /// [`Error::Io`] if it cannot be read.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).create()?;
    /// assert_eq!(run.ancestor()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ancestor(&self) -> Result<Option<PathBuf>> {
        let target = atomic::read(&self.path.join(ANCESTOR))?;
        Ok(target.map(|t| resolve(&self.path, &t)))
    }

    /// The canonical folders of the runs whose `ancestor` is this run, sorted.
    ///
    /// A back-link counts only while its run still points here: a descendant
    /// that was deleted, or relinked to another ancestor, drops out.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the path if `descendants/` or a link in it cannot
    /// be read.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout_runtime::Run::builder(root.path()).create()?;
    /// assert!(run.descendants()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn descendants(&self) -> Result<Vec<PathBuf>> {
        let dir = self.path.join(DESCENDANTS);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(Operation::ReadDir, &dir, e)),
        };
        let me = fsx::canonicalize(&self.path)?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(Operation::ReadDir, &dir, e))?;
            if atomic::is_temporary(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let target = match atomic::read(&entry.path()) {
                Ok(Some(target)) => target,
                // Vanished meanwhile, or a foreign file: not a descendant.
                Ok(None) | Err(Error::NotALink { .. }) => continue,
                Err(e) => return Err(e),
            };
            let Ok(child) = fs::canonicalize(dir.join(target)) else {
                continue; // the descendant was deleted
            };
            let points_here = match atomic::read(&child.join(ANCESTOR)) {
                Ok(Some(back)) => resolve(&child, &back) == me,
                Ok(None) | Err(Error::NotALink { .. }) => false,
                Err(e) => return Err(e),
            };
            if points_here {
                found.push(child);
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// This run's place below its root, `+` between the parts: unique within
    /// the root, and one file name (`+` is never part of a run id or stage).
    fn backlink_name(&self) -> String {
        let below_root = self.path.strip_prefix(&self.root).unwrap_or(&self.path);
        let parts: Vec<_> = below_root
            .iter()
            .map(|part| part.to_string_lossy())
            .collect();
        parts.join("+")
    }
}
