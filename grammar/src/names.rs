//! What a name may be: run ids, stage names, the fixed text of a layout's
//! paths and the values of their `{placeholders}` each become exactly one
//! path component, and the names runlayout keeps for itself.
//!
//! The rules keep a name from escaping its parent (`..`, `/`, `\`), from
//! meaning something to runlayout itself (`debug`, `latest`, `ancestor`, ...)
//! and from being unusable on another operating system (`CON`, a trailing
//! dot), so a tree made on one system can be copied to any other.
//!
//! One rule holds for every name in a layout, fixed text and values alike
//! ([`check_component`], characters [`is_allowed`]): the derive checks a
//! path's fixed text with it when it compiles, and the accessor checks the
//! rendered name with it when it runs, so the two can never disagree.
//! Run ids and stage names follow it too ([`check`]), with fewer
//! characters ([`is_id_char`]): no `=` or `+`, since `+` joins a run's
//! place into one name (`latest+stage`, the back-links
//! `stage+id+hash` in `descendants/`).
//!
//! ```
//! use runlayout_grammar::names::{self, NameRule};
//!
//! assert_eq!(names::check("pretrain"), Ok(()));
//! assert_eq!(names::check("a/b"), Err(NameRule::Character { ch: '/', index: 1 }));
//! assert_eq!(names::check("Debug"), Err(NameRule::Reserved));
//! assert_eq!(names::check_component("val_loss=0.4155.ckpt"), Ok(()));
//! assert_eq!(names::check("a+b"), Err(NameRule::Character { ch: '+', index: 1 }));
//! ```

use std::fmt;

use crate::hash;

/// The folder right below the output root that holds debug runs.
pub const DEBUG_DIR: &str = "debug";

/// The pointer, next to the run id folders, that names the run created last.
pub const LATEST: &str = "latest";

/// The name of a run, in place of its id, that means the newest run of its
/// stage whose status is finished (`stage/latest-finished`). No pointer
/// holds it: it is found by reading the stage's runs.
pub const LATEST_FINISHED: &str = "latest-finished";

/// The link inside a run folder that leads to the run it grew out of.
pub const ANCESTOR: &str = "ancestor";

/// The folder inside a run folder that holds a back-link per descendant.
pub const DESCENDANTS: &str = "descendants";

/// The run's manifest inside its folder.
pub const MANIFEST: &str = "run.json";

/// The record of how a run stands or ended, inside its folder.
pub const STATUS: &str = "run.status.json";

/// The record of the layouts used on a run, inside its folder.
pub const LAYOUT_RECORD: &str = "run.layout.json";

/// The record of a run's results, tags and note, inside its folder.
pub const SUMMARY: &str = "run.summary.json";

/// The append-only record of each later open or join of a run (a restart),
/// one JSON object a line, inside its folder.
pub const RESTARTS: &str = "run.restarts.jsonl";

/// The file inside a run folder whose lock serialises the updates of the
/// run's records that change (status, summary, restarts).
pub const LOCK: &str = "run.lock";

/// Names runlayout keeps inside every run folder: no layout entry, and no
/// placeholder value in an entry's first component, may take them.
pub const RUN_NAMES: &[&str] = &[
    ANCESTOR,
    DESCENDANTS,
    MANIFEST,
    STATUS,
    LAYOUT_RECORD,
    SUMMARY,
    RESTARTS,
    LOCK,
];

/// Names no run id or stage may take: those runlayout puts next to runs and
/// those it keeps inside them. Compared without regard to case, as macOS and
/// Windows compare file names.
pub const RESERVED: &[&str] = &[
    DEBUG_DIR,
    LATEST,
    LATEST_FINISHED,
    ANCESTOR,
    DESCENDANTS,
    MANIFEST,
    STATUS,
    LAYOUT_RECORD,
    SUMMARY,
    RESTARTS,
    LOCK,
];

/// The longest name most file systems accept, in bytes.
pub const MAX_LEN: usize = 255;

/// Windows device names: a file called `NUL` or `com1.txt` cannot exist there.
const DEVICES: &[&str] = &["CON", "PRN", "AUX", "NUL"];
/// Device names followed by one digit: `COM1`, `LPT9`.
const NUMBERED_DEVICES: &[&str] = &["COM", "LPT"];

/// The rule a name broke.
///
/// ```
/// use runlayout_grammar::names::NameRule;
///
/// assert_eq!(
///     NameRule::TrailingDot.to_string(),
///     "it must not end with '.'"
/// );
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
    /// A character the name may not hold: outside `[A-Za-z0-9._=+-]` in a
    /// layout ([`is_allowed`]), outside `[A-Za-z0-9._-]` in a run id or
    /// stage ([`is_id_char`]).
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
    /// The name is one runlayout itself uses next to runs or inside them
    /// ([`RESERVED`]).
    Reserved,
    /// The name is one runlayout keeps inside every run folder
    /// ([`RUN_NAMES`]), and it would land right inside one.
    ReservedInRun,
    /// The name is a Windows device name (`CON`, `NUL`, `COM1`, ...), with or
    /// without an extension.
    DeviceName,
    /// The value of a float placeholder (`{val_loss:.4}`) is NaN or an
    /// infinity, which no name can show as a number.
    NotFinite,
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameRule::Empty => f.write_str("it is empty"),
            NameRule::TooLong { len } => {
                write!(f, "it is {len} bytes long; at most {MAX_LEN} are allowed")
            }
            NameRule::Character { ch, index } => write!(
                f,
                "character {ch:?} at byte {index} is not allowed; use letters, digits, '.', '_' or '-'"
            ),
            NameRule::FirstCharacter { ch } => {
                write!(f, "it must start with a letter or a digit, not {ch:?}")
            }
            NameRule::TrailingDot => f.write_str("it must not end with '.'"),
            NameRule::Reserved => write!(
                f,
                "the name is reserved by the layout ({})",
                RESERVED.join(", ")
            ),
            NameRule::ReservedInRun => write!(
                f,
                "runlayout keeps that name inside every run folder ({})",
                RUN_NAMES.join(", ")
            ),
            NameRule::DeviceName => {
                f.write_str("it is a Windows device name, which no folder may be called")
            }
            NameRule::NotFinite => {
                f.write_str("it is not a finite number, and a name shows a float's digits")
            }
        }
    }
}

/// Checks a run id or stage name against every rule, in the order they are
/// documented, and returns the first one it breaks: [`check_component`]
/// with only the characters [`is_id_char`] allows, and none of the
/// [`RESERVED`] names.
///
/// ```
/// use runlayout_grammar::names::{check, NameRule};
///
/// assert_eq!(check("baseline-3"), Ok(()));
/// assert_eq!(check("LATEST"), Err(NameRule::Reserved));
/// assert_eq!(check("lr=0.1"), Err(NameRule::Character { ch: '=', index: 2 }));
/// ```
pub fn check(name: &str) -> Result<(), NameRule> {
    check_with(name, is_id_char)?;
    if is_one_of(name, RESERVED) {
        return Err(NameRule::Reserved);
    }
    Ok(())
}

/// The rule of every name in a layout, fixed text and placeholder values
/// alike, which keeps it one portable path component: non-empty, at most
/// 255 bytes, only the characters [`is_allowed`] allows (`A-Z a-z 0-9 . _ -
/// = +`), a letter or digit first, no `.` last, no Windows device name.
/// Deeper in a layout a placeholder value may take runlayout's own names
/// (`eval/{split}` with `latest` harms nothing).
///
/// ```
/// use runlayout_grammar::names::{check_component, NameRule};
///
/// assert_eq!(check_component("latest"), Ok(()));
/// assert_eq!(check_component("epoch=3-val_loss=0.42.ckpt"), Ok(()));
/// assert_eq!(check_component("com1.txt"), Err(NameRule::DeviceName));
/// assert_eq!(check_component("=3"), Err(NameRule::FirstCharacter { ch: '=' }));
/// ```
pub fn check_component(value: &str) -> Result<(), NameRule> {
    check_with(value, is_allowed)
}

/// [`check_component`] with the characters `allowed` allows.
fn check_with(value: &str, allowed: fn(char) -> bool) -> Result<(), NameRule> {
    let first = value.chars().next().ok_or(NameRule::Empty)?;
    if value.len() > MAX_LEN {
        return Err(NameRule::TooLong { len: value.len() });
    }
    if let Some((index, ch)) = value.char_indices().find(|&(_, c)| !allowed(c)) {
        return Err(NameRule::Character { ch, index });
    }
    if !first.is_ascii_alphanumeric() {
        return Err(NameRule::FirstCharacter { ch: first });
    }
    if value.ends_with('.') {
        return Err(NameRule::TrailingDot);
    }
    if is_device_name(value) {
        return Err(NameRule::DeviceName);
    }
    Ok(())
}

/// [`check_component`] for a value that lands right inside a layout's root,
/// usually a run folder: it must not be one of the [`RUN_NAMES`] either, so
/// `{name}.json` with `run` can never overwrite the run's manifest, and
/// `{split}/log.txt` with `ancestor` can never write through the ancestor link.
///
/// ```
/// use runlayout_grammar::names::{check_first_component, NameRule};
///
/// assert_eq!(check_first_component("train"), Ok(()));
/// assert_eq!(check_first_component("Ancestor"), Err(NameRule::ReservedInRun));
/// ```
pub fn check_first_component(value: &str) -> Result<(), NameRule> {
    check_component(value)?;
    if is_run_name(value) {
        return Err(NameRule::ReservedInRun);
    }
    Ok(())
}

/// Whether `name` is one of the [`RUN_NAMES`], in any case.
///
/// ```
/// assert!(runlayout_grammar::names::is_run_name("RUN.json"));
/// ```
#[must_use]
pub fn is_run_name(name: &str) -> bool {
    is_one_of(name, RUN_NAMES)
}

fn is_one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// The characters a name in a layout may hold, in its fixed text and in the
/// values of its placeholders alike: ASCII letters, digits, `.`, `_`, `-`,
/// `=` and `+`. Each is valid in file names on Linux, macOS and Windows,
/// and none needs quoting in a shell's arguments; `=` writes Lightning's
/// `epoch=3-val_loss=0.4155.ckpt`.
///
/// ```
/// use runlayout_grammar::names::is_allowed;
///
/// assert!(is_allowed('_') && is_allowed('=') && is_allowed('+'));
/// assert!(!is_allowed('/') && !is_allowed(' ') && !is_allowed('é'));
/// ```
#[must_use]
pub fn is_allowed(c: char) -> bool {
    is_id_char(c) || matches!(c, '=' | '+')
}

/// The characters a run id or stage name may hold: ASCII letters, digits,
/// `.`, `_` and `-`. Not `+`, which joins the parts of a run's place into
/// one name (the `latest+stage` pointers, the back-links
/// `stage+id+hash`), so that such a name reads back into its parts; nor
/// `=`, which ids have never held.
///
/// ```
/// use runlayout_grammar::names::is_id_char;
///
/// assert!(is_id_char('_') && !is_id_char('+') && !is_id_char('='));
/// ```
#[must_use]
pub fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Whether Windows reserves `name` as a device, whatever its extension:
/// `CON`, `con.txt`, `COM1.tar.gz`.
///
/// ```
/// use runlayout_grammar::names::is_device_name;
///
/// assert!(is_device_name("nul.txt") && is_device_name("LPT9"));
/// assert!(!is_device_name("console") && !is_device_name("COM10"));
/// ```
#[must_use]
pub fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    if is_one_of(stem, DEVICES) {
        return true;
    }
    stem.len() == 4
        && stem.as_bytes()[3].is_ascii_digit()
        && stem.is_char_boundary(3)
        && is_one_of(&stem[..3], NUMBERED_DEVICES)
}

/// The longest readable part [`from_foreign`] keeps of a foreign string.
const FOREIGN_PREFIX: usize = 40;

/// Marks a name made by [`from_foreign`] from text that was no valid name:
/// `..` never occurs in a name it passes through, so the two kinds of
/// result can never coincide.
const FOREIGN_MARK: &str = "..h";

/// A name made from text runlayout does not control (a launcher's job id):
/// the text itself when it is already a valid component of run-id
/// characters ([`is_id_char`]) without `..`;
/// otherwise a readable prefix (each character a name may not hold becomes
/// `-`) followed by `..h` and 12 hex digits of a stable hash of the original
/// bytes. Two different inputs never give one name (but for a 48-bit hash
/// collision), and the same input gives the same name on every machine.
///
/// ```
/// use runlayout_grammar::names::from_foreign;
///
/// assert_eq!(from_foreign(b"12345"), "12345");
/// let a = from_foreign(b"exp:1");
/// let b = from_foreign(b"exp/1");
/// assert!(a.starts_with("exp-1..h") && b.starts_with("exp-1..h") && a != b);
/// assert!(runlayout_grammar::names::check_component(&from_foreign(b"\xff")).is_ok());
/// ```
#[must_use]
pub fn from_foreign(raw: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(raw)
        && check_with(text, is_id_char).is_ok()
        && !text.contains("..")
    {
        return text.to_owned();
    }
    hashed(raw, raw)
}

/// The form [`from_foreign`] gives text that is no valid name: a readable
/// prefix made from `readable` (each character a run id may not hold, and
/// `.`, becomes `-`; at most 40 characters), then `..h` and 12 hex digits
/// of the stable hash of `raw`.
///
/// For names made of several foreign values, or of one that is valid but
/// too long to use: hash an unambiguous encoding of the values as `raw`
/// and show them as `readable`. The result always holds `..`, which no
/// name `from_foreign` passes through does, so the two never coincide; two
/// results are equal only when their `raw` are (but for a 48-bit hash
/// collision).
///
/// ```
/// use runlayout_grammar::names::{check, hashed};
///
/// let name = hashed(b"1_2.0", b"job=1;task=2;step=0");
/// assert!(name.starts_with("1_2-0..h"));
/// assert_eq!(check(&name), Ok(()));
/// assert_ne!(name, hashed(b"1_2.0", b"job=1_2;step=0"));
/// ```
#[must_use]
pub fn hashed(readable: &[u8], raw: &[u8]) -> String {
    let mut name = String::with_capacity(FOREIGN_PREFIX + FOREIGN_MARK.len() + 12);
    for chunk in readable.utf8_chunks() {
        for c in chunk.valid().chars() {
            name.push(if is_id_char(c) { c } else { '-' });
        }
        if !chunk.invalid().is_empty() {
            name.push('-');
        }
    }
    // Keep the prefix readable and short, and free of what would break the
    // rules: no `.` (it could form the mark, or end a device name's stem),
    // a letter or digit first, no device name.
    let mut prefix: String = name
        .replace('.', "-")
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(FOREIGN_PREFIX)
        .collect();
    if prefix.is_empty() {
        prefix.push('x');
    }
    if is_device_name(&prefix) {
        prefix.push('_');
    }
    let digits = hash::short_hex::<12>(raw);
    prefix.push_str(FOREIGN_MARK);
    prefix.extend(digits.iter().map(|&b| char::from(b)));
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass() {
        for ok in [
            "a",
            "pretrain",
            "2026-11-30_k3x9a",
            "v1.0",
            "A_b-c.d",
            "console",
            "COM10",
            "lpt",
            "debugging",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn each_rule_is_reported() {
        assert_eq!(check(""), Err(NameRule::Empty));
        assert_eq!(check(&"a".repeat(256)), Err(NameRule::TooLong { len: 256 }));
        assert_eq!(check("a/b"), Err(NameRule::Character { ch: '/', index: 1 }));
        assert_eq!(check("é"), Err(NameRule::Character { ch: 'é', index: 0 }));
        assert_eq!(check("..x"), Err(NameRule::FirstCharacter { ch: '.' }));
        assert_eq!(check("_x"), Err(NameRule::FirstCharacter { ch: '_' }));
        assert_eq!(check("x."), Err(NameRule::TrailingDot));
        assert_eq!(check("Debug"), Err(NameRule::Reserved));
        assert_eq!(check("LATEST"), Err(NameRule::Reserved));
        assert_eq!(check("nul"), Err(NameRule::DeviceName));
        assert_eq!(check("Com3.log"), Err(NameRule::DeviceName));
        assert_eq!(check("LPT9"), Err(NameRule::DeviceName));
    }

    #[test]
    fn every_run_name_is_reserved() {
        for name in RUN_NAMES {
            assert_eq!(check(name), Err(NameRule::Reserved));
            assert_eq!(check_first_component(name), Err(NameRule::ReservedInRun));
            assert_eq!(check_component(name), Ok(()));
        }
    }

    #[test]
    fn layout_names_also_hold_equals_and_plus_and_ids_do_not() {
        for ok in ["epoch=3-val_loss=0.42.ckpt", "a+b", "x=", "k+"] {
            assert_eq!(check_component(ok), Ok(()), "{ok}");
            assert_eq!(check_first_component(ok), Ok(()), "{ok}");
        }
        assert_eq!(check("a+b"), Err(NameRule::Character { ch: '+', index: 1 }));
        assert_eq!(check("x="), Err(NameRule::Character { ch: '=', index: 1 }));
        assert_eq!(
            check_component("=x"),
            Err(NameRule::FirstCharacter { ch: '=' })
        );
        assert_eq!(
            check_component("+x"),
            Err(NameRule::FirstCharacter { ch: '+' })
        );
        // Every character of an id is one of a layout's names.
        for c in (0..=0x7f_u8).map(char::from) {
            assert!(!is_id_char(c) || is_allowed(c), "{c:?}");
        }
    }

    #[test]
    fn foreign_text_with_equals_or_plus_is_hashed() {
        // Slurm's heterogeneous jobs are `1234+0`: `+` would split a
        // back-link's name wrongly.
        let made = from_foreign(b"1234+0");
        assert!(made.starts_with("1234-0..h"), "{made}");
        assert_eq!(check(&made), Ok(()));
        assert!(from_foreign(b"a=b").starts_with("a-b..h"));
    }

    #[test]
    fn length_limit_is_in_bytes() {
        assert_eq!(check(&"a".repeat(255)), Ok(()));
    }

    #[test]
    fn device_check_survives_multibyte_stems() {
        assert!(!is_device_name("coé1"));
        assert!(!is_device_name("aé"));
    }

    #[test]
    fn foreign_text_keeps_a_readable_prefix() {
        assert_eq!(from_foreign(b"a-b.c_1"), "a-b.c_1");
        let made = from_foreign(b"a b/c");
        assert!(made.starts_with("a-b-c..h"), "{made}");
        assert_eq!(made.len(), "a-b-c..h".len() + 12);
        assert!(from_foreign(b"..").starts_with("x..h"));
        assert!(from_foreign(b"a..b").starts_with("a--b..h"));
        assert!(from_foreign(b"job.").starts_with("job-..h"));
        assert!(from_foreign(b"nul").starts_with("nul_..h"));
        assert_eq!(from_foreign("日本".as_bytes()).len(), "x..h".len() + 12);
        assert_ne!(
            from_foreign("日本".as_bytes()),
            from_foreign("你好".as_bytes())
        );
        let long = "x".repeat(300);
        assert!(from_foreign(long.as_bytes()).len() < 64);
        for raw in [&b"job."[..], b"nul", b"", b"-", b"a..", b"\xff\xfe"] {
            let made = from_foreign(raw);
            assert_eq!(check(&made), Ok(()), "{raw:?} -> {made}");
        }
    }

    #[test]
    fn hashed_names_show_one_text_and_hash_another() {
        let long = "a".repeat(300);
        let made = hashed(long.as_bytes(), long.as_bytes());
        assert_eq!(made.len(), FOREIGN_PREFIX + FOREIGN_MARK.len() + 12);
        assert_eq!(check(&made), Ok(()));
        // The hash is of `raw` alone: the same raw under another readable
        // text keeps its digits, another raw changes them.
        let digits = |name: &str| name.rsplit_once(FOREIGN_MARK).unwrap().1.to_owned();
        assert_eq!(digits(&hashed(b"x", b"raw")), digits(&hashed(b"y", b"raw")));
        assert_ne!(
            digits(&hashed(b"x", b"raw")),
            digits(&hashed(b"x", b"raw2"))
        );
        assert_eq!(hashed(b"exp:1", b"exp:1"), from_foreign(b"exp:1"));
    }
}
