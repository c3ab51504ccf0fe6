//! Settings from the environment: the names of the `RUNLAYOUT_*` variables
//! and the default root (shared with `RunArgs` and the `runlayout` command),
//! and the one reading of yes/no values.

/// The output root when none is given: `runs`, below the current folder.
/// `RunArgs` and the `runlayout` command default to it.
///
/// ```
/// assert_eq!(runlayout_runtime::DEFAULT_ROOT, "runs");
/// ```
pub const DEFAULT_ROOT: &str = "runs";

/// The output root.
///
/// ```
/// assert_eq!(runlayout_runtime::ENV_ROOT, "RUNLAYOUT_ROOT");
/// ```
pub const ENV_ROOT: &str = "RUNLAYOUT_ROOT";
/// The run id.
///
/// ```
/// assert_eq!(runlayout_runtime::ENV_RUN_ID, "RUNLAYOUT_RUN_ID");
/// ```
pub const ENV_RUN_ID: &str = "RUNLAYOUT_RUN_ID";
/// The stage.
///
/// ```
/// assert_eq!(runlayout_runtime::ENV_STAGE, "RUNLAYOUT_STAGE");
/// ```
pub const ENV_STAGE: &str = "RUNLAYOUT_STAGE";
/// The debug flag, in any spelling [`parse_flag`] reads.
///
/// ```
/// assert_eq!(runlayout_runtime::ENV_DEBUG, "RUNLAYOUT_DEBUG");
/// ```
pub const ENV_DEBUG: &str = "RUNLAYOUT_DEBUG";
/// The seed of a seeded run id, for `RunArgs` (`--run-seed`).
///
/// ```
/// assert_eq!(runlayout_runtime::ENV_SEED, "RUNLAYOUT_SEED");
/// ```
pub const ENV_SEED: &str = "RUNLAYOUT_SEED";
/// The run to resume, for `RunArgs` (`--run-resume`).
///
/// ```
/// assert_eq!(runlayout_runtime::ENV_RESUME, "RUNLAYOUT_RESUME");
/// ```
pub const ENV_RESUME: &str = "RUNLAYOUT_RESUME";

/// What [`parse_flag`] reads, for messages: yes first, then no.
pub(crate) const FLAG_SPELLINGS: &str = "1, true, t, yes, y, on, 0, false, f, no, n or off";

/// Reads a yes/no setting the way every part of runlayout does (`from_env`,
/// `RunArgs`' `--run-debug` and its variable): `1`, `true`, `t`, `yes`, `y`,
/// `on` are yes, `0`, `false`, `f`, `no`, `n`, `off` are no, in any case and
/// with white space around; anything else is `None`. These are the
/// spellings clap's `BoolishValueParser` takes.
///
/// ```
/// use runlayout_runtime::parse_flag;
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
