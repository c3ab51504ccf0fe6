//! The runs below an output root: scanning them, and pruning them safely.
//!
//! Uses `lifecycle`, `record`, `run`, `io` and `error`.

pub(crate) mod prune;
pub(crate) mod scan;
