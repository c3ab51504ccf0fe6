//! The runs below an output root: scanning them, and pruning them safely;
//! a root in object storage laid out in a local folder for reading
//! (`mirror`).
//!
//! Uses `lifecycle`, `record`, `run`, `io` and `error`.

#[cfg(feature = "object-store")]
pub(crate) mod mirror;
#[cfg(all(test, feature = "object-store"))]
mod mirror_attacks;
pub(crate) mod prune;
#[cfg(all(test, feature = "object-store"))]
mod race_attacks;
pub(crate) mod scan;
