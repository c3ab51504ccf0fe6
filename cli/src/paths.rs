//! Paths as JSON strings. Every path or file name that goes into `--json`
//! output goes through [`json`]: a path need not be UTF-8, and serde_json
//! cannot serialize one that is not.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// Where `run` is for the person reading: its URL when its home is object
/// storage, else its folder.
pub fn of_run(run: &runlayout::Run) -> Cow<'_, Path> {
    #[cfg(feature = "object-store")]
    if let Some(url) = run.remote() {
        return Cow::Borrowed(Path::new(url));
    }
    // A run of a bucket laid out in a folder: its URL.
    crate::bucket::shown(run.path())
}

/// `path` as a JSON string; see [`escaped`].
pub fn json(path: impl AsRef<Path>) -> Value {
    let path = crate::bucket::shown(path.as_ref());
    Value::String(escaped(path.as_os_str()).into_owned())
}

/// `name` as text: unchanged when it is UTF-8; otherwise each byte that is
/// not UTF-8 is written `\xNN` and each backslash `\\`, so the bytes can be
/// told apart from the text.
pub fn escaped(name: &OsStr) -> Cow<'_, str> {
    if let Some(text) = name.to_str() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for chunk in name.as_encoded_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str(r"\\");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, r"\x{byte:02x}");
        }
    }
    Cow::Owned(out)
}

/// A path that serializes as [`json`] writes it.
pub struct JsonPath<'a>(pub &'a Path);

impl serde::Serialize for JsonPath<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let path = crate::bucket::shown(self.0);
        serializer.serialize_str(&escaped(path.as_os_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_stays_as_it_is() {
        for text in ["runs/pretrain/r1", r"back\slash", "é/ü", ""] {
            let got = escaped(OsStr::new(text));
            assert!(matches!(got, Cow::Borrowed(_)), "{text}");
            assert_eq!(got, text);
            assert_eq!(json(Path::new(text)), Value::String(text.into()));
        }
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_are_escaped() {
        use std::os::unix::ffi::OsStrExt;
        let cases: [(&[u8], &str); 5] = [
            (b"bad\xffname", r"bad\xffname"),
            (b"\xff", r"\xff"),
            (b"a\\b\xfe", r"a\\b\xfe"),
            (b"\xc3\xa9\xc3", r"é\xc3"),
            (b"\xed\xa0\x80x", r"\xed\xa0\x80x"),
        ];
        for (bytes, want) in cases {
            assert_eq!(escaped(OsStr::from_bytes(bytes)), want, "{bytes:?}");
            assert_eq!(
                json(Path::new(OsStr::from_bytes(bytes))),
                Value::String(want.into())
            );
        }
    }
}
