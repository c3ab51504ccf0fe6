//! Lexical path arithmetic: relative paths between folders, and `..` folding.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// The path that leads from the folder `from` to `to`, both absolute and
/// canonical. Where no relative path exists (two Windows drives), `to` itself.
pub(crate) fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    if from.first() != to.first() {
        return to.iter().collect();
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push(Component::ParentDir);
    }
    for part in &to[common..] {
        out.push(part);
    }
    if out.as_os_str().is_empty() {
        out.push(Component::CurDir);
    }
    out
}

/// `base` joined with `target` as the kernel would follow it: canonical when
/// it exists, else with `.` and `..` folded lexically (a dangling link still
/// names where its target was).
pub(crate) fn resolve(base: &Path, target: &Path) -> PathBuf {
    let joined = base.join(target);
    fs::canonicalize(&joined).unwrap_or_else(|_| normalize(&joined))
}

/// Drops `.` components and folds each `..` into the component before it.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // The root's parent is the root.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(part),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_between_siblings_and_cousins() {
        assert_eq!(
            relative(Path::new("/r/a/1"), Path::new("/r/b/2")),
            Path::new("../../b/2")
        );
        assert_eq!(
            relative(Path::new("/r/a"), Path::new("/r/a/x")),
            Path::new("x")
        );
        assert_eq!(
            relative(Path::new("/r/a/x"), Path::new("/r/a")),
            Path::new("..")
        );
        assert_eq!(relative(Path::new("/r"), Path::new("/r")), Path::new("."));
    }

    #[test]
    fn normalize_folds_parents() {
        assert_eq!(
            normalize(Path::new("/r/a/1/../../b/./2")),
            Path::new("/r/b/2")
        );
        assert_eq!(normalize(Path::new("../x/..")), Path::new(".."));
        assert_eq!(normalize(Path::new("/..")), Path::new("/"));
    }
}
