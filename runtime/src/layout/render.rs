//! What the derive's accessors call to build their paths: joining the root
//! with the entry's components, and checking the values of `{placeholders}`.
//!
//! Hidden from the docs: the generated code is its only intended caller.

use std::fmt::Display;
use std::path::{Path, PathBuf};

use runlayout_grammar::names::{self, NameRule};

use crate::error::{Error, Result};

/// `root` with `parts` appended, allocated once.
#[inline]
pub fn join(root: &Path, parts: &[&str]) -> PathBuf {
    let len = root.as_os_str().len() + parts.iter().map(|p| p.len() + 1).sum::<usize>();
    let mut path = PathBuf::with_capacity(len);
    path.push(root);
    for part in parts {
        path.push(part);
    }
    path
}

/// The rules a rendered component must follow: one portable component, and
/// in the first position (right inside the layout's root, usually a run
/// folder) none of the names runlayout keeps there, as for literal paths.
fn check(rendered: &str, first: bool) -> Result<(), NameRule> {
    if first {
        names::check_first_component(rendered)
    } else {
        names::check_component(rendered)
    }
}

/// Renders the value of a text placeholder and checks it against the naming
/// rules, so that it can never add a separator, be empty, be `.` or `..`, be
/// unportable, or (in the first component) land on `ancestor`, `run.json`...
pub fn text(
    value: &dyn Display,
    placeholder: &'static str,
    template: &'static str,
    first: bool,
) -> Result<String> {
    let value = value.to_string();
    match check(&value, first) {
        Ok(()) => Ok(value),
        Err(rule) => Err(Error::InvalidValue {
            placeholder,
            template,
            value,
            rule,
        }),
    }
}

/// Checks a path component that text values were rendered into: valid
/// values can still combine into a device name (`a` + `ux`) or grow too long.
/// The error names `value`, the component's first text value.
pub fn component(
    rendered: String,
    placeholder: &'static str,
    value: &str,
    template: &'static str,
    first: bool,
) -> Result<String> {
    match check(&rendered, first) {
        Ok(()) => Ok(rendered),
        Err(rule) => Err(Error::InvalidValue {
            placeholder,
            template,
            value: value.to_owned(),
            rule,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_appends_each_part() {
        assert_eq!(
            join(Path::new("/r"), &["a", "b.txt"]),
            Path::new("/r/a/b.txt")
        );
        assert_eq!(join(Path::new(""), &["a"]), Path::new("a"));
    }

    #[test]
    fn text_values_are_one_portable_component() {
        assert_eq!(
            text(&"train", "split", "eval/{split}", false).ok(),
            Some("train".into())
        );
        assert_eq!(text(&7, "n", "{n}", true).ok(), Some("7".into()));
        assert_eq!(
            text(&"latest", "n", "{n}", true).ok(),
            Some("latest".into())
        );
        assert_eq!(
            text(&"ancestor", "n", "a/{n}", false).ok(),
            Some("ancestor".into())
        );
        for (bad, rule) in [
            ("", NameRule::Empty),
            ("..", NameRule::FirstCharacter { ch: '.' }),
            ("a/b", NameRule::Character { ch: '/', index: 1 }),
            ("nul", NameRule::DeviceName),
        ] {
            match text(&bad, "split", "eval/{split}", false) {
                Err(Error::InvalidValue {
                    placeholder: "split",
                    template: "eval/{split}",
                    value,
                    rule: r,
                }) => {
                    assert_eq!((value.as_str(), r), (bad, rule));
                }
                other => panic!("{bad:?} accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn components_are_checked_as_a_whole() {
        let err = component("aux".into(), "x", "ux", "a{x}", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "value \"ux\" for {x} in `a{x}` is invalid: it is a Windows device name, which no folder may be called"
        );
    }

    #[test]
    fn first_components_refuse_what_runlayout_keeps_in_a_run() {
        for (value, template) in [("ancestor", "{x}/log.txt"), ("Run.json", "{x}")] {
            let err = text(&value, "x", template, true).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidValue {
                        rule: NameRule::ReservedInRun,
                        ..
                    }
                ),
                "{err}"
            );
        }
        let err = component("run.json".into(), "x", "run", "{x}.json", true).unwrap_err();
        assert!(err.to_string().contains("run.json"), "{err}");
    }
}
