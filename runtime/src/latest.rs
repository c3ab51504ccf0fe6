//! The `latest` pointer: next to the runs of one stage, it names the run
//! created last, so a job can resume "whatever ran last" without knowing ids.

use std::path::Path;

use crate::atomic;
use crate::error::{Error, Result};
use crate::links::LinkStyle;
use crate::run_id::RunId;

/// The pointer's name, in the folder that holds the run id folders:
/// `root/[debug/]<stage>/latest` in stage-first order, `root/[debug/]latest`
/// in run-first order or without a stage.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// let run = runlayout_runtime::Run::builder(root.path()).stage("s").create()?;
/// let pointer = root.path().join("s").join(runlayout_runtime::LATEST);
/// assert_eq!(std::fs::read_link(pointer)?, std::path::Path::new(run.id().as_str()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const LATEST: &str = "latest";

/// Points `<parent>/latest` at the id folder `id`, atomically: readers find
/// the old pointer or the new one, never none.
pub(crate) fn update(parent: &Path, id: &RunId, style: LinkStyle) -> Result<()> {
    atomic::replace(&parent.join(LATEST), Path::new(id.as_str()), style)
}

/// The run id `<parent>/latest` points at.
pub(crate) fn read(parent: &Path) -> Result<RunId> {
    let path = parent.join(LATEST);
    let Some(target) = atomic::read(&path)? else {
        return Err(Error::NoLatestRun { path });
    };
    // Pointers made here hold one run id; anything else was not made here.
    match target.to_str().map(RunId::new) {
        Some(Ok(id)) => Ok(id),
        _ => Err(Error::NotALink { path }),
    }
}
