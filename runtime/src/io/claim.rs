//! Claims on a run: the one mechanism by which whatever removes a run and
//! whatever uses it (creates, opens, joins, resumes, links) agree.
//!
//! A claim is an advisory lock (`flock`) on the run's manifest, `run.json`,
//! opened through the run's path:
//!
//! - A **use claim** is a shared lock. `create` takes it on its new manifest
//!   before the manifest appears at `run.json`, so a run is claimed from the
//!   moment it is one; `open`, `open_latest` and the joiners of a run take it
//!   before they return; [`Run::link`](crate::Run::link) takes it on both
//!   runs for as long as it links. It is held by the [`Run`](crate::Run)
//!   value (and its clones) and released when the last of them is dropped,
//!   or when the process dies, whatever kills it.
//! - A **removal claim** is an exclusive lock, taken without waiting. Prune
//!   takes it before its last look at a run and holds it until the run's
//!   folder is gone. It cannot be had while any use claim is held (the run is
//!   in use: it stays), and while it is held no use claim can be had (the
//!   call fails with [`Error::RunBeingRemoved`], having changed nothing).
//!
//! Whoever takes a claim then checks that the run's path still leads to the
//! file it locked: a removal renames the run folder away before it deletes
//! it, so a use claim won on a file the removal has just finished with is
//! seen for what it is and given up.
//!
//! The lock lives in the kernel (or, on a network file system, in its lock
//! manager), not in a file: a kill at any step leaves no claim behind. On a
//! file system shared by several hosts the locks must be coherent across
//! them, as NFSv4, Lustre mounted with `flock`, GPFS and BeeGFS make them.
//! Where locks are not supported at all, a use claim is skipped (the run is
//! used unclaimed) and a removal claim fails: such a run is never removed.
//! A run without a manifest cannot be claimed; prune never removes one (a
//! scan does not list it).

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Operation, Result};
use crate::io::fs::{self, At as _};
use runlayout_grammar::names::MANIFEST;

/// How long a use claim waits for a removal claim to pass: a prune holds
/// one only for an instant when it just looks (a dry run) or then keeps the
/// run; one that removes the run holds it until the folder is gone.
const PASSING: Duration = Duration::from_millis(200);

/// A shared lock on a run's manifest: the run is in use while it is held.
#[derive(Debug)]
pub(crate) struct UseClaim {
    file: File,
}

impl UseClaim {
    /// The manifest the claim holds: the one this process opened or made,
    /// whatever has since been put at its path.
    #[cfg_attr(not(feature = "object-store"), allow(dead_code))]
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// Locks `file`, the manifest this process has just written and not yet
    /// put in place, for a claim: `false` where locks are not supported.
    pub(crate) fn lock_new(file: &File) -> io::Result<bool> {
        match file.try_lock_shared() {
            Ok(()) => Ok(true),
            Err(TryLockError::Error(e)) if unsupported(&e) => Ok(false),
            // Nobody else can know of a file not yet in place, so nobody
            // else holds it.
            Err(e) => Err(e.into()),
        }
    }

    /// The claim `file` holds, locked by [`lock_new`](UseClaim::lock_new).
    pub(crate) fn held(file: File) -> UseClaim {
        UseClaim { file }
    }
}

/// Takes a use claim on the run in `folder`: `None` when the run has no
/// manifest to claim, or locks are not supported there.
///
/// # Errors
///
/// [`Error::RunBeingRemoved`] while a removal holds the run (or once it has
/// moved the run away), [`Error::Io`] (`lock`) naming the manifest.
pub(crate) fn use_run(folder: &Path) -> Result<Option<UseClaim>> {
    claim_use(folder, false)
}

/// [`use_run`] of a run whose manifest the caller has just seen there: a
/// manifest gone by now was taken by a removal (which deletes it, or moves
/// the folder away, before the rest), never a run made without one.
///
/// # Errors
///
/// As [`use_run`]; [`Error::RunBeingRemoved`] also when the manifest is
/// gone from a folder still there.
pub(crate) fn use_recorded_run(folder: &Path) -> Result<Option<UseClaim>> {
    claim_use(folder, true)
}

fn claim_use(folder: &Path, recorded: bool) -> Result<Option<UseClaim>> {
    let path = folder.join(MANIFEST);
    let Some((file, held)) = open(&path, false)? else {
        // No manifest: a run made without one, unless the folder itself has
        // just gone (a removal moved it away) or it had one a moment ago.
        if recorded || std::fs::metadata(folder).is_err() {
            return Err(Error::RunBeingRemoved {
                path: folder.into(),
            });
        }
        return Ok(None);
    };
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock_shared() {
            Ok(()) => break,
            // A prune's plan (or a removal that then keeps the run) holds the
            // claim for an instant only: wait that out. A removal holds it
            // until the folder is gone.
            Err(TryLockError::WouldBlock) if start.elapsed() < PASSING => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(Error::RunBeingRemoved {
                    path: folder.into(),
                });
            }
            Err(TryLockError::Error(e)) if unsupported(&e) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e).at(Operation::Lock, &path),
        }
    }
    if !still_there(&held, &path) {
        return Err(Error::RunBeingRemoved {
            path: folder.into(),
        });
    }
    Ok(Some(UseClaim { file }))
}

/// An exclusive lock on a run's manifest: held by the one process removing
/// the run, from its last look at the run until the folder is gone.
#[derive(Debug)]
pub(crate) struct RemovalClaim {
    _file: File,
}

/// Why a removal claim could not be had.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A process holds a use claim: the run is in use.
    InUse,
    /// The run has no manifest at its path (any more).
    Gone,
    /// The claim cannot be taken here (no lock support, no permission).
    Unclaimable(String),
}

/// Takes the removal claim on the run in `folder`, without waiting.
pub(crate) fn remove_run(folder: &Path) -> std::result::Result<RemovalClaim, Refusal> {
    let path = folder.join(MANIFEST);
    let (file, held) = match open(&path, true) {
        Ok(Some(opened)) => opened,
        Ok(None) => return Err(Refusal::Gone),
        Err(e) => return Err(Refusal::Unclaimable(e.to_string())),
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(Refusal::InUse),
        Err(TryLockError::Error(e)) => {
            let why = if unsupported(&e) {
                format!(
                    "its manifest `{}` cannot be locked here: {e}",
                    path.display()
                )
            } else {
                Error::io(Operation::Lock, &path, e).to_string()
            };
            return Err(Refusal::Unclaimable(why));
        }
    }
    if !still_there(&held, &path) {
        return Err(Refusal::Gone);
    }
    Ok(RemovalClaim { _file: file })
}

/// Whether a removal claim could be taken on the run in `folder` now: what a
/// plan asks, taking the claim and letting it go at once.
pub(crate) fn removable(folder: &Path) -> std::result::Result<(), Refusal> {
    remove_run(folder).map(drop)
}

/// Opens the manifest at `path` to lock it, never following a symlink
/// there and never blocking on a FIFO; `None` if there is none. A removal
/// opens it for writing where it may: an exclusive lock on a network file
/// system needs a file open for writing. Returns the file with what it was
/// when opened (a file's identity does not change while it is open).
fn open(path: &Path, for_removal: bool) -> Result<Option<(File, std::fs::Metadata)>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    no_follow(&mut options);
    let opened = if for_removal {
        let mut writable = options.clone();
        match writable.write(true).open(path) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                options.open(path)
            }
            other => other,
        }
    } else {
        options.open(path)
    };
    let file = match opened {
        Err(e) if fs::is_not_found(&e) => return Ok(None),
        opened => opened.at(Operation::Lock, path)?,
    };
    let meta = file.metadata().at(Operation::Metadata, path)?;
    if !meta.is_file() {
        return Err(Error::NotARegularFile {
            path: path.into(),
            kind: crate::io::owned_file::describe(meta.file_type()),
        });
    }
    Ok(Some((file, meta)))
}

#[cfg(unix)]
fn no_follow(options: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
}

#[cfg(not(unix))]
fn no_follow(_options: &mut std::fs::OpenOptions) {}

/// Whether the lock failed because this file system does not do locks.
pub(crate) fn unsupported(e: &io::Error) -> bool {
    #[cfg(unix)]
    if matches!(
        e.raw_os_error(),
        Some(libc::ENOLCK | libc::EOPNOTSUPP | libc::ENOSYS | libc::EBADF)
    ) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// Whether `path` still leads to the file that was `held` when opened: not
/// once the run folder was renamed away (or the manifest replaced).
fn still_there(held: &std::fs::Metadata, path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|now| same_file(held, &now))
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

#[cfg(all(test, feature = "manifest"))]
mod tests {
    use super::*;
    use crate::run::Run;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_manifest_gone_since_it_was_seen_is_a_removal_not_a_run_without_one() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).stage("s").create()?;
        let folder = run.path().to_path_buf();
        drop(run);
        // What a removal that deletes the manifest first leaves for an
        // instant: the folder, without it.
        std::fs::remove_file(folder.join(MANIFEST))?;
        let err = use_recorded_run(&folder).unwrap_err();
        assert!(matches!(err, Error::RunBeingRemoved { .. }), "{err:?}");
        // Asked of a folder whose manifest nobody saw: a run made without one.
        assert!(use_run(&folder)?.is_none());
        Ok(())
    }

    #[test]
    fn use_and_removal_exclude_each_other() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).stage("s").create()?;
        let folder = run.path().to_path_buf();
        assert!(
            matches!(remove_run(&folder), Err(Refusal::InUse)),
            "the creator holds it"
        );
        let opened = use_run(&folder)?;
        drop(run);
        assert!(
            matches!(remove_run(&folder), Err(Refusal::InUse)),
            "the opener holds it"
        );
        drop(opened);
        let removal = remove_run(&folder).map_err(|r| format!("{r:?}"))?;
        let started = Instant::now();
        let refused = use_run(&folder);
        assert!(
            matches!(refused, Err(Error::RunBeingRemoved { .. })),
            "{refused:?}"
        );
        assert!(
            started.elapsed() >= PASSING,
            "it waited for the claim to pass"
        );
        drop(removal);
        assert!(use_run(&folder)?.is_some());
        Ok(())
    }

    #[test]
    fn a_claim_won_on_a_run_moved_away_is_given_up() -> TestResult {
        let root = tempfile::tempdir()?;
        let folder = Run::builder(root.path())
            .stage("s")
            .create()?
            .path()
            .to_path_buf();
        // What a removal killed after its rename leaves: the folder elsewhere.
        let (file, held) = open(&folder.join(MANIFEST), false)?.ok_or("a manifest")?;
        std::fs::rename(&folder, root.path().join("s/.gone"))?;
        file.try_lock_shared().map_err(|e| format!("{e:?}"))?;
        assert!(!still_there(&held, &folder.join(MANIFEST)));
        assert!(matches!(
            use_run(&folder),
            Err(Error::RunBeingRemoved { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_dry_run_looking_at_a_run_never_fails_its_opener() -> TestResult {
        let root = tempfile::tempdir()?;
        let run = Run::builder(root.path()).stage("s").create()?;
        let folder = run.path().to_path_buf();
        drop(run);
        // A plan takes the removal claim to see whether the run is in use,
        // and lets go of it: an opener meanwhile waits, never fails.
        let (taken, wait) = std::sync::mpsc::channel();
        let looker = {
            let folder = folder.clone();
            std::thread::spawn(move || {
                let claim = remove_run(&folder);
                let _ = taken.send(claim.is_ok());
                std::thread::sleep(Duration::from_millis(30));
                drop(claim);
            })
        };
        assert!(wait.recv()?, "the looker took the claim");
        let started = Instant::now();
        assert!(use_run(&folder)?.is_some());
        assert!(started.elapsed() >= Duration::from_millis(20), "it waited");
        looker.join().map_err(|_| "the looker panicked")?;
        Ok(())
    }

    #[test]
    fn hostile_manifests_are_never_claimed() -> TestResult {
        let root = tempfile::tempdir()?;
        let folder = root.path().join("r");
        std::fs::create_dir(&folder)?;
        std::fs::create_dir(folder.join(MANIFEST))?;
        assert!(matches!(
            use_run(&folder),
            Err(Error::NotARegularFile { .. })
        ));
        assert!(matches!(remove_run(&folder), Err(Refusal::Unclaimable(_))));
        std::fs::remove_dir(folder.join(MANIFEST))?;
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/hostname", folder.join(MANIFEST))?;
            assert!(use_run(&folder).is_err(), "a symlink is never followed");
            assert!(matches!(remove_run(&folder), Err(Refusal::Unclaimable(_))));
        }
        Ok(())
    }
}
