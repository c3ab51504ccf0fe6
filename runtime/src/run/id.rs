//! `RunId`: a validated run id, and the generator of ksuit-style ids.

use std::borrow::Borrow;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, NameKind, Result};
use runlayout_grammar::names;

use crate::io::random;

/// How many random characters follow the date in a generated id.
const SUFFIX_LEN: usize = 5;

/// A run id that is safe to use as one folder name.
///
/// Every `RunId` has passed the naming rules (see [`RunId::new`]), so it can
/// never escape the folder it is placed in. Generated ids read as
/// `YYYY-MM-DD_xxxxx`: today's date in the local time zone, `_`, and five
/// characters from `[a-z0-9]`, as ksuit's `generate_run_id` makes them.
///
/// ```
/// use runlayout::RunId;
///
/// let id = RunId::generate();
/// assert_eq!(id.as_str().len(), "2026-11-30_k3x9a".len());
///
/// let parsed: RunId = "2026-11-30_k3x9a".parse()?;
/// assert_eq!(parsed.to_string(), "2026-11-30_k3x9a");
/// # Ok::<(), runlayout::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(String);

impl RunId {
    /// Validates `id` as a run id.
    ///
    /// The rules, shared with stage names: non-empty; at most 255 bytes; only
    /// `A-Z a-z 0-9 . _ -`; a letter or digit first; no `.` last; none of the
    /// names the layout uses (`debug`, `latest`, `ancestor`, `descendants`,
    /// `run.json`, in any case); no Windows device name (`CON`, `PRN`, `AUX`,
    /// `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9`), with or without an extension.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidName`] naming the value and the first rule it breaks.
    ///
    /// ```
    /// use runlayout::RunId;
    ///
    /// assert!(RunId::new("baseline-3").is_ok());
    /// assert!(RunId::new("a/b").is_err());
    /// assert!(RunId::new("..").is_err());
    /// ```
    pub fn new(id: impl Into<String>) -> Result<RunId> {
        let id = id.into();
        match names::check(&id) {
            Ok(()) => Ok(RunId(id)),
            Err(rule) => Err(Error::InvalidName {
                subject: NameKind::RunId,
                value: id,
                rule,
            }),
        }
    }

    /// An id made by runlayout itself from parts that keep it valid (a
    /// launcher's id); the rules are checked again in debug builds.
    pub(crate) fn from_valid(id: String) -> RunId {
        debug_assert_eq!(names::check(&id), Ok(()), "{id:?}");
        RunId(id)
    }

    /// A fresh id: today's local date and five characters drawn from
    /// OS-seeded randomness.
    ///
    /// Ids are not promised to be unique (there are 36^5 ≈ 60 million a day);
    /// [`RunBuilder::create`](crate::RunBuilder::create) makes folder creation
    /// exclusive and draws again on a collision, so two runs never share one.
    ///
    /// ```
    /// use runlayout::RunId;
    ///
    /// let id = RunId::generate();
    /// let (date, suffix) = id.as_str().split_once('_').unwrap();
    /// assert_eq!(date.len(), 10);
    /// assert!(suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    /// ```
    #[must_use]
    pub fn generate() -> RunId {
        RunId::dated(&random::fresh_chars::<SUFFIX_LEN>())
    }

    /// Today's local date and five characters fixed by `seed`, the same on
    /// every platform and with every version of this crate (ksuit's
    /// `generate_run_id(seed)`).
    ///
    /// The date is the local one at the moment the id is made, as in ksuit:
    /// the same seed gives another id tomorrow, and at one instant two
    /// machines in different time zones (or one process just before
    /// midnight and one just after) get two ids. A seed names a run for one
    /// person on one day. Under a launcher,
    /// [`RunBuilder::seed`](crate::RunBuilder::seed) uses
    /// [`Launcher::seeded_id`](crate::Launcher::seeded_id) instead, which
    /// puts the launcher's id in place of the date, so that the ranks of
    /// one job agree on one id.
    ///
    /// ```
    /// use runlayout::RunId;
    ///
    /// assert_eq!(RunId::from_seed(42), RunId::from_seed(42));
    /// assert_ne!(RunId::from_seed(42), RunId::from_seed(43));
    /// ```
    #[must_use]
    pub fn from_seed(seed: u64) -> RunId {
        RunId::dated(&random::seeded_chars::<SUFFIX_LEN>(seed))
    }

    /// The five characters a seeded id ends with, without the date: what a
    /// test can pin, since the date changes every day.
    ///
    /// ```
    /// use runlayout::RunId;
    ///
    /// let id = RunId::from_seed(7);
    /// assert!(id.as_str().ends_with(&RunId::seed_suffix(7)));
    /// ```
    #[must_use]
    pub fn seed_suffix(seed: u64) -> String {
        ascii(&random::seeded_chars::<SUFFIX_LEN>(seed)).to_owned()
    }

    fn dated(suffix: &[u8; SUFFIX_LEN]) -> RunId {
        use fmt::Write as _;
        let mut id = String::with_capacity(10 + 1 + SUFFIX_LEN);
        // Writing into a String cannot fail.
        let _ = write!(id, "{}_{}", today(), ascii(suffix));
        RunId(id)
    }

    /// The id as a string slice.
    ///
    /// ```
    /// let id = runlayout::RunId::new("r1")?;
    /// assert_eq!(id.as_str(), "r1");
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned `String`.
    ///
    /// ```
    /// let id = runlayout::RunId::new("r1")?;
    /// assert_eq!(id.into_string(), "r1");
    /// # Ok::<(), runlayout::Error>(())
    /// ```
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Today's date in the local time zone (the `TZ` variable, else the system's
/// setting, else UTC), as ksuit, Hydra and W&B date their runs.
fn today() -> jiff::civil::Date {
    // A clock outside years -9999..=9999 cannot be dated; such a machine gets
    // the epoch's date rather than a panic.
    let now = jiff::Timestamp::try_from(std::time::SystemTime::now())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    jiff::tz::TimeZone::system().to_datetime(now).date()
}

fn ascii(bytes: &[u8]) -> &str {
    // The alphabet is ASCII, so this never fails.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// A run id is written as its string; one read back is checked like any
/// other, so a deserialized `RunId` is valid too (feature `serde`).
///
/// ```
/// # #[cfg(feature = "serde")] {
/// use runlayout::RunId;
///
/// let id: RunId = serde_json::from_str("\"2026-11-30_k3x9a\"").unwrap();
/// assert_eq!(serde_json::to_string(&id).unwrap(), "\"2026-11-30_k3x9a\"");
/// assert!(serde_json::from_str::<RunId>("\"../etc\"").is_err());
/// # }
/// ```
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl serde::Serialize for RunId {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for RunId {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<RunId, D::Error> {
        let text = String::deserialize(deserializer)?;
        RunId::new(text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RunId {
    type Err = Error;

    fn from_str(s: &str) -> Result<RunId> {
        RunId::new(s)
    }
}

impl TryFrom<String> for RunId {
    type Error = Error;

    fn try_from(s: String) -> Result<RunId> {
        RunId::new(s)
    }
}

impl TryFrom<&str> for RunId {
    type Error = Error;

    fn try_from(s: &str) -> Result<RunId> {
        RunId::new(s)
    }
}

impl AsRef<str> for RunId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<Path> for RunId {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

impl Borrow<str> for RunId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RunId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RunId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<RunId> for String {
    fn from(id: RunId) -> String {
        id.0
    }
}
