//! `Runs`: every run below an output root, for listing, inspecting and
//! resuming runs after the fact.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use runlayout_grammar::names::{self, DEBUG_DIR};

use crate::error::{Error, Result};
use crate::io::fs::{self, ReadDir};
use crate::io::pointer::LinkStyle;
use crate::io::temporary;
#[cfg(feature = "object-store")]
use crate::lifecycle::home::{Bulk, Home};
use crate::record::manifest::Manifest;
use crate::record::probe;
use crate::record::status::{KnownManifest, RunState, RunStatus};
use crate::run::Run;
use crate::run::address::Address;
use crate::run::nesting::Nesting;

/// Which runs a scan lists, by their debug flag.
///
/// ```
/// use runlayout::scan::{DebugRuns, Runs};
///
/// let runs = Runs::scan("runs").debug(DebugRuns::Only);
/// # let _ = runs;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DebugRuns {
    /// Debug runs and the others (the default).
    #[default]
    Include,
    /// Only runs outside the `debug/` folder.
    Exclude,
    /// Only runs inside the `debug/` folder.
    Only,
}

/// A scan of an output root for runs: set it up with [`Runs::scan`] and the
/// filters, read the tree with [`list`](Runs::list).
///
/// A folder is a run when it holds a manifest (`run.json`), wherever the
/// runs' nesting put it: `root/[debug/]<stage>/<id>`,
/// `root/[debug/]<id>/<stage>` or `root/[debug/]<id>`. Its id, stage and
/// debug flag come from that place, never from the manifest (which only
/// says which nesting it was made with; where the two levels read alike
/// either way, the reading that agrees with more of the manifest's id and
/// stage wins): a copied run folder is listed under its new name, and a
/// manifest that disagrees with its folder's place (id, stage, debug flag,
/// nesting) is reported in [`Listing::problems`]. A folder whose manifest cannot be read
/// (broken, a FIFO, too large) is listed too, placed as the scan's
/// [`nesting`](Runs::nesting) says, and the problem reported. Folders without a manifest (made by
/// hand, or with manifests switched off) cannot be told from a run's own
/// sub-folders by their place alone; they are listed when a
/// [`stage`](Runs::stage) is given, as every folder with a valid run id where
/// the [`nesting`](Runs::nesting) puts that stage's runs.
///
/// Stage and run folders may be symlinks to folders elsewhere (a stage on
/// another disk). Every file read is read defensively: a FIFO or a device
/// named `run.json` is a problem reported for that run, never a hang.
/// Temporaries left behind by killed writers are removed on the way.
///
/// ```
/// use runlayout::{Run, scan::Runs};
///
/// let root = tempfile::tempdir()?;
/// let first = Run::builder(root.path()).stage("pretrain").create()?;
/// let second = Run::builder(root.path()).stage("pretrain").debug(true).create()?;
/// std::fs::write(root.path().join("notes.txt"), "not a run")?;
///
/// let listing = Runs::scan(root.path()).stage("pretrain").list()?;
/// let mut ids: Vec<_> = listing.runs.iter().map(|r| r.run.id().clone()).collect();
/// ids.sort();
/// let mut expected = vec![first.id().clone(), second.id().clone()];
/// expected.sort();
/// assert_eq!(ids, expected);
/// assert!(listing.problems.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a Runs scan does nothing until list() is called"]
pub struct Runs {
    root: PathBuf,
    stage: Option<String>,
    debug: DebugRuns,
    nesting: Nesting,
    /// Whether a home's stage indexes may stand in for its records (never
    /// for a decision that removes or moves anything: see `stage_index`).
    #[cfg(feature = "object-store")]
    indexed: bool,
}

/// One run a scan found.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// use runlayout::{Run, scan::Runs};
/// let made = Run::builder(root.path()).stage("s").create()?;
/// let found = &Runs::scan(root.path()).stage("s").list()?.runs[0];
/// assert_eq!(found.run.path(), made.path());
/// assert!(found.created.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FoundRun {
    /// The run, ready to be linked or inspected; its id, stage and debug
    /// flag are those of its folder's place.
    pub run: Run,
    /// Its manifest, when it has one that could be read (always `None`
    /// without the `manifest` feature).
    pub manifest: Option<Manifest>,
    /// When it was created: the manifest's time, else the folder's
    /// modification time.
    pub created: Option<SystemTime>,
    /// Whether the scan found a manifest it could not read (the problem is
    /// in [`Listing::problems`]): the status then reads it again, and
    /// fails as [`Run::status`] does.
    manifest_unreadable: bool,
}

impl FoundRun {
    /// The run's [`status`](Run::status), using the manifest the scan has
    /// read already: decided by the one function [`Run::status`] uses, so
    /// the two always agree. A manifest the scan could not read makes it
    /// fail as [`Run::status`] fails, where the manifest is needed.
    ///
    /// # Errors
    ///
    /// As [`Run::status`].
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{Run, RunStatus, scan::Runs};
    /// Run::builder(root.path()).stage("s").create()?.finish()?;
    /// let found = &Runs::scan(root.path()).stage("s").list()?.runs[0];
    /// # #[cfg(feature = "manifest")]
    /// assert_eq!(found.status()?, RunStatus::Finished);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status(&self) -> Result<RunStatus> {
        self.state().map(|s| s.status)
    }

    /// The run's [`state`](Run::state), using the manifest the scan has
    /// read already: one read of the status record, and none of the
    /// manifest.
    ///
    /// # Errors
    ///
    /// As [`Run::state`].
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{Run, scan::Runs};
    /// Run::builder(root.path()).stage("s").create()?.fail("oom")?;
    /// let found = &Runs::scan(root.path()).stage("s").list()?.runs[0];
    /// # #[cfg(feature = "manifest")]
    /// assert_eq!(found.state()?.ended.unwrap().reason.as_deref(), Some("oom"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> Result<RunState> {
        let known = if self.manifest_unreadable {
            KnownManifest::Unread
        } else {
            KnownManifest::Read(self.manifest.as_ref())
        };
        self.run.state_with(known)
    }
}

/// What a scan found: the runs, oldest first, and what could not be read.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// std::fs::write(root.path().join("notes.txt"), "not a run")?;
/// let listing = runlayout::scan::Runs::scan(root.path()).list()?;
/// assert!(listing.runs.is_empty() && listing.problems.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Listing {
    /// The runs, sorted by creation time (then path).
    pub runs: Vec<FoundRun>,
    /// Folders or manifests that could not be read, and manifests that
    /// disagree with their folder's place; each names its path. The scan
    /// went on.
    pub problems: Vec<Error>,
}

impl Runs {
    /// Sets up a scan of `root`; nothing is read yet.
    ///
    /// ```
    /// let scan = runlayout::scan::Runs::scan("runs").stage("pretrain");
    /// # let _ = scan;
    /// ```
    pub fn scan(root: impl Into<PathBuf>) -> Runs {
        Runs {
            root: root.into(),
            stage: None,
            debug: DebugRuns::default(),
            nesting: Nesting::default(),
            #[cfg(feature = "object-store")]
            indexed: true,
        }
    }

    /// Reads every record of a home from the home itself, none from its
    /// stages' indexes: what a prune decides on.
    #[cfg(feature = "object-store")]
    pub(crate) fn unindexed(mut self) -> Runs {
        self.indexed = false;
        self
    }

    /// Lists only runs of this stage.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{Run, scan::Runs};
    /// Run::builder(root.path()).stage("a").create()?;
    /// Run::builder(root.path()).stage("b").create()?;
    /// assert_eq!(Runs::scan(root.path()).stage("a").list()?.runs.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stage(mut self, stage: impl Into<String>) -> Runs {
        self.stage = Some(stage.into());
        self
    }

    /// Lists debug runs, the others, or both (the default).
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{Run, scan::{DebugRuns, Runs}};
    /// Run::builder(root.path()).debug(true).create()?;
    /// assert_eq!(Runs::scan(root.path()).debug(DebugRuns::Exclude).list()?.runs.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn debug(mut self, debug: DebugRuns) -> Runs {
        self.debug = debug;
        self
    }

    /// Where runs without a manifest are looked for (stage first by
    /// default); runs with a manifest are found in either order.
    ///
    /// ```
    /// # let root = tempfile::tempdir()?;
    /// use runlayout::{Nesting, scan::Runs};
    /// std::fs::create_dir_all(root.path().join("r1/eval"))?;
    /// let found = Runs::scan(root.path()).stage("eval").nesting(Nesting::RunFirst).list()?;
    /// assert_eq!(found.runs[0].run.id().as_str(), "r1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nesting(mut self, nesting: Nesting) -> Runs {
        self.nesting = nesting;
        self
    }

    /// Reads the tree and returns the runs, oldest first. Foreign files and
    /// folders are skipped; folders and manifests that cannot be read are
    /// reported in [`Listing::problems`] and the scan goes on.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the root if it cannot be read (or does not exist).
    ///
    /// ```
    /// let root = tempfile::tempdir()?;
    /// let missing = runlayout::scan::Runs::scan(root.path().join("nope")).list();
    /// assert!(missing.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Result<Listing> {
        #[cfg(feature = "object-store")]
        if let Some(home) = Home::of(&self.root, None)? {
            return self.list_home(&home);
        }
        crate::io::url_root::refuse_url(&self.root, "listing runs")?;
        let mut listing = Listing::default();
        let top = fs::read_dir(&self.root)?;
        if self.debug != DebugRuns::Only {
            self.scan_base(&self.root, Some(top), false, &mut listing);
        }
        if self.debug != DebugRuns::Exclude {
            self.scan_base(&self.root.join(DEBUG_DIR), None, true, &mut listing);
        }
        listing
            .runs
            .sort_by(|a, b| (a.created, a.run.path()).cmp(&(b.created, b.run.path())));
        Ok(listing)
    }

    /// [`list`](Runs::list) of a root in object storage: the runs its
    /// listing finds, read from the home without touching any working
    /// copy. Each run's path is where its working copy goes in the
    /// default cache; [`Run::remote`] gives its URL, and its status is
    /// read from the home.
    #[cfg(feature = "object-store")]
    fn list_home(&self, home: &Home) -> Result<Listing> {
        let mut listing = Listing::default();
        let plain = self.debug != DebugRuns::Only;
        let debug = self.debug != DebugRuns::Exclude;
        let mut found_runs = Vec::new();
        let mut bulk = match self.indexed {
            true => Bulk::indexed(),
            false => Bulk::default(),
        };
        for found in home.manifests(plain, debug, &mut bulk)? {
            if found.removing {
                continue;
            }
            let parts: Vec<&str> = found.parts.iter().map(String::as_str).collect();
            let manifest = found.manifest.and_then(|bytes| {
                serde_json::from_slice::<Manifest>(&bytes).map_err(|e| Error::InvalidRecord {
                    kind: crate::error::RecordKind::Manifest,
                    path: PathBuf::from(&found.url),
                    message: e.to_string(),
                })
            });
            let (address, manifest) = match manifest {
                Ok(manifest) => (
                    placed_as_recorded(&parts, found.debug, &manifest),
                    Ok(Some(manifest)),
                ),
                Err(e) => {
                    listing.problems.push(e);
                    (
                        Address::at(&parts, found.debug, self.nesting),
                        Err(Unreadable),
                    )
                }
            };
            let Some(address) = address else { continue };
            if self.stage.is_none() || address.stage == self.stage {
                found_runs.push((address, manifest));
            }
        }
        // Each run's status read with the listing, 32 at a time, for its
        // first status().
        let addresses: Vec<Address> = found_runs.iter().map(|(a, _)| a.clone()).collect();
        let statuses = home.stored_of_each(&addresses, crate::record::status::STATUS, &mut bulk)?;
        for ((address, manifest), status) in found_runs.into_iter().zip(statuses) {
            let run = Run::new(
                home.cache().to_path_buf(),
                address,
                LinkStyle::default(),
                false,
            );
            let run = home.attach_listed(run, status);
            if let Ok(Some(manifest)) = &manifest {
                listing.problems.extend(manifest.mismatches(&run));
            }
            push(run, manifest, &mut listing);
        }
        listing
            .runs
            .sort_by(|a, b| (a.created, a.run.path()).cmp(&(b.created, b.run.path())));
        Ok(listing)
    }

    /// Looks at every folder one and two levels below `base`.
    fn scan_base(&self, base: &Path, entries: Option<ReadDir>, debug: bool, out: &mut Listing) {
        let entries = match entries {
            Some(entries) => entries,
            None => match fs::read_dir_if_there(base) {
                Ok(Some(entries)) => entries,
                Ok(None) => return,
                Err(e) => return out.problems.push(e),
            },
        };
        for first in named_folders(base, entries, out) {
            self.consider(&[&first], debug, out);
            let dir = base.join(&first);
            let inner = match fs::read_dir(&dir) {
                Ok(inner) => inner,
                Err(e) => {
                    out.problems.push(e);
                    continue;
                }
            };
            for second in named_folders(&dir, inner, out) {
                self.consider(&[&first, &second], debug, out);
            }
        }
    }

    /// Lists the folder at `parts` below a base if it is a run that passes
    /// the filters.
    fn consider(&self, parts: &[&str], debug: bool, out: &mut Listing) {
        let base = if debug {
            self.root.join(DEBUG_DIR)
        } else {
            self.root.clone()
        };
        let path: PathBuf = parts.iter().fold(base, |p, part| p.join(part));
        match probe::manifest(&path) {
            Ok(Some(manifest)) => {
                let Some(address) = placed_as_recorded(parts, debug, &manifest) else {
                    return;
                };
                if self.stage.is_some() && address.stage != self.stage {
                    return;
                }
                let run = Run::new(self.root.clone(), address, LinkStyle::default(), false);
                out.problems.extend(manifest.mismatches(&run));
                push(run, Ok(Some(manifest)), out);
            }
            Ok(None) => {
                if let Some(address) = self.placed_without_manifest(parts, debug) {
                    let run = Run::new(self.root.clone(), address, LinkStyle::default(), false);
                    push(run, Ok(None), out);
                }
            }
            Err(e) => {
                // A run whose manifest cannot be read is still a run; its
                // place is read as the scan's nesting says, and the problem
                // is reported.
                out.problems.push(e);
                if let Some(address) = Address::at(parts, debug, self.nesting)
                    && (self.stage.is_none() || address.stage == self.stage)
                {
                    let run = Run::new(self.root.clone(), address, LinkStyle::default(), false);
                    push(run, Err(Unreadable), out);
                }
            }
        }
    }

    /// The address of a manifest-less folder at `parts` below a base, when
    /// a stage filter says where such runs are.
    fn placed_without_manifest(&self, parts: &[&str], debug: bool) -> Option<Address> {
        let stage = self.stage.as_deref()?;
        let address = Address::at(parts, debug, self.nesting)?;
        (address.stage.as_deref() == Some(stage)).then_some(address)
    }
}

/// The place of a folder with a manifest. Two levels below a base read
/// either way (`<stage>/<id>` or `<id>/<stage>`), and only the nesting is
/// taken from the manifest: the reading that agrees with more of what the
/// manifest records (its id, its stage) wins, the recorded nesting on a
/// tie. So a copied or renamed run is read in its own nesting, and a
/// manifest whose `nesting` alone was changed cannot swap a run's id and
/// stage. Whatever still disagrees is reported by `Manifest::mismatches`.
fn placed_as_recorded(parts: &[&str], debug: bool, manifest: &Manifest) -> Option<Address> {
    let agreement = |address: &Address| {
        usize::from(address.id.as_str() == manifest.id)
            + usize::from(address.stage == manifest.stage)
    };
    let recorded = Address::at(parts, debug, manifest.nesting);
    let other = match manifest.nesting {
        Nesting::StageFirst => Nesting::RunFirst,
        Nesting::RunFirst => Nesting::StageFirst,
    };
    match (recorded, Address::at(parts, debug, other)) {
        (Some(recorded), Some(other)) if agreement(&other) > agreement(&recorded) => Some(other),
        (Some(recorded), _) => Some(recorded),
        (None, other) => other,
    }
}

/// A manifest that is there but could not be read (its error is reported
/// in the listing's problems).
struct Unreadable;

fn push(run: Run, manifest: std::result::Result<Option<Manifest>, Unreadable>, out: &mut Listing) {
    let manifest_unreadable = manifest.is_err();
    let manifest = manifest.ok().flatten();
    let recorded = manifest.as_ref().and_then(Manifest::created_at);
    let created = recorded.or_else(|| fs::modified(run.path()));
    out.runs.push(FoundRun {
        run,
        manifest,
        created,
        manifest_unreadable,
    });
}

/// The folders among `entries` whose names could be a run id or stage
/// (symlinks to folders included); links (`latest`), files and foreign names
/// are skipped, and stale temporaries removed.
fn named_folders(dir: &Path, entries: ReadDir, out: &mut Listing) -> Vec<String> {
    let mut names = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.problems.push(e);
                continue;
            }
        };
        let name = entry.file_name();
        if temporary::remove_if_stale(dir, &name) {
            continue;
        }
        match name.to_str() {
            Some(name) if names::check(name).is_ok() && fs::is_folder(&entry) => {
                names.push(name.to_owned());
            }
            _ => {}
        }
    }
    names.sort();
    names
}
