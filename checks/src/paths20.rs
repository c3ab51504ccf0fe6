//! The layout the benchmarks and the system-call probe share: 20 entries,
//! as a training run might have, plus two with placeholders.

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(
    checkpoint = "checkpoints",
    logfile = "log.txt",
    config = "config.yaml"
)]
#[layout(
    bt_config = "basetracker/config.yaml",
    bt_entries = "basetracker/entries.th"
)]
#[layout(bt_summary = "basetracker/summary.yaml", plots = "plots/")]
#[layout(
    metrics = "metrics/metrics.jsonl",
    eval = "eval/",
    eval_summary = "eval/summary.json"
)]
#[layout(
    tensorboard = "tensorboard/",
    wandb = "wandb/",
    profile = "profile/trace.json"
)]
#[layout(
    pip_freeze = "env/pip-freeze.txt",
    git_diff = "env/git.diff",
    samples = "samples/"
)]
#[layout(predictions = "predictions/preds.parquet", stdout = "logs/stdout.txt")]
#[layout(stderr = "logs/stderr.txt", best = "checkpoints/best.ckpt")]
#[layout(
    epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt",
    plot = "plots/{split}.png"
)]
pub struct Paths {
    pub root: PathBuf,
}
