//! Each runlayout operation next to the hand-written code it replaces, in
//! the same run: `cargo bench --bench runlayout`. `scripts/bench-report`
//! turns the output into the README's table of medians and ratios.

use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};

use divan::{Bencher, black_box};
use runlayout::{Layout, Run, RunId};

fn main() {
    divan::main();
}

#[path = "../examples/support/paths20.rs"]
mod paths20;

use paths20::Paths;

/// The folders `create_all` makes for [`Paths`], as a hand-written program
/// would list them.
const FOLDERS: &[&str] = &[
    "checkpoints",
    "basetracker",
    "plots",
    "metrics",
    "eval",
    "tensorboard",
    "wandb",
    "profile",
    "env",
    "samples",
    "predictions",
    "logs",
];

fn paths() -> Paths {
    Paths {
        root: PathBuf::from("/data/runs/pretrain/2026-11-30_k3x9a"),
    }
}

mod accessor {
    use super::*;

    #[divan::bench]
    fn derived(b: Bencher) {
        let paths = paths();
        b.bench_local(|| black_box(&paths).bt_summary());
    }

    #[divan::bench]
    fn by_hand(b: Bencher) {
        let root = paths().root;
        b.bench_local(|| black_box(&root).join("basetracker/summary.yaml"));
    }
}

mod all_20_accessors {
    use super::*;

    #[divan::bench]
    fn derived(b: Bencher) {
        let paths = paths();
        b.bench_local(|| {
            let p = black_box(&paths);
            [
                p.checkpoint().into_path_buf(),
                p.logfile().into(),
                p.config().into(),
                p.bt_config().into(),
                p.bt_entries().into(),
                p.bt_summary().into(),
                p.plots().into(),
                p.metrics().into(),
                p.eval().into(),
                p.eval_summary().into(),
                p.tensorboard().into(),
                p.wandb().into(),
                p.profile().into(),
                p.pip_freeze().into(),
                p.git_diff().into(),
                p.samples().into(),
                p.predictions().into(),
                p.stdout().into(),
                p.stderr().into(),
                p.best().into(),
            ]
        });
    }

    #[divan::bench]
    fn by_hand(b: Bencher) {
        let root = paths().root;
        b.bench_local(|| {
            let r: &Path = black_box(&root);
            [
                r.join("checkpoints"),
                r.join("log.txt"),
                r.join("config.yaml"),
                r.join("basetracker/config.yaml"),
                r.join("basetracker/entries.th"),
                r.join("basetracker/summary.yaml"),
                r.join("plots"),
                r.join("metrics/metrics.jsonl"),
                r.join("eval"),
                r.join("eval/summary.json"),
                r.join("tensorboard"),
                r.join("wandb"),
                r.join("profile/trace.json"),
                r.join("env/pip-freeze.txt"),
                r.join("env/git.diff"),
                r.join("samples"),
                r.join("predictions/preds.parquet"),
                r.join("logs/stdout.txt"),
                r.join("logs/stderr.txt"),
                r.join("checkpoints/best.ckpt"),
            ]
        });
    }
}

mod parameterized_accessor {
    use super::*;

    #[divan::bench]
    fn derived(b: Bencher) {
        let paths = paths();
        b.bench_local(|| black_box(&paths).epoch_ckpt(black_box(17)));
    }

    #[divan::bench]
    fn by_hand(b: Bencher) {
        let root = paths().root;
        b.bench_local(|| {
            let epoch: u64 = black_box(17);
            black_box(&root).join(format!("checkpoints/epoch_{epoch:04}.ckpt"))
        });
    }
}

mod create_all {
    use super::*;

    /// A fresh, empty root for every iteration, made and removed untimed.
    fn fresh_root() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary root")
    }

    #[divan::bench(sample_count = 50, sample_size = 20)]
    fn derived(b: Bencher) {
        b.with_inputs(fresh_root).bench_local_values(|dir| {
            let paths = Paths {
                root: dir.path().to_path_buf(),
            };
            paths.create_all().expect("create_all");
            dir
        });
    }

    #[divan::bench(sample_count = 50, sample_size = 20)]
    fn by_hand(b: Bencher) {
        b.with_inputs(fresh_root).bench_local_values(|dir| {
            for folder in FOLDERS {
                fs::create_dir_all(dir.path().join(folder)).expect("create_dir_all");
            }
            dir
        });
    }
}

mod create_run {
    use super::*;

    #[divan::bench(sample_count = 50, sample_size = 20)]
    fn derived(b: Bencher) {
        let root = tempfile::tempdir().expect("root");
        b.bench_local(|| {
            Run::builder(root.path())
                .stage("s")
                .create()
                .expect("create")
        });
    }

    #[divan::bench(sample_count = 50, sample_size = 20)]
    fn derived_without_manifest_and_latest(b: Bencher) {
        let root = tempfile::tempdir().expect("root");
        b.bench_local(|| {
            Run::builder(root.path())
                .stage("s")
                .write_manifest(false)
                .latest_pointer(false)
                .create()
                .expect("create")
        });
    }

    #[divan::bench(sample_count = 50, sample_size = 20)]
    fn by_hand(b: Bencher) {
        let root = tempfile::tempdir().expect("root");
        let stage = root.path().join("s");
        fs::create_dir(&stage).expect("stage folder");
        let random = RandomState::new();
        let mut n = 0u64;
        b.bench_local(|| {
            n += 1;
            let name = format!("{:016x}", random.hash_one(n));
            fs::create_dir(stage.join(name)).expect("create_dir")
        });
    }
}

mod run_id {
    use super::*;

    #[divan::bench]
    fn generate(b: Bencher) {
        b.bench_local(RunId::generate);
    }

    #[divan::bench]
    fn from_seed(b: Bencher) {
        b.bench_local(|| RunId::from_seed(black_box(42)));
    }
}
