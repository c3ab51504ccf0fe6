//! `runlayout tree <RUN>`: every file and folder of a run.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{CliResult, Output};
use crate::resolve;

/// One thing inside a run folder.
struct Item {
    path: PathBuf,
    depth: usize,
    kind: &'static str,
    target: Option<PathBuf>,
}

pub fn tree(root: &Path, spec: &str, out: Output) -> CliResult<()> {
    let found = resolve::find(root, spec)?;
    let base = found.run.path();
    let mut items = Vec::new();
    walk(base, base, 0, &mut items)?;
    let entries: Vec<Value> = items
        .iter()
        .map(|i| json!({ "path": i.path, "kind": i.kind, "target": i.target }))
        .collect();
    out.emit(json!({ "path": base, "entries": entries }), || {
        println!("{}", base.display());
        for item in &items {
            let name = item.path.file_name().unwrap_or_default().to_string_lossy();
            let indent = "  ".repeat(item.depth + 1);
            match (item.kind, &item.target) {
                ("dir", _) => println!("{indent}{name}/"),
                (_, Some(target)) => println!("{indent}{name} -> {}", target.display()),
                _ => println!("{indent}{name}"),
            }
        }
    })
}

fn walk(base: &Path, dir: &Path, depth: usize, items: &mut Vec<Item>) -> CliResult<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        let relative = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
        let (kind, target) = if kind.is_symlink() {
            ("link", fs::read_link(&path).ok())
        } else if kind.is_dir() {
            ("dir", None)
        } else {
            ("file", None)
        };
        items.push(Item {
            path: relative,
            depth,
            kind,
            target,
        });
        if kind == "dir" {
            walk(base, &path, depth + 1, items)?;
        }
    }
    Ok(())
}
