//! Measuring a run before it goes: the bytes its files hold, and whether a
//! file system is mounted inside it (then it must not be removed at all).

use std::path::{Path, PathBuf};

use crate::catalog::prune::plan::KeepReason;

/// The bytes a run's files hold, symlinks inside it not followed, and the
/// folder that holds them: the run folder, or where a run folder that is a
/// symlink (a run moved to another disk) leads. A run with a file system
/// mounted inside it must not be removed at all.
pub(super) fn measure(path: &Path) -> std::result::Result<u64, KeepReason> {
    let Ok(real) = std::fs::canonicalize(path) else {
        return Err(KeepReason::Gone);
    };
    if let Some(mount) = mount_points().into_iter().find(|m| m.starts_with(&real)) {
        return Err(KeepReason::MountInside(mount));
    }
    let Ok(top) = std::fs::metadata(&real) else {
        return Err(KeepReason::Gone);
    };
    let device = device_of(&top);
    let mut total = 0;
    let mut stack = vec![real];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if device_of(&meta) != device {
                    return Err(KeepReason::MountInside(entry.path()));
                }
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

/// Every mount point of this process's view (Linux: `/proc/self/mountinfo`;
/// elsewhere none, and the device check of [`measure`] stands alone). A bind
/// mount of a folder of the same file system has the same device, so only
/// this list tells it.
fn mount_points() -> Vec<PathBuf> {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|point| PathBuf::from(unescape_mount(point)))
        .collect()
}

/// A mount point as `mountinfo` writes it, with `\040`-style octal escapes
/// for spaces, tabs, newlines and backslashes.
fn unescape_mount(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            let d = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(d, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The device a file lives on, where the system says.
#[cfg(unix)]
fn device_of(meta: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt as _;
    Some(meta.dev())
}

#[cfg(not(unix))]
fn device_of(_meta: &std::fs::Metadata) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_read_with_their_escapes() {
        assert_eq!(unescape_mount("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape_mount("/plain"), "/plain");
        assert_eq!(unescape_mount("/odd\\"), "/odd\\");
        if cfg!(target_os = "linux") {
            assert!(mount_points().contains(&PathBuf::from("/")));
        }
    }
}
