//! A training program whose run settings come from the command line (or
//! the `RUNLAYOUT_*` variables), through `runlayout::RunArgs`.
//!
//! ```text
//! cargo run --example cli --features clap -- --stage pretrain --epochs 2
//! cargo run --example cli --features clap -- --stage pretrain --resume <RUN_ID>
//! ```

use std::fs;
use std::io::Write as _;

use clap::Parser;
use runlayout::{Layout, Run, RunArgs};

/// Trains a (pretend) model, keeping its files in a run folder.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: RunArgs,

    /// How many epochs to train
    #[arg(long, default_value_t = 3)]
    epochs: u64,
}

#[derive(Layout)]
#[layout(logfile = "log.txt", epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
struct TrainPaths {
    run: Run,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let paths = TrainPaths {
        run: cli.run.start()?,
    };
    paths.create_all()?;
    // A resumed run continues after the last checkpoint it has.
    let first = (1..).find(|e| !paths.epoch_ckpt(*e).exists()).unwrap_or(1);
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.logfile())?;
    for epoch in first..first + cli.epochs {
        writeln!(log, "epoch {epoch}")?;
        fs::write(paths.epoch_ckpt(epoch), format!("weights {epoch}"))?;
    }
    let verb = if paths.run.is_new() {
        "started"
    } else {
        "resumed"
    };
    println!(
        "{verb} run {} at {}",
        paths.run.id(),
        paths.root().display()
    );
    Ok(())
}
