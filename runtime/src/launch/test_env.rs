//! A stand-in environment for the tests of what reads variables.

use std::ffi::OsString;

/// Looks variables up in `pairs` instead of the process environment.
pub(crate) fn env(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<OsString> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| OsString::from(v))
    }
}
