//! A program's `tracing` output in its run's log file: the layout names the
//! file, `tracing-appender`'s non-blocking writer takes the writes off the
//! program's threads, and a `tracing-subscriber` formatter writes the events.
//!
//! ```text
//! cargo run -p runlayout-checks --example tracing
//! ```
//!
//! Makes a run under `./runs/tracing` (or where `RUNLAYOUT_ROOT` says), logs
//! a few events, prints the log file's path and its lines, and fails unless
//! the file holds every event.
//!
//! The example is built by the workspace's unpublished `runlayout-checks`
//! crate (hence `-p`), which has `tracing`, `tracing-subscriber` and
//! `tracing-appender` as dev-dependencies: the facade's own examples stay
//! free of them, so that its first build stays light. A program of your own
//! adds those three to its `[dependencies]`.

use std::error::Error;
use std::fs;

use runlayout::{Layout, Run};
use tracing::{info, warn};

/// Where the run keeps its files: the log among them.
#[derive(Layout)]
#[layout(logfile = "log.txt", checkpoint = "checkpoints")]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
struct TrainPaths {
    run: Run,
}

const EPOCHS: u64 = 3;
const TARGET_LOSS: f64 = 0.25;

fn main() -> Result<(), Box<dyn Error>> {
    let run = Run::builder("runs").stage("tracing").from_env()?.start()?;
    let status = run.guard();
    let paths = TrainPaths { run };
    paths.create_all()?;

    // Appended to, not truncated: ranks that join one run folder, and a run
    // resumed in its folder, add to the log the run has.
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.logfile())?;
    // A thread of its own writes the file; events wait in a queue. The guard
    // flushes the queue when dropped, so it lives as long as the program logs.
    let (writer, flush) = tracing_appender::non_blocking(file);
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber)?;

    info!(run = %paths.run.id(), root = %paths.root().display(), "run started");
    let mut loss = 1.0;
    for epoch in 1..=EPOCHS {
        loss = 1.0 / epoch as f64;
        fs::write(paths.epoch_ckpt(epoch), format!("weights after {epoch}"))?;
        info!(epoch, loss, "epoch done");
    }
    if loss > TARGET_LOSS {
        warn!(loss, target = TARGET_LOSS, "loss above the target");
    }
    info!("run finished");

    // The end of the program: what the queue still holds reaches the file.
    drop(flush);
    status.finish()?;

    let log = fs::read_to_string(paths.logfile())?;
    println!("log: {}", paths.logfile().display());
    print!("{log}");
    // Each event, on a line of its own at its level.
    let mut expected = vec![
        ("INFO", format!("run started run={}", paths.run.id())),
        (
            "WARN",
            format!("loss above the target loss={loss:?} target={TARGET_LOSS:?}"),
        ),
        ("INFO", "run finished".to_owned()),
    ];
    expected.extend((1..=EPOCHS).map(|epoch| ("INFO", format!("epoch done epoch={epoch} "))));
    let missing: Vec<_> = expected
        .iter()
        .filter(|(level, text)| {
            !log.lines()
                .any(|line| line.contains(&format!(" {level} ")) && line.contains(text.as_str()))
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!("the log at {} lacks {missing:?}", paths.logfile().display()).into());
    }
    println!("the log holds all {} events", expected.len());
    Ok(())
}
