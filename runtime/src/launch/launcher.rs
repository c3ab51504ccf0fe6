//! Launchers: the ranks of one job started by Slurm or torchrun share an id
//! the launcher gives them, from which each rank derives the same run id
//! without talking to the others.

use std::ffi::{OsStr, OsString};

use runlayout_grammar::names;

use crate::launch::env::{
    SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID, SLURM_JOB_ID, SLURM_STEP_ID, TORCHELASTIC_RUN_ID, Vars,
};
use crate::run::id::RunId;

/// The value torchrun sets when no rendezvous id was given: no id at all.
const TORCHRUN_NO_ID: &str = "none";

/// The launcher that started this process, as its environment tells, and
/// the run id all the ranks of its job derive from it.
///
/// | launcher | variables | run id |
/// | --- | --- | --- |
/// | torchrun | `TORCHELASTIC_RUN_ID` (not `none`) | `torchrun-<id>` |
/// | Slurm, one `srun` step | `SLURM_JOB_ID`, `SLURM_STEP_ID` | `slurm-<job>.<step>` |
/// | Slurm, the batch script | `SLURM_JOB_ID` (no step) | `slurm-<job>` |
/// | Slurm array task, one step | `SLURM_ARRAY_JOB_ID`, `SLURM_ARRAY_TASK_ID`, `SLURM_STEP_ID` | `slurm-<array job>_<task>.<step>` |
/// | Slurm array task, the batch script | `SLURM_ARRAY_JOB_ID`, `SLURM_ARRAY_TASK_ID` | `slurm-<array job>_<task>` |
///
/// The first that applies wins: torchrun run inside a Slurm allocation
/// names the torchrun job, which is the narrower one. An empty variable, or
/// one of white space only, counts as unset.
///
/// The ids never merge two jobs and never split one:
///
/// - The ranks of one `srun` step share its id; two steps of one allocation
///   (two points of a sweep) get two ids, and the batch script its own.
/// - A requeued job keeps its job id and starts its steps from 0 again, and
///   `SLURM_RESTART_COUNT` is no part of the id: it finds its old folder.
/// - The ids hold no date: ranks that start on either side of midnight, or
///   in different time zones, still agree.
/// - A value is used as it is when it is plain: letters, digits and `-`
///   (Slurm's numbers always are; torchrun's id may hold `.` and `_` too).
///   Anything else (`exp:1`, `日本`, bytes that are not UTF-8, an id too
///   long for a file name) gives a readable cleaned prefix, `..h` and 12 hex
///   digits of a hash of the original bytes, so ids that clean alike stay
///   apart: `exp:1` gives `torchrun-exp-1..h<12 hex>`, `exp/1` another.
///
/// ```
/// use std::ffi::OsString;
/// use runlayout::Launcher;
///
/// let env = |k: &str| match k {
///     "SLURM_JOB_ID" => Some(OsString::from("4242")),
///     "SLURM_STEP_ID" => Some(OsString::from("0")),
///     _ => None,
/// };
/// let launcher = Launcher::detect_with(env).unwrap();
/// assert_eq!(launcher.run_id().as_str(), "slurm-4242.0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Launcher {
    /// torchrun (torch.distributed.elastic), with its rendezvous run id.
    #[non_exhaustive]
    Torchrun {
        /// `TORCHELASTIC_RUN_ID`.
        run_id: OsString,
    },
    /// One task of a Slurm job array.
    #[non_exhaustive]
    SlurmArray {
        /// `SLURM_ARRAY_JOB_ID`.
        job: OsString,
        /// `SLURM_ARRAY_TASK_ID`.
        task: OsString,
        /// `SLURM_STEP_ID`; `None` in the batch script.
        step: Option<OsString>,
    },
    /// A Slurm job.
    #[non_exhaustive]
    Slurm {
        /// `SLURM_JOB_ID`.
        job: OsString,
        /// `SLURM_STEP_ID`; `None` in the batch script.
        step: Option<OsString>,
    },
}

impl Launcher {
    /// The launcher of this process, from its environment; `None` outside one.
    ///
    /// ```
    /// // Under `cargo test` no launcher is around (unless CI runs in Slurm).
    /// let _ = runlayout::Launcher::detect();
    /// ```
    #[must_use]
    pub fn detect() -> Option<Launcher> {
        Launcher::detect_in(&Vars::process())
    }

    /// The launcher that the variables `get` returns describe.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout::Launcher;
    ///
    /// let env = |k: &str| (k == "TORCHELASTIC_RUN_ID").then(|| OsString::from("none"));
    /// assert_eq!(Launcher::detect_with(env), None, "torchrun's placeholder id is no id");
    /// ```
    #[must_use]
    pub fn detect_with(get: impl Fn(&str) -> Option<OsString>) -> Option<Launcher> {
        Launcher::detect_in(&Vars::new(get))
    }

    /// The launcher `vars` describe; a value of white space only counts as
    /// unset.
    pub(crate) fn detect_in(vars: &Vars<impl Fn(&str) -> Option<OsString>>) -> Option<Launcher> {
        let var = |name: &str| vars.non_blank(name);
        if let Some(run_id) = var(TORCHELASTIC_RUN_ID).filter(|id| id != TORCHRUN_NO_ID) {
            return Some(Launcher::Torchrun { run_id });
        }
        let step = var(SLURM_STEP_ID);
        if let (Some(job), Some(task)) = (var(SLURM_ARRAY_JOB_ID), var(SLURM_ARRAY_TASK_ID)) {
            return Some(Launcher::SlurmArray { job, task, step });
        }
        var(SLURM_JOB_ID).map(|job| Launcher::Slurm { job, step })
    }

    /// The run id every rank of this job derives; the formats are in the
    /// [type's documentation](Launcher). Whatever the launcher's values
    /// hold, the id is valid: this never fails.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout::Launcher;
    ///
    /// let array = |k: &str| match k {
    ///     "SLURM_ARRAY_JOB_ID" => Some(OsString::from("77")),
    ///     "SLURM_ARRAY_TASK_ID" => Some(OsString::from("3")),
    ///     _ => None,
    /// };
    /// assert_eq!(Launcher::detect_with(array).unwrap().run_id().as_str(), "slurm-77_3");
    ///
    /// let torch = |k: &str| (k == "TORCHELASTIC_RUN_ID").then(|| OsString::from("exp:1"));
    /// let id = Launcher::detect_with(torch).unwrap().run_id();
    /// assert!(id.as_str().starts_with("torchrun-exp-1..h"));
    /// ```
    #[must_use]
    pub fn run_id(&self) -> RunId {
        let id = match self {
            Launcher::Torchrun { run_id } => torchrun_id(bytes(run_id)),
            Launcher::SlurmArray { job, task, step } => slurm_id(&[
                Some(Part::new(JOB, job)),
                Some(Part::new(TASK, task)),
                step.as_deref().map(|s| Part::new(STEP, s)),
            ]),
            Launcher::Slurm { job, step } => slurm_id(&[
                Some(Part::new(JOB, job)),
                None,
                step.as_deref().map(|s| Part::new(STEP, s)),
            ]),
        };
        RunId::from_valid(id)
    }

    /// The run id a [seed](crate::RunBuilder::seed) gives under this launcher:
    /// the launcher's [run id](Launcher::run_id), `_`, and the five
    /// characters the seed fixes ([`RunId::seed_suffix`]), such as
    /// `slurm-4242.0_wifod`. It stands where a seeded id outside a launcher
    /// has the local date (`2026-11-30_wifod`): every rank of the job
    /// derives the same id whatever its clock and time zone, another job
    /// (or `srun` step) gets another, and a requeued job the same again.
    /// A launcher id too long to take the suffix is hashed to a short one
    /// first, as in [`run_id`](Launcher::run_id).
    ///
    /// ```
    /// use std::ffi::OsString;
    /// use runlayout::{Launcher, RunId};
    ///
    /// let env = |k: &str| match k {
    ///     "SLURM_JOB_ID" => Some(OsString::from("4242")),
    ///     "SLURM_STEP_ID" => Some(OsString::from("0")),
    ///     _ => None,
    /// };
    /// let launcher = Launcher::detect_with(env).unwrap();
    /// assert_eq!(launcher.seeded_id(7).as_str(), "slurm-4242.0_wifod");
    /// assert!(launcher.seeded_id(7).as_str().ends_with(&RunId::seed_suffix(7)));
    /// ```
    #[must_use]
    pub fn seeded_id(&self, seed: u64) -> RunId {
        let job = self.run_id().into_string();
        let suffix = RunId::seed_suffix(seed);
        let id = format!("{job}_{suffix}");
        if id.len() <= names::MAX_LEN {
            return RunId::from_valid(id);
        }
        let short = names::hashed(job.as_bytes(), job.as_bytes());
        RunId::from_valid(format!("{short}_{suffix}"))
    }
}

/// A value's raw bytes, whatever its encoding.
fn bytes(value: &OsStr) -> &[u8] {
    value.as_encoded_bytes()
}

/// `torchrun-<id>`: the id as [`names::from_foreign`] makes it, hashed
/// whole when a valid id is too long to be used as it is.
fn torchrun_id(raw: &[u8]) -> String {
    const KIND: &str = "torchrun-";
    let id = format!("{KIND}{}", names::from_foreign(raw));
    if id.len() <= names::MAX_LEN {
        id
    } else {
        format!("{KIND}{}", names::hashed(raw, raw))
    }
}

/// One value of a Slurm id, with what tells it from the others.
struct Part<'a> {
    field: Field,
    value: &'a [u8],
}

impl<'a> Part<'a> {
    fn new(field: Field, value: &'a OsStr) -> Part<'a> {
        Part {
            field,
            value: bytes(value),
        }
    }
}

/// Where a value stands in a Slurm id: the separator before it, and a tag
/// that names it in the hashed encoding.
struct Field {
    separator: &'static str,
    tag: u8,
}

const JOB: Field = Field {
    separator: "",
    tag: b'j',
};
const TASK: Field = Field {
    separator: "_",
    tag: b't',
};
const STEP: Field = Field {
    separator: ".",
    tag: b's',
};

/// `slurm-<job>[_<task>][.<step>]` when every value is plain (letters,
/// digits and `-`, as Slurm's numbers are): the separators then cannot
/// occur inside a value, so each id names one job. Otherwise `slurm-`, a
/// readable prefix of the same text, and the hash of an encoding that
/// tags each value and gives its length, so no two jobs can share it.
fn slurm_id(parts: &[Option<Part<'_>>]) -> String {
    const KIND: &str = "slurm-";
    let parts: Vec<&Part<'_>> = parts.iter().flatten().collect();
    let mut readable = Vec::from(KIND.as_bytes());
    for part in &parts {
        readable.extend_from_slice(part.field.separator.as_bytes());
        readable.extend_from_slice(part.value);
    }
    if parts.iter().all(|p| is_plain(p.value)) && readable.len() <= names::MAX_LEN {
        // Plain values are ASCII.
        return String::from_utf8_lossy(&readable).into_owned();
    }
    let mut encoded = Vec::new();
    for part in &parts {
        encoded.push(part.field.tag);
        encoded.extend_from_slice(part.value.len().to_string().as_bytes());
        encoded.push(b':');
        encoded.extend_from_slice(part.value);
    }
    format!("{KIND}{}", names::hashed(&readable[KIND.len()..], &encoded))
}

/// A value that goes into a Slurm id as it is: one [`names::from_foreign`]
/// passes through unchanged, without the `.` and `_` that separate values.
fn is_plain(value: &[u8]) -> bool {
    let made = names::from_foreign(value);
    made.as_bytes() == value && !made.contains(['.', '_'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::test_env::env;

    fn id(pairs: &'static [(&'static str, &'static str)]) -> Option<String> {
        Launcher::detect_with(env(pairs)).map(|l| l.run_id().into_string())
    }

    #[test]
    fn detection_order_and_id_formats() {
        assert_eq!(id(&[]), None);
        assert_eq!(id(&[("SLURM_JOB_ID", "12")]).unwrap(), "slurm-12");
        assert_eq!(
            id(&[("SLURM_JOB_ID", "12"), ("SLURM_STEP_ID", "3")]).unwrap(),
            "slurm-12.3"
        );
        let array: &[(&str, &str)] = &[
            ("SLURM_JOB_ID", "13"),
            ("SLURM_ARRAY_JOB_ID", "10"),
            ("SLURM_ARRAY_TASK_ID", "3"),
        ];
        assert_eq!(id(array).unwrap(), "slurm-10_3");
        let array_step: &[(&str, &str)] = &[
            ("SLURM_JOB_ID", "13"),
            ("SLURM_ARRAY_JOB_ID", "10"),
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_STEP_ID", "0"),
        ];
        assert_eq!(id(array_step).unwrap(), "slurm-10_3.0");
        let torch: &[(&str, &str)] = &[("SLURM_JOB_ID", "13"), ("TORCHELASTIC_RUN_ID", "a1b2_c.d")];
        assert_eq!(id(torch).unwrap(), "torchrun-a1b2_c.d");
        assert_eq!(id(&[("SLURM_JOB_ID", "  ")]), None);
        assert_eq!(id(&[("TORCHELASTIC_RUN_ID", "none")]), None);
    }

    #[test]
    fn the_restart_count_is_no_part_of_the_id() {
        let first: &[(&str, &str)] = &[("SLURM_JOB_ID", "7"), ("SLURM_STEP_ID", "0")];
        let requeued: &[(&str, &str)] = &[
            ("SLURM_JOB_ID", "7"),
            ("SLURM_STEP_ID", "0"),
            ("SLURM_RESTART_COUNT", "2"),
        ];
        assert_eq!(id(first), id(requeued));
    }

    #[test]
    fn values_that_are_not_plain_keep_a_prefix_and_a_hash() {
        let a = id(&[("TORCHELASTIC_RUN_ID", "exp:1")]).unwrap();
        let b = id(&[("TORCHELASTIC_RUN_ID", "exp/1")]).unwrap();
        assert!(a.starts_with("torchrun-exp-1..h") && b.starts_with("torchrun-exp-1..h"));
        assert_ne!(a, b);
        // "job." made no run id once; now it makes one.
        let dot = id(&[("TORCHELASTIC_RUN_ID", "job.")]).unwrap();
        assert!(dot.starts_with("torchrun-job-..h"), "{dot}");
        // A job id holding a separator never poses as an array task.
        let odd = id(&[("SLURM_JOB_ID", "1_2")]).unwrap();
        let task = id(&[("SLURM_ARRAY_JOB_ID", "1"), ("SLURM_ARRAY_TASK_ID", "2")]).unwrap();
        assert_eq!(task, "slurm-1_2");
        assert!(odd.starts_with("slurm-1_2..h"), "{odd}");
        let step = id(&[("SLURM_JOB_ID", "1"), ("SLURM_STEP_ID", "2.3")]).unwrap();
        assert_ne!(
            step,
            id(&[("SLURM_JOB_ID", "1.2"), ("SLURM_STEP_ID", "3")]).unwrap()
        );
    }

    #[test]
    fn long_values_are_hashed_to_fit() {
        let long = "a".repeat(names::MAX_LEN);
        let torch = Launcher::Torchrun {
            run_id: long.clone().into(),
        };
        let made = torch.run_id();
        assert!(made.as_str().len() < 80, "{made}");
        assert!(made.as_str().starts_with("torchrun-aaaa"));
        let slurm = Launcher::Slurm {
            job: long.into(),
            step: None,
        };
        assert!(slurm.run_id().as_str().starts_with("slurm-aaaa"));
    }

    #[test]
    fn seeded_ids_put_the_launchers_id_where_the_date_was() {
        let step = |s: &'static str| Launcher::Slurm {
            job: "55".into(),
            step: Some(s.into()),
        };
        let suffix = RunId::seed_suffix(7);
        assert_eq!(
            step("0").seeded_id(7).as_str(),
            format!("slurm-55.0_{suffix}")
        );
        assert_ne!(step("0").seeded_id(7), step("1").seeded_id(7));
        assert_ne!(step("0").seeded_id(7), step("0").seeded_id(8));
        // Too long for the suffix: hashed first, still apart, still valid.
        let long = |c: &str| Launcher::Torchrun {
            run_id: c.repeat(names::MAX_LEN - "torchrun-".len()).into(),
        };
        let (a, b) = (long("a").seeded_id(7), long("b").seeded_id(7));
        assert!(a.as_str().starts_with("torchrun-aaa") && a.as_str().ends_with(&suffix));
        assert!(a.as_str().len() < 80, "{a}");
        assert_ne!(a, b);
        assert_eq!(names::check(a.as_str()), Ok(()));
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_stay_apart() {
        use std::os::unix::ffi::OsStringExt;
        let made = |raw: &[u8]| {
            Launcher::Torchrun {
                run_id: OsString::from_vec(raw.to_vec()),
            }
            .run_id()
        };
        assert_ne!(made(b"job\xff"), made(b"job\xfe"));
        assert!(made(b"job\xff").as_str().starts_with("torchrun-job-..h"));
    }
}
