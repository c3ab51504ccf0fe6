//! File-system primitives: the one wrapper of the file-system calls
//! (`fs`), the small files runlayout owns read defensively, temporary
//! names and atomic replacement, atomic files, files written atomically
//! through a saver that takes a path (`staged`), links and pointer files,
//! relative paths, removal that never leaves a folder's tree, this
//! process's identity and the fate of a recorded one, claims (file locks)
//! on a run's manifest, the lock that serialises updates of a run's
//! changing records (`run.lock`), random characters; and a home in
//! object storage: whether a root is a URL (`url_root`), the store it
//! names (`store`), and a run's working copy of it (`working_copy`), the
//! last two with the `object-store` feature.
//!
//! Uses only `error`.

pub(crate) mod atomic_file;
pub(crate) mod claim;
pub(crate) mod fs;
pub(crate) mod owned_file;
pub(crate) mod pointer;
pub(crate) mod process;
pub(crate) mod random;
pub(crate) mod record_lock;
pub(crate) mod relpath;
pub(crate) mod removal;
pub(crate) mod staged;
#[cfg(feature = "object-store")]
pub(crate) mod store;
pub(crate) mod temporary;
pub(crate) mod url_root;
#[cfg(feature = "object-store")]
pub(crate) mod working_copy;
