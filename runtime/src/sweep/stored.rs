//! Where a sweep's record is kept, the one place that asks: in its record
//! folder below a root on disk (`record.rs`), or in the home of a root
//! given as a URL (`home.rs`). Without the `object-store` feature a URL
//! root is an error saying so.

use std::path::Path;

use crate::error::{Error, Result};
use crate::sweep::name::SweepSpec;
use crate::sweep::record::{self, SweepRecord};
use crate::sweep::spec::Plan;

/// The home `root` names, if it is a URL; `None` for a folder.
#[cfg(feature = "object-store")]
fn home_of(root: &Path) -> Result<Option<crate::sweep::home::SweepHome>> {
    crate::sweep::home::SweepHome::of(root, None)
}

/// Without the feature a URL root is refused; a folder has no home.
#[cfg(not(feature = "object-store"))]
fn home_of(root: &Path) -> Result<Option<std::convert::Infallible>> {
    crate::lifecycle::home::Home::of(root, None)?;
    Ok(None)
}

/// Makes the record of a new sweep at `spec`'s place: `None` if a sweep of
/// that id is there already.
pub(crate) fn create(root: &Path, spec: &SweepSpec, plan: &Plan) -> Result<Option<SweepRecord>> {
    #[cfg(feature = "object-store")]
    if let Some(home) = home_of(root)? {
        let record = SweepRecord::new(spec, plan);
        return Ok(home.create(spec, &record)?.then_some(record));
    }
    #[cfg(not(feature = "object-store"))]
    home_of(root)?;
    record::create(root, spec, plan)
}

/// The record of the sweep at `spec`'s place, if there is one.
pub(crate) fn read(root: &Path, spec: &SweepSpec) -> Result<Option<SweepRecord>> {
    #[cfg(feature = "object-store")]
    if let Some(home) = home_of(root)? {
        return home.read(spec);
    }
    #[cfg(not(feature = "object-store"))]
    home_of(root)?;
    record::read(&spec.record_folder(root))
}

/// The record of the sweep at `spec`'s place, made if missing; a recorded
/// spec other than `plan` is [`Error::SweepChanged`].
pub(crate) fn create_or_read(root: &Path, spec: &SweepSpec, plan: &Plan) -> Result<SweepRecord> {
    if let Some(made) = create(root, spec, plan)? {
        return Ok(made);
    }
    let folder = spec.record_folder(root);
    let recorded = read(root, spec)?.ok_or_else(|| Error::SweepNotFound {
        path: folder.clone(),
    })?;
    match recorded.spec.difference(plan) {
        None => Ok(recorded),
        Some(difference) => Err(Error::SweepChanged {
            path: folder,
            difference,
        }),
    }
}

/// The sweeps recorded below `root`.
pub(crate) fn find(root: &Path) -> Result<Vec<SweepSpec>> {
    #[cfg(feature = "object-store")]
    if let Some(home) = home_of(root)? {
        return home.find();
    }
    #[cfg(not(feature = "object-store"))]
    home_of(root)?;
    record::find(root)
}
