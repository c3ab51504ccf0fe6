//! The probe `scripts/syscall-budget` runs under strace to count the system
//! calls of each operation. It brackets each operation with two marker
//! calls (a `stat` of a path that does not exist), so the script counts only
//! what lies between them.
//!
//! ```text
//! cargo run --release -p runlayout-checks --example syscall_probe -- accessors
//! cargo run --release -p runlayout-checks --example syscall_probe -- create-all <EMPTY_DIR>
//! cargo run --release -p runlayout-checks --example syscall_probe -- create <ROOT>
//! cargo run --release -p runlayout-checks --example syscall_probe -- status <ROOT>
//! cargo run --release -p runlayout-checks --example syscall_probe -- open <ROOT>
//! cargo run --release -p runlayout-checks --example syscall_probe -- family <EMPTY_DIR>
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use runlayout::{Layout, Run};
use runlayout_checks::Paths;

/// A system call strace shows with this name, and that does nothing.
fn marker(name: &str) {
    let _ = std::fs::metadata(format!("/runlayout-probe-marker/{name}"));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The first `stat` of a process probes which call the kernel offers;
    // let that happen outside every bracket.
    marker("warm-up");
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["accessors"] => accessors(),
        ["create-all", dir] => create_all(Path::new(dir)),
        ["create", root] => create(Path::new(root)),
        ["status", root] => status(Path::new(root)),
        ["open", root] => open(Path::new(root)),
        ["family", dir] => family(Path::new(dir)),
        _ => Err(
            "usage: syscall_probe accessors | create-all <EMPTY_DIR> | create <ROOT> | status <ROOT> | open <ROOT> | family <EMPTY_DIR>"
                .into(),
        ),
    }
}

/// 1,000 rounds of calls to the accessors.
fn accessors() -> Result<(), Box<dyn std::error::Error>> {
    let paths = Paths {
        root: PathBuf::from("/data/runs/pretrain/2026-11-30_k3x9a"),
    };
    let mut total = 0usize;
    marker("begin");
    for i in 0..1000u64 {
        total += paths.checkpoint().as_os_str().len();
        total += paths.bt_summary().as_os_str().len();
        total += paths.epoch_ckpt(i).as_os_str().len();
        total += paths.plot("val")?.as_os_str().len();
    }
    marker("end");
    println!("accessor calls: 4000 (path bytes {total})");
    Ok(())
}

fn create_all(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let paths = Paths {
        root: dir.to_path_buf(),
    };
    marker("begin");
    paths.create_all()?;
    marker("end");
    // What the layout declares, for the script to compare with.
    let mut folders = std::collections::BTreeSet::new();
    for entry in Paths::ENTRIES {
        let folder = match entry.kind() {
            runlayout::layout::EntryKind::Dir => entry.path(),
            runlayout::layout::EntryKind::File => {
                entry.path().rsplit_once('/').map_or("", |(d, _)| d)
            }
        };
        let mut prefix = PathBuf::new();
        for part in folder
            .split('/')
            .filter(|p| !p.is_empty() && !p.contains('{'))
        {
            prefix.push(part);
            folders.insert(prefix.clone());
        }
    }
    println!("folders: {}", folders.len());
    Ok(())
}

/// Three runs: into an existing stage folder, a new stage, a new root.
fn create(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    Run::builder(root).stage("warm").create()?;
    // Each run is dropped (its claim let go) after its bracket.
    marker("begin-existing");
    let existing = Run::builder(root).stage("warm").create()?;
    marker("end-existing");
    marker("begin-new-stage");
    let fresh = Run::builder(root).stage("fresh").create()?;
    marker("end-new-stage");
    drop((existing, fresh));
    marker("begin-minimal");
    Run::builder(root)
        .stage("warm")
        .write_manifest(false)
        .latest_pointer(false)
        .create()?;
    marker("end-minimal");
    // The ranks of one job: the first creates, the next joins.
    let rank = || Run::builder(root).stage("warm").run_id("job-7");
    marker("begin-create-or-open-new");
    let first = rank().create_or_open()?;
    marker("end-create-or-open-new");
    marker("begin-create-or-open-join");
    let second = rank().create_or_open()?;
    marker("end-create-or-open-join");
    drop((first, second));
    // A run resumed by id, by a process that did not make it.
    marker("begin-open");
    let resumed = rank().open()?;
    marker("end-open");
    drop(resumed);
    Ok(())
}

/// The status of a run that has ended, and of one still running (its
/// creator, this process, is asked of `/proc`).
fn status(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let run = Run::builder(root).stage("done").create()?;
    run.finish()?;
    marker("begin");
    let status = run.status()?;
    marker("end");
    println!("status: {status}");
    let running = Run::builder(root).stage("busy").create()?;
    marker("begin-running");
    let status = running.status()?;
    marker("end-running");
    println!("running status: {status}");
    Ok(())
}

/// `open()` of an existing run (which records a restart), and a
/// heartbeat of a run already beating (what a guard's thread does each
/// interval).
fn open(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let made = Run::builder(root).stage("s").run_id("r").create()?;
    made.heartbeat(std::time::Duration::from_secs(30))?;
    marker("begin-open");
    let run = Run::builder(root).stage("s").run_id("r").open()?;
    marker("end-open");
    println!("restarts: {}", run.restarts()?.len());
    marker("begin-heartbeat");
    run.heartbeat(std::time::Duration::from_secs(30))?;
    marker("end-heartbeat");
    println!("heartbeat: {}", run.state()?.heartbeat.is_some());
    Ok(())
}

/// A layout whose family spans two placeholder levels.
#[derive(Layout)]
#[layout(sample = "samples/{epoch:u32}/step_{step:u32}.png")]
struct Samples {
    root: PathBuf,
}

/// Families: `list()` and `last()` of 10,000 checkpoints among foreign
/// files, a family across two levels, and two `write_atomic`s into that
/// folder: the process's first there, and the next.
fn family(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let paths = Paths {
        root: dir.to_path_buf(),
    };
    paths.create_all()?;
    for epoch in 1..=10_000 {
        fs::write(paths.epoch_ckpt(epoch), b"")?;
    }
    for foreign in ["best.ckpt", "epoch_1.ckpt", "notes.txt", ".hidden"] {
        fs::write(paths.checkpoint().join(foreign), b"")?;
    }
    let samples = Samples {
        root: dir.join("run2"),
    };
    for epoch in 1..=3 {
        for step in 0..100 {
            let path = samples.sample(epoch, step);
            path.create_parent()?;
            fs::write(path, b"")?;
        }
    }
    // Outside the brackets, what happens once per process: parsing the
    // templates, and learning the host name that temporaries carry.
    let epochs = paths.epoch_ckpt_family();
    let by_step = samples.sample_family();
    epochs.last()?;
    by_step.last()?;
    paths.logfile().write_atomic("warm-up\n")?;

    marker("begin-list");
    let listed = epochs.list()?;
    marker("end-list");
    marker("begin-last");
    let last = epochs.last()?;
    marker("end-last");
    marker("begin-levels");
    let across = by_step.list()?;
    marker("end-levels");
    // The first atomic write of this process into `checkpoints/` (10,004
    // names), then the next one there.
    let data = vec![0u8; 1 << 20];
    marker("begin-write-atomic-first");
    paths.epoch_ckpt(10_001).write_atomic(&data)?;
    marker("end-write-atomic-first");
    marker("begin-write-atomic");
    paths.epoch_ckpt(10_002).write_atomic(&data)?;
    marker("end-write-atomic");

    assert_eq!(listed.len(), 10_000);
    assert_eq!(epochs.list()?.len(), 10_002);
    assert_eq!(last.map(|(e, _)| e), Some(10_000));
    assert_eq!(across.len(), 300);
    // What each bracket must read: the folders holding placeholder names.
    println!("list folders: 1");
    println!("last folders: 1");
    println!("levels folders: {}", 1 + 3);
    Ok(())
}
