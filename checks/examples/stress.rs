//! Many processes, one output root: N processes each create M runs with
//! generated ids (or all join one seeded run), then the folders are checked
//! and the rate is compared with a bare `create_dir` loop.
//!
//! ```text
//! cargo run --release -p runlayout-checks --example stress -- [create|join] [PROCESSES] [RUNS] [ROOT]
//! cargo run --release -p runlayout-checks --example stress -- create 16 1000 /dev/shm/stress
//! ```
//!
//! `create`: every process calls `Run::builder(root).stage("stress").create()`
//! RUNS times; all N×M folders must be distinct and present, and no call may
//! fail. `join`: every process calls `create_or_open()` on one seeded id;
//! exactly one must create it. Both then run the same number of bare
//! `create_dir` calls with random names, for comparison.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runlayout::Run;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        return worker(&args[1..]);
    }
    let mode = args.first().cloned().unwrap_or_else(|| "create".into());
    let processes: usize = args.get(1).map_or(Ok(16), |a| a.parse())?;
    let runs: usize = args.get(2).map_or(Ok(1000), |a| a.parse())?;
    let root = match args.get(3) {
        Some(root) => PathBuf::from(root),
        None => std::env::temp_dir().join(format!("runlayout-stress-{}", std::process::id())),
    };
    std::fs::create_dir_all(&root)?;
    let runs = if mode == "join" { 1 } else { runs };
    println!(
        "{mode}: {processes} processes x {runs} runs in {}",
        root.display()
    );

    let (lines, took) = spawn(&mode, processes, runs, &root)?;
    match mode.as_str() {
        "create" => check_create(&lines, processes * runs)?,
        "join" => check_join(&lines, processes)?,
        other => return Err(format!("unknown mode `{other}`: use create or join").into()),
    }
    let total = processes * runs;
    let (_, bare) = spawn("bare", processes, runs, &root)?;
    println!(
        "runlayout: {total} runs in {took:.2?} = {:.0} runs/s",
        total as f64 / took.as_secs_f64()
    );
    println!(
        "bare create_dir: {total} folders in {bare:.2?} = {:.0} folders/s (runlayout takes {:.2}x the time)",
        total as f64 / bare.as_secs_f64(),
        took.as_secs_f64() / bare.as_secs_f64()
    );
    Ok(())
}

/// Starts `processes` workers at once and gathers what they print.
fn spawn(
    mode: &str,
    processes: usize,
    runs: usize,
    root: &Path,
) -> Result<(Vec<String>, Duration)> {
    let exe = std::env::current_exe()?;
    let start = Instant::now();
    let children = (0..processes)
        .map(|_| {
            Command::new(&exe)
                .args(["--worker", mode, &runs.to_string()])
                .arg(root)
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut lines = Vec::new();
    for child in children {
        let out = child.wait_with_output()?;
        if !out.status.success() {
            return Err(format!("a {mode} worker failed: {}", out.status).into());
        }
        lines.extend(String::from_utf8(out.stdout)?.lines().map(str::to_owned));
    }
    Ok((lines, start.elapsed()))
}

fn worker(args: &[String]) -> Result<()> {
    let [mode, runs, root] = args else {
        return Err("worker: mode runs root".into());
    };
    let runs: usize = runs.parse()?;
    let root = PathBuf::from(root);
    let mut out = String::new();
    match mode.as_str() {
        "create" => {
            for _ in 0..runs {
                let run = Run::builder(&root).stage("stress").create()?;
                out.push_str(&format!("{}\n", run.path().display()));
            }
        }
        "join" => {
            let run = Run::builder(&root)
                .stage("joined")
                .seed(7)
                .create_or_open()?;
            out.push_str(&format!("{} {}\n", run.path().display(), run.is_new()));
        }
        "bare" => {
            let dir = root.join("bare");
            std::fs::create_dir_all(&dir)?;
            let random = RandomState::new();
            for i in 0..runs {
                std::fs::create_dir(dir.join(format!("{:016x}", random.hash_one(i))))?;
            }
        }
        other => return Err(format!("unknown mode {other}").into()),
    }
    print!("{out}");
    Ok(())
}

fn check_create(lines: &[String], expected: usize) -> Result<()> {
    let distinct: HashSet<&String> = lines.iter().collect();
    let missing = lines.iter().filter(|p| !Path::new(p).is_dir()).count();
    println!(
        "folders reported: {}, distinct: {}, missing: {missing}",
        lines.len(),
        distinct.len()
    );
    if lines.len() != expected || distinct.len() != expected || missing > 0 {
        return Err("two callers shared a folder, or a folder is missing".into());
    }
    Ok(())
}

fn check_join(lines: &[String], processes: usize) -> Result<()> {
    let folders: HashSet<&str> = lines.iter().filter_map(|l| l.split(' ').next()).collect();
    let creators = lines.iter().filter(|l| l.ends_with(" true")).count();
    println!(
        "processes: {}, folders: {}, creators: {creators}",
        lines.len(),
        folders.len()
    );
    if lines.len() != processes || folders.len() != 1 || creators != 1 {
        return Err("the processes did not meet in one folder made by one of them".into());
    }
    Ok(())
}
