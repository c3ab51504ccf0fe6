//! The one reading of the variables `RunArgs` takes: `RUNLAYOUT_ROOT`,
//! `RUNLAYOUT_STAGE` and `RUNLAYOUT_DEBUG` (which clap reads for their
//! flags), `RUNLAYOUT_RESUME`, `RUNLAYOUT_RUN_ID` and `RUNLAYOUT_SEED`
//! (which `start` reads). Empty counts as unset, as in
//! `RunBuilder::from_env`, and a value that cannot be used is an
//! [`Error::InvalidEnv`] naming the variable and the value.

use std::ffi::OsString;

use crate::{Error, Result};

/// What a variable that must be text is expected to hold.
pub(super) const UTF8: &str = "UTF-8 text";

/// The value, `None` when it is unset or empty.
pub(super) fn set(value: Option<OsString>) -> Option<OsString> {
    value.filter(|v| !v.is_empty())
}

/// The value as text; `None` when unset or empty.
///
/// # Errors
///
/// [`Error::InvalidEnv`] naming `var` and the value (lossy) when it is not
/// UTF-8.
pub(super) fn text(var: &'static str, value: Option<OsString>) -> Result<Option<String>> {
    let Some(value) = set(value) else {
        return Ok(None);
    };
    value
        .into_string()
        .map(Some)
        .map_err(|value| Error::InvalidEnv {
            var,
            value: value.to_string_lossy().into_owned(),
            expected: UTF8,
        })
}

/// The value read by `parse`; `None` when unset or empty.
///
/// # Errors
///
/// As [`text`], and [`Error::InvalidEnv`] naming `var`, the value and
/// `expected` when `parse` cannot read it.
pub(super) fn parsed<T>(
    var: &'static str,
    value: Option<OsString>,
    parse: impl FnOnce(&str) -> Option<T>,
    expected: &'static str,
) -> Result<Option<T>> {
    let Some(text) = text(var, value)? else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_unset_and_bad_values_are_named() {
        let get = |v: &str| Some(OsString::from(v));
        assert_eq!(text("V", None).ok(), Some(None));
        assert_eq!(text("V", get("")).ok(), Some(None));
        assert_eq!(text("V", get("x")).ok(), Some(Some("x".to_owned())));
        let number = |t: &str| t.parse::<u8>().ok();
        assert_eq!(
            parsed("V", get("7"), number, "a number").ok(),
            Some(Some(7))
        );
        assert_eq!(parsed("V", get(""), number, "a number").ok(), Some(None));
        let err = parsed("V", get("x"), number, "a number").unwrap_err();
        assert_eq!(err.to_string(), "V=\"x\" cannot be used: expected a number");
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_are_named_lossily() {
        use std::os::unix::ffi::OsStringExt;
        let value = Some(OsString::from_vec(b"a\xffb".to_vec()));
        let err = text("V", value).unwrap_err();
        assert_eq!(
            err.to_string(),
            "V=\"a\u{fffd}b\" cannot be used: expected UTF-8 text"
        );
    }
}
