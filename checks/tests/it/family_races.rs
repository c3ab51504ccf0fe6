//! Removing a family's members while other processes write and remove
//! them: real processes, in loops. A member leaves the family at once (it
//! is renamed aside before it is deleted), so no listing ever holds half of
//! one, and a removal killed halfway leaves whole members and a hidden
//! temporary, which the next removal sweeps.
#![cfg(unix)]

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::{MetadataExt as _, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{self, TestResult, is_child, spawn_child};
use runlayout::{DirPath, FilePath, Layout};

#[derive(Layout)]
#[layout(
    epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt",
    step_dir = "steps/{step:u32}/"
)]
struct Paths {
    root: PathBuf,
}

/// How many members every removal keeps.
const KEEP: usize = 2;
/// The files in each folder member, besides its link to outside data.
const FILES: usize = 16;
/// How many members of each family the writer makes.
const WRITTEN: u32 = 80;

fn paths() -> Result<(Paths, PathBuf), std::env::VarError> {
    let dir = PathBuf::from(std::env::var("RUNLAYOUT_TEST_ROOT")?);
    Ok((
        Paths {
            root: dir.join("run"),
        },
        dir,
    ))
}

/// The last member the writer finished, as its progress file says.
fn finished(dir: &Path) -> Option<u32> {
    fs::read_to_string(dir.join("finished"))
        .ok()
        .and_then(|t| t.parse().ok())
}

fn shard(step: u32, i: usize) -> String {
    format!("step {step} shard {i}")
}

/// Makes the folder member `step`: the folder, then its files one by one.
fn write_step(dir: &DirPath, step: u32, outside: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir.parent().expect("steps/"))?;
    fs::create_dir(dir)?;
    for i in 0..FILES {
        fs::write(dir.join(format!("shard_{i}.bin")), shard(step, i))?;
    }
    symlink(outside.join("data"), dir.join("data"))
}

/// `Err` naming what is missing if the folder member at `dir` is listed
/// half: its files are read, then its name is looked up again; a member
/// that was renamed aside meanwhile (removed) was never half in place.
fn check_whole(dir: &Path, step: u32) -> Result<(), String> {
    let Ok(before) = fs::symlink_metadata(dir) else {
        return Ok(()); // removed since it was listed
    };
    let mut missing = Vec::new();
    for i in 0..FILES {
        match fs::read_to_string(dir.join(format!("shard_{i}.bin"))) {
            Ok(text) if text == shard(step, i) => {}
            Ok(text) => return Err(format!("{}: shard {i} holds {text:?}", dir.display())),
            Err(_) => missing.push(i),
        }
    }
    if fs::symlink_metadata(dir.join("data")).is_err() {
        missing.push(FILES);
    }
    let still = fs::symlink_metadata(dir).is_ok_and(|m| m.ino() == before.ino());
    if !missing.is_empty() && still {
        return Err(format!(
            "{} is listed while {} of its files are gone",
            dir.display(),
            missing.len()
        ));
    }
    Ok(())
}

/// Removes members while the writer runs, checking after each removal
/// what every process may rely on; returns how many it removed, in how
/// many rounds.
fn watch(
    p: &Paths,
    dir: &Path,
    writer: &mut std::process::Child,
) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let mut removed = 0;
    let mut rounds = 0;
    while writer.try_wait()?.is_none() {
        rounds += 1;
        let before = finished(dir);
        let epochs = p.epoch_ckpt_family().keep_last(KEEP)?;
        let steps = p.step_dir_family().keep_last(KEEP)?;
        let after = finished(dir);
        removed += epochs.len() + steps.len();
        // A member goes only once KEEP newer ones were there: the writer
        // had finished it, and the one after it, before the listing.
        for path in steps
            .iter()
            .map(DirPath::as_path)
            .chain(epochs.iter().map(FilePath::as_path))
        {
            let name = path.file_name().expect("a name").to_string_lossy();
            let key: u32 = name
                .trim_start_matches("epoch_")
                .trim_end_matches(".ckpt")
                .parse()?;
            assert!(
                after.is_some_and(|f| key as usize + KEEP - 1 <= f as usize),
                "{} removed with the writer at {after:?}",
                path.display()
            );
        }
        // The newest member the writer finished is never missing, and no
        // listing holds half a member.
        if let Some(before) = before {
            let newest = p.step_dir_family().last()?.map(|(k, _)| k);
            assert!(
                newest >= Some(before),
                "{newest:?} after {before} was finished"
            );
            let newest = p.epoch_ckpt_family().last()?.map(|(k, _)| k);
            assert!(newest >= Some(u64::from(before)));
            for (step, member) in p.step_dir_family().list()? {
                if step <= before {
                    check_whole(&member, step)?;
                }
            }
        }
        for (epoch, member) in p.epoch_ckpt_family().list()? {
            match fs::read_to_string(&member) {
                Ok(text) => assert_eq!(text, format!("epoch {epoch}")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok((removed, rounds))
}

const WRITER: &str = "family-writer";
const REMOVER: &str = "family-remover";
const RACE: &str = "family_races::a_family_removal_against_a_writer";

#[test]
fn a_family_removal_against_a_writer() -> TestResult {
    if is_child(WRITER) {
        let (p, dir) = paths()?;
        let mut step = 0;
        while step < WRITTEN {
            p.epoch_ckpt(u64::from(step))
                .write_atomic(format!("epoch {step}"))?;
            write_step(&p.step_dir(step), step, &dir.join("outside"))?;
            // Progress, replaced whole (not synced: only this test reads it).
            fs::write(dir.join("finished.new"), step.to_string())?;
            fs::rename(dir.join("finished.new"), dir.join("finished"))?;
            step += 1;
        }
        println!("WROTE {step}");
        return Ok(());
    }
    if is_child(REMOVER) {
        let (p, dir) = paths()?;
        let mut removed = 0;
        while !dir.join("stop").exists() {
            removed += p.epoch_ckpt_family().keep_last(KEEP)?.len();
            removed += p.step_dir_family().keep_last(KEEP)?.len();
        }
        println!("REMOVED {removed}");
        return Ok(());
    }

    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let outside = dir.join("outside");
    fs::create_dir_all(outside.join("data"))?;
    fs::write(outside.join("data/train.bin"), b"outside data")?;
    let outside_before = support::tree(&outside);
    let p = Paths {
        root: dir.join("run"),
    };
    let env = [("RUNLAYOUT_TEST_ROOT", dir.as_os_str())];
    let mut writer = spawn_child(RACE, WRITER, &env);
    let remover = spawn_child(RACE, REMOVER, &env);
    // Whatever the watch finds, both children are stopped and waited for.
    let watched = watch(&p, dir, &mut writer);
    let stopped = fs::write(dir.join("stop"), "");
    let wrote = support::child_lines(writer, "WROTE ");
    let by_remover = support::child_lines(remover, "REMOVED ");
    stopped?;
    let (removed, rounds) = watched?;
    assert_eq!(wrote, [WRITTEN.to_string()]);
    let by_remover: usize = by_remover.first().expect("a count").parse()?;
    assert!(
        removed > 0 && by_remover > 0,
        "both removed members ({removed} here in {rounds} rounds, {by_remover} there)"
    );

    // Both are done: one more removal sweeps what they left, and leaves
    // the KEEP newest, whole; nothing outside the family was touched.
    p.epoch_ckpt_family().keep_last(KEEP)?;
    p.step_dir_family().keep_last(KEEP)?;
    let last = finished(dir).expect("the writer finished members");
    let steps: Vec<u32> = p
        .step_dir_family()
        .list()?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(steps, [last - 1, last]);
    for step in steps {
        check_whole(&p.step_dir(step), step)?;
    }
    assert_eq!(p.epoch_ckpt_family().list()?.len(), KEEP);
    for folder in ["run/checkpoints", "run/steps"] {
        assert_eq!(
            support::temporaries(&dir.join(folder)),
            Vec::<String>::new()
        );
    }
    assert_eq!(support::tree(&outside), outside_before);
    assert_eq!(fs::read(outside.join("data/train.bin"))?, b"outside data");
    Ok(())
}

const KILLED: &str = "family-remover-killed";
const KILL: &str = "family_races::a_removal_killed_halfway_leaves_whole_members";

/// The folder members of the kill test, and their files.
const BIG: usize = 60;
const MEMBERS: u32 = 4;

fn write_big(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    for i in 0..BIG {
        fs::write(dir.join(format!("{i}.bin")), i.to_string())?;
    }
    Ok(())
}

fn whole_big(dir: &Path) -> bool {
    (0..BIG)
        .all(|i| fs::read_to_string(dir.join(format!("{i}.bin"))).is_ok_and(|t| t == i.to_string()))
}

/// Waits until `child` is about to remove members, then, in even rounds,
/// until a member has left the listing, or in odd rounds a little while.
fn wait_for_the_removal(child: &mut std::process::Child, p: &Paths, round: u64) -> TestResult {
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    while !line.contains("READY") {
        line.clear();
        if out.read_line(&mut line)? == 0 {
            return Err("the child ended before it was ready".into());
        }
    }
    if round.is_multiple_of(2) {
        let steps = p.root.join("steps");
        let began = Instant::now();
        while support::temporaries(&steps).is_empty()
            && p.step_dir_family().list()?.len() == MEMBERS as usize
            && began.elapsed() < Duration::from_secs(5)
        {
            std::hint::spin_loop();
        }
    } else {
        // Somewhere in the removal of up to 180 files.
        std::thread::sleep(Duration::from_micros(round * 700 % 9000));
    }
    Ok(())
}

#[test]
fn a_removal_killed_halfway_leaves_whole_members() -> TestResult {
    if is_child(KILLED) {
        let (p, _) = paths()?;
        println!("READY");
        p.step_dir_family().keep_last(1)?;
        println!("DONE");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let p = Paths {
        root: dir.join("run"),
    };
    let env = [("RUNLAYOUT_TEST_ROOT", dir.as_os_str())];
    let mut killed_halfway = 0;
    for round in 0..24u64 {
        for step in 0..MEMBERS {
            if !p.step_dir(step).exists() {
                write_big(&p.step_dir(step))?;
            }
        }
        let mut child = spawn_child(KILL, KILLED, &env);
        let waited = wait_for_the_removal(&mut child, &p, round);
        let killed = child.kill();
        child.wait()?;
        waited?;
        killed?;
        let members = p.step_dir_family().list()?;
        for (step, member) in &members {
            assert!(
                whole_big(member),
                "round {round}: step {step} is listed, but half removed"
            );
        }
        if !support::temporaries(&dir.join("run/steps")).is_empty() {
            killed_halfway += 1;
        }
        // The next removal sweeps what the killed one left.
        p.step_dir_family().keep_last(MEMBERS as usize)?;
        assert_eq!(
            support::temporaries(&dir.join("run/steps")),
            Vec::<String>::new(),
            "round {round}"
        );
    }
    assert!(killed_halfway > 0, "no kill landed during a removal");
    Ok(())
}
