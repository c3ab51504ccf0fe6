//! The JSON records runlayout keeps in a run folder: reading and writing
//! them (the one place that knows the `manifest` feature), the manifest
//! (`run.json`), the status (`run.status.json`, with `RunGuard`), the
//! process both name, and the times they hold.
//!
//! Uses `launch`, `run`, `io` and `error`.

pub(crate) mod json;
pub(crate) mod manifest;
pub(crate) mod process_record;
pub(crate) mod status;
pub(crate) mod time;
