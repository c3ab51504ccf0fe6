//! The one error type of the crate.
//!
//! Every variant names what was at fault: the offending value, or the path and
//! the operation that failed on it, so a message read in a log is enough to act.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// `Result` with [`Error`] as its default error type.
///
/// ```
/// fn stage_dir() -> runlayout_runtime::Result<std::path::PathBuf> {
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
/// use runlayout_runtime::{Error, RunId};
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
    /// `open()` found no run folder.
    RunNotFound {
        /// The run folder that was looked for.
        path: PathBuf,
    },
    /// A folder was needed, and something else stands at the path.
    NotADirectory {
        /// The path that is not a folder.
        path: PathBuf,
    },
    /// `open()` or `create_or_open()` was asked for without a run id or seed:
    /// several callers can only meet in one folder if they agree on its name.
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
    /// A run's `run.json` could not be understood.
    InvalidManifest {
        /// The manifest's path.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// `open_latest()` found no `latest` pointer: no run of that stage was
    /// created yet (or pointers were switched off).
    NoLatestRun {
        /// Where the pointer was looked for.
        path: PathBuf,
    },
    /// An environment variable holds a value that cannot be used.
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
}

impl Error {
    /// The I/O error underneath, when the failure came from the operating system.
    ///
    /// ```
    /// use runlayout_runtime::DirPath;
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
    /// use runlayout_runtime::Run;
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
            | Error::RunNotFound { path }
            | Error::NotADirectory { path }
            | Error::NotALink { path }
            | Error::InvalidManifest { path, .. }
            | Error::NoLatestRun { path } => Some(path),
            Error::TooManyCollisions { parent, .. } => Some(parent),
            Error::InvalidName { .. }
            | Error::InvalidValue { .. }
            | Error::MissingRunId { .. }
            | Error::InvalidEnv { .. } => None,
        }
    }

    /// Wraps an I/O error with the operation and the path it happened on.
    pub(crate) fn io(op: Operation, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    fn io_kind(&self) -> io::ErrorKind {
        match self {
            Error::Io { source, .. } => source.kind(),
            Error::InvalidName { .. }
            | Error::InvalidValue { .. }
            | Error::MissingRunId { .. }
            | Error::InvalidEnv { .. } => io::ErrorKind::InvalidInput,
            Error::RunExists { .. } => io::ErrorKind::AlreadyExists,
            Error::RunNotFound { .. } => io::ErrorKind::NotFound,
            Error::NotADirectory { .. } => io::ErrorKind::NotADirectory,
            Error::TooManyCollisions { .. } => io::ErrorKind::AlreadyExists,
            Error::NotALink { .. } | Error::InvalidManifest { .. } => io::ErrorKind::InvalidData,
            Error::NoLatestRun { .. } => io::ErrorKind::NotFound,
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
            } => write!(
                f,
                "value {value:?} for {{{placeholder}}} in `{template}` is invalid: {rule}"
            ),
            Error::Io { op, path, source } => {
                write!(f, "cannot {op} `{}`: {source}", path.display())
            }
            Error::RunExists { path } => write!(
                f,
                "run folder `{}` already exists; open it to resume, or choose another run id",
                path.display()
            ),
            Error::RunNotFound { path } => {
                write!(f, "no run folder at `{}`", path.display())
            }
            Error::NotADirectory { path } => {
                write!(f, "`{}` exists but is not a folder", path.display())
            }
            Error::MissingRunId { method } => write!(
                f,
                "`{method}()` needs a run id or a seed, so that every caller finds the same folder"
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
            Error::InvalidManifest { path, message } => {
                write!(f, "`{}` is not a run manifest: {message}", path.display())
            }
            Error::NoLatestRun { path } => write!(
                f,
                "no `latest` pointer at `{}`: no run was created there yet",
                path.display()
            ),
            Error::InvalidEnv {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?} cannot be used: expected {expected}"),
        }
    }
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
/// use runlayout_runtime::Operation;
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
    /// Reading a file.
    ReadFile,
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
            Operation::ReadFile => "read",
        })
    }
}

/// What a rejected name was meant to be.
///
/// ```
/// use runlayout_runtime::NameKind;
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
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::RunId => "run id",
            NameKind::Stage => "stage",
        })
    }
}

/// The naming rule a run id, stage or placeholder value broke.
///
/// The rules keep every name one plain path component that is valid on Linux,
/// macOS and Windows alike, so a tree made here can be copied anywhere.
///
/// ```
/// use runlayout_runtime::{Error, NameRule, RunId};
///
/// match RunId::new("CON.txt") {
///     Err(Error::InvalidName { rule: NameRule::DeviceName, .. }) => {}
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameRule {
    /// The name is empty.
    Empty,
    /// The name is longer than 255 bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A character outside `[A-Za-z0-9._-]`.
    Character {
        /// The character.
        ch: char,
        /// Its byte offset in the name.
        index: usize,
    },
    /// The first character is not a letter or a digit.
    FirstCharacter {
        /// The character.
        ch: char,
    },
    /// The name ends with `.`, which Windows drops silently.
    TrailingDot,
    /// The name is one the layout itself uses (`debug`, `latest`, ...).
    Reserved,
    /// The name is a Windows device name (`CON`, `NUL`, `COM1`, ...), with or
    /// without an extension.
    DeviceName,
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameRule::Empty => f.write_str("it is empty"),
            NameRule::TooLong { len } => {
                write!(f, "it is {len} bytes long; at most 255 are allowed")
            }
            NameRule::Character { ch, index } => write!(
                f,
                "character {ch:?} at byte {index} is not allowed; use letters, digits, '.', '_' or '-'"
            ),
            NameRule::FirstCharacter { ch } => {
                write!(f, "it must start with a letter or a digit, not {ch:?}")
            }
            NameRule::TrailingDot => f.write_str("it must not end with '.'"),
            NameRule::Reserved => f.write_str(
                "the name is reserved by the layout (debug, latest, ancestor, descendants, run.json)",
            ),
            NameRule::DeviceName => {
                f.write_str("it is a Windows device name, which no folder may be called")
            }
        }
    }
}
