//! Launchers and the environment: the `RUNLAYOUT_*` variables, the
//! launcher (Slurm, torchrun) that started the process and the run id it
//! implies, the ranks of a launched job, and the provenance recorded of a
//! run (git, launcher).
//!
//! Uses `run` (run ids) and `error`.

pub(crate) mod env;
pub(crate) mod launcher;
pub(crate) mod provenance;
pub(crate) mod ranks;
#[cfg(test)]
pub(crate) mod test_env;
