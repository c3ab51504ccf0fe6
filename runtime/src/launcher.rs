//! Launchers: the ranks of one job started by Slurm or torchrun share an id
//! the launcher gives them, from which each rank derives the same run id
//! without talking to the others.

use std::ffi::OsString;

use crate::error::Result;
use crate::run_id::RunId;

/// The launcher that started this process, as its environment tells.
///
/// | launcher | variables | run id |
/// | --- | --- | --- |
/// | torchrun | `TORCHELASTIC_RUN_ID` (not `none`) | `torchrun-<id>` |
/// | Slurm job array | `SLURM_ARRAY_JOB_ID`, `SLURM_ARRAY_TASK_ID` | `slurm-<job>_<task>` |
/// | Slurm | `SLURM_JOB_ID` | `slurm-<job>` |
///
/// The first that applies wins: torchrun run inside a Slurm allocation names
/// the torchrun job, which is the narrower one. The ids hold no date: ranks
/// that start on either side of midnight must still agree. A requeued Slurm
/// job keeps its job id, and so resumes its folder.
///
/// ```
/// use std::ffi::OsString;
/// use runlayout_runtime::Launcher;
///
/// let env = |k: &str| (k == "SLURM_JOB_ID").then(|| OsString::from("4242"));
/// let launcher = Launcher::detect_with(env).unwrap();
/// assert_eq!(launcher.run_id()?.as_str(), "slurm-4242");
/// # Ok::<(), runlayout_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Launcher {
    /// torchrun (torch.distributed.elastic), with its rendezvous run id.
    Torchrun {
        /// `TORCHELASTIC_RUN_ID`.
        run_id: String,
    },
    /// One task of a Slurm job array.
    SlurmArray {
        /// `SLURM_ARRAY_JOB_ID`.
        job: String,
        /// `SLURM_ARRAY_TASK_ID`.
        task: String,
    },
    /// A Slurm job.
    Slurm {
        /// `SLURM_JOB_ID`.
        job: String,
    },
}

impl Launcher {
    /// The launcher of this process, from its environment; `None` outside one.
    ///
    /// ```
    /// // Under `cargo test` no launcher is around (unless CI runs in Slurm).
    /// let _ = runlayout_runtime::Launcher::detect();
    /// ```
    #[must_use]
    pub fn detect() -> Option<Launcher> {
        Launcher::detect_with(|var| std::env::var_os(var))
    }

    /// The launcher that the variables `get` returns describe.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout_runtime::Launcher;
    ///
    /// let env = |k: &str| (k == "TORCHELASTIC_RUN_ID").then(|| OsString::from("none"));
    /// assert_eq!(Launcher::detect_with(env), None, "torchrun's placeholder id is no id");
    /// ```
    #[must_use]
    pub fn detect_with(get: impl Fn(&str) -> Option<OsString>) -> Option<Launcher> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.to_string_lossy().trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(run_id) = var("TORCHELASTIC_RUN_ID").filter(|id| id != "none") {
            return Some(Launcher::Torchrun { run_id });
        }
        if let (Some(job), Some(task)) = (var("SLURM_ARRAY_JOB_ID"), var("SLURM_ARRAY_TASK_ID")) {
            return Some(Launcher::SlurmArray { job, task });
        }
        var("SLURM_JOB_ID").map(|job| Launcher::Slurm { job })
    }

    /// The run id every rank of this job derives.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`](crate::Error::InvalidName) if the launcher's id
    /// cannot make a valid run id (characters outside `[A-Za-z0-9._-]` are
    /// replaced by `-` first).
    ///
    /// ```
    /// use runlayout_runtime::Launcher;
    ///
    /// let array = Launcher::SlurmArray { job: "77".into(), task: "3".into() };
    /// assert_eq!(array.run_id()?.as_str(), "slurm-77_3");
    /// # Ok::<(), runlayout_runtime::Error>(())
    /// ```
    pub fn run_id(&self) -> Result<RunId> {
        let id = match self {
            Launcher::Torchrun { run_id } => format!("torchrun-{}", clean(run_id)),
            Launcher::SlurmArray { job, task } => format!("slurm-{}_{}", clean(job), clean(task)),
            Launcher::Slurm { job } => format!("slurm-{}", clean(job)),
        };
        RunId::new(id)
    }
}

/// Replaces what a run id may not hold, so `a b/c` becomes `a-b-c`.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if runlayout_grammar::names::is_allowed(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env::env;

    #[test]
    fn detection_order_and_ids() -> Result<()> {
        assert_eq!(Launcher::detect_with(env(&[])), None);
        let slurm = Launcher::detect_with(env(&[("SLURM_JOB_ID", "12")])).unwrap();
        assert_eq!(slurm.run_id()?.as_str(), "slurm-12");
        let array = Launcher::detect_with(env(&[
            ("SLURM_JOB_ID", "13"),
            ("SLURM_ARRAY_JOB_ID", "10"),
            ("SLURM_ARRAY_TASK_ID", "3"),
        ]))
        .unwrap();
        assert_eq!(array.run_id()?.as_str(), "slurm-10_3");
        let torch = Launcher::detect_with(env(&[
            ("SLURM_JOB_ID", "13"),
            ("TORCHELASTIC_RUN_ID", "a1b2/c d"),
        ]))
        .unwrap();
        assert_eq!(torch.run_id()?.as_str(), "torchrun-a1b2-c-d");
        let blank = Launcher::detect_with(env(&[("SLURM_JOB_ID", "  ")]));
        assert_eq!(blank, None);
        Ok(())
    }

    #[test]
    fn an_id_that_makes_no_run_id_is_an_error_naming_it() {
        let err = Launcher::Torchrun {
            run_id: "job.".into(),
        }
        .run_id()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "run id \"torchrun-job.\" is invalid: it must not end with '.'"
        );
    }
}
