//! `runlayout ls` on a root in object storage: runs made in a moto server
//! by a child process, listed by the real binary with their status read
//! from the bucket; the other commands refuse such a root, naming it.
#![cfg(feature = "object-store")]

#[path = "../../checks/tests/it/support/children.rs"]
#[allow(dead_code)]
mod children;
#[path = "../../checks/tests/it/support/moto.rs"]
mod moto;

use std::process::Command;

use children::{child_lines, is_child, spawn_child};
use runlayout::Run;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TEST: &str = "ls_lists_the_runs_of_a_bucket_with_their_status";

#[test]
fn ls_lists_the_runs_of_a_bucket_with_their_status() -> TestResult {
    if is_child("bucket-runs") {
        let root = std::env::var("TEST_HOME")?;
        let done = Run::builder(&root)
            .stage("pretrain")
            .run_id("done")
            .create()?;
        done.guard().finish()?;
        let broke = Run::builder(&root)
            .stage("pretrain")
            .run_id("broke")
            .create()?;
        broke.guard().fail("loss became NaN")?;
        println!("MADE");
        return Ok(());
    }
    let Some(moto) = moto::Moto::start(TEST)? else {
        return Ok(());
    };
    moto.bucket("runs")?;
    let cache = tempfile::tempdir()?;
    let root = "s3://runs/team";
    let mut env = moto.vars();
    env.push(("TEST_HOME".into(), root.into()));
    env.push(("RUNLAYOUT_CACHE".into(), cache.path().display().to_string()));
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let made = child_lines(spawn_child(TEST, "bucket-runs", &env_refs), "MADE");
    assert_eq!(made.len(), 1);
    // The laptop: another cache folder.
    let laptop = tempfile::tempdir()?;
    env.push((
        "RUNLAYOUT_CACHE".into(),
        laptop.path().display().to_string(),
    ));

    let runlayout = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_runlayout"))
            .args(["--run-root", root])
            .args(args)
            .env_remove("RUNLAYOUT_ROOT")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
    };
    let out = runlayout(&["ls", "--json"])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut runs: Vec<(String, String, String)> = listing["runs"]
        .as_array()
        .ok_or("runs")?
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (text("run"), text("status"), text("path"))
        })
        .collect();
    runs.sort();
    assert_eq!(
        runs,
        [
            (
                "pretrain/broke".into(),
                "failed".into(),
                format!("{root}/pretrain/broke")
            ),
            (
                "pretrain/done".into(),
                "finished".into(),
                format!("{root}/pretrain/done")
            ),
        ]
    );
    let table = runlayout(&["ls"])?;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("pretrain/done") && text.contains("finished"),
        "{text}"
    );
    // Nothing was fetched for the listing.
    assert_eq!(std::fs::read_dir(laptop.path())?.count(), 0);
    let show = runlayout(&["show", "pretrain/done"])?;
    let err = String::from_utf8_lossy(&show.stderr);
    assert!(
        !show.status.success() && err.contains(&format!("`{root}` is a URL")),
        "{err}"
    );
    Ok(())
}
