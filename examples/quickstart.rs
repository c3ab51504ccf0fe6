//! Creates a run under `./runs`, writes a log line and a checkpoint into it,
//! and prints the tree it made.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::fs;
use std::path::Path;

use runlayout::{DirPath, FilePath, Run};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let run = Run::builder("runs").stage("pretrain").create()?;
    println!("created run {} at {}", run.id(), run.path().display());

    let log = FilePath::new(run.path().join("log.txt"));
    let checkpoints = DirPath::new(run.path().join("checkpoints"));
    checkpoints.create()?;
    fs::write(&log, "epoch 1: loss 0.42\n")?;
    fs::write(checkpoints.join("epoch_1.ckpt"), b"weights")?;

    print_tree(run.path(), 0)?;
    Ok(())
}

fn print_tree(dir: &Path, depth: usize) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let is_dir = entry.file_type()?.is_dir();
        let slash = if is_dir { "/" } else { "" };
        println!(
            "{}{}{slash}",
            "  ".repeat(depth + 1),
            entry.file_name().to_string_lossy()
        );
        if is_dir {
            print_tree(&entry.path(), depth + 1)?;
        }
    }
    Ok(())
}
