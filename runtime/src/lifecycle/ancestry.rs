//! Ancestry: a run records the run it grew out of, and the ancestor can list
//! the runs that grew out of it.
//!
//! The record, in one place:
//!
//! - **The truth** is the `ancestor` link in the run's folder, alone. Linking
//!   replaces it atomically (one rename), so it is the one commit point:
//!   every reader sees the old ancestor or the new one.
//! - **A hint** is the back-link in the ancestor's `descendants/` folder. It
//!   is written *before* the `ancestor` link, so every committed link has
//!   its back-link; [`Run::descendants`] keeps only back-links whose run
//!   still points here, so a hint left by a failed, killed or superseded
//!   link is never reported.
//! - `run.json` never records ancestry and is never rewritten by a link.

use std::path::{Path, PathBuf};

use runlayout_grammar::hash;
pub use runlayout_grammar::names::{ANCESTOR, DESCENDANTS};

use crate::error::{Error, Result};
use crate::io::claim;
use crate::io::fs::{self, Created};
use crate::io::pointer;
use crate::io::relpath::{normalize, relative, resolve};
use crate::io::temporary;
use crate::run::Run;

/// The readable part of a back-link name is cut to this many bytes, so the
/// name with its hash always fits the 255 bytes a file name may have.
const BACKLINK_READABLE: usize = 200;

impl Run {
    /// Records `ancestor` as the run this one grew out of (for resuming).
    ///
    /// First the ancestor gets a back-link in its `descendants/` folder, then
    /// `<run>/ancestor` becomes a relative symlink to the ancestor's folder
    /// (so a moved output root keeps its links), replaced atomically: a
    /// reader never finds it missing, and a stale or dangling old link is
    /// replaced too. That replacement is the commit point: if the call fails
    /// or the process dies before it, the run keeps its previous ancestor,
    /// and concurrent calls leave exactly one of their ancestors. Where
    /// symlinks cannot be made the links are pointer files; see
    /// [`LinkStyle`](crate::LinkStyle).
    ///
    /// Linking a run to itself does nothing. `run.json` is not touched.
    ///
    /// Linking is all or nothing against removal: both runs are claimed as
    /// in use while they are linked (see [`Run`]), so a prune removes
    /// neither meanwhile, and from then on the back-link keeps the ancestor
    /// for as long as this run points at it. A run that a prune is
    /// removing is not linked: the call fails and the previous ancestor
    /// stays.
    ///
    /// # Errors
    ///
    /// [`Error::NotALink`] if a real file or folder is called `ancestor`
    /// (it is kept as it is; checked before anything changes),
    /// [`Error::RunBeingRemoved`] if either run is being removed,
    /// [`Error::NotADirectory`] if the ancestor's `descendants` is no folder,
    /// [`Error::Io`] naming the path.
    ///
    /// ```
    /// use runlayout::Run;
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
        let me = fs::canonicalize(self.path())?;
        let them = fs::canonicalize(ancestor.path())?;
        if me == them {
            return Ok(());
        }
        let link = self.path().join(ANCESTOR);
        // A real file called `ancestor` stops the link before anything changes.
        pointer::read(&link)?;
        // Both runs are in use while they are linked: no prune removes
        // either meanwhile, and a run a prune is removing is not linked.
        let _mine = claim::use_run(self.path())?;
        let _theirs = claim::use_run(&them)?;
        temporary::sweep(self.path());
        let back_dir = them.join(DESCENDANTS);
        descendants_folder(&back_dir)?;
        temporary::sweep(&back_dir);
        let back_link = back_dir.join(backlink_name(self, &me));
        // Runs in a bucket link as their keys lie in the home: from one
        // run's working copy to the other's in the same cache, on any node.
        let on_disk = || (relative(&me, &them), relative(&back_dir, &me));
        #[cfg(feature = "object-store")]
        let (target, back_target) = self.targets_in_home(ancestor)?.unwrap_or_else(on_disk);
        #[cfg(not(feature = "object-store"))]
        let (target, back_target) = on_disk();
        // The home, the truth, is linked first: a link it refuses (its
        // ancestor is being removed) leaves the working copy as it was.
        #[cfg(feature = "object-store")]
        self.link_in_home(ancestor, (&back_link, &back_target), &target)?;
        pointer::write(&back_link, &back_target, self.link_style())?;
        pointer::write(&link, &target, self.link_style())?;
        Ok(())
    }

    /// For runs whose home is object storage, the targets of the
    /// `ancestor` link and of the back-link as from one run's key to the
    /// other's; `None` for runs on disk. Both runs must live in one root.
    #[cfg(feature = "object-store")]
    fn targets_in_home(&self, ancestor: &Run) -> Result<Option<(PathBuf, PathBuf)>> {
        let (mine, theirs) = match (self.home(), ancestor.home()) {
            (None, None) => return Ok(None),
            (Some(mine), Some(theirs)) if mine.store.url() == theirs.store.url() => (mine, theirs),
            (mine, theirs) => {
                let url = |home: Option<&crate::run::RunHome>, run: &Run| {
                    home.map_or_else(|| run.path().display().to_string(), |h| h.url.clone())
                };
                return Err(Error::UnsupportedRoot {
                    root: url(mine, self),
                    reason: format!(
                        "a run links to a run of its own root, not to `{}`",
                        url(theirs, ancestor)
                    ),
                });
            }
        };
        let at = |key: &str| Path::new("/").join(key);
        let (me, them) = (at(&mine.key), at(&theirs.key));
        Ok(Some((
            relative(&me, &them),
            relative(&them.join(DESCENDANTS), &me),
        )))
    }

    /// For runs whose home is object storage: the links go to the home as
    /// objects holding what a pointer file holds, the back-link first and
    /// the `ancestor` last, as on disk.
    ///
    /// A home has no claims, so the ancestor's manifest is read before and
    /// after both writes. A prune puts a tombstone in place of a run's
    /// manifest, then reads the run's back-links (and their runs' links)
    /// again. Either this call's last read comes before the tombstone,
    /// and the prune sees the whole link and keeps the run; or it finds
    /// the tombstone, and waits for the prune's decision: the manifest
    /// back (the link stands) or gone (the call takes back what it wrote
    /// and fails). A run being removed itself (its own tombstone) is not
    /// linked either.
    #[cfg(feature = "object-store")]
    fn link_in_home(
        &self,
        ancestor: &Run,
        (back_link, back_target): (&Path, &Path),
        target: &Path,
    ) -> Result<()> {
        use crate::io::working_copy::RunHome;
        let (Some(mine), Some(theirs)) = (self.home(), ancestor.home()) else {
            return Ok(());
        };
        let refused = |home: &RunHome| Error::RunBeingRemoved {
            path: PathBuf::from(&home.url),
        };
        for home in [theirs, mine] {
            if standing(home)? != Some(true) {
                return Err(refused(home));
            }
        }
        let text = |target: &Path| {
            pointer::pointer_text(target)
                .map_err(|e| Error::io(crate::error::Operation::WriteLink, target, e))
        };
        let name = back_link
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let back_key = theirs.key_of(&format!("{DESCENDANTS}/{name}"));
        let back_bytes = text(back_target)?.into_bytes();
        // Made new if absent: taking back removes only what this call
        // made, never the back-link of a link made before.
        let made_back = theirs.store.create(&back_key, back_bytes.clone())?;
        if !made_back {
            theirs.store.put(&back_key, back_bytes)?;
        }
        let link_key = mine.key_of(ANCESTOR);
        let link_bytes = text(target)?.into_bytes();
        mine.store.put(&link_key, link_bytes.clone())?;
        let (Some(true), Some(true)) = (decided(theirs)?, standing(mine)?) else {
            // The ancestor was removed (or this run is being removed):
            // the link to it goes, if no other link replaced it since.
            let now = mine.store.get(&link_key)?;
            if now.is_some_and(|now| now.bytes == link_bytes) {
                mine.store.delete(&link_key)?;
            }
            if made_back {
                theirs.store.delete(&back_key)?;
            }
            return Err(refused(theirs));
        };
        Ok(())
    }

    /// For a run whose home is object storage: the runs whose `ancestor`
    /// in the home leads here (see `descendant_keys`), each as its working
    /// copy's folder in this node's cache (open it to fetch it).
    #[cfg(feature = "object-store")]
    fn descendants_in_home(&self, home: &crate::run::RunHome) -> Result<Vec<PathBuf>> {
        // The cache folder this run's working copy is in.
        let mut cache = self.path().to_path_buf();
        for _ in home.key.split('/') {
            cache.pop();
        }
        let keys = crate::lifecycle::home::descendant_keys(&home.store, &home.key)?;
        Ok(keys.iter().map(|key| cache.join(key)).collect())
    }

    /// The folder of the run this one was linked to, if any: canonical when
    /// it exists, else the path the link names (a dangling link is reported,
    /// not hidden). Reads symlinks and pointer files alike. This is the one
    /// record of ancestry.
    ///
    /// # Errors
    ///
    /// [`Error::NotALink`] if a real file or folder is called `ancestor`,
    /// [`Error::Io`] if it cannot be read.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert_eq!(run.ancestor()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ancestor(&self) -> Result<Option<PathBuf>> {
        let target = pointer::read(&self.path().join(ANCESTOR))?;
        Ok(target.map(|t| resolve(self.path(), &t)))
    }

    /// The canonical folders of the runs whose `ancestor` is this run, sorted.
    ///
    /// Back-links are hints: one counts only while its run still points
    /// here, so a descendant that was deleted or relinked drops out, and
    /// anything in `descendants/` that is no back-link (a foreign file, a
    /// temporary) is passed over. For a run whose home is object storage
    /// the back-links and links are those of the home (whichever node
    /// made them; a run a prune is removing counts until its removal is
    /// done), and each descendant is named by its working copy's folder
    /// in this node's cache folder, as [`ancestor`](Run::ancestor) names
    /// the ancestor.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the path if `descendants/` cannot be read.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// let run = runlayout::Run::builder(root.path()).create()?;
    /// assert!(run.descendants()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn descendants(&self) -> Result<Vec<PathBuf>> {
        #[cfg(feature = "object-store")]
        if let Some(home) = self.home() {
            return self.descendants_in_home(home);
        }
        let dir = self.path().join(DESCENDANTS);
        let Some(entries) = fs::read_dir_if_there(&dir)? else {
            return Ok(Vec::new());
        };
        let me = fs::canonicalize(self.path())?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry?;
            if temporary::is_temporary(&entry.file_name()) {
                continue;
            }
            if let Some(child) = verified_descendant(&dir, &entry.path(), &me) {
                found.push(child);
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }
}

/// Whether the run lives in its home now: `Some(true)` if its manifest
/// stands, `Some(false)` if it is gone, `None` while a tombstone stands
/// in its place (a prune is removing it).
#[cfg(feature = "object-store")]
fn standing(home: &crate::io::working_copy::RunHome) -> Result<Option<bool>> {
    let manifest = home
        .store
        .get(&home.key_of(crate::record::manifest::MANIFEST))?;
    Ok(match manifest {
        None => Some(false),
        Some(m) if crate::lifecycle::home::is_tombstone(&m.bytes) => None,
        Some(_) => Some(true),
    })
}

/// How long a link waits for a prune's decision on its ancestor before it
/// takes itself back: a prune decides within a few requests of its
/// tombstone, and then deletes the run's objects (a large run's take
/// longer).
#[cfg(all(feature = "object-store", not(test)))]
const DECISION_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// In tests, where no prune stops for long, a short wait.
#[cfg(all(feature = "object-store", test))]
const DECISION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the run stands, once any prune removing it has decided:
/// `Some(true)` if its manifest stands or comes back, `Some(false)` if it
/// goes, `None` if a tombstone still stands after [`DECISION_WAIT`].
#[cfg(feature = "object-store")]
fn decided(home: &crate::io::working_copy::RunHome) -> Result<Option<bool>> {
    let start = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        if let Some(stands) = standing(home)? {
            return Ok(Some(stands));
        }
        if start.elapsed() > DECISION_WAIT {
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_secs(1));
    }
}

/// Makes sure the ancestor's `descendants/` is a real folder of its own: made
/// with one `mkdir` (never its parents, so a removed ancestor is never
/// brought back as an empty shell), and never a symlink that would lead the
/// back-link out of the ancestor.
fn descendants_folder(dir: &Path) -> Result<()> {
    match fs::create_dir(dir)? {
        Created::New => return Ok(()),
        Created::Taken => {}
        Created::NoParent(_) => {
            let ancestor = dir.parent().unwrap_or(dir).to_path_buf();
            return Err(Error::AncestorGone { path: ancestor });
        }
    }
    match fs::symlink_metadata_if_there(dir)? {
        Some(meta) if meta.is_dir() => Ok(()),
        _ => Err(Error::NotADirectory { path: dir.into() }),
    }
}

/// Where `run`'s back-link in its current ancestor is, if it has an ancestor.
pub(crate) fn backlink(run: &Run) -> Result<Option<PathBuf>> {
    let Some(ancestor) = run.ancestor()? else {
        return Ok(None);
    };
    let me = fs::canonicalize(run.path())?;
    Ok(Some(
        ancestor.join(DESCENDANTS).join(backlink_name(run, &me)),
    ))
}

/// The back-links in the run folder `run`'s `descendants/` that name a
/// place below `within` (a canonical folder) where nothing is: what a
/// removal killed between moving a run away and unlinking its back-link
/// leaves. A back-link that cannot be read, or that names a place outside
/// `within` (another root, which may just not be mounted), is not one.
pub(crate) fn dangling_backlinks(run: &Path, within: &Path) -> Vec<PathBuf> {
    let Ok(run) = fs::canonicalize(run) else {
        return Vec::new();
    };
    // The run's own folder only: a `descendants` that is a symlink leads
    // somewhere runlayout did not write, and nothing there is touched.
    let dir = run.join(DESCENDANTS);
    if !fs::symlink_metadata_if_there(&dir).is_ok_and(|m| m.is_some_and(|m| m.is_dir())) {
        return Vec::new();
    }
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| !temporary::is_temporary(&e.file_name()))
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .map(|e| e.path())
        .filter(|link| is_dangling(link, within))
        .collect()
}

/// Whether the back-link `link` (in a canonical `descendants/` folder)
/// names a place below `within` where nothing is, in a folder that is
/// there and holds other things (the stage's other runs, its pointer).
/// An empty or missing folder may be a disk not mounted right now, whose
/// runs come back: their back-links are kept.
pub(crate) fn is_dangling(link: &Path, within: &Path) -> bool {
    let (Ok(Some(target)), Some(dir)) = (pointer::read(link), link.parent()) else {
        return false;
    };
    let place = normalize(&dir.join(target));
    place.starts_with(within)
        && place != within
        && matches!(fs::symlink_metadata_if_there(&place), Ok(None))
        && place
            .parent()
            .is_some_and(|folder| fs::read_dir(folder).is_ok_and(|mut e| e.next().is_some()))
}

/// The run the back-link at `link` names, if that run's `ancestor` is `me`.
fn verified_descendant(dir: &Path, link: &Path, me: &Path) -> Option<PathBuf> {
    let target = pointer::read(link).ok()??;
    let child = fs::canonicalize(&dir.join(target)).ok()?;
    let back = pointer::read(&child.join(ANCESTOR)).ok()??;
    (resolve(&child, &back) == me).then_some(child)
}

/// The back-link's name for `run`, whose canonical folder is `canonical`:
/// the run's place below its root with `+` between the parts (readable:
/// `finetune+2026-11-30_k3x9a`), then `+` and a hash of the canonical folder,
/// so two runs never share a name (runs of one place below two roots
/// included) and the name stays within 255 bytes. `+` is never part of a
/// run id or stage.
fn backlink_name(run: &Run, canonical: &Path) -> String {
    let below_root = run.path().strip_prefix(run.root()).unwrap_or(run.path());
    let parts: Vec<_> = below_root
        .iter()
        .map(|part| part.to_string_lossy())
        .collect();
    let mut name = parts.join("+");
    if name.len() > BACKLINK_READABLE {
        let mut cut = BACKLINK_READABLE;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    name.push('+');
    let digits = hash::short_hex::<16>(canonical.as_os_str().as_encoded_bytes());
    name.extend(digits.iter().map(|&b| char::from(b)));
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ancestor_gone_while_it_is_linked_to_is_said_so() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        // The ancestor's folder, removed after the link began.
        let gone = dir.path().join("pretrain/r1");
        let err = descendants_folder(&gone.join(DESCENDANTS)).unwrap_err();
        assert!(
            matches!(&err, Error::AncestorGone { path } if *path == gone),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "no run folder at `{}`: the run to link to is gone, so nothing was linked",
                gone.display()
            )
        );
        // Nothing was made for it: no empty shell of the ancestor.
        assert!(!dir.path().join("pretrain").exists());
    }
}
