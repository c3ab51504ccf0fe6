//! Child processes for the tests that race processes or kill them: the test
//! binary starts itself again, running one test as a child's body. Shared
//! with the `runlayout` command's tests.

use std::ffi::OsStr;
use std::process::Command;
use std::sync::OnceLock;

/// The environment variable that turns a test into a child process's body.
pub const CHILD: &str = "RUNLAYOUT_TEST_CHILD";

/// Whether this process was started by [`spawn_child`] for `role`.
pub fn is_child(role: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|r| r == role)
}

/// Starts this very test binary again, running only `test` (which acts as the
/// child when [`is_child`] says so), with `envs` set. Returns the process.
/// Values need not be UTF-8 (`OsStr`), as launchers' values need not be.
pub fn spawn_child<V: AsRef<OsStr>>(
    test: &str,
    role: &str,
    envs: &[(&str, V)],
) -> std::process::Child {
    spawn_child_in(None, test, role, envs)
}

/// [`spawn_child`], with the child's current directory set to `dir`.
pub fn spawn_child_in<V: AsRef<OsStr>>(
    dir: Option<&std::path::Path>,
    test: &str,
    role: &str,
    envs: &[(&str, V)],
) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.args(child_args(test))
        .env(CHILD, role)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn the test binary")
}

/// The arguments that make this test binary run `test` alone, as a child's
/// body. `test` is the name the harness gives it (`module::test_name` in a
/// binary of modules); a name it does not know would start a child that
/// runs no test, prints nothing and succeeds, so it panics instead.
pub fn child_args(test: &str) -> [&str; 4] {
    let tests = tests_of_this_binary();
    if !tests.iter().any(|t| t == test) {
        let last = |name: &str| name.rsplit("::").next().unwrap_or_default().to_owned();
        let near: Vec<String> = tests
            .iter()
            .filter(|t| last(t) == last(test))
            .map(|t| format!("`{t}`"))
            .collect();
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(": did you mean {}?", near.join(" or "))
        };
        panic!("no test `{test}` in this binary{hint}");
    }
    [test, "--exact", "--nocapture", "--test-threads=1"]
}

/// The names of the tests this binary holds, as its harness lists them,
/// asked once.
fn tests_of_this_binary() -> &'static [String] {
    static TESTS: OnceLock<Vec<String>> = OnceLock::new();
    TESTS.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let out = Command::new(&exe)
            .args(["--list", "--format", "terse"])
            .output()
            .expect("list the tests of this binary");
        assert!(out.status.success(), "{} --list failed", exe.display());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .map(str::to_owned)
            .collect()
    })
}

/// Waits for a child and returns what follows `prefix` on each line
/// that holds it; panics with its output if it failed.
pub fn child_lines(child: std::process::Child, prefix: &str) -> Vec<String> {
    let out = child.wait_with_output().expect("wait for child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // The harness may print "test name ... " on the same line first.
        .filter_map(|l| l.find(prefix).map(|at| l[at + prefix.len()..].to_owned()))
        .collect()
}

/// Starts `count` copies of `test` as [`spawn_child`] does, all at once so
/// that they race, and returns what follows `prefix` in their output.
pub fn run_children<V: AsRef<OsStr>>(
    test: &str,
    role: &str,
    count: usize,
    envs: &[(&str, V)],
    prefix: &str,
) -> Vec<String> {
    let children: Vec<_> = (0..count).map(|_| spawn_child(test, role, envs)).collect();
    children
        .into_iter()
        .flat_map(|c| child_lines(c, prefix))
        .collect()
}
