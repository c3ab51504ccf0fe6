//! The naming rules and the names made from foreign text, on arbitrary
//! bytes: the whole input, and its two halves around the first NUL byte
//! (`a\0b`), each as a name (lossily made UTF-8) and as foreign bytes.
//!
//! Properties:
//!
//! - Nothing panics.
//! - The rules nest: `check` ⊂ `check_first_component` ⊂ `check_component`,
//!   and they differ exactly by the names runlayout keeps (`Reserved`,
//!   `ReservedInRun`) and by `=` and `+`, which a layout's names may hold
//!   and a run id may not.
//! - A name `check_component` accepts is one normal path component, below
//!   its parent, made of `[A-Za-z0-9._=+-]`, at most 255 bytes, a letter or
//!   digit first, no `.` last, no Windows device name (checked here
//!   independently); one `check` accepts holds no `=` or `+`.
//! - A refusal names a rule the name does break.
//! - `from_foreign` always makes a name `check` accepts but for the names
//!   runlayout keeps, at most 255 bytes: the text itself when it is a valid
//!   name of a run id's characters without `..`, else
//!   `hashed(raw, raw)`; two different inputs never make one name.
//! - `hashed` always makes a name `check` accepts, of a cleaned prefix of
//!   at most 40 characters, `..h` and the 12 hex digits of the hash of
//!   `raw` alone.

#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use runlayout_grammar::hash;
use runlayout_grammar::names::{self, NameRule};

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.iter().position(|&byte| byte == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    for raw in [data, a, b] {
        rules(&String::from_utf8_lossy(raw));
        foreign(raw);
    }
    if a != b {
        assert_ne!(
            names::from_foreign(a),
            names::from_foreign(b),
            "{a:?} and {b:?} make one name"
        );
    }
    hashes(a, b);
    hashes(b, a);
});

/// Windows device names, by their documented list, with or without an
/// extension, in any case.
fn is_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().as_bytes();
    let is = |device: &str, stem: &[u8]| device.as_bytes().eq_ignore_ascii_case(stem);
    ["CON", "PRN", "AUX", "NUL"].iter().any(|d| is(d, stem))
        || (stem.len() == 4
            && stem[3].is_ascii_digit()
            && ["COM", "LPT"].iter().any(|d| is(d, &stem[..3])))
}

fn rules(name: &str) {
    let component = names::check_component(name);
    let first = names::check_first_component(name);
    let full = names::check(name);
    let run_name = names::is_run_name(name);
    let reserved = names::RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name));
    assert_eq!(names::is_device_name(name), is_device(name), "{name:?}");
    let id_char = name.find(['=', '+']);
    match (component, first, full) {
        (Ok(()), Ok(()), Ok(())) => assert!(!reserved && id_char.is_none(), "{name:?}"),
        (Ok(()), Ok(()) | Err(NameRule::ReservedInRun), Err(NameRule::Character { ch, index })) => {
            assert_eq!(id_char, Some(index), "{name:?}");
            assert!(matches!(ch, '=' | '+'), "{name:?}");
        }
        (Ok(()), Ok(()), Err(NameRule::Reserved)) => {
            assert!(reserved && !run_name && id_char.is_none(), "{name:?}");
        }
        (Ok(()), Err(NameRule::ReservedInRun), Err(NameRule::Reserved)) => {
            assert!(run_name, "{name:?}");
        }
        (Err(rule), Err(r1), Err(r2)) => {
            assert_eq!(r1, rule, "{name:?}");
            assert_eq!(r2, id_rule(name, rule), "{name:?}");
            breaks(name, rule);
        }
        other => panic!("{name:?}: the rules do not nest: {other:?}"),
    }
    if component.is_ok() {
        one_component(name);
    }
}

/// The rule `check` reports for a name `check_component` refuses for
/// `rule`: the same, unless an `=` or `+`, which no run id holds, comes
/// first (rules after the characters' come after it too).
fn id_rule(name: &str, rule: NameRule) -> NameRule {
    let Some(index) = name.find(['=', '+']) else {
        return rule;
    };
    let ch = name[index..].chars().next().expect("found there");
    match rule {
        NameRule::Empty | NameRule::TooLong { .. } => rule,
        NameRule::Character { index: at, .. } if at < index => rule,
        _ => NameRule::Character { ch, index },
    }
}

/// What every accepted name is.
fn one_component(name: &str) {
    assert!(!name.is_empty() && name.len() <= names::MAX_LEN, "{name:?}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._=+-".contains(&b)),
        "{name:?}"
    );
    assert!(name.as_bytes()[0].is_ascii_alphanumeric(), "{name:?}");
    assert!(!name.ends_with('.') && !is_device(name), "{name:?}");
    let parent = Path::new("/parent");
    let joined = parent.join(name);
    assert_eq!(joined.parent(), Some(parent), "{name:?}");
    let parts: Vec<Component<'_>> = Path::new(name).components().collect();
    assert_eq!(parts, [Component::Normal(name.as_ref())], "{name:?}");
}

/// `name` does break `rule`.
fn breaks(name: &str, rule: NameRule) {
    let _ = rule.to_string();
    let broken = match rule {
        NameRule::Empty => name.is_empty(),
        NameRule::TooLong { len } => len == name.len() && len > names::MAX_LEN,
        NameRule::Character { ch, index } => {
            !names::is_allowed(ch) && name.get(index..).is_some_and(|rest| rest.starts_with(ch))
        }
        NameRule::FirstCharacter { ch } => !ch.is_ascii_alphanumeric() && name.starts_with(ch),
        NameRule::TrailingDot => name.ends_with('.'),
        NameRule::DeviceName => is_device(name),
        other => panic!("{name:?}: check_component reported {other:?}"),
    };
    assert!(broken, "{name:?} does not break {rule:?}");
}

fn foreign(raw: &[u8]) {
    let made = names::from_foreign(raw);
    assert_eq!(names::check_component(&made), Ok(()), "{raw:?} -> {made:?}");
    assert!(!made.contains(['=', '+']), "{raw:?} -> {made:?}");
    assert!(made.len() <= names::MAX_LEN, "{raw:?} -> {made:?}");
    let as_is = std::str::from_utf8(raw).ok().filter(|text| {
        names::check_component(text).is_ok() && !text.contains(['=', '+']) && !text.contains("..")
    });
    match as_is {
        Some(text) => assert_eq!(made, text),
        None => assert_eq!(made, names::hashed(raw, raw), "{raw:?}"),
    }
    assert_eq!(
        made,
        names::from_foreign(raw),
        "the same input, another name"
    );
}

fn hashes(readable: &[u8], raw: &[u8]) {
    let made = names::hashed(readable, raw);
    assert_eq!(
        names::check(&made),
        Ok(()),
        "{readable:?}, {raw:?} -> {made:?}"
    );
    let (prefix, digits) = made
        .rsplit_once("..h")
        .unwrap_or_else(|| panic!("no `..h` in {made:?}"));
    assert_eq!(digits.as_bytes(), hash::short_hex::<12>(raw), "{made:?}");
    assert!(
        !prefix.is_empty() && prefix.chars().count() <= 41,
        "{made:?}"
    );
    assert!(
        prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b)),
        "{made:?}"
    );
    // The same raw bytes under another readable text keep their digits.
    assert!(names::hashed(raw, raw).ends_with(digits));
}
