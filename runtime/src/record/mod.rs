//! The JSON records runlayout keeps in a run folder: reading and writing
//! them (the one place that knows the `manifest` feature), the manifest
//! (`run.json`), the status (`run.status.json`, with `RunGuard`), the
//! process both name, the times they hold, the summary (results, tags
//! and note: `run.summary.json`) and the restarts (`run.restarts.jsonl`); what a folder is, as
//! far as runs go (`probe`); and, in object storage, the index of a
//! stage's ended runs (`stage_index`).
//!
//! Uses `launch`, `run`, `io` and `error`.

pub(crate) mod json;
pub(crate) mod manifest;
#[cfg(feature = "manifest")]
pub(crate) mod manifest_text;
pub(crate) mod probe;
pub(crate) mod process_record;
pub(crate) mod restarts;
#[cfg(feature = "object-store")]
pub(crate) mod stage_index;
pub(crate) mod status;
#[cfg(feature = "serde")]
pub(crate) mod summary;
pub(crate) mod time;
