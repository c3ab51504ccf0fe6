//! [`survey`]: the members of a template known only when the program
//! runs (a layout read back from a run's record), for the `runlayout`
//! command.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::layout::entry::EntryKind;
use crate::layout::family::key::Raw;
use crate::layout::family::template::parse;

/// How many members a template has below a root, and which has the
/// greatest values: [`survey`].
///
/// ```
/// # let run = tempfile::tempdir()?;
/// use runlayout::{__cli::survey, layout::EntryKind};
/// std::fs::create_dir(run.path().join("checkpoints"))?;
/// for name in ["epoch_0002.ckpt", "epoch_0010.ckpt", "notes.txt"] {
///     std::fs::write(run.path().join("checkpoints").join(name), b"")?;
/// }
/// let found = survey(run.path(), "checkpoints/epoch_{epoch:04}.ckpt", EntryKind::File)?;
/// assert_eq!(found.members, 2);
/// assert_eq!(found.last, Some(run.path().join("checkpoints/epoch_0010.ckpt")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Survey {
    /// How many members there are.
    pub members: usize,
    /// The member with the greatest values.
    pub last: Option<PathBuf>,
}

/// The members of `template` (an entry's path with its placeholders, of
/// `kind`) below `root`, counted, and the greatest: [`Family::list`](crate::Family::list) and
/// [`Family::last`](crate::Family::last) for a template known only when the program runs (a
/// layout read back from a run's record). Members are what a family of
/// that entry would list.
///
/// # Errors
///
/// [`Error::InvalidTemplate`] for a template that cannot name a family,
/// and those of [`Family::list`](crate::Family::list).
///
/// ```
/// # let run = tempfile::tempdir()?;
/// let none = runlayout::__cli::survey(run.path(), "steps/{step:u32}", runlayout::layout::EntryKind::Dir)?;
/// assert_eq!((none.members, none.last), (0, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn survey(root: &Path, template: &str, kind: EntryKind) -> Result<Survey> {
    let parsed = parse(template).map_err(|problem| Error::InvalidTemplate {
        template: template.to_owned(),
        problem,
    })?;
    let mut members = 0;
    let mut best: Option<Vec<Raw>> = None;
    parsed.walk(root, kind, &mut |values, _| {
        members += 1;
        if best.as_deref().is_none_or(|b| &*values > b) {
            best = Some(values.to_vec());
        }
        Ok(())
    })?;
    Ok(Survey {
        members,
        last: best.map(|values| parsed.render(root, &values)),
    })
}
