//! The `latest` pointer: next to the runs of one stage, it names the run
//! whose creation finished last, so a job can resume "whatever ran last"
//! without knowing ids.
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

pub use runlayout_grammar::names::LATEST;

use crate::error::{Error, Result};
use crate::nesting::Nesting;
use crate::pointer::{self, LinkStyle};
use crate::run::{Address, Run};
use crate::run_id::RunId;

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

/// Points the pointer of `run`'s stage at `run`, atomically: readers find
/// the old pointer or the new one, never none.
pub(crate) fn update(run: &Run, style: LinkStyle) -> Result<()> {
    let a = run.address();
    let at = location(run.root(), a.debug, a.nesting, a.stage.as_deref());
    let mut target = PathBuf::from(a.id.as_str());
    if let (Nesting::RunFirst, Some(stage)) = (a.nesting, &a.stage) {
        target.push(stage);
    }
    pointer::write(&at, &target, style)
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
}
