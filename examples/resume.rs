//! A pretraining run, a finetuning run linked to it that starts from the
//! pretraining's last checkpoint, then the finetuning run resumed in its own
//! folder after its last checkpoint, all under `./runs`. Every run keeps its
//! last 3 checkpoints.
//!
//! ```text
//! cargo run --example resume
//! ```

use std::fs;
use std::io::Write as _;

use runlayout::{DirPath, FilePath, FromRoot, Layout, Run};

/// A run's checkpoints: `epoch_0001.ckpt`, `epoch_0002.ckpt`, ...
#[derive(Layout)]
#[layout(epoch_ckpt = "epoch_{epoch:04}.ckpt")]
struct Checkpoints {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(checkpoints = nest("checkpoints", Checkpoints), logfile = "log.txt")]
struct Paths {
    run: Run,
}

/// How many checkpoints each run keeps.
const KEEP: usize = 3;

/// Trains `epochs` more epochs, after the last checkpoint in `ckpts` if
/// there is one, else from `start` (the weights to begin with). Each
/// checkpoint is written atomically, so a job killed halfway leaves none
/// half-written; the oldest beyond the last 3 are removed.
fn train(
    paths: &Paths,
    start: &str,
    epochs: u64,
) -> Result<(u64, FilePath), Box<dyn std::error::Error>> {
    // Failed, unless training reaches `finish`.
    let guard = paths.run.guard();
    let ckpts = paths.checkpoints();
    let family = ckpts.epoch_ckpt_family();
    let (first, mut weights) = match family.last()? {
        Some((epoch, path)) => (epoch + 1, fs::read_to_string(path)?),
        None => (1, start.to_owned()),
    };
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.logfile())?;
    for epoch in first..first + epochs {
        weights = format!("{weights} +e{epoch}");
        ckpts.epoch_ckpt(epoch).write_atomic(&weights)?;
        let pruned = family.keep_last(KEEP)?;
        writeln!(log, "epoch {epoch}: saved, {} pruned", pruned.len())?;
    }
    let last = family.last()?.ok_or("just saved")?;
    guard.finish()?;
    Ok(last)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Pretrain: a fresh run with a generated id, 5 epochs.
    let pretrain = Paths {
        run: Run::builder("runs").stage("pretrain").create()?,
    };
    pretrain.create_all()?;
    let (epoch, _) = train(&pretrain, "init", 5)?;
    println!(
        "pretrain  {} (last epoch {epoch})",
        pretrain.root().display()
    );

    // 2. Finetune: same id, another stage, linked to its ancestor so that it
    //    (and anyone browsing the folders) finds the weights it starts from:
    //    the ancestor's last checkpoint.
    let finetune = Paths {
        run: pretrain.run.with_run(None, Some("finetune")).create()?,
    };
    finetune.create_all()?;
    finetune.run.link(&pretrain.run)?;
    let ancestor = finetune.run.ancestor()?.ok_or("the link was just made")?;
    let pretrained = Checkpoints::from_root(DirPath::new(ancestor.join("checkpoints")));
    let (from, path) = pretrained
        .epoch_ckpt_family()
        .last()?
        .ok_or("pretraining saved checkpoints")?;
    let start = fs::read_to_string(&path)?;
    train(&finetune, &start, 2)?;
    println!(
        "finetune  {} <- pretrain epoch {from} ({})",
        finetune.root().display(),
        path.display()
    );

    // 3. The finetuning job restarts: open the same folder, never a new one,
    //    and continue after its last checkpoint.
    let resumed = Paths {
        run: Run::builder("runs")
            .stage("finetune")
            .run_id(finetune.run.id().as_str())
            .open()?,
    };
    let before = resumed.checkpoints().epoch_ckpt_family().last()?;
    let (last, path) = train(&resumed, "unused: resumed", 3)?;
    let kept: Vec<u64> = resumed
        .checkpoints()
        .epoch_ckpt_family()
        .list()?
        .into_iter()
        .map(|(epoch, _)| epoch)
        .collect();
    println!(
        "resumed   {} after epoch {}: now at epoch {last}, keeping {kept:?}",
        resumed.root().display(),
        before.map_or(0, |(epoch, _)| epoch),
    );
    println!(
        "          {}: {}",
        path.display(),
        fs::read_to_string(&path)?
    );
    println!("descendants of pretrain: {:?}", pretrain.run.descendants()?);
    Ok(())
}
