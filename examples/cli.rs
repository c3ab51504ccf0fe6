//! A training program built on `runlayout::RunArgs`, written as a user
//! would: its own `--seed`, `--lr` and `--epochs` next to the run flags, one
//! run folder for all the ranks of a launched job, only the primary rank
//! writing files, and a resumed run going on after its last checkpoint
//! (`epoch_ckpt_family().last()`), keeping the best 3 by validation loss
//! and the newest, with `checkpoints/last.ckpt` naming it, each saved by a
//! saver that takes a path, crash-safe through `write_atomic_with`. It
//! records its flags as the run's parameters, its last epoch and loss in
//! the run's summary, and how the run ends with a guard. Its runs are
//! `pretrain` runs unless `--run-stage` says otherwise
//! (`RunArgs::default_stage`).
//!
//! ```text
//! cargo run --example cli --features clap -- --lr 0.1 --epochs 2
//! cargo run --example cli --features clap -- --run-resume latest --epochs 2
//! cargo run --example cli --features clap -- --run-stage finetune --epochs 1
//! ```
//!
//! Under Slurm (`srun -n 4 ...`) or torchrun every rank runs this program;
//! they meet in one run folder, and `.ci/run` checks that with four
//! processes given Slurm's variables.

use std::fs;
use std::io::{self, Write as _};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use runlayout::{Goal, Layout, Ranks, Run, RunArgs};

/// Trains a (pretend) model, keeping its files in a run folder.
// Serialised, it is the run's parameters (`run.json`'s `params`):
// `RunArgs` writes nothing of its own, so only the trainer's flags are.
#[derive(Parser, serde::Serialize)]
struct Cli {
    #[command(flatten)]
    #[serde(flatten)]
    run: RunArgs,

    /// Seed of the training itself: initial weights, data order
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// Learning rate [default: 0.1, or the resumed run's]
    #[arg(long)]
    lr: Option<f64>,

    /// How many epochs to train in this call
    #[arg(long, default_value_t = 3)]
    epochs: u64,
}

/// The learning rate of a new run when `--lr` is not given.
const DEFAULT_LR: f64 = 0.1;

/// How many checkpoints the run keeps, the best by validation loss (and
/// the newest, to resume from).
const KEEP: usize = 3;

#[derive(Layout)]
#[layout(
    config = "config.json",
    logfile = "log.txt",
    checkpoints = "checkpoints"
)]
#[layout(
    epoch_ckpt = "checkpoints/epoch={epoch:u64}-val_loss={val_loss:.4}.ckpt",
    last_ckpt = "checkpoints/last.ckpt"
)]
struct TrainPaths {
    run: Run,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // Its runs go to `pretrain/` unless --run-stage or RUNLAYOUT_STAGE
    // names another stage.
    cli.run.default_stage("pretrain");
    match train(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The message, not the debug form: it says what to do.
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn train(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    let ranks = Ranks::detect()?;
    // New for --run-id and --run-seed, opened for --run-resume, shared by the
    // ranks of a launched job otherwise.
    // The parsed flags are recorded as the run's parameters; a resumed run
    // keeps its first ones (and its restart record keeps these).
    let paths = TrainPaths {
        run: cli.run.start_with_params(cli)?,
    };
    // The primary rank records how the run ends: failed (an error, a panic)
    // unless it reaches `finish`; meanwhile its heartbeats tell a reader on
    // another host that the run is alive.
    let guard = ranks.is_primary().then(|| paths.run.guard());
    // Every rank would train; the primary one alone keeps the record. (In
    // a real job the ranks agree on where to start through their
    // communication backend: rank 0 reads the checkpoint and broadcasts.)
    if ranks.is_primary() {
        paths.create_all()?;
        let lr = keep_config(&paths, cli)?;
        // A resumed run goes on after its last checkpoint (found by its
        // number, so pruned early ones do not send it back to epoch 1).
        let epochs = paths.epoch_ckpt_family();
        let done = epochs.last()?.map_or(0, |((epoch, _), _)| epoch);
        let mut log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(paths.logfile())?;
        for epoch in done + 1..=done + cli.epochs {
            writeln!(log, "epoch {epoch}: lr {lr}")?;
            // The framework's saver takes a path; given a temporary one by
            // `write_atomic_with`, a job killed mid-save leaves no torn
            // checkpoint for the resumed run to start from.
            paths
                .epoch_ckpt(epoch, val_loss(epoch))?
                .write_atomic_with(|tmp| save_weights(tmp, epoch))?;
            // Lightning's save_last, then save_top_k by val_loss (mode "min").
            epochs.link_last(&paths.last_ckpt())?;
            epochs.keep_best(KEEP, |&(_, loss)| loss, Goal::Minimize)?;
        }
        // The result, where `runlayout ls --columns` and `diff` find it.
        let last = done + cli.epochs;
        paths.run.summary().set("epochs", last)?;
        paths.run.summary().set("loss", 1.0 / (1.0 + last as f64))?;
        println!("epochs {}..={} done", done + 1, last);
    }
    if let Some(guard) = guard {
        guard.finish()?;
    }
    println!(
        "rank={} world={} is_new={} run={}",
        ranks.rank(),
        ranks.world_size(),
        paths.run.is_new(),
        paths.root().display()
    );
    Ok(())
}

/// The (pretend) framework's saver: like candle's `VarMap::save` or
/// `safetensors::serialize_to_file`, it takes a path and writes the file
/// there, in place and in pieces.
fn save_weights(path: &Path, epoch: u64) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    writeln!(file, "weights {epoch}")?;
    writeln!(file, "optimizer state {epoch}")
}

/// The (pretend) validation loss after `epoch`: falling, not steadily.
fn val_loss(epoch: u64) -> f64 {
    0.3 + 1.0 / (epoch as f64 + 1.0) + 0.05 * (epoch % 3) as f64
}

/// Writes the run's config once, when the run is new; a resumed run keeps
/// the one it started with (an `--lr` that differs is pointed out). Returns
/// the learning rate in use.
fn keep_config(paths: &TrainPaths, cli: &Cli) -> io::Result<f64> {
    let lr = cli.lr.unwrap_or(DEFAULT_LR);
    let config = serde_json::json!({ "lr": lr, "seed": cli.seed });
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(paths.config());
    match written {
        Ok(mut file) => {
            writeln!(file, "{config:#}")?;
            Ok(lr)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let kept: serde_json::Value = serde_json::from_slice(&fs::read(paths.config())?)?;
            let kept_lr = kept["lr"].as_f64().unwrap_or(DEFAULT_LR);
            if cli.lr.is_some_and(|given| given != kept_lr) {
                eprintln!("note: the run keeps its config (lr {kept_lr}); --lr {lr} is not used");
            }
            Ok(kept_lr)
        }
        Err(e) => Err(e),
    }
}
