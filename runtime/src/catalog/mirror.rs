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
use crate::lifecycle::home::Home;
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
        let mirror = Mirror {
            home,
            dir: dir.to_path_buf(),
        };
        laid_out()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((mirror.dir.clone(), mirror.url()));
        Ok(Some(mirror))
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
        path.strip_prefix(&self.dir).ok()?;
        laid_out_url(path)
    }

    /// Lays out every run of the home: its manifest (as stored, so that a
    /// scan of the folder reports a bad one as it would on disk), the
    /// `records` named (of [`STATUS`], [`SUMMARY`], [`ANCESTOR`]; one read
    /// per run each, 32 at a time) and each stage's `latest` pointer.
    /// Returns what could not be read (a manifest or record too large to
    /// be one), which is left out.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the home cannot be listed, [`Error::Io`] naming
    /// the local path that cannot be written.
    pub fn runs(&self, records: &[&str]) -> Result<Vec<Error>> {
        let mut problems = Vec::new();
        for found in self.home.manifests(true, true)? {
            let bytes = match found.manifest {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let mut at = self.dir.clone();
            if found.debug {
                at.push(runlayout_grammar::names::DEBUG_DIR);
            }
            at.extend(&found.parts);
            write(&at.join(MANIFEST), &bytes)?;
        }
        let listing = Runs::scan(&self.dir).debug(DebugRuns::Include).list()?;
        let runs: Vec<&Run> = listing.runs.iter().map(|found| &found.run).collect();
        for &record in records {
            let addresses: Vec<_> = runs.iter().map(|run| run.address().clone()).collect();
            let stored = self.home.stored_of_each(&addresses, record)?;
            for (run, stored) in runs.iter().zip(stored) {
                match stored {
                    Ok(Some(bytes)) => lay_out(&run.path().join(record), record, &bytes)?,
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                }
            }
        }
        // The pointers of the stages the runs are in, as the home holds them.
        let mut groups = Vec::new();
        for found in &listing.runs {
            let group = found.run.address().group();
            let at = group.pointer(&self.dir);
            if groups.contains(&at) {
                continue;
            }
            groups.push(at.clone());
            match self.home.latest(group) {
                Ok(Some(address)) => {
                    pointer::write(&at, &address.pointer_target(), LinkStyle::Auto)?;
                }
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        Ok(problems)
    }

    /// Lays out the run at `run` (a run of [`dir`](Mirror::dir)) whole:
    /// its records and links as stored, and every other object below it
    /// as a sparse file of the object's size. A key that would lead
    /// outside the run (`..`, an empty part) is left out.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the home cannot be listed or a record read
    /// (one larger than any record is an error naming it), [`Error::Io`]
    /// naming the local path that cannot be written.
    pub fn fill(&self, run: &Run) -> Result<()> {
        for (relative, size) in self.home.objects(run.address())? {
            let Some(path) = inside(run.path(), &relative) else {
                continue;
            };
            if relative == MANIFEST {
                continue;
            }
            if is_link(&relative) || READ_WHOLE.contains(&relative.as_str()) {
                if let Some(bytes) = self.home.stored(run.address(), &relative)? {
                    lay_out(&path, &relative, &bytes)?;
                    if is_link(&relative) && relative != ANCESTOR {
                        self.descendant_ancestor(&path)?;
                    }
                }
            } else {
                sparse(&path, size)?;
            }
        }
        Ok(())
    }

    /// Lays out the `ancestor` link of the run the back-link at `back`
    /// names, if it is a run of the root: a back-link counts only while
    /// the descendant's own link names the run back.
    fn descendant_ancestor(&self, back: &Path) -> Result<()> {
        let Some(target) = pointer::read(back)? else {
            return Ok(());
        };
        let Some(descendant) = lexically(&back.parent().unwrap_or(back).join(target)) else {
            return Ok(());
        };
        let Some(key) = descendant
            .strip_prefix(&self.dir)
            .ok()
            .and_then(crate::io::working_copy::key_below)
        else {
            return Ok(());
        };
        if let Some(bytes) = self.home.stored_at(&format!("{key}/{ANCESTOR}"))? {
            lay_out(&descendant.join(ANCESTOR), ANCESTOR, &bytes)?;
        }
        Ok(())
    }

    /// Whether the home still holds the run at `run` (its manifest).
    pub(crate) fn holds(&self, run: &Run) -> Result<bool> {
        Ok(self.home.stored(run.address(), MANIFEST)?.is_some())
    }

    /// Removes the run at `run` from the home: its manifest first (from
    /// then on it does not exist), then its back-link in its ancestor
    /// (whichever back-link there leads to it), then every other object
    /// below it; then what is laid out of it here.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] naming the object a request failed for; what was
    /// deleted before stays deleted.
    pub(crate) fn remove(&self, run: &Run) -> Result<()> {
        let key = self.key_of(run.path());
        self.home.delete_at(&format!("{key}/{MANIFEST}"))?;
        if let Some(ancestor) = pointer::read(&run.path().join(ANCESTOR))? {
            let ancestor = lexically(&run.path().join(ancestor));
            if let Some(ancestor) = ancestor.filter(|a| a.starts_with(&self.dir)) {
                self.remove_backlinks_to(run.path(), &ancestor)?;
            }
        }
        for (relative, _) in self.home.objects(run.address())? {
            self.home.delete_at(&format!("{key}/{relative}"))?;
        }
        crate::io::fs::remove_any(run.path())
    }

    /// Deletes the back-links in the home's run at `ancestor` (a folder of
    /// the mirror) that lead to `run`.
    fn remove_backlinks_to(&self, run: &Path, ancestor: &Path) -> Result<()> {
        let key = self.key_of(ancestor);
        let prefix = format!("{DESCENDANTS}/");
        let listed = self.home.objects_below(&key)?;
        for (relative, _) in listed {
            if !relative.starts_with(&prefix) {
                continue;
            }
            let Some(bytes) = self.home.stored_at(&format!("{key}/{relative}"))? else {
                continue;
            };
            let Some(target) = pointer::parse_pointer(&bytes) else {
                continue;
            };
            let back_dir =
                inside(ancestor, &relative).and_then(|p| p.parent().map(Path::to_path_buf));
            let leads_to = back_dir.and_then(|dir| lexically(&dir.join(target)));
            if leads_to.as_deref() == Some(run) {
                self.home.delete_at(&format!("{key}/{relative}"))?;
                let _ = std::fs::remove_file(ancestor.join(&relative));
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
    let below = path.strip_prefix(dir).ok()?;
    Some(match crate::io::working_copy::key_below(below) {
        Some(key) => format!("{}/{key}", url.trim_end_matches('/')),
        None => url.clone(),
    })
}

/// Whether the object at `relative` below a run is one of its links: the
/// `ancestor`, or a back-link below `descendants/`.
fn is_link(relative: &str) -> bool {
    relative == ANCESTOR
        || relative
            .strip_prefix(DESCENDANTS)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Lays out at `path` what is stored at `relative`: a link (stored as a
/// pointer file's text) as the link it was, a symlink where links can be
/// made; anything else as its bytes.
fn lay_out(path: &Path, relative: &str, bytes: &[u8]) -> Result<()> {
    match is_link(relative)
        .then(|| pointer::parse_pointer(bytes))
        .flatten()
    {
        Some(target) => {
            make_parent(path)?;
            pointer::write(path, &target, LinkStyle::Auto)
        }
        None => write(path, bytes),
    }
}

/// `path` with its `..` parts taken back, as the folders it names stand
/// (the mirror holds no links but those it lays out); `None` if it climbs
/// above its start.
fn lexically(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// `relative` (a key below a run) as a path below `run`, if every part is
/// a plain name.
fn inside(run: &Path, relative: &str) -> Option<PathBuf> {
    let mut path = run.to_path_buf();
    for part in relative.split('/') {
        let mut parts = Path::new(part).components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(name)), None) if name == part => path.push(name),
            _ => return None,
        }
    }
    Some(path)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    make_parent(path)?;
    std::fs::write(path, bytes).at(Operation::WriteFile, path)
}

/// A file of `size` bytes that holds no data.
fn sparse(path: &Path, size: u64) -> Result<()> {
    make_parent(path)?;
    let file = std::fs::File::create(path).at(Operation::WriteFile, path)?;
    file.set_len(size).at(Operation::WriteFile, path)
}

fn make_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(parent) => std::fs::create_dir_all(parent).at(Operation::CreateDirAll, parent),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_leave_the_run_are_left_out() {
        let run = Path::new("/m/s/r");
        assert_eq!(
            inside(run, "checkpoints/a.ckpt"),
            Some(PathBuf::from("/m/s/r/checkpoints/a.ckpt"))
        );
        for bad in ["../x", "a/../../x", "", "a//b", "./a", "a/.", "/etc"] {
            assert_eq!(inside(run, bad), None, "{bad}");
        }
    }
}
