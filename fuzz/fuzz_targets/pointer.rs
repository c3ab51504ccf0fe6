//! The pointer-file reader on arbitrary bytes, through the public API: the
//! bytes become the `ancestor` file of a run folder, and a back-link in its
//! `descendants/`, and the run is asked for its ancestor and descendants.
//!
//! A pointer file is the line `runlayout-link`, then the target: a relative
//! path with `/` separators (no `\`), on the next line.
//!
//! Properties:
//!
//! - Nothing panics or hangs.
//! - `Run::ancestor` is `Ok(Some(..))` exactly when the bytes are a pointer
//!   file, and then it is what the file says: the run folder joined with
//!   the target, canonical where that exists, else with `.` and `..` folded
//!   (the documented contract). Other bytes are `Error::NotALink` naming
//!   the file.
//! - `Run::descendants` passes over a back-link it cannot follow back:
//!   it never fails, and lists only folders whose `ancestor` leads here.

#![no_main]

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use runlayout_runtime::{Error, Run};

const MAGIC: &str = "runlayout-link";

struct Scratch {
    run: Run,
    ancestor: PathBuf,
    backlink: PathBuf,
    /// Kept for the life of the process, removed when `scripts/fuzz`
    /// removes the scratch folder it points `TMPDIR` at.
    _dir: tempfile::TempDir,
}

fn scratch() -> &'static Scratch {
    static SCRATCH: OnceLock<Scratch> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let run = Run::builder(dir.path())
            .stage("fuzz")
            .write_manifest(false)
            .latest_pointer(false)
            .create()
            .expect("a run folder");
        let descendants = run.path().join("descendants");
        fs::create_dir(&descendants).expect("descendants/");
        Scratch {
            ancestor: run.path().join("ancestor"),
            backlink: descendants.join("fuzz+0123456789abcdef"),
            run,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = scratch();
    fs::write(&s.ancestor, data).expect("writing the pointer file");
    match (said(data), s.run.ancestor()) {
        (Some(target), Ok(Some(found))) => {
            assert_eq!(found, resolve(s.run.path(), &target), "{data:?}");
        }
        (None, Err(Error::NotALink { path, .. })) => assert_eq!(path, s.ancestor),
        (expected, got) => panic!("{data:?}: expected {expected:?}, got {got:?}"),
    }

    fs::write(&s.backlink, data).expect("writing the back-link");
    let me = s.run.path().canonicalize().expect("the run folder");
    let found = s
        .run
        .descendants()
        .unwrap_or_else(|e| panic!("{data:?}: descendants() failed: {e}"));
    for child in found {
        // The only `ancestor` file in the tree is the run's own.
        let back = fs::read(child.join("ancestor"))
            .ok()
            .and_then(|bytes| said(&bytes))
            .map(|target| resolve(&child, &target));
        assert_eq!(back.as_deref(), Some(me.as_path()), "{data:?}: {child:?}");
    }
});

/// The target the bytes say, if they are a pointer file: the magic line
/// and a relative target with `/` separators, each line ended by `\n` or
/// `\r\n` (the target's line may also end the file).
fn said(data: &[u8]) -> Option<PathBuf> {
    let text = std::str::from_utf8(data).ok()?;
    let (magic, rest) = text.split_once('\n')?;
    if magic.strip_suffix('\r').unwrap_or(magic) != MAGIC {
        return None;
    }
    let target = match rest.split_once('\n') {
        Some((line, _)) => line.strip_suffix('\r').unwrap_or(line),
        None => rest,
    };
    let relative = !target.is_empty() && !target.starts_with('/') && !target.contains('\\');
    relative.then(|| PathBuf::from(target))
}

/// `base` joined with `target`, canonical if that exists, else folded.
fn resolve(base: &Path, target: &Path) -> PathBuf {
    let joined = base.join(target);
    if let Ok(canonical) = joined.canonicalize() {
        return canonical;
    }
    let mut folded: Vec<Component<'_>> = Vec::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match folded.last() {
                Some(Component::Normal(_)) => {
                    folded.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => folded.push(part),
            },
            other => folded.push(other),
        }
    }
    folded.iter().collect()
}
