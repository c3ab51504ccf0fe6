//! The one set of naming rules for run ids, stage names and placeholder values.
//!
//! Each such name becomes exactly one path component, so the rules keep it
//! from escaping its parent (`..`, `/`, `\`), from meaning something to the
//! layout itself (`debug`, `latest`, ...) and from being unusable on another
//! operating system (`CON`, a trailing dot), so a tree made here can be copied
//! anywhere.

use crate::error::NameRule;
use crate::latest::LATEST;
use crate::links::{ANCESTOR, DESCENDANTS};
use crate::nesting::DEBUG_DIR;

/// The longest name most file systems accept, in bytes.
pub(crate) const MAX_LEN: usize = 255;

/// Names the layout itself puts next to runs or inside them (the manifest's
/// too, whether or not this build writes manifests).
/// Compared without regard to case, because macOS and Windows do the same.
pub(crate) const RESERVED: &[&str] = &[DEBUG_DIR, LATEST, ANCESTOR, DESCENDANTS, "run.json"];

/// Windows device names: a file called `NUL` or `com1.txt` cannot exist there.
const DEVICES: &[&str] = &["CON", "PRN", "AUX", "NUL"];
const NUMBERED_DEVICES: &[&str] = &["COM", "LPT"];

/// Checks `value` against every rule, in the order they are documented,
/// and returns the first one it breaks.
pub(crate) fn check(value: &str) -> Result<(), NameRule> {
    check_component(value)?;
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(value)) {
        return Err(NameRule::Reserved);
    }
    Ok(())
}

/// The rules that keep `value` one portable path component; unlike [`check`]
/// it allows the layout's own names, which a placeholder value may well take
/// (`{split}` = `latest` inside a run folder harms nothing).
pub(crate) fn check_component(value: &str) -> Result<(), NameRule> {
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

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Windows reserves device names whatever the extension: `CON`, `con.txt`, `COM1.tar.gz`.
fn is_device_name(value: &str) -> bool {
    let stem = value.split('.').next().unwrap_or(value);
    if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
        return true;
    }
    stem.len() == 4
        && stem.as_bytes()[3].is_ascii_digit()
        && NUMBERED_DEVICES
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&stem[..3]))
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
    fn components_may_use_layout_names() {
        assert_eq!(check_component("latest"), Ok(()));
        assert_eq!(check_component("CON"), Err(NameRule::DeviceName));
    }

    #[test]
    fn length_limit_is_in_bytes() {
        assert_eq!(check(&"a".repeat(255)), Ok(()));
    }
}
