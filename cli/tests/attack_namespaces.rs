//! Attacks with processes of one host that cannot see each other's pids:
//! containers started with the host's network (`docker --network host`,
//! Kubernetes `hostNetwork: true`, common for NCCL) share the host name and
//! the boot id but each has its own pid namespace. runlayout takes "same
//! host name" for "same pid space", so it declares live processes dead.
//!
//! The child runs in a new pid namespace (`unshare --pid --fork
//! --mount-proc`, as root) on the same host name and the same file system.
#![cfg(target_os = "linux")]

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use runlayout::{FilePath, Run, RunStatus};

#[path = "support/command.rs"]
mod command;
use command::runlayout;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ROLE: &str = "RUNLAYOUT_ATTACK_ROLE";
const ROOT: &str = "RUNLAYOUT_ATTACK_ROOT";

/// This test binary again, running `test` as `role`, in a pid namespace of
/// its own; `None` where namespaces cannot be made (not root).
fn spawn_in_pid_namespace(test: &str, role: &str, root: &Path) -> Option<Child> {
    let probe = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status()
        .ok()?;
    if !probe.success() {
        eprintln!("skipped: cannot make a pid namespace here");
        return None;
    }
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(std::env::current_exe().ok()?)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(ROOT, root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()
}

/// Waits for the child to print `READY`.
fn await_ready(child: &mut Child) {
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("READY") => break,
            Some(_) => continue,
            None => panic!("child ended before READY"),
        }
    }
    // Keep reading, so the child's harness never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
}

fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// README: "A run still marked running whose process is gone from this host
/// ... is crashed: a reused pid is never mistaken for the writer", and prune
/// "never selects a running run". A trainer in a host-network container is
/// alive, yet read from the host (or another such container) it is
/// `Crashed`, and `prune --status crashed --yes` deletes it while it trains.
#[test]
fn a_live_run_in_another_pid_namespace_is_not_crashed() -> TestResult {
    if role().as_deref() == Some("trainer") {
        let root = std::env::var(ROOT)?;
        let run = Run::builder(&root).stage("s").run_id("live").create()?;
        let _guard = run.guard();
        fs::write(run.path().join("step.txt"), "1")?;
        println!("READY");
        std::io::stdout().flush()?;
        // Train until the parent closes stdin.
        let mut buf = String::new();
        let _ = std::io::stdin().read_line(&mut buf);
        fs::write(run.path().join("step.txt"), "2")?;
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let Some(mut child) = spawn_in_pid_namespace(
        "a_live_run_in_another_pid_namespace_is_not_crashed",
        "trainer",
        root.path(),
    ) else {
        return Ok(());
    };
    await_ready(&mut child);
    let run = Run::builder(root.path()).stage("s").run_id("live").open()?;
    let status = run.status()?;
    // A newer run, so `latest` does not protect this one.
    Run::builder(root.path())
        .stage("s")
        .run_id("newer")
        .create()?
        .finish()?;
    let out = runlayout(root.path(), &["prune", "--status", "crashed", "--yes"]);
    let survived = run.path().join("step.txt").exists();
    drop(child.stdin.take());
    let ended = child.wait()?;
    assert!(
        survived,
        "prune removed a running run (status read from the host: {status:?}):\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        status,
        RunStatus::Running,
        "the trainer is alive in its container"
    );
    assert!(ended.success(), "the trainer lost its run folder");
    Ok(())
}

/// README: a temporary "is stale once its writer is gone (same host, no
/// process of that pid)". A checkpoint being written on the host is swept
/// away by an atomic write of a process in a host-network container (same
/// host name, other pid space), and the writer's commit fails: the
/// checkpoint is lost.
#[test]
fn a_checkpoint_being_written_survives_a_writer_in_another_pid_namespace() -> TestResult {
    if role().as_deref() == Some("writer") {
        let root = std::env::var(ROOT)?;
        FilePath::new(Path::new(&root).join("ckpt/rank1.bin")).write_atomic(b"rank 1")?;
        println!("READY");
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let target = FilePath::new(root.path().join("ckpt/rank0.bin"));
    let mut file = target.create_atomic()?;
    file.write_all(b"rank 0, first half; ")?;
    let Some(mut child) = spawn_in_pid_namespace(
        "a_checkpoint_being_written_survives_a_writer_in_another_pid_namespace",
        "writer",
        root.path(),
    ) else {
        return Ok(());
    };
    await_ready(&mut child);
    child.wait()?;
    std::thread::sleep(Duration::from_millis(10));
    file.write_all(b"second half")?;
    let committed = file.commit();
    assert!(
        committed.is_ok(),
        "the live writer's temporary was swept as stale: {}",
        committed.unwrap_err()
    );
    assert_eq!(
        fs::read(root.path().join("ckpt/rank0.bin"))?,
        b"rank 0, first half; second half"
    );
    Ok(())
}

/// This test binary again, running `test` as `role`, under another host
/// name (a UTS namespace): a rank on another node of a shared file system.
fn spawn_on_other_host(test: &str, role: &str, root: &Path) -> Option<Child> {
    let probe = Command::new("unshare")
        .args(["--uts", "true"])
        .status()
        .ok()?;
    if !probe.success() {
        eprintln!("skipped: cannot make a UTS namespace here");
        return None;
    }
    Command::new("unshare")
        .args([
            "--uts",
            "sh",
            "-c",
            "hostname other-node && exec \"$@\"",
            "sh",
        ])
        .arg(std::env::current_exe().ok()?)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(ROOT, root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()
}

/// A multi-node trainer: rank 0 opens its checkpoint with `create_atomic`,
/// writes the header, then gathers the shards from every GPU for a couple
/// of minutes (nothing written meanwhile) before it writes the rest and
/// commits. Rank 1, on another node, writes its own file into the same
/// folder with `write_atomic`; that sweeps rank 0's live temporary (another
/// host's, unchanged for a minute), and rank 0's commit fails: the
/// checkpoint is lost. A minute of silence is no proof that a writer on
/// another host is gone.
#[test]
fn a_slow_writers_checkpoint_survives_a_write_from_another_host() -> TestResult {
    if role().as_deref() == Some("rank1") {
        let root = std::env::var(ROOT)?;
        FilePath::new(Path::new(&root).join("ckpt/rank1.bin")).write_atomic(b"rank 1")?;
        println!("READY");
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let target = FilePath::new(root.path().join("ckpt/rank0.bin"));
    let mut file = target.create_atomic()?;
    file.write_all(b"header; ")?;
    // Two minutes of gathering, in which nothing was written.
    let then = std::time::SystemTime::now() - Duration::from_secs(120);
    file.as_file().set_modified(then)?;
    let Some(mut child) = spawn_on_other_host(
        "a_slow_writers_checkpoint_survives_a_write_from_another_host",
        "rank1",
        root.path(),
    ) else {
        return Ok(());
    };
    await_ready(&mut child);
    child.wait()?;
    file.write_all(b"weights")?;
    let committed = file.commit();
    assert!(
        committed.is_ok(),
        "a live writer's checkpoint was swept by another host: {}",
        committed.unwrap_err()
    );
    Ok(())
}

/// Two machines with one host name (containers given one `--hostname` by a
/// compose file, images whose every node is `localhost`) are one host to
/// runlayout: a run training on the other machine has "another boot's"
/// process, so it is `Crashed`, and `prune --status crashed --yes` removes
/// it. The other machine is simulated by a mount namespace whose boot id
/// differs (the pid space is even shared here). README: "A run running on
/// another host cannot be asked from here, so it stays running".
#[test]
fn a_live_run_on_another_machine_with_the_same_host_name_is_not_crashed() -> TestResult {
    if role().as_deref() == Some("other-machine") {
        let root = std::env::var(ROOT)?;
        let run = Run::builder(&root).stage("s").run_id("live").create()?;
        let _guard = run.guard();
        println!("READY");
        std::io::stdout().flush()?;
        let mut buf = String::new();
        let _ = std::io::stdin().read_line(&mut buf);
        return Ok(());
    }
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot make a mount namespace here");
        return Ok(());
    }
    let root = tempfile::tempdir()?;
    let boot = root.path().join("other-boot-id");
    fs::write(&boot, "11111111-2222-3333-4444-555555555555\n")?;
    let script = format!(
        "mount --bind '{}' /proc/sys/kernel/random/boot_id && exec \"$@\"",
        boot.display()
    );
    let mut child = Command::new("unshare")
        .args(["--mount", "--propagation", "private"])
        .args(["sh", "-c", &script, "sh"])
        .arg(std::env::current_exe()?)
        .args([
            "a_live_run_on_another_machine_with_the_same_host_name_is_not_crashed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, "other-machine")
        .env(ROOT, root.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    await_ready(&mut child);
    let run = Run::builder(root.path()).stage("s").run_id("live").open()?;
    let status = run.status();
    drop(child.stdin.take());
    child.wait()?;
    assert_eq!(
        status?,
        RunStatus::Running,
        "a run training on another machine (same host name) is taken for crashed"
    );
    Ok(())
}
