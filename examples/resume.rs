//! A pretraining run, a finetuning run linked to it, then the finetuning run
//! resumed in its own folder, all under `./runs`.
//!
//! ```text
//! cargo run --example resume
//! ```

use std::fs;

use runlayout::{Layout, Run};

#[derive(Layout)]
#[layout(checkpoint = "checkpoints", logfile = "log.txt")]
#[layout(last = "checkpoints/last.ckpt")]
struct Paths {
    run: Run,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Pretrain: a fresh run with a generated id.
    let pretrain = Paths {
        run: Run::builder("runs").stage("pretrain").create()?,
    };
    pretrain.create_all()?;
    fs::write(pretrain.last(), "pretrained weights")?;
    println!("pretrain  {}", pretrain.root().display());

    // 2. Finetune: same id, another stage, linked to its ancestor so that it
    //    (and anyone browsing the folders) can find the weights it starts from.
    let finetune = Paths {
        run: pretrain.run.with_run(None, Some("finetune")).create()?,
    };
    finetune.create_all()?;
    finetune.run.link(&pretrain.run)?;
    let ancestor = finetune.run.ancestor()?.ok_or("the link was just made")?;
    let start = fs::read_to_string(ancestor.join("checkpoints/last.ckpt"))?;
    fs::write(finetune.logfile(), format!("started from: {start}\n"))?;
    println!(
        "finetune  {} -> ancestor {}",
        finetune.root().display(),
        ancestor.display()
    );

    // 3. The finetuning job restarts: open the same folder, never a new one.
    let resumed = Paths {
        run: Run::builder("runs")
            .stage("finetune")
            .run_id(finetune.run.id().as_str())
            .open()?,
    };
    fs::write(resumed.last(), "finetuned weights")?;
    println!(
        "resumed   {} (same folder: {})",
        resumed.root().display(),
        resumed.root() == finetune.root()
    );
    println!("descendants of pretrain: {:?}", pretrain.run.descendants()?);
    Ok(())
}
