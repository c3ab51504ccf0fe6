//! `runlayout tree <RUN>`: every file and folder of a run.
//!
//! Links are shown with their targets and never followed. An entry that
//! cannot be inspected, or a folder that cannot be read, is reported and
//! the walk goes on.

use std::fs::{self, DirEntry};
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::CliResult;
use crate::output::{self, Output};
use crate::{paths, resolve};

/// What an entry is, as far as could be told without following links.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Dir,
    File,
    Link,
    /// Its type could not be read.
    Unknown,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Dir => "dir",
            Kind::File => "file",
            Kind::Link => "link",
            Kind::Unknown => "unknown",
        }
    }
}

/// One thing inside a run folder.
struct Item {
    /// Relative to the run folder.
    path: PathBuf,
    depth: usize,
    kind: Kind,
    target: Option<PathBuf>,
}

/// What a walk found.
#[derive(Default)]
struct Walk {
    items: Vec<Item>,
    problems: Vec<String>,
}

pub fn tree(root: &Path, spec: &str, out: &mut Output) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    let base = found.run.path();
    let mut walk = Walk::default();
    walk.folder(base, base, 0)
        .map_err(|e| format!("cannot read `{}`: {e}", base.display()))?;
    for problem in &walk.problems {
        output::warn(problem);
    }
    let entries: Vec<Value> = walk
        .items
        .iter()
        .map(|i| {
            json!({
                "path": paths::json(&i.path),
                "kind": i.kind.as_str(),
                "target": i.target.as_deref().map_or(Value::Null, paths::json),
            })
        })
        .collect();
    let value = json!({
        "path": paths::json(base),
        "entries": entries,
        "problems": walk.problems,
    });
    out.emit(value, |w| {
        writeln!(w, "{}", crate::bucket::shown(base).display())?;
        for item in &walk.items {
            let name = item.path.file_name().unwrap_or_default().display();
            let indent = "  ".repeat(item.depth + 1);
            match (item.kind, &item.target) {
                (Kind::Dir, _) => writeln!(w, "{indent}{name}/")?,
                (_, Some(target)) => writeln!(w, "{indent}{name} -> {}", target.display())?,
                _ => writeln!(w, "{indent}{name}")?,
            }
        }
        Ok(())
    })?;
    Ok(())
}

impl Walk {
    /// Adds the entries of `dir`, and those of its sub-folders, depth first.
    /// Fails only when `dir` itself cannot be read.
    fn folder(&mut self, base: &Path, dir: &Path, depth: usize) -> io::Result<()> {
        for entry in sorted_entries(dir)? {
            let path = entry.path();
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => Kind::Link,
                Ok(t) if t.is_dir() => Kind::Dir,
                Ok(_) => Kind::File,
                Err(e) => {
                    self.problems
                        .push(format!("cannot inspect `{}`: {e}", path.display()));
                    Kind::Unknown
                }
            };
            let target = match kind {
                Kind::Link => fs::read_link(&path).ok(),
                _ => None,
            };
            self.items.push(Item {
                path: path.strip_prefix(base).unwrap_or(&path).to_path_buf(),
                depth,
                kind,
                target,
            });
            if kind == Kind::Dir
                && let Err(e) = self.folder(base, &path, depth + 1)
            {
                self.problems
                    .push(format!("cannot read `{}`: {e}", path.display()));
            }
        }
        Ok(())
    }
}

/// The entries of `dir`, sorted by name.
fn sorted_entries(dir: &Path) -> io::Result<Vec<DirEntry>> {
    let mut entries: Vec<DirEntry> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(DirEntry::file_name);
    Ok(entries)
}
