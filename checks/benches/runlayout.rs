//! Each runlayout operation next to the hand-written code it replaces, in
//! the same run: `cargo bench -p runlayout-checks --bench runlayout`.
//! `scripts/bench-report` turns the output into the table of
//! medians and ratios in checks/README.md.

use std::fs;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};

use divan::{Bencher, black_box};
use runlayout::{FilePath, Layout, Run, RunId};
use runlayout_checks::Paths;

fn main() {
    divan::main();
    // The checkpoints the family benchmarks share, made at first use.
    if let Some(dir) = CHECKPOINTS.get() {
        let _ = fs::remove_dir_all(dir);
    }
}

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

    /// The calls `create()` makes, written out in its order with a
    /// manifest of its size: what its guarantees cost the kernel, so the
    /// ratio to it is runlayout's own work. The manifest's file is returned,
    /// closed outside the timing as a run's claim is.
    #[cfg(target_os = "linux")]
    #[divan::bench(sample_count = 50, sample_size = 20)]
    fn by_hand_same_calls(b: Bencher) {
        use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};
        use std::io::Write as _;
        let root = tempfile::tempdir().expect("root");
        let stage = root.path().join("s");
        fs::create_dir(&stage).expect("stage folder");
        let (latest, manifest) = (stage.join("latest"), vec![b' '; 640]);
        let random = RandomState::new();
        let mut n = 0u64;
        b.bench_local(|| {
            n += 1;
            let name = format!("{:016x}", random.hash_one(n));
            // (A run is never made inside a run: asked once per process and
            // stage folder, so not in a run made where the last one was.)
            let run = stage.join(&name);
            fs::create_dir(&run).expect("create_dir");
            // The git record is of the current directory.
            let _ = std::env::current_dir();
            // The manifest: unnamed, written, claimed, linked into place.
            let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
            let fd = rfs::openat(rfs::CWD, &run, flags, Mode::from_bits_truncate(0o666));
            let file = fs::File::from(fd.expect("O_TMPFILE"));
            (&file).write_all(&manifest).expect("write");
            file.try_lock_shared().expect("flock");
            let at = run.join("run.json");
            rfs::linkat(&file, "", rfs::CWD, &at, AtFlags::EMPTY_PATH).expect("linkat");
            // The latest pointer: read, replaced.
            let _ = fs::read_link(&latest);
            let tmp = stage.join(format!(".tmp-{name}"));
            std::os::unix::fs::symlink(&name, &tmp).expect("symlink");
            fs::rename(&tmp, &latest).expect("rename");
            file
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

/// The run folder the family benchmarks share; `main` removes it.
static CHECKPOINTS: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The layout over a run folder with `checkpoints/epoch_0001.ckpt` ...
/// `epoch_10000.ckpt`. Made once and shared, so that no benchmark runs
/// while the kernel still frees the 10,000 files of another's folder.
fn ten_thousand_checkpoints() -> Paths {
    let root = CHECKPOINTS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("root").keep();
        let paths = Paths { root: dir.clone() };
        fs::create_dir(paths.checkpoint()).expect("checkpoints/");
        for epoch in 1..=10_000 {
            fs::write(paths.epoch_ckpt(epoch), b"").expect("checkpoint");
        }
        dir
    });
    Paths { root: root.clone() }
}

/// What a program writes without families: read the folder, parse each
/// name, keep the regular files, sort. (It takes `epoch_1.ckpt` for epoch
/// 1, which a family does not.)
fn checkpoints_by_hand(folder: &Path) -> Vec<(u64, PathBuf)> {
    let mut found = Vec::new();
    for entry in fs::read_dir(folder).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let Some(epoch) = name
            .to_str()
            .and_then(|n| n.strip_prefix("epoch_"))
            .and_then(|n| n.strip_suffix(".ckpt"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            found.push((epoch, entry.path()));
        }
    }
    found.sort_unstable_by_key(|(epoch, _)| *epoch);
    found
}

mod family_list {
    use super::*;

    #[divan::bench(sample_count = 50)]
    fn derived(b: Bencher) {
        let paths = ten_thousand_checkpoints();
        let family = paths.epoch_ckpt_family();
        assert_eq!(family.list().expect("list").len(), 10_000);
        b.bench_local(|| family.list().expect("list"));
    }

    #[divan::bench(sample_count = 50)]
    fn by_hand(b: Bencher) {
        let paths = ten_thousand_checkpoints();
        let folder = paths.checkpoint();
        assert_eq!(checkpoints_by_hand(&folder).len(), 10_000);
        b.bench_local(|| checkpoints_by_hand(black_box(&folder)));
    }
}

mod family_last {
    use super::*;

    #[divan::bench(sample_count = 50)]
    fn derived(b: Bencher) {
        let paths = ten_thousand_checkpoints();
        let family = paths.epoch_ckpt_family();
        b.bench_local(|| family.last().expect("last"));
    }

    /// The same loop, keeping the greatest epoch and making its path only.
    #[divan::bench(sample_count = 50)]
    fn by_hand(b: Bencher) {
        let paths = ten_thousand_checkpoints();
        let folder = paths.checkpoint();
        b.bench_local(|| {
            let mut last: Option<(u64, std::ffi::OsString)> = None;
            for entry in fs::read_dir(black_box(&folder)).expect("read_dir") {
                let entry = entry.expect("entry");
                let name = entry.file_name();
                let Some(epoch) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("epoch_"))
                    .and_then(|n| n.strip_suffix(".ckpt"))
                    .and_then(|n| n.parse::<u64>().ok())
                else {
                    continue;
                };
                if entry.file_type().is_ok_and(|t| t.is_file())
                    && last.as_ref().is_none_or(|(e, _)| epoch > *e)
                {
                    last = Some((epoch, name));
                }
            }
            last.map(|(epoch, name)| (epoch, folder.join(name)))
        });
    }
}

mod write_atomic_1mib {
    use super::*;
    use std::io::Write as _;

    const MIB: usize = 1 << 20;

    #[divan::bench(sample_count = 100)]
    fn derived(b: Bencher) {
        let dir = tempfile::tempdir().expect("root");
        let target = FilePath::new(dir.path().join("epoch_0001.ckpt"));
        let data = vec![7u8; MIB];
        b.bench_local(|| target.write_atomic(black_box(&data)).expect("write_atomic"));
    }

    /// `tempfile` by hand: a temporary in the folder, written, renamed.
    #[divan::bench(sample_count = 100)]
    fn by_hand(b: Bencher) {
        let dir = tempfile::tempdir().expect("root");
        let target = dir.path().join("epoch_0001.ckpt");
        let data = vec![7u8; MIB];
        b.bench_local(|| {
            let mut file = tempfile::NamedTempFile::new_in(dir.path()).expect("temporary");
            file.write_all(black_box(&data)).expect("write");
            file.persist(&target).expect("persist");
        });
    }

    /// The same, synced before the rename as `write_atomic` is.
    #[divan::bench(sample_count = 100)]
    fn by_hand_synced(b: Bencher) {
        let dir = tempfile::tempdir().expect("root");
        let target = dir.path().join("epoch_0001.ckpt");
        let data = vec![7u8; MIB];
        b.bench_local(|| {
            let mut file = tempfile::NamedTempFile::new_in(dir.path()).expect("temporary");
            file.write_all(black_box(&data)).expect("write");
            file.as_file().sync_all().expect("sync");
            file.persist(&target).expect("persist");
        });
    }
}

/// `write_atomic` of 1 MiB into a folder that already holds 10,000 files
/// (the checkpoints of a long run, say): the cost of a write must not grow
/// with the folder.
mod write_atomic_1mib_among_10000 {
    use super::*;
    use std::io::Write as _;

    const MIB: usize = 1 << 20;

    /// A folder of 10,000 small files.
    fn crowded() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("root");
        for i in 0..10_000 {
            fs::write(dir.path().join(format!("epoch_{i:05}.ckpt")), b"x").expect("file");
        }
        dir
    }

    #[divan::bench(sample_count = 100)]
    fn derived(b: Bencher) {
        let dir = crowded();
        let target = FilePath::new(dir.path().join("last.ckpt"));
        let data = vec![7u8; MIB];
        b.bench_local(|| target.write_atomic(black_box(&data)).expect("write_atomic"));
    }

    /// `tempfile` by hand, synced before the rename as `write_atomic` is.
    #[divan::bench(sample_count = 100)]
    fn by_hand_synced(b: Bencher) {
        let dir = crowded();
        let target = dir.path().join("last.ckpt");
        let data = vec![7u8; MIB];
        b.bench_local(|| {
            let mut file = tempfile::NamedTempFile::new_in(dir.path()).expect("temporary");
            file.write_all(black_box(&data)).expect("write");
            file.as_file().sync_all().expect("sync");
            file.persist(&target).expect("persist");
        });
    }
}

/// Checkpoints named after a metric, as Lightning names them.
#[derive(Layout)]
#[layout(top = "top/epoch={epoch:u32}-val_loss={val_loss:.4}.ckpt")]
struct TopPaths {
    root: PathBuf,
}

/// The validation loss of `epoch`: spread over [0, 1) in no order.
fn val_loss(epoch: u32) -> f64 {
    f64::from((epoch * 7919) % 10_007) / 10_007.0
}

/// A fresh run folder with 10,000 checkpoints named after their loss.
fn ten_thousand_by_loss() -> (tempfile::TempDir, TopPaths) {
    let dir = tempfile::tempdir().expect("root");
    let paths = TopPaths {
        root: dir.path().to_path_buf(),
    };
    fs::create_dir(dir.path().join("top")).expect("top/");
    for epoch in 1..=10_000 {
        let path = paths.top(epoch, val_loss(epoch)).expect("a finite loss");
        fs::write(path, b"").expect("checkpoint");
    }
    (dir, paths)
}

/// `keep_best` next to `keep_last` over the same 10,000 members: each
/// removes all but 3 (or 4), so the difference is the ranking by metric.
mod family_keep_best {
    use super::*;
    use runlayout::Goal;

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn derived(b: Bencher) {
        b.with_inputs(ten_thousand_by_loss)
            .bench_local_refs(|(_, paths)| {
                let family = paths.top_family();
                let removed = family
                    .keep_best(3, |&(_, loss)| loss, Goal::Minimize)
                    .expect("keep_best");
                assert!(removed.len() >= 9_996);
            });
    }

    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn baseline_keep_last(b: Bencher) {
        b.with_inputs(ten_thousand_by_loss)
            .bench_local_refs(|(_, paths)| {
                let removed = paths.top_family().keep_last(3).expect("keep_last");
                assert_eq!(removed.len(), 9_997);
            });
    }
}

/// A sweep of 10,000 trials (a 100 × 100 grid), made untimed.
fn ten_thousand_trials() -> (tempfile::TempDir, runlayout::sweep::Sweep) {
    let root = tempfile::tempdir().expect("root");
    let sweep = runlayout::sweep::Sweep::builder(root.path())
        .stage("sweep")
        .grid("lr", 0..100)
        .grid("seed", 0..100)
        .create()
        .expect("sweep");
    (root, sweep)
}

mod sweep_claim_10000 {
    use super::*;

    /// 8 worker threads, each with its own handle as a worker process has,
    /// claim and finish every trial.
    #[divan::bench(sample_count = 3, sample_size = 1)]
    fn derived(b: Bencher) {
        b.with_inputs(ten_thousand_trials)
            .bench_local_values(|(root, sweep)| {
                std::thread::scope(|s| {
                    for _ in 0..8 {
                        s.spawn(|| {
                            let mine = runlayout::sweep::Sweep::open(root.path(), sweep.spec())
                                .expect("open");
                            while let Some(trial) = mine.claim_next().expect("claim") {
                                trial.run().finish().expect("finish");
                            }
                        });
                    }
                });
                assert!(sweep.is_done().expect("done"));
                root
            });
    }
}

mod sweep_show_10000 {
    use super::*;

    /// Every trial's state (params, status, summary) of a finished sweep.
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn derived(b: Bencher) {
        let (_root, sweep) = ten_thousand_trials();
        while let Some(trial) = sweep.claim_next().expect("claim") {
            trial.run().summary().set("loss", 0.5).expect("summary");
            trial.run().finish().expect("finish");
        }
        b.bench_local(|| {
            let states = sweep.trials().expect("trials");
            assert_eq!(states.len(), 10_000);
            states
        });
    }
}
