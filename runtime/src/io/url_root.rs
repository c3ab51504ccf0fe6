//! "Is this root a URL?": a root given as `scheme://…` names a home in
//! object storage, not a folder. Answered here once, with or without the
//! `object-store` feature, so that a build without it refuses such a root
//! rather than making a folder called `s3:`.

use std::path::Path;

use crate::error::{Error, Result};

/// The root as a URL, if it is one: text that starts with a scheme (a
/// letter, then letters, digits, `+`, `-` or `.`) and `://`.
pub(crate) fn url_of_root(root: &Path) -> Option<&str> {
    // Asked at every creation: a folder (no `://`) is told by one pass
    // over its bytes.
    let bytes = root.as_os_str().as_encoded_bytes();
    let at = bytes.windows(3).position(|w| w == b"://")?;
    let text = root.to_str()?;
    let scheme = &text[..at];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(text)
}

/// Refuses a root in object storage for `what`, which works on folders
/// only: the error names the root, rather than a folder called `s3:`
/// being looked in or made.
pub(crate) fn refuse_url(root: &Path, what: &str) -> Result<()> {
    match url_of_root(root) {
        Some(url) => Err(Error::UnsupportedRoot {
            root: url.to_owned(),
            reason: format!("{what} works on a folder, not on object storage"),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_folders() {
        for url in ["s3://bucket/runs", "gs://b", "memory://t/x", "az://c/p"] {
            assert_eq!(url_of_root(Path::new(url)), Some(url));
        }
        for folder in ["runs", "/data/runs", "./s3:/b", "1s://x", "://x", "a b://x"] {
            assert_eq!(url_of_root(Path::new(folder)), None, "{folder}");
        }
    }
}
