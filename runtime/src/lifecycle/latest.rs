//! The `latest` pointer: next to the runs of one stage, it names the newest
//! run whose creation finished, so a job can resume "whatever ran last"
//! without knowing ids. It never moves back to an older run. Where the
//! pointer is, and what it holds, is the run's address's to say
//! (`run/address.rs`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

pub use runlayout_grammar::names::LATEST;

use crate::error::{Error, Result};
use crate::io::pointer::{self, LinkStyle};
use crate::run::Run;
use crate::run::address::{Address, Group};

/// How often [`update`] writes the pointer before it lets a race be.
const MAX_MOVES: usize = 8;

/// How `update` knows when the run it points at was recorded.
pub(crate) struct Mine<F> {
    /// This process made the run in the call that moves the pointer.
    pub(crate) made_now: bool,
    /// When the run was recorded; asked only when the pointer names
    /// another run this process did not make before it.
    pub(crate) recorded: F,
}

/// Points the pointer of `run`'s stage at `run`, atomically (readers find
/// the old pointer or the new one, never none), unless it names a run
/// recorded later: the pointer never moves back.
///
/// Ranks and processes finish creations out of order: a creator that was
/// slow between its manifest and this call would otherwise point `latest`
/// back at its run after a newer one was made. `recorded_at` says when the
/// run in a folder was recorded (its manifest's creation time, to the
/// nanosecond: file times are too coarse, two runs made within a few
/// milliseconds share one); a run it knows no time of is taken as older.
/// A creator knows its own run's time from the manifest it has just
/// written, and does not read it back.
///
/// When the pointer still names the run this process made (and pointed it
/// at) before, a run this process has just made is the newer of the two:
/// nothing needs reading. That holds unless the earlier run was removed
/// and another process made a newer run of the same name between this
/// run's manifest and this call, the same window of microseconds in which
/// two writers can cross anyway.
///
/// After its write the pointer is read again, and written again if an older
/// run's creator replaced it meanwhile. Two writers can still cross between
/// one's read and its rename, a window of microseconds; then `latest` names
/// the other run.
pub(crate) fn update(
    run: &Run,
    style: LinkStyle,
    mine: Mine<impl FnOnce() -> Option<SystemTime>>,
    recorded_at: impl Fn(&Path) -> Option<SystemTime>,
) -> Result<()> {
    let at = run.address().group().pointer(run.root());
    let target = run.address().pointer_target();
    let beside = at.parent().unwrap_or(Path::new(""));
    let (mut ask, mut known) = (Some(mine.recorded), None);
    for _ in 0..MAX_MOVES {
        if let Some(current) = pointer::read(&at)? {
            if current.as_os_str() == target.as_os_str() {
                return Ok(());
            }
            let after_own = mine.made_now && made_before(&at, &current);
            if !after_own {
                if let Some(ask) = ask.take() {
                    known = ask();
                }
                if known.is_some() && recorded_at(&beside.join(&current)) > known {
                    return Ok(());
                }
            }
        }
        pointer::replace(&at, &target, style)?;
        if mine.made_now {
            remember(&at, &target);
        }
    }
    Ok(())
}

/// The pointers this process last moved to a run it had just made, and the
/// run each was moved to, the latest first. Bounded: a process that makes
/// runs in more stages than this forgets the oldest and reads their
/// manifests again. (A list: it holds one pointer or a few, compared as
/// bytes faster than hashed.)
static MADE: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// How many pointers [`MADE`] remembers.
const MADE_MAX: usize = 16;

/// Whether the pointer at `at` was last moved by this process, to `target`,
/// a run this process had just made.
fn made_before(at: &Path, target: &Path) -> bool {
    let Ok(made) = MADE.lock() else { return false };
    let same = |a: &Path, b: &Path| a.as_os_str() == b.as_os_str();
    made.iter()
        .find(|(pointer, _)| same(pointer, at))
        .is_some_and(|(_, named)| same(named, target))
}

fn remember(at: &Path, target: &Path) {
    let Ok(mut made) = MADE.lock() else { return };
    if let Some(i) = made
        .iter()
        .position(|(p, _)| p.as_os_str() == at.as_os_str())
    {
        made.remove(i);
    } else if made.len() >= MADE_MAX {
        made.pop();
    }
    made.insert(0, (at.to_path_buf(), target.to_path_buf()));
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

    #[test]
    fn the_pointer_never_moves_back_to_an_older_run()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
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
        // Made elsewhere: each time read as `at` says.
        fn elsewhere<'a>(
            run: &'a Run,
            at: impl Fn(&Path) -> Option<SystemTime> + 'a,
        ) -> Mine<impl FnOnce() -> Option<SystemTime> + 'a> {
            Mine {
                made_now: false,
                recorded: move || at(run.path()),
            }
        }
        let group = older.address().group();
        let named = || read(root.path(), group).map(|(_, a)| a.map(|a| a.id.into_string()));
        update(&older, LinkStyle::Auto, elsewhere(&older, at), at)?;
        assert_eq!(named()?.as_deref(), Some("old"));
        update(&newer, LinkStyle::Auto, elsewhere(&newer, at), at)?;
        assert_eq!(named()?.as_deref(), Some("newer"));
        // The older run's creator, slow, comes to its pointer last.
        update(&older, LinkStyle::PointerFile, elsewhere(&older, at), at)?;
        assert_eq!(named()?.as_deref(), Some("newer"));
        // A run of no known time cannot be ordered: its write wins, and any
        // run with a time moves the pointer on from it.
        update(&unknown, LinkStyle::Auto, elsewhere(&unknown, at), at)?;
        assert_eq!(named()?.as_deref(), Some("unknown"));
        update(&older, LinkStyle::Auto, elsewhere(&older, at), at)?;
        assert_eq!(named()?.as_deref(), Some("old"));
        Ok(())
    }

    #[test]
    fn a_run_made_after_this_process_made_the_one_named_moves_it_without_reading()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        let builder = || Run::builder(root.path()).stage("c").latest_pointer(false);
        let (first, second, third) = (
            builder().create()?,
            builder().create()?,
            builder().create()?,
        );
        fn made_now(run: &Run) -> Mine<impl FnOnce() -> Option<SystemTime> + '_> {
            Mine {
                made_now: true,
                recorded: move || panic!("no time of {} is needed", run.id()),
            }
        }
        let never = |folder: &Path| -> Option<SystemTime> {
            panic!("{} needs no reading", folder.display())
        };
        // No pointer yet: nothing to compare.
        update(&first, LinkStyle::Auto, made_now(&first), never)?;
        // The pointer names the run this process made before: newer.
        update(&second, LinkStyle::Auto, made_now(&second), never)?;
        let group = first.address().group();
        let named = || read(root.path(), group).map(|(_, a)| a.map(|a| a.id.into_string()));
        assert_eq!(named()?.as_deref(), Some(second.id().as_str()));
        // Another process moved it (here: a run made elsewhere, at a
        // later time): this process's newer run must ask.
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        update(&first, LinkStyle::Auto, elsewhere_at(&first, later), |_| {
            Some(later)
        })?;
        let asked = std::cell::Cell::new(false);
        let mine = Mine {
            made_now: true,
            recorded: || {
                asked.set(true);
                Some(SystemTime::now())
            },
        };
        update(&third, LinkStyle::Auto, mine, |_| Some(later))?;
        assert!(asked.get(), "the time of the run made now was asked");
        assert_eq!(named()?.as_deref(), Some(first.id().as_str()));
        Ok(())
    }

    fn elsewhere_at(_run: &Run, at: SystemTime) -> Mine<impl FnOnce() -> Option<SystemTime>> {
        Mine {
            made_now: false,
            recorded: move || Some(at),
        }
    }
}
