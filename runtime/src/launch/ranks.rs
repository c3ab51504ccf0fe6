//! `Ranks`: which process of a launched job this one is, and how many there
//! are, as torchrun or Slurm tell each of them.

use std::ffi::OsString;

use crate::error::{Error, Result};
use crate::launch::env::{SLURM_STEP_ID, Vars};

/// The variables one launcher sets for its ranks, and what the error says
/// when one of them is missing or wrong.
struct Source {
    rank: &'static str,
    local_rank: &'static str,
    world_size: &'static str,
    expected: &'static str,
}

/// torchrun (and what follows its conventions: `torch.distributed.launch`,
/// accelerate, DeepSpeed).
const TORCHRUN: Source = Source {
    rank: "RANK",
    local_rank: "LOCAL_RANK",
    world_size: "WORLD_SIZE",
    expected: "a whole number (torchrun sets RANK, LOCAL_RANK and WORLD_SIZE together)",
};

/// The tasks of one Slurm `srun` step.
const SLURM: Source = Source {
    rank: "SLURM_PROCID",
    local_rank: "SLURM_LOCALID",
    world_size: "SLURM_NTASKS",
    expected: "a whole number (srun sets SLURM_PROCID, SLURM_LOCALID and SLURM_NTASKS together)",
};

/// This process's place among the ranks of its job: its rank, its rank on
/// this machine, and how many ranks there are.
///
/// | launcher | when | rank, local rank, world size |
/// | --- | --- | --- |
/// | torchrun | `RANK` or `WORLD_SIZE` is set | `RANK`, `LOCAL_RANK`, `WORLD_SIZE` |
/// | Slurm | inside an `srun` step (`SLURM_STEP_ID` is set) | `SLURM_PROCID`, `SLURM_LOCALID`, `SLURM_NTASKS` |
/// | none | otherwise (the batch script of a Slurm job too) | 0, 0, 1 |
///
/// torchrun's variables win inside a Slurm step: when `srun` starts one
/// torchrun per node, torchrun's processes are the ones that train. Empty
/// variables count as unset.
///
/// [`is_primary`](Ranks::is_primary) is what "only rank 0 writes the
/// config" asks. It is not [`Run::is_new`](crate::Run::is_new), which tells
/// the one process that created the run folder: whichever rank got there
/// first.
///
/// ```
/// use runlayout::{Ranks, Run};
///
/// let ranks = Ranks::detect()?;
/// let root = tempfile::tempdir()?;
/// let run = Run::builder(root.path()).from_env()?.start()?;
/// if ranks.is_primary() {
///     std::fs::write(run.path().join("config.json"), "{\"lr\": 0.1}")?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ranks {
    rank: usize,
    local_rank: usize,
    world_size: usize,
}

impl Ranks {
    /// The ranks of this process's job, from its environment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`] naming a variable that is not a whole number,
    /// is missing while the launcher's others are set, or does not fit the
    /// others (a rank not below the world size, a world size of 0).
    ///
    /// ```
    /// // Under `cargo test` no launcher is around (unless CI runs in one).
    /// let ranks = runlayout::Ranks::detect()?;
    /// assert!(ranks.rank() < ranks.world_size());
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn detect() -> Result<Ranks> {
        Ranks::detect_in(&Vars::process())
    }

    /// [`detect`](Ranks::detect), reading variables through `get`: for
    /// tests, or for settings kept somewhere else.
    ///
    /// # Errors
    ///
    /// As [`detect`](Ranks::detect).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout::Ranks;
    ///
    /// let rank_2 = |k: &str| match k {
    ///     "SLURM_STEP_ID" => Some(OsString::from("0")),
    ///     "SLURM_PROCID" => Some(OsString::from("2")),
    ///     "SLURM_LOCALID" => Some(OsString::from("0")),
    ///     "SLURM_NTASKS" => Some(OsString::from("4")),
    ///     _ => None,
    /// };
    /// let ranks = Ranks::detect_with(rank_2)?;
    /// assert_eq!((ranks.rank(), ranks.local_rank(), ranks.world_size()), (2, 0, 4));
    /// assert!(!ranks.is_primary());
    ///
    /// let alone = Ranks::detect_with(|_| None)?;
    /// assert_eq!((alone.rank(), alone.world_size()), (0, 1));
    /// assert!(alone.is_primary());
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn detect_with(get: impl Fn(&str) -> Option<OsString>) -> Result<Ranks> {
        Ranks::detect_in(&Vars::new(get))
    }

    /// The ranks `vars` describe.
    pub(crate) fn detect_in(vars: &Vars<impl Fn(&str) -> Option<OsString>>) -> Result<Ranks> {
        let set = |var: &str| vars.value(var).is_some();
        // LOCAL_RANK alone is no sign of torchrun: some tools set just that.
        if set(TORCHRUN.rank) || set(TORCHRUN.world_size) {
            return TORCHRUN.read(vars);
        }
        // Only tasks of an `srun` step are ranks; the batch script is one
        // process.
        if set(SLURM_STEP_ID) {
            return SLURM.read(vars);
        }
        Ok(Ranks {
            rank: 0,
            local_rank: 0,
            world_size: 1,
        })
    }

    /// This process's rank among all of its job's, from 0.
    ///
    /// ```
    /// assert_eq!(runlayout::Ranks::detect_with(|_| None)?.rank(), 0);
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// This process's rank among its job's on this machine, from 0: the GPU
    /// it usually takes.
    ///
    /// ```
    /// assert_eq!(runlayout::Ranks::detect_with(|_| None)?.local_rank(), 0);
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn local_rank(&self) -> usize {
        self.local_rank
    }

    /// How many ranks the job has, on all machines.
    ///
    /// ```
    /// assert_eq!(runlayout::Ranks::detect_with(|_| None)?.world_size(), 1);
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn world_size(&self) -> usize {
        self.world_size
    }

    /// Whether this is rank 0: the one process of the job that does what
    /// must be done once (write the config, the checkpoints, the log).
    ///
    /// ```
    /// assert!(runlayout::Ranks::detect_with(|_| None)?.is_primary());
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn is_primary(&self) -> bool {
        self.rank == 0
    }
}

impl Source {
    /// The three numbers, each required and checked against the others.
    fn read(&self, vars: &Vars<impl Fn(&str) -> Option<OsString>>) -> Result<Ranks> {
        let number = |var: &'static str| -> Result<usize> {
            let whole = |text: &str| text.trim().parse::<usize>().ok();
            vars.parsed(var, whole, self.expected)?
                .ok_or(Error::InvalidEnv {
                    var,
                    value: String::new(),
                    expected: self.expected,
                })
        };
        let rank = number(self.rank)?;
        let local_rank = number(self.local_rank)?;
        let world_size = number(self.world_size)?;
        let misfit = |var: &'static str, value: usize, expected: &'static str| Error::InvalidEnv {
            var,
            value: value.to_string(),
            expected,
        };
        if world_size == 0 {
            return Err(misfit(
                self.world_size,
                world_size,
                "a world size of at least 1",
            ));
        }
        if rank >= world_size {
            return Err(misfit(self.rank, rank, "a rank below the world size"));
        }
        if local_rank >= world_size {
            return Err(misfit(
                self.local_rank,
                local_rank,
                "a local rank below the world size",
            ));
        }
        Ok(Ranks {
            rank,
            local_rank,
            world_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::test_env::env;

    /// Variables, as [`env`] takes them.
    type Vars = &'static [(&'static str, &'static str)];

    fn ranks(
        pairs: &'static [(&'static str, &'static str)],
    ) -> Result<(usize, usize, usize, bool)> {
        Ranks::detect_with(env(pairs))
            .map(|r| (r.rank(), r.local_rank(), r.world_size(), r.is_primary()))
    }

    #[test]
    fn each_launcher_and_none() -> Result<()> {
        assert_eq!(ranks(&[])?, (0, 0, 1, true));
        let torch: &[(&str, &str)] = &[("RANK", "3"), ("LOCAL_RANK", "1"), ("WORLD_SIZE", "8")];
        assert_eq!(ranks(torch)?, (3, 1, 8, false));
        let slurm: &[(&str, &str)] = &[
            ("SLURM_JOB_ID", "5"),
            ("SLURM_STEP_ID", "0"),
            ("SLURM_PROCID", "0"),
            ("SLURM_LOCALID", "0"),
            ("SLURM_NTASKS", "4"),
        ];
        assert_eq!(ranks(slurm)?, (0, 0, 4, true));
        // torchrun started by srun: torchrun's ranks count.
        let both: &[(&str, &str)] = &[
            ("SLURM_STEP_ID", "0"),
            ("SLURM_PROCID", "1"),
            ("SLURM_LOCALID", "0"),
            ("SLURM_NTASKS", "2"),
            ("RANK", "5"),
            ("LOCAL_RANK", "1"),
            ("WORLD_SIZE", "16"),
        ];
        assert_eq!(ranks(both)?, (5, 1, 16, false));
        // The batch script: Slurm sets SLURM_PROCID there too, but it is one process.
        let batch: &[(&str, &str)] = &[
            ("SLURM_JOB_ID", "5"),
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "4"),
        ];
        assert_eq!(ranks(batch)?, (0, 0, 1, true));
        // Empty counts as unset.
        assert_eq!(
            ranks(&[("RANK", ""), ("SLURM_STEP_ID", "")])?,
            (0, 0, 1, true)
        );
        Ok(())
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases: [(Vars, &str, &str); 6] = [
            (
                &[("RANK", "one"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "2")],
                "RANK",
                "RANK=\"one\" cannot be used: expected a whole number (torchrun sets RANK, LOCAL_RANK and WORLD_SIZE together)",
            ),
            (
                &[("RANK", "0"), ("WORLD_SIZE", "2")],
                "LOCAL_RANK",
                "LOCAL_RANK is unset: expected a whole number (torchrun sets RANK, LOCAL_RANK and WORLD_SIZE together)",
            ),
            (
                // Empty counts as unset, and reads so.
                &[
                    ("SLURM_STEP_ID", "0"),
                    ("SLURM_PROCID", ""),
                    ("SLURM_NTASKS", "2"),
                ],
                "SLURM_PROCID",
                "SLURM_PROCID is unset: expected a whole number (srun sets SLURM_PROCID, SLURM_LOCALID and SLURM_NTASKS together)",
            ),
            (
                &[("RANK", "2"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "2")],
                "RANK",
                "RANK=\"2\" cannot be used: expected a rank below the world size",
            ),
            (
                &[("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "0")],
                "WORLD_SIZE",
                "WORLD_SIZE=\"0\" cannot be used: expected a world size of at least 1",
            ),
            (
                &[
                    ("SLURM_STEP_ID", "0"),
                    ("SLURM_PROCID", "-1"),
                    ("SLURM_LOCALID", "0"),
                    ("SLURM_NTASKS", "2"),
                ],
                "SLURM_PROCID",
                "SLURM_PROCID=\"-1\" cannot be used: expected a whole number (srun sets SLURM_PROCID, SLURM_LOCALID and SLURM_NTASKS together)",
            ),
        ];
        for (pairs, var, message) in cases {
            let err = Ranks::detect_with(env(pairs)).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidEnv { var: v, .. } if *v == var),
                "{err:?}"
            );
            assert_eq!(err.to_string(), message);
        }
    }
}
