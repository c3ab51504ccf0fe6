//! Output for people: what `ls`, `show` and `prune` print, row by row, and
//! the fields `--json` gives; help texts and the README that covers every
//! command.

use std::fs;
use std::path::Path;
use std::process::Command;

use jiff::tz::{TimeZone, offset};
use jiff::{SignedDuration, Timestamp};
use runlayout::{
    Run,
    names::{MANIFEST, STATUS},
};
use serde_json::{Value, json};

#[path = "support/command.rs"]
mod command;
use command::{json, ok};
#[path = "../../checks/tests/it/support/fixture.rs"]
#[allow(dead_code)]
mod fixture;
use fixture::{Fate, RunFixture, forge};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `TZ` for the command: three hours east of UTC, every day of the year.
const ZONE: &str = "UTC-3";

/// `runlayout --run-root <root> <args>` in [`ZONE`].
fn runlayout(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_runlayout"))
        .arg("--run-root")
        .arg(root)
        .args(args)
        .env_remove("RUNLAYOUT_ROOT")
        .env("TZ", ZONE)
        .output()
        .expect("run the binary")
}

/// `at` as a table shows it in [`ZONE`].
fn shown(at: Timestamp) -> String {
    TimeZone::fixed(offset(3))
        .to_datetime(at)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The rows of a table, each cell trimmed, split where the header's
/// columns start (cells may hold spaces).
fn rows(table: &str) -> Vec<Vec<String>> {
    let mut lines = table.lines();
    let header = lines.next().expect("a header");
    let starts: Vec<usize> = header
        .char_indices()
        .filter(|&(i, c)| c != ' ' && (i == 0 || header.as_bytes()[i - 1] == b' '))
        .map(|(i, _)| i)
        .collect();
    std::iter::once(header)
        .chain(lines)
        .map(|line| {
            starts
                .iter()
                .enumerate()
                .map(|(n, &at)| {
                    let end = starts.get(n + 1).copied().unwrap_or(line.len());
                    line.get(at..end.min(line.len()))
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

/// `s/a`, finished two hours after its creation on 2 January; `s/b`, made
/// 3 hours ago, live (this process runs it), grown out of `s/a`, with an
/// end a stale record holds; `debug/s/d`.
struct Fixture {
    a: Run,
    b: Run,
    b_created: Timestamp,
    d: Run,
    _guard: runlayout::RunGuard,
}

fn fixture(root: &Path) -> Result<Fixture, Box<dyn std::error::Error>> {
    let a = RunFixture::new(Run::builder(root).stage("s").run_id("a"))
        .fate(Fate::Finished)
        .manifest("created", "2026-01-02T03:04:05.123456789+00:00")
        .create()?;
    forge(&a, STATUS, &[("ended", "2026-01-02T05:04:06+00:00".into())])?;

    let b = Run::builder(root).stage("s").run_id("b").create()?;
    let b_created = Timestamp::now() - SignedDuration::from_secs(3 * 3600 + 30);
    // Made by another process; this one resumed it and runs it (the guard
    // names it), and the record still holds the end of an earlier process.
    forge(
        &b,
        MANIFEST,
        &[("created", b_created.to_string().into()), ("pid", 1.into())],
    )?;
    let guard = b.guard();
    forge(&b, STATUS, &[("ended", b_created.to_string().into())])?;
    b.link(&a)?;

    let d = Run::builder(root)
        .debug(true)
        .stage("s")
        .run_id("d")
        .create()?;
    Ok(Fixture {
        a,
        b,
        b_created,
        d,
        _guard: guard,
    })
}

#[test]
fn ls_shows_runs_by_name_creation_to_the_second_and_live_durations() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let f = fixture(tmp.path())?;
    let table = ok(&runlayout(tmp.path(), &["ls"]));
    assert_eq!(
        rows(&table),
        [
            vec![
                "RUN", "STATUS", "CREATED", "DURATION", "HOST", "ANCESTOR", "PATH"
            ],
            vec![
                "s/a",
                "finished",
                "2026-01-02 06:04:05",
                "2h00m",
                "-",
                "-",
                &f.a.path().display().to_string(),
            ],
            vec![
                "s/b",
                "running",
                &shown(f.b_created),
                "3h00m",
                "-",
                "s/a",
                &f.b.path().display().to_string(),
            ],
        ],
        "{table}"
    );
    let debug = ok(&runlayout(tmp.path(), &["ls", "--debug"]));
    assert_eq!(rows(&debug)[1][0], "debug/s/d", "{debug}");
    assert_eq!(rows(&debug)[1][6], f.d.path().display().to_string());

    // JSON keeps the records' own times, to the nanosecond.
    let listed = json(&runlayout(tmp.path(), &["ls", "--json"]));
    let a = &listed["runs"][0];
    assert_eq!(a["created"], "2026-01-02T03:04:05.123456789+00:00");
    assert_eq!(a["run"], "s/a");
    assert_eq!(listed["runs"][1]["ancestor_run"], "s/a");
    Ok(())
}

#[test]
fn show_names_its_ancestor_and_descendants_as_ls_does() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let f = fixture(tmp.path())?;
    // A run-first descendant and a debug one, and one outside the root.
    let eval = Run::builder(tmp.path())
        .nesting(runlayout::Nesting::RunFirst)
        .stage("eval")
        .run_id("e")
        .create()?;
    eval.link(&f.a)?;
    f.d.link(&f.a)?;
    let elsewhere = tempfile::tempdir()?;
    let outside = Run::builder(elsewhere.path())
        .stage("x")
        .run_id("o")
        .create()?;
    outside.link(&f.a)?;

    let text = ok(&runlayout(tmp.path(), &["show", "s/a"]));
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("descendants:"))
        .expect("descendants");
    let mut descendants: Vec<&str> = lines[at..at + 4]
        .iter()
        .map(|l| l.get(13..).unwrap_or_default())
        .collect();
    descendants.sort_unstable();
    let outside_path = outside.path().canonicalize()?.display().to_string();
    let mut want = vec!["debug/s/d", "eval/e", "s/b", outside_path.as_str()];
    want.sort_unstable();
    assert_eq!(descendants, want, "{text}");
    assert_eq!(lines[0], "run:         s/a");
    assert!(text.contains("\nancestor:    -\n"), "{text}");
    assert!(
        text.contains("\ncreated:     2026-01-02 06:04:05\n"),
        "{text}"
    );
    assert!(
        text.contains("\nended:       2026-01-02 08:04:06\n"),
        "{text}"
    );
    assert!(text.contains("\nduration:    2h00m\n"), "{text}");

    let b = ok(&runlayout(tmp.path(), &["show", "s/b"]));
    assert!(b.contains("\nancestor:    s/a\n"), "{b}");
    assert!(b.contains("\nduration:    3h00m\n"), "{b}");
    let value = json(&runlayout(tmp.path(), &["show", "--json", "s/a"]));
    let mut names: Vec<String> = value["descendant_runs"]
        .as_array()
        .expect("names")
        .iter()
        .map(|n| n.as_str().expect("a name").to_owned())
        .collect();
    names.sort_unstable();
    assert_eq!(names, want);
    Ok(())
}

/// Every run `prune --json` reports has the same fields; a kept one its
/// reason as a code and in words that name runs as `<RUN>` takes them.
#[test]
fn prune_gives_every_run_the_same_fields_and_a_reason_code() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let root = tmp.path();
    let b = || Run::builder(root).stage("s");
    let old = b().run_id("old").create()?;
    old.finish()?;
    let parent = b().run_id("parent").create()?;
    parent.finish()?;
    let kid = b().run_id("kid").create()?; // running: this process made it
    kid.link(&parent)?;
    let last = b().run_id("last").create()?;
    last.finish()?;
    // Ended and let go of, as the processes that ran them did on exit: a
    // run is in use while a `Run` that made it lives.
    let old = {
        let path = old.path().to_path_buf();
        drop(old);
        path
    };
    drop(parent);

    let dry = json(&runlayout(root, &["prune", "--older-than", "0s", "--json"]));
    let keys = |v: &Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    };
    let fields = [
        "bytes", "created", "debug", "id", "link_to", "path", "run", "stage", "status",
    ];
    let removed = &dry["remove"][0];
    assert_eq!(keys(removed), fields);
    assert_eq!(dry["remove"].as_array().map(Vec::len), Some(1), "{dry}");
    assert_eq!(removed["run"], "s/old");
    assert_eq!(removed["status"], "finished");
    assert_eq!(removed["path"], old.display().to_string());
    assert!(removed["bytes"].as_u64().is_some_and(|n| n > 0));
    assert!(removed["created"].as_str().is_some_and(|c| c.contains('T')));

    let kept = dry["kept"].as_array().expect("kept");
    let by_run = |name: &str| -> &Value {
        kept.iter()
            .find(|k| k["run"] == name)
            .unwrap_or_else(|| panic!("{name} kept: {dry}"))
    };
    let with = |extra: &[&str]| -> Vec<String> {
        let mut keys: Vec<String> = fields
            .iter()
            .chain(["reason", "reason_text"].iter())
            .chain(extra)
            .map(|k| (*k).to_owned())
            .collect();
        keys.sort();
        keys
    };
    let parent_kept = by_run("s/parent");
    assert_eq!(keys(parent_kept), with(&["descendant"]));
    assert_eq!(parent_kept["reason"], "ancestor_of");
    assert_eq!(
        parent_kept["reason_text"],
        "`s/kid`, which stays, grew out of it"
    );
    assert_eq!(parent_kept["descendant"], "s/kid");
    assert_eq!(parent_kept["status"], "finished");
    assert_eq!(parent_kept["stage"], "s");
    assert_eq!(parent_kept["debug"], false);
    assert_eq!(parent_kept["bytes"], Value::Null);

    let kid_kept = by_run("s/kid");
    assert_eq!(keys(kid_kept), with(&[]));
    assert_eq!(
        (
            &kid_kept["reason"],
            &kid_kept["reason_text"],
            &kid_kept["status"]
        ),
        (
            &json!("running"),
            &json!("it is running"),
            &json!("running")
        )
    );
    let last_kept = by_run("s/last");
    assert_eq!(keys(last_kept), with(&["pointer"]));
    assert_eq!(last_kept["reason"], "latest");
    assert_eq!(
        last_kept["reason_text"],
        "the `latest` pointer `s/latest` names it"
    );
    assert_eq!(
        last_kept["pointer"],
        root.join("s/latest").display().to_string()
    );
    assert_eq!(kid.path(), root.join("s/kid"));

    // The table: one row per run, the reason in words in its own column.
    let table = ok(&runlayout(root, &["prune", "--older-than", "0s"]));
    let mut got = rows(&table);
    got.truncate(1 + 1 + kept.len());
    let size = removed["bytes"].as_u64().expect("bytes");
    let size = if size < 1024 {
        format!("{size} B")
    } else {
        format!("{:.1} KiB", size as f64 / 1024.0)
    };
    let mut want = vec![
        vec!["ACTION", "RUN", "STATUS", "SIZE", "REASON"],
        vec!["would remove", "s/old", "finished", &size, ""],
    ];
    for k in kept {
        let name = k["run"].as_str().expect("run");
        let status = k["status"].as_str().expect("status");
        let reason = k["reason_text"].as_str().expect("reason");
        want.push(vec!["kept", name, status, "-", reason]);
    }
    assert_eq!(got, want, "{table}");
    Ok(())
}

/// The commands `runlayout --help` lists.
fn commands() -> Vec<String> {
    let help = ok(&runlayout(Path::new("."), &["--help"]));
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        // A command's line, not the continuation of a wrapped description.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The long flags a command's help lists.
fn flags(command: &str) -> Vec<String> {
    let help = ok(&runlayout(Path::new("."), &[command, "--help"]));
    help.split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches([',', '.', ')']).to_owned())
        .filter(|f| f != "--help" && f != "--yes;")
        .collect()
}

#[test]
fn the_readme_covers_every_command_and_flag() -> TestResult {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))?;
    let commands = commands();
    assert_eq!(
        commands,
        [
            "ls", "show", "path", "tree", "latest", "prune", "diff", "tag", "note", "sweep", "link"
        ]
    );
    for sub in ["new", "ls", "show"] {
        assert!(
            readme.contains(&format!("`runlayout sweep {sub}")),
            "README.md: no `runlayout sweep {sub}`"
        );
        let help = ok(&runlayout(Path::new("."), &["sweep", sub, "--help"]));
        for flag in help
            .split_whitespace()
            .filter(|w| w.starts_with("--") && w.len() > 2 && *w != "--help")
        {
            let flag = flag.trim_end_matches([',', '.', ')']);
            assert!(
                readme.contains(&format!("`{flag}")),
                "README.md: no `{flag}` (of sweep {sub})"
            );
        }
    }
    for command in &commands {
        assert!(
            readme.contains(&format!("`runlayout {command}")),
            "README.md: no `runlayout {command}`"
        );
        for flag in flags(command) {
            assert!(
                readme.contains(&format!("`{flag}")),
                "README.md: no `{flag}` (of {command})"
            );
        }
    }
    Ok(())
}

#[test]
fn help_lines_read_cleanly() {
    for command in commands() {
        let help = ok(&runlayout(Path::new("."), &[command.as_str(), "--help"]));
        for line in help.lines() {
            // clap's own suffix, and nothing that looks like a half of one.
            if let Some(at) = line.find("[env:") {
                assert!(
                    line[at..].starts_with("[env: RUNLAYOUT_ROOT=]"),
                    "{command}: {line}"
                );
            }
        }
        if ["show", "tree", "path"].contains(&command.as_str()) {
            let line = help.lines().find(|l| l.trim_start().starts_with("<RUN>"));
            assert!(
                line.is_some_and(|l| l.contains("  Run: ID, STAGE/ID, debug/STAGE/ID; latest")),
                "{command}: {help}"
            );
        }
    }
}
