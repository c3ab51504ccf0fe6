//! The JSON records runlayout keeps in a run folder: the manifest
//! (`run.json`) and the status (`run.status.json`, with `RunGuard`).
//!
//! Uses `launch`, `run`, `io` and `error`.

pub(crate) mod manifest;
pub(crate) mod status;
