//! Settings from the environment: the names of the variables runlayout
//! reads (its own `RUNLAYOUT_*`, shared with `RunArgs` and the `runlayout`
//! command, and the launchers'), the default root, and the one reading of
//! them all: [`Vars`], and [`parse_flag`] for yes/no values.

use std::ffi::OsString;

use crate::error::{Error, Result};

/// The output root when none is given: `runs`, below the current folder.
/// `RunArgs` and the `runlayout` command default to it.
///
/// ```
/// assert_eq!(runlayout::env::DEFAULT_ROOT, "runs");
/// ```
pub const DEFAULT_ROOT: &str = "runs";

/// The output root.
///
/// ```
/// assert_eq!(runlayout::env::ENV_ROOT, "RUNLAYOUT_ROOT");
/// ```
pub const ENV_ROOT: &str = "RUNLAYOUT_ROOT";
/// The run id.
///
/// ```
/// assert_eq!(runlayout::env::ENV_RUN_ID, "RUNLAYOUT_RUN_ID");
/// ```
pub const ENV_RUN_ID: &str = "RUNLAYOUT_RUN_ID";
/// The stage.
///
/// ```
/// assert_eq!(runlayout::env::ENV_STAGE, "RUNLAYOUT_STAGE");
/// ```
pub const ENV_STAGE: &str = "RUNLAYOUT_STAGE";
/// The debug flag, in any spelling [`parse_flag`] reads.
///
/// ```
/// assert_eq!(runlayout::env::ENV_DEBUG, "RUNLAYOUT_DEBUG");
/// ```
pub const ENV_DEBUG: &str = "RUNLAYOUT_DEBUG";
/// The seed of a seeded run id, for `RunArgs` (`--run-seed`).
///
/// ```
/// assert_eq!(runlayout::env::ENV_SEED, "RUNLAYOUT_SEED");
/// ```
pub const ENV_SEED: &str = "RUNLAYOUT_SEED";
/// The run to resume, for `RunArgs` (`--run-resume`).
///
/// ```
/// assert_eq!(runlayout::env::ENV_RESUME, "RUNLAYOUT_RESUME");
/// ```
pub const ENV_RESUME: &str = "RUNLAYOUT_RESUME";
/// The sweep whose trial to run, for `RunArgs` (`--run-sweep`):
/// `[debug/]<stage>/<sweep-id>`.
///
/// ```
/// assert_eq!(runlayout::env::ENV_SWEEP, "RUNLAYOUT_SWEEP");
/// ```
pub const ENV_SWEEP: &str = "RUNLAYOUT_SWEEP";
/// Which trial of the sweep to run, for `RunArgs` (`--run-trial`): a
/// number or `next`.
///
/// ```
/// assert_eq!(runlayout::env::ENV_TRIAL, "RUNLAYOUT_TRIAL");
/// ```
pub const ENV_TRIAL: &str = "RUNLAYOUT_TRIAL";

/// What [`parse_flag`] reads, for messages: yes first, then no.
pub(crate) const FLAG_SPELLINGS: &str = "1, true, t, yes, y, on, 0, false, f, no, n or off";

/// Reads a yes/no setting the way every part of runlayout does (`from_env`,
/// `RunArgs`' `--run-debug` and its variable): `1`, `true`, `t`, `yes`, `y`,
/// `on` are yes, `0`, `false`, `f`, `no`, `n`, `off` are no, in any case and
/// with white space around; anything else is `None`. These are the
/// spellings clap's `BoolishValueParser` takes.
///
/// ```
/// use runlayout::env::parse_flag;
///
/// assert_eq!(parse_flag("t"), Some(true));
/// assert_eq!(parse_flag(" Off "), Some(false));
/// assert_eq!(parse_flag("maybe"), None);
/// ```
#[must_use]
pub fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// torchrun's rendezvous run id.
pub(crate) const TORCHELASTIC_RUN_ID: &str = "TORCHELASTIC_RUN_ID";
/// The Slurm job (for an array task, its own job id).
pub(crate) const SLURM_JOB_ID: &str = "SLURM_JOB_ID";
/// The job id of the array a task belongs to.
pub(crate) const SLURM_ARRAY_JOB_ID: &str = "SLURM_ARRAY_JOB_ID";
/// The task's index in its array.
pub(crate) const SLURM_ARRAY_TASK_ID: &str = "SLURM_ARRAY_TASK_ID";
/// The `srun` step of the job; unset in the batch script itself, whose one
/// process is no rank.
pub(crate) const SLURM_STEP_ID: &str = "SLURM_STEP_ID";

/// What a variable that must be text is expected to hold.
const UTF8_TEXT: &str = "UTF-8 text";

/// The one reading of environment variables, for the runtime
/// ([`RunBuilder::from_env`](crate::RunBuilder::from_env)), `RunArgs` and
/// the launchers: a variable that is empty counts as unset, and a value
/// that cannot be used is an [`Error::InvalidEnv`] naming the variable and
/// the value (lossily made UTF-8). `get` looks a variable up: the
/// process's environment ([`Vars::process`]), or a stand-in for tests and
/// settings kept elsewhere.
///
/// ```
/// use std::ffi::OsString;
/// use runlayout::env::Vars;
///
/// let vars = Vars::new(|var: &str| match var {
///     "RUNLAYOUT_STAGE" => Some(OsString::from("eval")),
///     "RUNLAYOUT_SEED" => Some(OsString::from("seven")),
///     _ => Some(OsString::new()),
/// });
/// assert_eq!(vars.text("RUNLAYOUT_STAGE")?, Some("eval".to_owned()));
/// assert_eq!(vars.text("RUNLAYOUT_ROOT")?, None, "empty is unset");
/// let seed = vars.parsed("RUNLAYOUT_SEED", |t| t.parse::<u64>().ok(), "a number");
/// assert_eq!(
///     seed.unwrap_err().to_string(),
///     "RUNLAYOUT_SEED=\"seven\" cannot be used: expected a number"
/// );
/// # Ok::<(), runlayout::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Vars<G> {
    get: G,
}

impl Vars<fn(&str) -> Option<OsString>> {
    /// The variables of this process's environment.
    ///
    /// ```
    /// let vars = runlayout::env::Vars::process();
    /// let _root = vars.text("RUNLAYOUT_ROOT")?;
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    #[must_use]
    pub fn process() -> Self {
        Vars::new(|var| std::env::var_os(var))
    }
}

impl<G: Fn(&str) -> Option<OsString>> Vars<G> {
    /// The variables `get` looks up.
    ///
    /// ```
    /// let none = runlayout::env::Vars::new(|_: &str| None);
    /// assert_eq!(none.value("RUNLAYOUT_ROOT"), None);
    /// ```
    pub fn new(get: G) -> Vars<G> {
        Vars { get }
    }

    /// The value of `var`; `None` when it is unset or empty.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// let vars = runlayout::env::Vars::new(|_: &str| Some(OsString::from(" ")));
    /// assert_eq!(vars.value("SLURM_JOB_ID"), Some(OsString::from(" ")));
    /// ```
    pub fn value(&self, var: &str) -> Option<OsString> {
        (self.get)(var).filter(|value| !value.is_empty())
    }

    /// The value of `var` as a launcher sets it; `None` when it is unset,
    /// empty or white space only, which a launcher's job id never is.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// let vars = runlayout::env::Vars::new(|_: &str| Some(OsString::from(" ")));
    /// assert_eq!(vars.non_blank("SLURM_JOB_ID"), None);
    /// ```
    pub fn non_blank(&self, var: &str) -> Option<OsString> {
        let blank = |v: &OsString| v.as_encoded_bytes().iter().all(u8::is_ascii_whitespace);
        self.value(var).filter(|value| !blank(value))
    }

    /// The value of `var` as text; `None` when it is unset or empty.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEnv`] naming `var` and its value when it is not
    /// UTF-8.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// let vars = runlayout::env::Vars::new(|_: &str| Some(OsString::from("pretrain")));
    /// assert_eq!(vars.text("RUNLAYOUT_STAGE")?.as_deref(), Some("pretrain"));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn text(&self, var: &'static str) -> Result<Option<String>> {
        let Some(value) = self.value(var) else {
            return Ok(None);
        };
        value
            .into_string()
            .map(Some)
            .map_err(|value| Error::InvalidEnv {
                var,
                value: value.to_string_lossy().into_owned(),
                expected: UTF8_TEXT,
            })
    }

    /// The value of `var` read by `parse`; `None` when it is unset or
    /// empty.
    ///
    /// # Errors
    ///
    /// As [`text`](Vars::text), and [`Error::InvalidEnv`] naming `var`, its
    /// value and `expected` when `parse` cannot read it.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// let vars = runlayout::env::Vars::new(|_: &str| Some(OsString::from(" 4 ")));
    /// let size = vars.parsed("WORLD_SIZE", |t| t.trim().parse::<usize>().ok(), "a number");
    /// assert_eq!(size?, Some(4));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn parsed<T>(
        &self,
        var: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &'static str,
    ) -> Result<Option<T>> {
        let Some(text) = self.text(var)? else {
            return Ok(None);
        };
        match parse(&text) {
            Some(value) => Ok(Some(value)),
            None => Err(Error::InvalidEnv {
                var,
                value: text,
                expected,
            }),
        }
    }

    /// The yes/no value of `var`, in any spelling [`parse_flag`] reads;
    /// `None` when it is unset or empty.
    ///
    /// # Errors
    ///
    /// As [`parsed`](Vars::parsed), naming the spellings `parse_flag` reads.
    ///
    /// ```
    /// use std::ffi::OsString;
    /// let vars = runlayout::env::Vars::new(|_: &str| Some(OsString::from("Yes")));
    /// assert_eq!(vars.flag("RUNLAYOUT_DEBUG")?, Some(true));
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn flag(&self, var: &'static str) -> Result<Option<bool>> {
        self.parsed(var, parse_flag, FLAG_SPELLINGS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_unset_and_bad_values_are_named() {
        let vars = Vars::new(|var: &str| match var {
            "EMPTY" => Some(OsString::new()),
            "SET" => Some(OsString::from("x")),
            _ => None,
        });
        assert_eq!(vars.text("UNSET").ok(), Some(None));
        assert_eq!(vars.text("EMPTY").ok(), Some(None));
        assert_eq!(vars.text("SET").ok(), Some(Some("x".to_owned())));
        let number = |t: &str| t.parse::<u8>().ok();
        assert_eq!(vars.parsed("EMPTY", number, "a number").ok(), Some(None));
        let err = vars.parsed("SET", number, "a number").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SET=\"x\" cannot be used: expected a number"
        );
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_are_named_lossily() {
        use std::os::unix::ffi::OsStringExt;
        let vars = Vars::new(|_: &str| Some(OsString::from_vec(b"a\xffb".to_vec())));
        let err = vars.text("V").unwrap_err();
        assert_eq!(
            err.to_string(),
            "V=\"a\u{fffd}b\" cannot be used: expected UTF-8 text"
        );
    }
}
