//! A run's life: the builder and its settings (from code or the
//! environment), creating, opening and joining runs, opening the run a
//! `RunSpec` names, the `latest` pointer, the newest finished run,
//! ancestry (links between runs), and runs whose home is object storage
//! (`home`: made, opened and pointed at there; `sync`: the working copy
//! uploaded and fetched).
//!
//! Uses `layout`, `record`, `launch`, `run`, `io` and `error`.

pub(crate) mod ancestry;
pub(crate) mod builder;
mod create;
mod finished;
mod from_env;
pub(crate) mod home;
pub(crate) mod latest;
mod open;
mod outer_run;
mod resolve;
#[cfg(feature = "object-store")]
pub(crate) mod sync;
