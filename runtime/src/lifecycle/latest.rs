//! The `latest` pointer: next to the runs of one stage, it names the newest
//! run whose creation finished, so a job can resume "whatever ran last"
//! without knowing ids. It never moves back to an older run.
//!
//! | nesting | pointer | points at |
//! | --- | --- | --- |
//! | stage first, or no stage | `root/[debug/][<stage>/]latest` | `<id>` |
//! | run first, with a stage | `root/[debug/]latest+<stage>` | `<id>/<stage>` |
//!
//! In run-first order the id folders of all stages share one folder, so each
//! stage has its own pointer there; `+` is never part of a run id, so the
//! pointer can never take a run's name.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

pub use runlayout_grammar::names::LATEST;

use crate::error::{Error, Result};
use crate::io::pointer::{self, LinkStyle};
use crate::run::id::RunId;
use crate::run::nesting::Nesting;
use crate::run::{Address, Run};

/// Where the pointer for runs of `stage` is, for runs placed like `address`.
fn location(root: &Path, debug: bool, nesting: Nesting, stage: Option<&str>) -> PathBuf {
    let parent = nesting.parent(root, debug, stage);
    match (nesting, stage) {
        (Nesting::RunFirst, Some(stage)) => parent.join(format!("{LATEST}+{stage}")),
        _ => parent.join(LATEST),
    }
}

/// Whether `name`, next to run id folders, is a `latest` pointer.
pub(crate) fn is_pointer_name(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.eq_ignore_ascii_case(LATEST.as_bytes())
        || (name.len() > LATEST.len() + 1
            && name[..LATEST.len()].eq_ignore_ascii_case(LATEST.as_bytes())
            && name[LATEST.len()] == b'+')
}

/// How often [`update`] writes the pointer before it lets a race be.
const MAX_MOVES: usize = 8;

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
/// After its write the pointer is read again, and written again if an older
/// run's creator replaced it meanwhile. Two writers can still cross between
/// one's read and its rename, a window of microseconds; then `latest` names
/// the other run.
pub(crate) fn update(
    run: &Run,
    style: LinkStyle,
    recorded_at: impl Fn(&Path) -> Option<SystemTime>,
) -> Result<()> {
    let a = run.address();
    let at = location(run.root(), a.debug, a.nesting, a.stage.as_deref());
    let mut target = PathBuf::from(a.id.as_str());
    if let (Nesting::RunFirst, Some(stage)) = (a.nesting, &a.stage) {
        target.push(stage);
    }
    let beside = at.parent().unwrap_or(Path::new(""));
    let mut mine = None;
    for _ in 0..MAX_MOVES {
        if let Some(current) = pointer::read(&at)? {
            if current == target {
                return Ok(());
            }
            let mine = *mine.get_or_insert_with(|| recorded_at(run.path()));
            if mine.is_some() && recorded_at(&beside.join(&current)) > mine {
                return Ok(());
            }
        }
        pointer::replace(&at, &target, style)?;
    }
    Ok(())
}

/// The address of the run the pointer for runs of `stage` names.
///
/// # Errors
///
/// [`Error::NoLatestRun`] if there is no pointer, [`Error::NotALink`] if a
/// real file stands there, [`Error::InvalidLink`] if it points anywhere but
/// at a run folder next to it.
pub(crate) fn read(
    root: &Path,
    debug: bool,
    nesting: Nesting,
    stage: Option<&str>,
) -> Result<Address> {
    read_with_pointer(root, debug, nesting, stage).map(|(_, address)| address)
}

/// [`read`], with the pointer's path.
pub(crate) fn read_with_pointer(
    root: &Path,
    debug: bool,
    nesting: Nesting,
    stage: Option<&str>,
) -> Result<(PathBuf, Address)> {
    let at = location(root, debug, nesting, stage);
    let Some(target) = pointer::read(&at)? else {
        return Err(Error::NoLatestRun { path: at });
    };
    let parts: Vec<Option<&str>> = target
        .components()
        .map(|c| match c {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect();
    let id = match (nesting, stage, parts.as_slice()) {
        (Nesting::RunFirst, Some(stage), [Some(id), Some(s)]) if s == &stage => id,
        (Nesting::StageFirst, _, [Some(id)]) | (Nesting::RunFirst, None, [Some(id)]) => id,
        _ => "",
    };
    match RunId::new(id) {
        Ok(id) => Ok((
            at,
            Address {
                debug,
                nesting,
                stage: stage.map(str::to_owned),
                id,
            },
        )),
        Err(_) => Err(Error::InvalidLink {
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
    fn pointer_names() {
        assert!(is_pointer_name(OsStr::new("latest")));
        assert!(is_pointer_name(OsStr::new("latest+eval")));
        assert!(!is_pointer_name(OsStr::new("latest+")));
        assert!(!is_pointer_name(OsStr::new("latest-eval")));
        assert_eq!(
            location(Path::new("r"), true, Nesting::RunFirst, Some("s")),
            Path::new("r/debug/latest+s")
        );
        assert_eq!(
            location(Path::new("r"), false, Nesting::StageFirst, Some("s")),
            Path::new("r/s/latest")
        );
    }

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
        let named = || read(root.path(), false, Nesting::StageFirst, Some("s")).map(|a| a.id);
        update(&older, LinkStyle::Auto, at)?;
        assert_eq!(named()?, "old");
        update(&newer, LinkStyle::Auto, at)?;
        assert_eq!(named()?, "newer");
        // The older run's creator, slow, comes to its pointer last.
        update(&older, LinkStyle::PointerFile, at)?;
        assert_eq!(named()?, "newer");
        // A run of no known time cannot be ordered: its write wins, and any
        // run with a time moves the pointer on from it.
        update(&unknown, LinkStyle::Auto, at)?;
        assert_eq!(named()?, "unknown");
        update(&older, LinkStyle::Auto, at)?;
        assert_eq!(named()?, "old");
        Ok(())
    }
}
