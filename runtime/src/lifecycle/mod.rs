//! A run's life: the builder and its settings (from code or the
//! environment), creating, opening and joining runs, opening the run a
//! `RunSpec` names, the `latest` pointer, the newest finished run, and ancestry (links between runs).
//!
//! Uses `record`, `launch`, `run`, `io` and `error`.

pub(crate) mod ancestry;
pub(crate) mod builder;
mod create;
mod finished;
mod from_env;
pub(crate) mod latest;
mod open;
mod resolve;
