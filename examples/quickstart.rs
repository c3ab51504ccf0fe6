//! Declares a run's layout, creates a run under `./runs`, writes a log line
//! and a checkpoint into it, and prints the tree it made.
//!
//! ```text
//! cargo run --example quickstart
//! RUNLAYOUT_ROOT=/data/runs RUNLAYOUT_STAGE=finetune cargo run --example quickstart
//! ```
//!
//! Settings come from the `RUNLAYOUT_*` variables over the defaults here
//! (root `runs`, stage `pretrain`); under Slurm or torchrun every rank joins
//! the one run folder of the job.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use runlayout::{Layout, Run};

/// Where one training run keeps its files.
#[derive(Layout)]
#[layout(
    checkpoint = "checkpoints",
    logfile = "log.txt",
    config = "config.yaml"
)]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
struct TrainPaths {
    run: Run,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // runs/pretrain/2026-11-30_k3x9a, made with one exclusive mkdir.
    let run = Run::builder("runs").stage("pretrain").from_env()?.start()?;
    // Records how the run ends: failed, unless `finish` is reached.
    let guard = run.guard();
    let paths = TrainPaths { run };
    // checkpoints/ and nothing else: files are written by the program.
    paths.create_all()?;

    fs::write(paths.config(), "lr: 0.001\nepochs: 2\n")?;
    let mut log = fs::File::create(paths.logfile())?;
    for epoch in 1..=2_u64 {
        writeln!(log, "epoch {epoch}: loss {:.3}", 1.0 / epoch as f64)?;
        fs::write(
            paths.epoch_ckpt(epoch),
            format!("weights after epoch {epoch}"),
        )?;
    }

    guard.finish()?;
    println!(
        "run {} in {}: {}",
        paths.run.id(),
        paths.root().display(),
        paths.run.status()?
    );
    print_tree(paths.root(), 1)?;
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
            "  ".repeat(depth),
            entry.file_name().to_string_lossy()
        );
        if is_dir {
            print_tree(&entry.path(), depth + 1)?;
        }
    }
    Ok(())
}
