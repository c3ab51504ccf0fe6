//! A root in object storage, laid out in a local folder for reading: the
//! `runlayout` command's `show`, `tree`, `path`, `diff` and `latest` read
//! a bucket's runs with the code that reads folders, so that they answer
//! alike for both.
//!
//! The folder holds every run's manifest at its place and each stage's
//! `latest` pointer; a run asked for in full ([`Mirror::fill`]) gets its
//! records and links, and each of its other objects as a file of the
//! object's size that holds no data (a sparse file: nothing is
//! downloaded, and nothing takes room on the disk). Nothing is written to
//! the home.

use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::catalog::scan::{DebugRuns, Runs};
use crate::error::{Error, Operation, Result};
use crate::io::fs::At as _;
use crate::io::pointer::{self, LinkStyle};
use crate::lifecycle::ancestry::{ANCESTOR, DESCENDANTS};
use crate::lifecycle::home::{Bulk, Home, is_left_behind, is_tombstone};
use crate::record::manifest::MANIFEST;
use crate::record::restarts::RESTARTS;
use crate::record::status::STATUS;
use crate::record::summary::SUMMARY;
use crate::run::Run;
use runlayout_grammar::names::LAYOUT_RECORD;

/// The records of a run read whole into the mirror (and its links: the
/// `ancestor`, and any object below `descendants/`).
const READ_WHOLE: [&str; 4] = [STATUS, SUMMARY, RESTARTS, LAYOUT_RECORD];

/// A root in object storage, laid out below a local folder.
#[doc(hidden)]
pub struct Mirror {
    home: Home,
    dir: PathBuf,
    /// The run folders (keys) where [`runs`](Mirror::runs) found a
    /// tombstone a prune that is gone left behind.
    left: Mutex<Vec<String>>,
    /// Whether [`runs`](Mirror::runs) remembers the records it reads in
    /// the cache folder, and reads again only those that changed.
    remember: bool,
}

impl Mirror {
    /// The mirror of `root` in the folder `dir` (made if missing), or
    /// `None` if `root` is a folder, not a URL. Nothing is read yet.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedRoot`] for a URL no store answers to.
    pub fn of(root: &Path, dir: &Path) -> Result<Option<Mirror>> {
        let Some(home) = Home::of(root, Some(dir))? else {
            return Ok(None);
        };
        std::fs::create_dir_all(dir).at(Operation::CreateDirAll, dir)?;
        // Canonical: every path below it is then spelled one way (a
        // temporary folder below a symlink, as on macOS, included).
        let dir = std::fs::canonicalize(dir).at(Operation::Metadata, dir)?;
        let mirror = Mirror {
            home,
            dir,
            left: Mutex::new(Vec::new()),
            remember: false,
        };
        laid_out()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((mirror.dir.clone(), mirror.url()));
        Ok(Some(mirror))
    }

    /// This mirror, its [`runs`](Mirror::runs) remembering the records it
    /// reads in the cache folder of working copies (`RUNLAYOUT_CACHE`, else
    /// the platform's), so that the next reads again only those a listing
    /// shows changed.
    #[must_use]
    pub fn remembering(mut self) -> Mirror {
        self.remember = true;
        self
    }

    /// A new folder to lay a root out in, removed when dropped: in `TMPDIR`
    /// if it is set, else in memory (`/dev/shm`) where the machine has such
    /// a folder with at least 1 GiB free, else in the temporary folder.
    /// What is laid out is a few small records per run (about 12 KiB of a
    /// memory folder each), gone when the command ends; on a disk, making
    /// and removing them can cost more than the bucket takes to answer (2.3 s
    /// against 0.1 s for 1,000 runs, on an ext4 disk mounted with
    /// `discard`). A container's `/dev/shm` (64 MiB by default) is passed
    /// over: it would fill.
    ///
    /// # Errors
    ///
    /// The temporary folder's, if it cannot be made.
    pub fn scratch() -> std::io::Result<tempfile::TempDir> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".runlayout-bucket-");
        #[cfg(target_os = "linux")]
        {
            const ROOM: u64 = 1 << 30;
            let memory = Path::new("/dev/shm");
            let room =
                rustix::fs::statvfs(memory).map_or(0, |fs| fs.f_bavail.saturating_mul(fs.f_frsize));
            if std::env::var_os("TMPDIR").is_none()
                && room >= ROOM
                && let Ok(dir) = builder.tempdir_in(memory)
            {
                return Ok(dir);
            }
        }
        builder.tempdir()
    }

    /// The local folder that stands for the root.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root's URL.
    pub fn url(&self) -> String {
        self.home.root_url()
    }

    /// The URL of what `path` (below [`dir`](Mirror::dir)) stands for.
    pub fn url_of(&self, path: &Path) -> Option<String> {
        let below = path.strip_prefix(&self.dir).ok()?;
        Some(url_below(&self.url(), below))
    }

    /// Where `path` (a URL below the root, as spelled from `root` or as
    /// the mirror spells its URL) is laid out; any other path as it is.
    pub(crate) fn local_of(&self, root: &Path, path: &Path) -> PathBuf {
        let url = self.url();
        [root, Path::new(&url)]
            .iter()
            .find_map(|root| path.strip_prefix(root).ok())
            .map_or_else(
                || path.to_path_buf(),
                |below| crate::io::fs::canonical_or_same(&self.dir.join(below)),
            )
    }

    /// Lays out every run of the home: its manifest (as stored, so that a
    /// scan of the folder reports a bad one as it would on disk), the
    /// `records` named (of [`STATUS`], [`SUMMARY`], [`ANCESTOR`]; one read
    /// per run each, 32 at a time, of those a listing of the run's folder
    /// holds and, if [`remembering`](Mirror::remembering), that changed
    /// since the last reading) and each stage's `latest` pointer.
    /// Returns what could not be read or laid out (a manifest or record
    /// too large to be one, a name the local file system refuses, a link
    /// that leads out of the root), which is left out.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the home cannot be listed or read.
    pub fn runs(&self, records: &[&str]) -> Result<Vec<Error>> {
        let mut problems = Vec::new();
        let mut bulk = match self.remember {
            true => self.home.remembering(),
            false => Bulk::default(),
        };
        for found in self.home.manifests(true, true, &mut bulk)? {
            let mut parts: Vec<&str> = Vec::new();
            if found.debug {
                parts.push(runlayout_grammar::names::DEBUG_DIR);
            }
            parts.extend(found.parts.iter().map(String::as_str));
            if found.removing {
                if found.manifest.as_deref().is_ok_and(is_left_behind) {
                    self.left
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(parts.join("/"));
                }
                continue;
            }
            let bytes = match found.manifest {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            parts.push(MANIFEST);
            if let Err(e) = self.put_file(&parts, Content::Bytes(&bytes)) {
                problems.push(e);
            }
        }
        let listing = Runs::scan(&self.dir).debug(DebugRuns::Include).list()?;
        let runs: Vec<&Run> = listing.runs.iter().map(|found| &found.run).collect();
        for &record in records {
            let addresses: Vec<_> = runs.iter().map(|run| run.address().clone()).collect();
            let stored = self.home.stored_of_each(&addresses, record, &mut bulk)?;
            for (run, stored) in runs.iter().zip(stored) {
                let laid = match stored {
                    Ok(Some(bytes)) => self.lay_out(run.path(), record, &bytes),
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                };
                if let Err(e) = laid {
                    problems.push(e);
                }
            }
        }
        bulk.keep();
        // The pointers of the stages the runs are in, as the home holds them.
        let mut groups = Vec::new();
        for found in &listing.runs {
            let group = found.run.address().group();
            let at = group.pointer(&self.dir);
            if groups.contains(&at) {
                continue;
            }
            groups.push(at.clone());
            let laid = match self.home.latest(group) {
                Ok(Some(address)) => {
                    pointer::write(&at, &address.pointer_target(), LinkStyle::Auto)
                }
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = laid {
                problems.push(e);
            }
        }
        Ok(problems)
    }

    /// Lays out the run at `run` (a run of [`dir`](Mirror::dir)) whole:
    /// its records and links as stored, and every other object below it
    /// as a sparse file of the object's size. Nothing is ever written
    /// outside the mirror's folder: no path goes through a link, and a
    /// link that would lead out of it is not made. What cannot be laid
    /// out (a key that is no path below the run, a file where a folder
    /// must be, a name the file system refuses) is left out and said;
    /// the objects of another run below it (a folder holding a manifest)
    /// are left out too.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the home cannot be listed or read.
    pub fn fill(&self, run: &Run) -> Result<Filled> {
        let objects = self.home.objects(run.address())?;
        // The back-links as the home holds them now, none left from before.
        let _ = crate::io::fs::remove_any(&run.path().join(DESCENDANTS));
        let mut filled = Filled::default();
        // Files and folders first, links last: nothing is laid out below
        // a link, whatever order the store lists in.
        let (links, files): (Vec<_>, Vec<_>) = objects.iter().partition(|o| is_link(&o.relative));
        for object in files.into_iter().chain(links) {
            let relative = object.relative.as_str();
            if relative == MANIFEST {
                continue;
            }
            let laid = if is_link(relative) || READ_WHOLE.contains(&relative) {
                match self.home.stored(run.address(), relative) {
                    Ok(Some(bytes)) => self.lay_out(run.path(), relative, &bytes),
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                }
            } else {
                match self.parts_below(run.path(), relative) {
                    Some(parts) => self.put_file(&parts, Content::Sparse(object.size)),
                    None => Err(self.unplaceable(run.path(), relative)),
                }
            };
            let back_link = is_link(relative) && relative != ANCESTOR;
            let laid = laid.and_then(|()| match back_link {
                true => self.descendant_ancestor(&run.path().join(relative)),
                false => Ok(()),
            });
            if let Err(e) = laid {
                filled.problems.push(e);
            }
        }
        Ok(filled)
    }

    /// Lays out the run's back-links as the home holds them now, none
    /// left from before, each with the `ancestor` link of the run it
    /// names: what [`Run::descendants`] then reads is the home's.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the home cannot be listed or read, or a
    /// back-link cannot be laid out.
    pub(crate) fn refresh_backlinks(&self, run: &Run) -> Result<()> {
        let _ = crate::io::fs::remove_any(&run.path().join(DESCENDANTS));
        let key = format!("{}/{DESCENDANTS}", self.key_of(run.path()));
        for object in self.home.objects_below(&key)? {
            let relative = format!("{DESCENDANTS}/{}", object.relative);
            if !is_link(&relative) {
                continue;
            }
            if let Some(bytes) = self.home.stored(run.address(), &relative)? {
                self.lay_out(run.path(), &relative, &bytes)?;
                self.descendant_ancestor(&run.path().join(&relative))?;
            }
        }
        Ok(())
    }

    /// Lays out what is stored at `relative` below the run folder `run`:
    /// a link (stored as a pointer file's text) as the link it was, if it
    /// leads to a place inside the mirror; anything else as its bytes.
    fn lay_out(&self, run: &Path, relative: &str, bytes: &[u8]) -> Result<()> {
        let Some(parts) = self.parts_below(run, relative) else {
            return Err(self.unplaceable(run, relative));
        };
        let target = is_link(relative)
            .then(|| pointer::parse_pointer(bytes))
            .flatten();
        let Some(target) = target else {
            return self.put_file(&parts, Content::Bytes(bytes));
        };
        let at = run.join(relative);
        let leads_to = at.parent().and_then(|from| self.inside(from, &target));
        if leads_to.is_none() {
            return Err(Error::Store {
                op: "lay out",
                url: self.url_of(&at).unwrap_or_default(),
                message: format!(
                    "a link that leads to `{}`, outside the root: not followed",
                    target.display()
                ),
            });
        }
        let (last, folders) = parts.split_last().unwrap_or((&"", &[]));
        let folder = self.real_folder(folders)?;
        pointer::write(&folder.join(last), &target, LinkStyle::Auto)
    }

    /// Lays out the `ancestor` link of the run the back-link at `back`
    /// names, if that run is laid out (a run of the root): a back-link
    /// counts only while the descendant's own link names the run back.
    fn descendant_ancestor(&self, back: &Path) -> Result<()> {
        let Ok(Some(target)) = pointer::read(back) else {
            return Ok(());
        };
        let Some(descendant) = back.parent().and_then(|from| self.inside(from, &target)) else {
            return Ok(());
        };
        let Some(key) = descendant
            .strip_prefix(&self.dir)
            .ok()
            .and_then(crate::io::working_copy::key_below)
        else {
            return Ok(());
        };
        // The descendant as the home holds it now (made since the root was
        // laid out, or gone since): its manifest, then its link.
        let manifest = self.home.stored_at(&format!("{key}/{MANIFEST}"))?;
        let Some(manifest) = manifest.filter(|bytes| !is_tombstone(bytes)) else {
            return Ok(());
        };
        let mut parts: Vec<&str> = key.split('/').collect();
        parts.push(MANIFEST);
        self.put_file(&parts, Content::Bytes(&manifest))?;
        match self.home.stored_at(&format!("{key}/{ANCESTOR}"))? {
            Some(bytes) => self.lay_out(&descendant, ANCESTOR, &bytes)?,
            None => {
                let _ = crate::io::fs::remove_file(&descendant.join(ANCESTOR));
            }
        }
        Ok(())
    }

    /// The manifest the home holds for the run at `run` now, if it holds
    /// one (a run being removed holds none).
    pub(crate) fn manifest_of(&self, run: &Run) -> Result<Option<Vec<u8>>> {
        let stored = self.home.stored(run.address(), MANIFEST)?;
        Ok(stored.filter(|bytes| !is_tombstone(bytes)))
    }

    /// Begins removing the run at `run` from the home, if its manifest
    /// there is still `manifest` (`None` if not): its manifest is replaced
    /// by a tombstone (from then on no node makes, opens, joins or links
    /// to a run of that id), then its objects are listed.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] naming the object a request failed for.
    pub(crate) fn begin_removal(&self, run: &Run, manifest: &[u8]) -> Result<Option<Removal>> {
        let ancestor = pointer::read(&run.path().join(ANCESTOR))
            .ok()
            .flatten()
            .and_then(|target| self.inside(run.path(), &target));
        if !self.home.begin_removal(run.address(), manifest)? {
            return Ok(None);
        }
        // Listed after the tombstone: what a writer that began before it
        // (a link, a sync) stored goes too. A run that cannot be listed
        // whole now (another tool wrote a key no path can be made of
        // below it) gets its manifest back: a removal that could not be
        // finished would stand in its way for good.
        match self.home.objects(run.address()) {
            Ok(objects) => Ok(Some(Removal { objects, ancestor })),
            Err(e) => {
                self.home.undo_removal(run.address(), manifest)?;
                Err(e)
            }
        }
    }

    /// Puts the run's `manifest` back in place of the tombstone
    /// [`begin_removal`](Mirror::begin_removal) put: the run stays.
    pub(crate) fn undo_removal(&self, run: &Run, manifest: &[u8]) -> Result<bool> {
        self.home.undo_removal(run.address(), manifest)
    }

    /// Ends a removal: the run's back-link in its ancestor goes (whichever
    /// back-link there leads to it), then every object listed, then the
    /// tombstone. The objects of another run below it stay.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] naming the object a request failed for; what was
    /// deleted before stays deleted, and the tombstone keeps the id from
    /// being used until a later prune finishes the removal.
    pub(crate) fn end_removal(&self, run: &Run, removal: Removal) -> Result<()> {
        if let Some(ancestor) = &removal.ancestor {
            // A back-link left behind names a run that is gone: it counts
            // for nothing.
            let _ = self.remove_backlinks_to(run.path(), ancestor);
        }
        for object in removal.objects.iter().filter(|o| o.relative != MANIFEST) {
            self.home.delete_object(object)?;
        }
        self.home.end_removal(&self.key_of(run.path()))
    }

    /// Moves on each stage's `latest` object in the home that names one of
    /// the `removed` runs (runs of this mirror), as a prune that takes
    /// latest runs does: to the newest run of the stage left in the home,
    /// or away when none is left, only if no creator moved it meanwhile.
    /// Each pointer's URL and the URL of the run it names now.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the home cannot be listed, read or written.
    pub(crate) fn move_latest_on(
        &self,
        removed: &[&Run],
    ) -> Result<Vec<(PathBuf, Option<PathBuf>)>> {
        let mut moved = Vec::new();
        let mut left = None;
        let mut seen = Vec::new();
        for run in removed {
            let group = run.address().group();
            if seen.contains(&group) {
                continue;
            }
            seen.push(group);
            let Some((named, stored)) = self.home.latest_as_stored(group)? else {
                continue;
            };
            if !removed.iter().any(|r| r.address() == &named) {
                continue;
            }
            let left = match &mut left {
                Some(left) => left,
                None => left.insert(
                    Runs::scan(self.url())
                        .debug(DebugRuns::Include)
                        .unindexed()
                        .list()?
                        .runs,
                ),
            };
            let newest = left
                .iter()
                .filter(|found| found.run.address().group() == group)
                .max_by(|a, b| (a.created, a.run.path()).cmp(&(b.created, b.run.path())));
            let to = newest.map(|found| {
                let created = found.manifest.as_ref().map(|m| m.created.clone());
                (found.run.address(), created)
            });
            if self.home.reset_latest(group, &stored, to)? {
                let pointer = url_below(&self.url(), &group.pointer(Path::new("")));
                let now = newest.map(|found| PathBuf::from(self.home.run_url(found.run.address())));
                moved.push((PathBuf::from(pointer), now));
            }
        }
        Ok(moved)
    }

    /// The run folders (keys below the root) where a prune that is gone
    /// left a tombstone, as [`runs`](Mirror::runs) found them.
    pub(crate) fn left_removals(&self) -> Vec<String> {
        self.left
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Finishes the removal a prune that is gone left at the run folder
    /// `key`: every object below it, then its tombstone.
    pub(crate) fn finish_left_removal(&self, key: &str) -> Result<bool> {
        self.home.finish_left_removal(key)
    }

    /// The URL of the run folder `key` (below the root).
    pub(crate) fn url_of_key(&self, key: &str) -> String {
        url_below(&self.url(), Path::new(key))
    }

    /// Deletes the back-links in the home's run at `ancestor` (a folder of
    /// the mirror) that lead to `run`.
    fn remove_backlinks_to(&self, run: &Path, ancestor: &Path) -> Result<()> {
        let key = self.key_of(ancestor);
        for object in self.home.objects_below(&key)? {
            if !is_link(&object.relative) || object.relative == ANCESTOR {
                continue;
            }
            let Some(bytes) = self.home.stored_at(&format!("{key}/{}", object.relative))? else {
                continue;
            };
            let Some(target) = pointer::parse_pointer(&bytes) else {
                continue;
            };
            let back = ancestor.join(&object.relative);
            let leads_to = back.parent().and_then(|from| self.inside(from, &target));
            if leads_to.as_deref() == Some(run) {
                self.home.delete_object(&object)?;
                let _ = std::fs::remove_file(&back);
            }
        }
        Ok(())
    }

    /// The key below the root of `path`, a folder of the mirror.
    fn key_of(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir)
            .ok()
            .and_then(crate::io::working_copy::key_below)
            .unwrap_or_default()
    }

    /// Where a link at a place in `from` (a folder of the mirror) with
    /// `target` leads, if inside the mirror: a target runlayout writes
    /// climbs some folders, then names some (`../../pretrain/base`);
    /// any other (a `..` after a name, an absolute path) leads nowhere.
    fn inside(&self, from: &Path, target: &Path) -> Option<PathBuf> {
        let mut at = from.to_path_buf();
        let mut naming = false;
        for part in target.components() {
            match part {
                Component::ParentDir if !naming => {
                    if !at.pop() {
                        return None;
                    }
                }
                Component::Normal(name) => {
                    naming = true;
                    at.push(name);
                }
                Component::CurDir => {}
                _ => return None,
            }
        }
        (at.starts_with(&self.dir) && at != self.dir).then_some(at)
    }

    /// The parts, below the mirror's folder, of the place of `relative`
    /// (a key below the run folder `run`), if every part is a plain name.
    fn parts_below<'a>(&self, run: &'a Path, relative: &'a str) -> Option<Vec<&'a str>> {
        let below = run.strip_prefix(&self.dir).ok()?;
        let mut parts: Vec<&str> = Vec::new();
        for part in below.components() {
            parts.push(part.as_os_str().to_str()?);
        }
        for part in relative.split('/') {
            let mut single = Path::new(part).components();
            match (single.next(), single.next()) {
                (Some(Component::Normal(name)), None) if name == part => parts.push(part),
                _ => return None,
            }
        }
        Some(parts)
    }

    fn unplaceable(&self, run: &Path, relative: &str) -> Error {
        Error::Store {
            op: "lay out",
            url: format!("{}/{relative}", self.url_of(run).unwrap_or_default()),
            message: "no path below its run (an empty part, `.` or `..`): left out".into(),
        }
    }

    /// The folder at `parts` below the mirror's folder, made where
    /// missing; an error if any part is anything but a real folder (a
    /// link, a file): nothing is laid out through a link.
    fn real_folder(&self, parts: &[&str]) -> Result<PathBuf> {
        let mut at = self.dir.clone();
        for part in parts {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(Error::NotADirectory { path: at }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir(&at).at(Operation::CreateDir, &at)?;
                }
                Err(e) => return Err(e).at(Operation::Metadata, &at),
            }
        }
        Ok(at)
    }

    /// Writes the file at `parts` below the mirror's folder (its folders
    /// real ones, made where missing), never through a link.
    fn put_file(&self, parts: &[&str], content: Content<'_>) -> Result<()> {
        let (last, folders) = parts.split_last().unwrap_or((&"", &[]));
        let path = self.real_folder(folders)?.join(last);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let mut file = options.open(&path).at(Operation::WriteFile, &path)?;
        match content {
            Content::Bytes(bytes) => {
                use std::io::Write as _;
                file.write_all(bytes).at(Operation::WriteFile, &path)
            }
            Content::Sparse(size) => file.set_len(size).at(Operation::WriteFile, &path),
        }
    }

    /// `run` (a run of [`dir`](Mirror::dir)), living in the home: its
    /// [`remote`](Run::remote) is its URL, and its status is read there.
    pub fn attach(&self, run: Run) -> Run {
        self.home.attach(run)
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let mut laid_out = laid_out().lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = laid_out.iter().position(|(dir, _)| *dir == self.dir) {
            laid_out.remove(at);
        }
    }
}

/// The folders mirrors of this process lay roots out in, with the root's
/// URL.
fn laid_out() -> &'static Mutex<Vec<(PathBuf, String)>> {
    static LAID_OUT: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());
    &LAID_OUT
}

/// The URL `path` stands for if it is in a folder a [`Mirror`] of this
/// process lays a root out in: what a person reading wants to see of the
/// paths of runs read or pruned in a bucket.
#[doc(hidden)]
pub fn laid_out_url(path: &Path) -> Option<String> {
    let laid_out = laid_out().lock().unwrap_or_else(PoisonError::into_inner);
    let (dir, url) = laid_out.iter().find(|(dir, _)| path.starts_with(dir))?;
    Some(url_below(url, path.strip_prefix(dir).ok()?))
}

/// The URL of what stands at `below` (a path below the root) in the root
/// at `url`.
fn url_below(url: &str, below: &Path) -> String {
    match crate::io::working_copy::key_below(below) {
        Some(key) => format!("{}/{key}", url.trim_end_matches('/')),
        None => url.to_owned(),
    }
}

/// `text` (a message, a problem) with every folder a [`Mirror`] of this
/// process lays a root out in written as the root's URL.
#[doc(hidden)]
pub fn laid_out_text(text: &str) -> String {
    let laid_out = laid_out().lock().unwrap_or_else(PoisonError::into_inner);
    let mut text = text.to_owned();
    for (dir, url) in laid_out.iter() {
        let dir = dir.display().to_string();
        if text.contains(&dir) {
            text = text.replace(&dir, url.trim_end_matches('/'));
        }
    }
    text
}

/// Whether the object at `relative` below a run is one of its links: the
/// `ancestor`, or a back-link below `descendants/`.
fn is_link(relative: &str) -> bool {
    relative == ANCESTOR
        || relative
            .strip_prefix(DESCENDANTS)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// A removal begun: the run's objects as listed before its tombstone, and
/// its ancestor's folder in the mirror, if it has one there.
pub(crate) struct Removal {
    objects: Vec<crate::lifecycle::home::HomeObject>,
    ancestor: Option<PathBuf>,
}

/// What a file laid out holds: bytes read, or only its size.
enum Content<'a> {
    Bytes(&'a [u8]),
    Sparse(u64),
}

/// What laying out a run whole found.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Filled {
    /// What could not be laid out, and why (left out).
    pub problems: Vec<Error>,
}
