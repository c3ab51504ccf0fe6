//! The one error type of the crate.
//!
//! Every variant names what was at fault: the offending value, or the path and
//! the operation that failed on it, so a message read in a log is enough to act.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The naming rule a run id, stage or placeholder value broke.
///
/// The rules keep every name one plain path component that is valid on Linux,
/// macOS and Windows alike, so a tree made here can be copied anywhere.
///
/// ```
/// use runlayout::{Error, RunId, error::NameRule};
///
/// match RunId::new("CON.txt") {
///     Err(Error::InvalidName { rule: NameRule::DeviceName, .. }) => {}
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
pub use runlayout_grammar::names::NameRule;

/// What a [`RunSpec`](crate::RunSpec) may be, in words, for messages.
pub(crate) const RUN_SPELLINGS: &str = "a run id, stage/id, latest, stage/latest, latest-finished or stage/latest-finished \
     (debug/ in front for a debug run)";

/// `Result` with [`Error`] as its default error type.
///
/// ```
/// fn stage_dir() -> runlayout::Result<std::path::PathBuf> {
///     Ok(std::path::PathBuf::from("runs/pretrain"))
/// }
/// assert!(stage_dir().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while naming, creating, resuming or linking runs.
///
/// The enum is `#[non_exhaustive]`: match the variants you handle and keep a
/// `_` arm. I/O failures carry the operation and the path, as `fs-err` does,
/// and convert into [`std::io::Error`] for callers that speak only `io`.
///
/// ```
/// use runlayout::{Error, RunId};
///
/// let err = RunId::new("../escape").unwrap_err();
/// assert!(matches!(err, Error::InvalidName { .. }));
/// assert_eq!(
///     err.to_string(),
///     "run id \"../escape\" is invalid: character '/' at byte 2 is not allowed; \
///      use letters, digits, '.', '_' or '-'"
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A run id or stage name broke one of the naming rules.
    InvalidName {
        /// What the value was meant to be.
        subject: NameKind,
        /// The value as given.
        value: String,
        /// The rule it broke.
        rule: NameRule,
    },
    /// A value given for a `{placeholder}` of a layout entry would not render
    /// to exactly one plain path component.
    InvalidValue {
        /// The placeholder's name.
        placeholder: &'static str,
        /// The entry's declared path, placeholders included.
        template: &'static str,
        /// The value as rendered.
        value: String,
        /// The rule it broke.
        rule: NameRule,
    },
    /// A file-system operation failed.
    Io {
        /// What was being done.
        op: Operation,
        /// The path it was done to.
        path: PathBuf,
        /// The error the operating system gave.
        source: io::Error,
    },
    /// `create()` was given an explicit or seeded run id whose folder exists.
    /// Nothing was changed on disk.
    RunExists {
        /// The run folder that already exists.
        path: PathBuf,
    },
    /// A new run was asked for under a run id the caller chose (`--run-id`,
    /// `--run-seed` of `RunArgs`), and a run of that id exists already
    /// (made by another job, or outside any launcher). Nothing was changed
    /// on disk.
    RunIdTaken {
        /// The run folder that already exists.
        path: PathBuf,
        /// How to continue that run instead, as the caller would write it
        /// (`--run-resume baseline`).
        resume: String,
    },
    /// `open()` found no run folder.
    RunNotFound {
        /// The run folder that was looked for.
        path: PathBuf,
        /// Where a run of that id does exist below the same root (other
        /// stages, debug or not), for the message to point at: folders
        /// holding `run.json`, and, for runs made without a manifest,
        /// folders that hold something and are no folder of runs (no
        /// `latest` pointer, no run inside).
        elsewhere: Vec<PathBuf>,
    },
    /// Another process is removing the run (a prune holds its removal
    /// claim, or has just moved it away): it cannot be opened, joined or
    /// linked. Nothing was changed.
    RunBeingRemoved {
        /// The run folder.
        path: PathBuf,
    },
    /// The output root does not exist, so no run can be below it: `open()`
    /// and `open_latest()` say so rather than "no run folder".
    RootNotFound {
        /// The root, as the builder was given it.
        root: PathBuf,
    },
    /// A run was to be made inside another run: a folder on its way below
    /// the root (the root itself, its stage folder, or in run-first order
    /// its id folder) is a run (holds a manifest). A run never holds
    /// another run, or one run's paths could lead into the other's files.
    /// Nothing was made. (Folders above the root are not looked at: a root
    /// inside a run's folder, such as the trials of a study kept in the
    /// study's run, is the caller's choice.)
    InsideRun {
        /// Where the run was to be made: its folder, or for a generated id
        /// the folder that would have held it.
        path: PathBuf,
        /// The run it would have been inside.
        run: PathBuf,
    },
    /// The run another was to be linked to is gone: its folder was removed
    /// (by a prune, or by hand) while the link was being made. Nothing was
    /// linked.
    AncestorGone {
        /// The ancestor's folder.
        path: PathBuf,
    },
    /// A symlink stands where a run folder (or another folder runlayout
    /// needs) should be, and what it points at does not exist.
    DanglingLink {
        /// The symlink.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// A folder was to be opened as a run, but it is something else: a
    /// stage folder, or a run id folder that holds the stages of a run.
    NotARun {
        /// The folder.
        path: PathBuf,
        /// What it is instead.
        reason: NotARunReason,
    },
    /// A run folder was found empty, without its manifest, and stayed so
    /// while the caller waited: the process that created it died before
    /// finishing (or the folder was made by hand).
    IncompleteRun {
        /// The run folder.
        path: PathBuf,
        /// How long the caller waited for the manifest.
        waited: Duration,
    },
    /// A run's manifest records a place (id, stage, debug flag or nesting)
    /// other than where its folder is. The folder's place is what counts;
    /// this is reported so the record can be fixed.
    ManifestMismatch {
        /// The manifest's path.
        path: PathBuf,
        /// The field that disagrees.
        field: &'static str,
        /// What the manifest says.
        recorded: String,
        /// What the folder's place says.
        actual: String,
    },
    /// A file runlayout owns (a manifest, a pointer file) is not a regular
    /// file: a FIFO, a device or a socket. It was not opened.
    NotARegularFile {
        /// The path.
        path: PathBuf,
        /// What stands there.
        kind: &'static str,
    },
    /// A file runlayout owns is larger than any it writes; it was not read
    /// to the end.
    FileTooLarge {
        /// The path.
        path: PathBuf,
        /// The most runlayout reads of such a file, in bytes.
        limit: u64,
    },
    /// A link runlayout owns points somewhere it never points: `latest`
    /// outside its folder, say. It was left untouched.
    InvalidLink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
        /// Where links of that name point.
        expected: &'static str,
    },
    /// A folder was needed, and something else stands at the path.
    NotADirectory {
        /// The path that is not a folder.
        path: PathBuf,
    },
    /// `open()`, `create_or_open()` or `create_for()` was asked for without
    /// a run id or seed: several callers can only meet in one folder if they
    /// agree on its name.
    MissingRunId {
        /// The builder method that needs the id.
        method: &'static str,
    },
    /// Every freshly drawn run id was taken: the folder is crowded or refuses
    /// new entries in a way that looks like "exists".
    TooManyCollisions {
        /// The folder the run was to be created in.
        parent: PathBuf,
        /// How many ids were tried.
        attempts: u32,
    },
    /// A link was to be read or replaced, and a real file or folder stands
    /// at its name. It was left untouched.
    NotALink {
        /// The path of the file or folder in the way.
        path: PathBuf,
    },
    /// A record runlayout keeps in a run folder (`run.json`,
    /// `run.status.json`, `run.layout.json`) could not be understood, or
    /// not be written as JSON.
    InvalidRecord {
        /// Which record.
        kind: RecordKind,
        /// The record's path.
        path: PathBuf,
        /// What the parser said, or which rule a recorded layout breaks.
        message: String,
    },
    /// `open_latest()` found no `latest` pointer: no run of that stage was
    /// created yet (or pointers were switched off).
    NoLatestRun {
        /// Where the pointer was looked for.
        path: PathBuf,
    },
    /// A [`FamilyTemplate`](crate::FamilyTemplate) cannot name a family of
    /// that key type: it does not parse, has no placeholder, cannot be read
    /// back unambiguously, or its placeholders take other types than the
    /// key. Families generated by the derive never report it.
    InvalidTemplate {
        /// The template as written.
        template: String,
        /// What is wrong with it.
        problem: String,
    },
    /// [`Family::link_last`](crate::Family::link_last) was given a path
    /// the family's template reads as a member: the link would be listed,
    /// kept and removed as a checkpoint of its own. Nothing was written.
    LinkIsMember {
        /// The path given for the link.
        path: PathBuf,
        /// The family's template.
        template: String,
    },
    /// A run was named by a [`RunSpec`](crate::RunSpec) of no shape it
    /// has: more than three parts, or an empty one.
    InvalidRunSpec {
        /// The spec as given.
        value: String,
    },
    /// The saver given to
    /// [`FilePath::write_atomic_with`](crate::FilePath::write_atomic_with)
    /// returned success without leaving exactly one regular file at the
    /// path it was given: it wrote nothing there, wrote under another name
    /// (a framework that adds or changes the extension itself), or wrote
    /// other files beside it. Nothing was moved into place: the file is as
    /// it was, and what the saver wrote is removed.
    SaverOutput {
        /// The file that was to be written.
        path: PathBuf,
        /// The name the saver was given: the file's own.
        expected: String,
        /// What the saver left instead, by name (lossy when not UTF-8), a
        /// folder's with `/` after it, a symlink's with `@`; empty when it
        /// left nothing.
        found: Vec<String>,
    },
    /// The parameters given to
    /// [`RunBuilder::params`](crate::RunBuilder::params) are not a JSON
    /// object (a struct or a map), or cannot be written as JSON.
    InvalidParams {
        /// The parameters as JSON (or as far as they could be written).
        value: String,
        /// What is wrong with them.
        problem: String,
    },
    /// `stage/latest-finished` named no run: no run of the stage has
    /// finished.
    NoFinishedRun {
        /// The folder whose runs were read (the stage folder).
        path: PathBuf,
    },
    /// An environment variable holds a value that cannot be used.
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// Its value (lossy when it is not UTF-8); empty when the variable
        /// is unset or empty, which runlayout reads alike.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// A sweep builder named an existing sweep whose recorded spec
    /// (parameters, values, order, count) differs from the one given.
    SweepChanged {
        /// The sweep's record folder.
        path: PathBuf,
        /// The first difference, recorded against given.
        difference: String,
    },
    /// No sweep is recorded where a sweep was named.
    SweepNotFound {
        /// Where its record folder would be.
        path: PathBuf,
    },
    /// A text that should name a sweep does not read as one.
    InvalidSweepSpec {
        /// The text given.
        value: String,
    },
    /// No trial of a sweep is left to claim: each has finished, failed,
    /// or is held by a live worker.
    NoTrialLeft {
        /// The sweep's record folder.
        path: PathBuf,
    },
    /// A trial of a sweep cannot be claimed.
    TrialUnavailable {
        /// The trial's run folder (or, out of range, the sweep's record
        /// folder).
        path: PathBuf,
        /// The trial's number.
        trial: usize,
        /// Why.
        reason: TrialReason,
    },
    /// A root given as a URL cannot be used: its scheme names no object
    /// store runlayout knows, the URL is malformed, its store cannot be
    /// set up from the environment, or this build lacks the
    /// `object-store` feature. Nothing was made.
    UnsupportedRoot {
        /// The root, as given.
        root: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A request to the object store that is a run's home failed (see the
    /// `object-store` feature).
    Store {
        /// What was being done: `read`, `create`, `replace`, `write`,
        /// `upload`, `list`, `delete`.
        op: &'static str,
        /// The URL of the object (or the root) it was done to.
        url: String,
        /// What the store said.
        message: String,
    },
}

impl Error {
    /// The I/O error underneath, when the failure came from the operating system.
    ///
    /// ```
    /// use runlayout::DirPath;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("blocker"), b"a file")?;
    /// // A file stands where a folder should, so nothing can be made below it.
    /// let err = DirPath::new(dir.path().join("blocker/plots")).create().unwrap_err();
    /// assert!(err.io_error().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The path the error is about, if it is about one.
    ///
    /// ```
    /// use runlayout::Run;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let err = Run::builder(dir.path()).run_id("absent").open().unwrap_err();
    /// assert_eq!(err.path(), Some(dir.path().join("absent").as_path()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. }
            | Error::RunExists { path }
            | Error::RunIdTaken { path, .. }
            | Error::RunNotFound { path, .. }
            | Error::RunBeingRemoved { path }
            | Error::InsideRun { path, .. }
            | Error::DanglingLink { path, .. }
            | Error::NotARun { path, .. }
            | Error::IncompleteRun { path, .. }
            | Error::ManifestMismatch { path, .. }
            | Error::NotARegularFile { path, .. }
            | Error::FileTooLarge { path, .. }
            | Error::InvalidLink { path, .. }
            | Error::NotADirectory { path }
            | Error::NotALink { path }
            | Error::InvalidRecord { path, .. }
            | Error::AncestorGone { path }
            | Error::NoLatestRun { path }
            | Error::SaverOutput { path, .. }
            | Error::NoFinishedRun { path }
            | Error::LinkIsMember { path, .. }
            | Error::SweepChanged { path, .. }
            | Error::SweepNotFound { path }
            | Error::NoTrialLeft { path }
            | Error::TrialUnavailable { path, .. } => Some(path),
            Error::TooManyCollisions { parent, .. } => Some(parent),
            Error::RootNotFound { root } => Some(root),
            Error::InvalidName { .. }
            | Error::InvalidValue { .. }
            | Error::MissingRunId { .. }
            | Error::InvalidTemplate { .. }
            | Error::InvalidRunSpec { .. }
            | Error::InvalidParams { .. }
            | Error::InvalidSweepSpec { .. }
            | Error::InvalidEnv { .. }
            | Error::UnsupportedRoot { .. }
            | Error::Store { .. } => None,
        }
    }

    /// Wraps an I/O error with the operation and the path it happened on.
    /// An I/O error made from one of ours (an [`AtomicFile`]'s `Write`,
    /// say) names its operation and path already: it is given back as it
    /// was, so that a message says them once, not `cannot write `X`:
    /// cannot write `X`: ...`.
    ///
    /// [`AtomicFile`]: crate::AtomicFile
    pub(crate) fn io(op: Operation, path: impl Into<PathBuf>, source: io::Error) -> Error {
        match Error::unwrapped(source) {
            Ok(ours) => ours,
            Err(source) => Error::Io {
                op,
                path: path.into(),
                source,
            },
        }
    }

    /// The error of ours `source` carries, if it carries one.
    fn unwrapped(source: io::Error) -> std::result::Result<Error, io::Error> {
        if !source.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Err(source);
        }
        let kind = source.kind();
        match source.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(ours)) => Ok(*ours),
            // Checked above; kept whole should it ever differ.
            Some(Err(inner)) => Err(io::Error::new(kind, inner)),
            None => Err(io::Error::from(kind)),
        }
    }

    fn io_kind(&self) -> io::ErrorKind {
        match self {
            Error::Io { source, .. } => source.kind(),
            Error::InvalidName { .. }
            | Error::InvalidValue { .. }
            | Error::MissingRunId { .. }
            | Error::InvalidTemplate { .. }
            | Error::LinkIsMember { .. }
            | Error::InvalidRunSpec { .. }
            | Error::InvalidParams { .. }
            | Error::InvalidSweepSpec { .. }
            | Error::InvalidEnv { .. }
            | Error::UnsupportedRoot { .. } => io::ErrorKind::InvalidInput,
            Error::Store { .. } => io::ErrorKind::Other,
            Error::SweepChanged { .. } => io::ErrorKind::AlreadyExists,
            Error::SweepNotFound { .. } | Error::NoTrialLeft { .. } => io::ErrorKind::NotFound,
            Error::TrialUnavailable { .. } => io::ErrorKind::ResourceBusy,
            Error::RunExists { .. } | Error::RunIdTaken { .. } => io::ErrorKind::AlreadyExists,
            Error::RunNotFound { .. } | Error::RootNotFound { .. } | Error::DanglingLink { .. } => {
                io::ErrorKind::NotFound
            }
            Error::InsideRun { .. } => io::ErrorKind::AlreadyExists,
            Error::RunBeingRemoved { .. } => io::ErrorKind::ResourceBusy,
            Error::NotARun { .. }
            | Error::IncompleteRun { .. }
            | Error::ManifestMismatch { .. }
            | Error::NotARegularFile { .. }
            | Error::FileTooLarge { .. }
            | Error::InvalidLink { .. } => io::ErrorKind::InvalidData,
            Error::NotADirectory { .. } => io::ErrorKind::NotADirectory,
            Error::TooManyCollisions { .. } => io::ErrorKind::AlreadyExists,
            Error::NotALink { .. } | Error::InvalidRecord { .. } => io::ErrorKind::InvalidData,
            Error::SaverOutput { .. } => io::ErrorKind::InvalidData,
            Error::AncestorGone { .. } => io::ErrorKind::NotFound,
            Error::NoLatestRun { .. } | Error::NoFinishedRun { .. } => io::ErrorKind::NotFound,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidName {
                subject,
                value,
                rule,
            } => write!(f, "{subject} {value:?} is invalid: {rule}"),
            Error::InvalidValue {
                placeholder,
                template,
                value,
                rule,
            } => runlayout_grammar::template::invalid_value(f, value, placeholder, template, rule),
            Error::Io { op, path, source } => {
                write!(f, "cannot {op} `{}`: {source}", path.display())
            }
            Error::RunExists { path } => write!(
                f,
                "run folder `{}` already exists; open it to resume, or choose another run id",
                path.display()
            ),
            Error::RunIdTaken { path, resume } => write!(
                f,
                "cannot start a new run: run folder `{}` already exists; \
                 to continue that run, pass `{resume}`, or choose another run id for a new one",
                path.display()
            ),
            Error::RunNotFound { path, elsewhere } => {
                write!(f, "no run folder at `{}`", path.display())?;
                if !elsewhere.is_empty() {
                    let places: Vec<_> = elsewhere
                        .iter()
                        .map(|p| format!("`{}`", p.display()))
                        .collect();
                    write!(f, "; that run id exists at {}", places.join(", "))?;
                }
                Ok(())
            }
            Error::RunBeingRemoved { path } => write!(
                f,
                "the run `{}` is being removed by another process (a prune); nothing was changed",
                path.display()
            ),
            Error::RootNotFound { root } => write!(
                f,
                "the output root `{}` does not exist, so no run is there",
                root.display()
            ),
            Error::InsideRun { path, run } => write!(
                f,
                "cannot make a run at `{}`: it would be inside the run `{}`, \
                 and a run never holds another run",
                path.display(),
                run.display()
            ),
            Error::AncestorGone { path } => write!(
                f,
                "no run folder at `{}`: the run to link to is gone, so nothing was linked",
                path.display()
            ),
            Error::DanglingLink { path, target } => write!(
                f,
                "`{}` is a symlink to `{}`, which does not exist; it was left untouched",
                path.display(),
                target.display()
            ),
            Error::NotARun { path, reason } => {
                write!(f, "`{}` is not a run folder: {reason}", path.display())
            }
            Error::IncompleteRun { path, waited } => write!(
                f,
                "run folder `{}` is empty and still has no manifest after waiting {:.1} s: \
                 the process that created it died before finishing, or it was made by hand; \
                 remove the empty folder and start the run again",
                path.display(),
                waited.as_secs_f64()
            ),
            Error::ManifestMismatch {
                path,
                field,
                recorded,
                actual,
            } => write!(
                f,
                "`{}` records {field} {recorded}, but the folder's place makes it {actual}; \
                 the place is what counts",
                path.display()
            ),
            Error::NotARegularFile { path, kind } => write!(
                f,
                "`{}` is a {kind}, not a regular file; runlayout reads only regular files, \
                 so it was not opened",
                path.display()
            ),
            Error::FileTooLarge { path, limit } => write!(
                f,
                "`{}` is larger than {limit} bytes, more than runlayout ever writes there; \
                 it was not read",
                path.display()
            ),
            Error::InvalidLink {
                path,
                target,
                expected,
            } => write!(
                f,
                "`{}` points at `{}`, but it should point at {expected}; it was left untouched",
                path.display(),
                target.display()
            ),
            Error::NotADirectory { path } => {
                write!(f, "`{}` exists but is not a folder", path.display())
            }
            Error::MissingRunId { method } => write!(
                f,
                "`{method}()` needs a run id (a launcher's, or one given to every caller), \
                 so that every caller finds the same folder"
            ),
            Error::TooManyCollisions { parent, attempts } => write!(
                f,
                "could not create a new run folder in `{}`: all {attempts} generated run ids were taken",
                parent.display()
            ),
            Error::NotALink { path } => write!(
                f,
                "`{}` is a real file or folder, not a link made by runlayout; it was left untouched",
                path.display()
            ),
            Error::InvalidRecord { path, message, .. } => {
                write!(
                    f,
                    "`{}` is not a valid runlayout record: {message}",
                    path.display()
                )
            }
            Error::NoLatestRun { path } => write!(
                f,
                "no `latest` pointer at `{}`: no run was created there yet",
                path.display()
            ),
            Error::InvalidTemplate { template, problem } => {
                write!(f, "template `{template}` cannot name a family: {problem}")
            }
            Error::LinkIsMember { path, template } => write!(
                f,
                "cannot link `{}` to the last member of `{template}`: the template reads that \
                 name as a member; choose a name it does not read (last.ckpt)",
                path.display()
            ),
            Error::InvalidRunSpec { value } => {
                write!(f, "`{value}` names no run: expected {RUN_SPELLINGS}")
            }
            Error::SaverOutput {
                path,
                expected,
                found,
            } => saver_output(f, path, expected, found),
            Error::InvalidParams { value, problem } => {
                write!(f, "run parameters `{value}` cannot be recorded: {problem}")
            }
            Error::NoFinishedRun { path } => write!(
                f,
                "no finished run in `{}`: `latest-finished` names the newest run whose status is finished",
                path.display()
            ),
            // Empty counts as unset throughout, so it reads as unset, not
            // as `VAR=""`.
            Error::InvalidEnv {
                var,
                value,
                expected,
            } if value.is_empty() => write!(f, "{var} is unset: expected {expected}"),
            Error::InvalidEnv {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?} cannot be used: expected {expected}"),
            Error::SweepChanged { path, difference } => write!(
                f,
                "sweep `{}` was recorded with another spec: {difference}",
                path.display()
            ),
            Error::SweepNotFound { path } => write!(f, "no sweep at `{}`", path.display()),
            Error::NoTrialLeft { path } => write!(
                f,
                "no trial of sweep `{}` is left to claim: each has finished, failed or is held by a live worker",
                path.display()
            ),
            Error::InvalidSweepSpec { value } => write!(
                f,
                "`{value}` names no sweep: expected `[debug/]<stage>/<sweep-id>`"
            ),
            Error::TrialUnavailable {
                path,
                trial,
                reason,
            } => write!(
                f,
                "trial {trial} (`{}`) cannot be claimed: {reason}",
                path.display()
            ),
            Error::UnsupportedRoot { root, reason } => {
                write!(f, "the root `{root}` cannot be used: {reason}")
            }
            Error::Store { op, url, message } if url.is_empty() => {
                write!(f, "object store ({op}): {message}")
            }
            Error::Store { op, url, message } => write!(f, "cannot {op} `{url}`: {message}"),
        }
    }
}

/// [`Error::SaverOutput`]'s message: what the saver left, and what to do.
fn saver_output(
    f: &mut fmt::Formatter<'_>,
    path: &Path,
    expected: &str,
    found: &[String],
) -> fmt::Result {
    write!(
        f,
        "cannot save `{}`: the saver was to leave one file, `{expected}`, at the path it was given, and left ",
        path.display()
    )?;
    if found.is_empty() {
        f.write_str("nothing")?;
    } else {
        let names: Vec<String> = found.iter().map(|n| format!("`{n}`")).collect();
        f.write_str(&names.join(", "))?;
    }
    f.write_str(
        "; a saver that names its file itself (adding its extension) needs the file \
         declared under that name, and one that writes several files a folder; \
         the file was left as it was",
    )
}

impl std::error::Error for Error {
    // The I/O error's own message is part of `Display` already (as in fs-err),
    // so only what lies beneath it is offered as the source.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => source.source(),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    /// Keeps the [`io::ErrorKind`] of an I/O failure, and maps the others to
    /// the closest kind, with the full message kept.
    fn from(err: Error) -> io::Error {
        io::Error::new(err.io_kind(), err)
    }
}

/// What a file-system [`Error::Io`] was doing.
///
/// ```
/// use runlayout::error::Operation;
///
/// assert_eq!(Operation::CreateDir.to_string(), "create folder");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `mkdir` of one folder.
    CreateDir,
    /// `mkdir -p` of a folder and its missing parents.
    CreateDirAll,
    /// Reading a folder's entries.
    ReadDir,
    /// Reading a path's metadata.
    Metadata,
    /// Resolving a path to its canonical form.
    Canonicalize,
    /// Making a symbolic link.
    Symlink,
    /// Reading a symbolic link.
    ReadLink,
    /// Moving a temporary file or link over its final name.
    Rename,
    /// Writing a file.
    WriteFile,
    /// Making a link: a symlink, or a pointer file where symlinks cannot be made.
    WriteLink,
    /// Removing a file, link or folder.
    Remove,
    /// Reading a file.
    ReadFile,
    /// Making a temporary file in a folder, to be renamed into place.
    CreateTemporary,
    /// Making a temporary folder in a folder, for a saver to write a file
    /// in that is then renamed into place.
    CreateTemporaryDir,
    /// Writing a file's data through to the storage device (`fsync`).
    Sync,
    /// Taking a lock on a run's manifest: a claim to use or remove the run.
    Lock,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::CreateDir => "create folder",
            Operation::CreateDirAll => "create folders",
            Operation::ReadDir => "read folder",
            Operation::Metadata => "read metadata of",
            Operation::Canonicalize => "resolve",
            Operation::Symlink => "create symlink",
            Operation::ReadLink => "read link",
            Operation::Rename => "move into place",
            Operation::WriteFile => "write",
            Operation::WriteLink => "write link",
            Operation::Remove => "remove",
            Operation::ReadFile => "read",
            Operation::CreateTemporary => "create a temporary file in",
            Operation::CreateTemporaryDir => "create a temporary folder in",
            Operation::Sync => "sync",
            Operation::Lock => "lock",
        })
    }
}

/// Which record kept in a run folder an [`Error::InvalidRecord`] is about.
///
/// ```
/// use runlayout::error::RecordKind;
///
/// assert_eq!(RecordKind::Status.to_string(), "status record");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordKind {
    /// `run.json`, the run's manifest.
    Manifest,
    /// `run.status.json`, how the run stands or ended.
    Status,
    /// `run.layout.json`, the layouts used on the run.
    Layout,
    /// `run.summary.json`, the run's results, tags and note.
    Summary,
    /// `run.restarts.jsonl`, the later opens and joins of the run.
    Restarts,
    /// `sweep.json`, a sweep's spec.
    Sweep,
    /// `.runlayout-home.json`, what a working copy last uploaded to its
    /// run's home in object storage.
    WorkingCopy,
    /// The `latest` object of a stage in object storage.
    Latest,
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordKind::Manifest => "manifest",
            RecordKind::Status => "status record",
            RecordKind::Layout => "layout record",
            RecordKind::Summary => "summary record",
            RecordKind::Restarts => "restarts record",
            RecordKind::Sweep => "sweep record",
            RecordKind::WorkingCopy => "working copy's state",
            RecordKind::Latest => "latest pointer",
        })
    }
}

/// Why a folder is not a run: it is a folder of runs ([`Error::NotARun`]).
///
/// ```
/// use runlayout::{Error, Run};
/// use runlayout::error::NotARunReason;
///
/// let root = tempfile::tempdir()?;
/// Run::builder(root.path()).stage("pretrain").create()?;
/// // The stage folder holds the runs of the stage and their `latest` pointer.
/// let err = Run::builder(root.path()).run_id("pretrain").open().unwrap_err();
/// match err {
///     Error::NotARun { reason: NotARunReason::HoldsPointer { pointer }, .. } => {
///         assert!(pointer.ends_with("pretrain/latest"));
///     }
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotARunReason {
    /// It holds a `latest` pointer: it is a folder of runs (a stage
    /// folder).
    HoldsPointer {
        /// The pointer.
        pointer: PathBuf,
    },
    /// It holds a run: it is a folder of runs (a stage folder, or in
    /// run-first order a run id folder).
    HoldsRun {
        /// The run inside it.
        run: PathBuf,
    },
}

impl fmt::Display for NotARunReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotARunReason::HoldsPointer { pointer } => write!(
                f,
                "it holds the `latest` pointer `{}`, so it is a folder of runs (a stage folder)",
                pointer.display()
            ),
            NotARunReason::HoldsRun { run } => write!(
                f,
                "it holds the run `{}`, so it is a folder of runs (a stage or run id folder)",
                run.display()
            ),
        }
    }
}

/// What a rejected name was meant to be.
///
/// ```
/// use runlayout::error::NameKind;
///
/// assert_eq!(NameKind::Stage.to_string(), "stage");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameKind {
    /// A run id.
    RunId,
    /// A stage name.
    Stage,
    /// A tag of a run ([`Run::add_tag`](crate::Run::add_tag)).
    Tag,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::RunId => "run id",
            NameKind::Stage => "stage",
            NameKind::Tag => "tag",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ENOSPC, as a full disk gives it.
    fn full() -> io::Error {
        io::Error::from_raw_os_error(28)
    }

    #[test]
    fn an_io_error_is_wrapped_with_its_operation_and_path_once() {
        let plain = Error::io(Operation::WriteFile, "runs/a", full());
        assert_eq!(
            plain.to_string(),
            "cannot write `runs/a`: No space left on device (os error 28)"
        );
        // Ours, passed through `io` (an `AtomicFile`'s `Write`), and wrapped
        // again by whoever called that: said once, as first said.
        let through_io: io::Error = plain.into();
        let again = Error::io(Operation::WriteFile, "runs/a", through_io);
        assert_eq!(
            again.to_string(),
            "cannot write `runs/a`: No space left on device (os error 28)"
        );
        assert_eq!(
            again.io_error().map(io::Error::kind),
            Some(io::ErrorKind::StorageFull)
        );
        assert_eq!(again.path(), Some(Path::new("runs/a")));
        // Any error of ours keeps its own words.
        let ours: io::Error = Error::NotADirectory {
            path: "runs/x".into(),
        }
        .into();
        let kept = Error::io(Operation::CreateDirAll, "runs/x/y", ours);
        assert!(matches!(kept, Error::NotADirectory { .. }), "{kept:?}");
        // A foreign error inside an io::Error is wrapped as any other.
        let foreign = io::Error::other("disk on fire");
        let wrapped = Error::io(Operation::Sync, "runs/b", foreign);
        assert_eq!(wrapped.to_string(), "cannot sync `runs/b`: disk on fire");
    }
}

/// Why a trial of a sweep cannot be claimed ([`Error::TrialUnavailable`]).
///
/// ```
/// use runlayout::error::TrialReason;
/// assert_eq!(TrialReason::Finished.to_string(), "it has finished");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrialReason {
    /// A live worker holds its claim.
    Held,
    /// A process runs it that holds no claim: a process of another host
    /// whose heartbeat is still fresh, or one that opened the run by name.
    Running,
    /// It has finished: a finished trial is never run again.
    Finished,
    /// It has failed, and failed trials are not retried.
    Failed,
    /// Its run was made and then removed (pruned).
    Removed,
    /// The sweep has fewer trials.
    OutOfRange {
        /// How many trials the sweep has.
        count: usize,
    },
    /// Another run, not this trial's, sits at the trial's place.
    NotATrial,
}

impl fmt::Display for TrialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrialReason::Held => f.write_str("another live worker holds it"),
            TrialReason::Running => f.write_str("a process runs it without a claim"),
            TrialReason::Finished => f.write_str("it has finished"),
            TrialReason::Failed => f.write_str("it has failed (retry_failed is off)"),
            TrialReason::Removed => f.write_str("its run was removed"),
            TrialReason::OutOfRange { count } => {
                write!(f, "the sweep has {count} trials, numbered from 0")
            }
            TrialReason::NotATrial => {
                f.write_str("another run, not of this sweep, sits at its place")
            }
        }
    }
}
