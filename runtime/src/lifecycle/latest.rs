//! The `latest` pointer: next to the runs of one stage, it names the newest
//! run whose creation finished, so a job can resume "whatever ran last"
//! without knowing ids. It never moves back to an older run. Where the
//! pointer is, and what it holds, is the run's address's to say
//! (`run/address.rs`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

pub use runlayout_grammar::names::LATEST;

use crate::error::{Error, Result};
use crate::io::pointer::{self, LinkStyle};
use crate::record::manifest;
use crate::run::Run;
use crate::run::address::{Address, Group};

/// When the run `update` points at was recorded, as its caller knows it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mine {
    /// The caller knows: it has just written the run's manifest (`None`:
    /// it wrote none).
    Known(Option<SystemTime>),
    /// Read from the run's manifest, if the pointer names another run.
    Unknown,
}

/// Points the pointer of `run`'s stage at `run`, atomically (readers find
/// the old pointer or the new one, never none), unless it names a run
/// recorded later: the pointer never moves back.
///
/// Ranks, processes and threads finish creations out of order: a creator
/// that was slow between its manifest and this call would otherwise point
/// `latest` back at its run after a newer one was made. `recorded_at` says
/// when the run in a folder was recorded (its manifest's creation time, to
/// the nanosecond: file times are too coarse, two runs made within a few
/// milliseconds share one); a run it knows no time of is taken as older.
/// A creator knows its own run's time from the manifest it has just
/// written, and does not read it back; and this process remembers the time
/// of the run it last pointed each pointer at, so while the pointer still
/// names that run nothing is read. (Should that run be removed and another
/// of the same name made meanwhile, the time remembered is the old run's:
/// the pointer moves unless the new one was made after this run's
/// manifest, within the same microseconds in which two writers can cross
/// anyway.)
///
/// Within one process, pointers are moved one at a time: threads never
/// cross. Between processes, a creation that begins after another has
/// moved the pointer never moves it back past that run; two creations that
/// overlap (each reads the pointer before the other has replaced it) may
/// leave it at either one's run, as a tie of two runs made at once is
/// decided. Reading the pointer again after the rename settled some of
/// those ties, never all (the other's rename may come after any read), so
/// it is not read again: one system call less per creation.
pub(crate) fn update(
    run: &Run,
    style: LinkStyle,
    mine: Mine,
    recorded_at: impl Fn(&Path) -> Option<SystemTime>,
) -> Result<()> {
    // Threads of this process take turns: reading, comparing and replacing
    // is one step among them.
    let _turn = MOVING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let at = run.address().group().pointer(run.root());
    let target = run.address().pointer_target();
    let beside = at.parent().unwrap_or(Path::new(""));
    let creating = matches!(mine, Mine::Known(_));
    if let Some(current) = pointer::read(&at)? {
        if current.as_os_str() == target.as_os_str() {
            return Ok(());
        }
        let made = match mine {
            Mine::Known(at) => at,
            Mine::Unknown => recorded_at(run.path()),
        };
        if made.is_some() {
            // Only a creator, whose run is newer than the runs this
            // process made before, trusts what it remembers of them;
            // whoever moves the pointer to an older run (a prune that
            // removed the run named) reads what is there.
            let remembered = creating.then(|| remembered(&at, &current)).flatten();
            let theirs = remembered.unwrap_or_else(|| recorded_at(&beside.join(&current)));
            if theirs > made {
                return Ok(());
            }
        }
    }
    pointer::replace(&at, &target, style)?;
    if let Mine::Known(Some(time)) = mine {
        remember(&at, &target, time);
    }
    Ok(())
}

/// Held while this process moves a pointer.
static MOVING: Mutex<()> = Mutex::new(());

/// What each pointer this process moved last names, and when that run was
/// recorded, the latest first. Bounded: a process that makes runs in more
/// stages than this forgets the oldest and reads their manifests again. (A
/// list: it holds one pointer or a few, compared as bytes faster than
/// hashed.)
static POINTED: Mutex<Vec<Pointed>> = Mutex::new(Vec::new());

struct Pointed {
    pointer: PathBuf,
    target: PathBuf,
    recorded: SystemTime,
}

/// How many pointers [`POINTED`] remembers.
const POINTED_MAX: usize = 16;

/// When the run `target` was recorded, if this process last moved the
/// pointer at `at` to it.
fn remembered(at: &Path, target: &Path) -> Option<Option<SystemTime>> {
    let pointed = POINTED.lock().ok()?;
    let last = pointed
        .iter()
        .find(|p| p.pointer.as_os_str() == at.as_os_str())?;
    (last.target.as_os_str() == target.as_os_str()).then_some(Some(last.recorded))
}

fn remember(at: &Path, target: &Path, recorded: SystemTime) {
    let Ok(mut pointed) = POINTED.lock() else {
        return;
    };
    if let Some(i) = pointed
        .iter()
        .position(|p| p.pointer.as_os_str() == at.as_os_str())
    {
        pointed.remove(i);
    } else if pointed.len() >= POINTED_MAX {
        pointed.pop();
    }
    let entry = Pointed {
        pointer: at.to_path_buf(),
        target: target.to_path_buf(),
        recorded,
    };
    pointed.insert(0, entry);
}

/// How far ahead of this clock a recorded creation time may be and still
/// count: other nodes' clocks drift a little; a manifest from the future
/// (a node whose clock ran wild, a hand edit) would hold `latest` until
/// that time came.
const CLOCK_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// When the run in `folder` was recorded, as its manifest says (to the
/// nanosecond); `None` without a readable manifest or with a time beyond
/// [`CLOCK_TOLERANCE`] from now, a run that is then taken as older.
pub(crate) fn recorded_at(folder: &Path) -> Option<SystemTime> {
    let at = manifest::created_at(folder)?;
    (at <= SystemTime::now() + CLOCK_TOLERANCE).then_some(at)
}

/// Where the pointer of `group` is, and the address of the run it names;
/// `None` if there is no pointer.
///
/// # Errors
///
/// [`Error::NotALink`] if a real file stands there, [`Error::InvalidLink`]
/// if it points anywhere but at a run folder next to it.
pub(crate) fn read(root: &Path, group: Group<'_>) -> Result<(PathBuf, Option<Address>)> {
    let at = group.pointer(root);
    let Some(target) = pointer::read(&at)? else {
        return Ok((at, None));
    };
    match group.address_of_target(&target) {
        Some(address) => Ok((at, Some(address))),
        None => Err(Error::InvalidLink {
            path: at,
            target,
            expected: "a run folder of that stage next to it",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_pointer_never_moves_back_to_an_older_run() -> TestResult {
        let root = tempfile::tempdir()?;
        let builder = || Run::builder(root.path()).stage("s").latest_pointer(false);
        let older = builder().run_id("old").create()?;
        let newer = builder().run_id("newer").create()?;
        let unknown = builder().run_id("unknown").create()?;
        // Recorded in the order of their names' lengths, `unknown` never.
        let at = |folder: &Path| {
            let name = folder.file_name()?.to_str()?;
            (name != "unknown")
                .then(|| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(name.len() as u64))
        };
        let group = older.address().group();
        let named = || read(root.path(), group).map(|(_, a)| a.map(|a| a.id.into_string()));
        update(&older, LinkStyle::Auto, Mine::Unknown, at)?;
        assert_eq!(named()?.as_deref(), Some("old"));
        update(&newer, LinkStyle::Auto, Mine::Unknown, at)?;
        assert_eq!(named()?.as_deref(), Some("newer"));
        // The older run's creator, slow, comes to its pointer last.
        update(&older, LinkStyle::PointerFile, Mine::Unknown, at)?;
        assert_eq!(named()?.as_deref(), Some("newer"));
        // A run of no known time cannot be ordered: its write wins, and any
        // run with a time moves the pointer on from it.
        update(&unknown, LinkStyle::Auto, Mine::Unknown, at)?;
        assert_eq!(named()?.as_deref(), Some("unknown"));
        update(&older, LinkStyle::Auto, Mine::Unknown, at)?;
        assert_eq!(named()?.as_deref(), Some("old"));
        Ok(())
    }

    /// Two threads of one process: the one that recorded its run first
    /// comes to the pointer last, after the other pointed it at its newer
    /// run. What this process remembers of that run is its time, so the
    /// older run never takes the pointer back.
    #[test]
    fn runs_this_process_made_are_ordered_by_their_times() -> TestResult {
        let root = tempfile::tempdir()?;
        let builder = || Run::builder(root.path()).stage("t").latest_pointer(false);
        let (older, newer, newest) = (
            builder().create()?,
            builder().create()?,
            builder().create()?,
        );
        let time = |secs| Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs));
        let never = |folder: &Path| -> Option<SystemTime> {
            panic!("{} needs no reading", folder.display())
        };
        let group = older.address().group();
        let named = || read(root.path(), group).map(|(_, a)| a.map(|a| a.id.into_string()));
        update(&newer, LinkStyle::Auto, Mine::Known(time(20)), never)?;
        update(&older, LinkStyle::Auto, Mine::Known(time(10)), never)?;
        assert_eq!(named()?.as_deref(), Some(newer.id().as_str()));
        // A newer run moves it on, and nothing is read either.
        update(&newest, LinkStyle::Auto, Mine::Known(time(30)), never)?;
        assert_eq!(named()?.as_deref(), Some(newest.id().as_str()));
        // The pointer named a run this process pointed it at (at 40): a run
        // recorded before that leaves it, reading nothing.
        update(&older, LinkStyle::Auto, Mine::Known(time(40)), never)?;
        let reads = std::cell::Cell::new(0);
        let counted = |_: &Path| {
            reads.set(reads.get() + 1);
            time(50)
        };
        update(&newer, LinkStyle::Auto, Mine::Known(time(20)), counted)?;
        assert_eq!(named()?.as_deref(), Some(older.id().as_str()));
        assert_eq!(reads.get(), 0, "the older run's time was remembered");
        // Another process moved it (to a run this one never pointed at):
        // that run's manifest is read, once.
        let at = group.pointer(root.path());
        pointer::replace(&at, &newest.address().pointer_target(), LinkStyle::Auto)?;
        update(&newer, LinkStyle::Auto, Mine::Known(time(20)), counted)?;
        assert_eq!(reads.get(), 1);
        assert_eq!(named()?.as_deref(), Some(newest.id().as_str()));
        Ok(())
    }
}
