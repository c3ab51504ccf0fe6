//! The naming rules for run ids and stages: every bad name is rejected with an
//! error naming it, and nothing is created anywhere.

use crate::support::{TestResult, tree};
use runlayout::{
    Error, Nesting, Run, RunId,
    error::{NameKind, NameRule},
};

/// Each bad name with the rule it breaks first.
fn bad_names() -> Vec<(String, NameRule)> {
    let mut names: Vec<(String, NameRule)> = vec![
        ("".into(), NameRule::Empty),
        (".".into(), NameRule::FirstCharacter { ch: '.' }),
        ("..".into(), NameRule::FirstCharacter { ch: '.' }),
        ("../x".into(), NameRule::Character { ch: '/', index: 2 }),
        ("a/b".into(), NameRule::Character { ch: '/', index: 1 }),
        ("a\\b".into(), NameRule::Character { ch: '\\', index: 1 }),
        ("a\0b".into(), NameRule::Character { ch: '\0', index: 1 }),
        ("/abs".into(), NameRule::Character { ch: '/', index: 0 }),
        ("C:x".into(), NameRule::Character { ch: ':', index: 1 }),
        (
            "with space".into(),
            NameRule::Character { ch: ' ', index: 4 },
        ),
        ("naïve".into(), NameRule::Character { ch: 'ï', index: 2 }),
        ("run+1".into(), NameRule::Character { ch: '+', index: 3 }),
        ("-flag".into(), NameRule::FirstCharacter { ch: '-' }),
        ("_private".into(), NameRule::FirstCharacter { ch: '_' }),
        (".hidden".into(), NameRule::FirstCharacter { ch: '.' }),
        ("trailing.".into(), NameRule::TrailingDot),
        ("debug".into(), NameRule::Reserved),
        ("DEBUG".into(), NameRule::Reserved),
        ("latest".into(), NameRule::Reserved),
        ("ancestor".into(), NameRule::Reserved),
        ("descendants".into(), NameRule::Reserved),
        ("run.json".into(), NameRule::Reserved),
        ("CON".into(), NameRule::DeviceName),
        ("con".into(), NameRule::DeviceName),
        ("nul.txt".into(), NameRule::DeviceName),
        ("COM1".into(), NameRule::DeviceName),
        ("lpt9.tar.gz".into(), NameRule::DeviceName),
        ("AUX".into(), NameRule::DeviceName),
        ("PRN".into(), NameRule::DeviceName),
    ];
    names.push(("a".repeat(256), NameRule::TooLong { len: 256 }));
    names.push(("é".repeat(128), NameRule::TooLong { len: 256 }));
    names
}

#[test]
fn run_id_new_rejects_each_bad_name_with_its_rule() {
    for (value, rule) in bad_names() {
        match RunId::new(value.clone()) {
            Err(Error::InvalidName {
                subject: NameKind::RunId,
                value: v,
                rule: r,
            }) => {
                assert_eq!(v, value);
                assert_eq!(r, rule, "{value:?}");
            }
            other => panic!("{value:?} was not rejected: {other:?}"),
        }
        assert!(value.parse::<RunId>().is_err());
    }
}

#[test]
fn messages_name_the_value_and_the_rule() {
    let err = RunId::new("a/b").unwrap_err().to_string();
    assert_eq!(
        err,
        "run id \"a/b\" is invalid: character '/' at byte 1 is not allowed; use letters, digits, '.', '_' or '-'"
    );
    let err = Run::builder("unused")
        .stage("CON")
        .create()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("stage \"CON\" is invalid"), "{err}");
    assert!(err.contains("Windows device name"), "{err}");
    let err = RunId::new("x\0y").unwrap_err().to_string();
    assert!(err.contains(r#""x\0y""#), "NUL is shown escaped: {err}");
}

#[test]
fn every_finish_rejects_bad_ids_and_stages_before_touching_the_disk() -> TestResult {
    let root = tempfile::tempdir()?;
    let inner = root.path().join("runs");
    for (value, _) in bad_names() {
        for nesting in [Nesting::StageFirst, Nesting::RunFirst] {
            let with_bad_id = || {
                Run::builder(&inner)
                    .nesting(nesting)
                    .stage("ok")
                    .run_id(&value)
            };
            let with_bad_stage = || {
                Run::builder(&inner)
                    .nesting(nesting)
                    .stage(&value)
                    .run_id("ok")
            };
            let results = [
                with_bad_id().create(),
                with_bad_id().open(),
                with_bad_id().create_or_open(),
                with_bad_stage().create(),
                with_bad_stage().open(),
                with_bad_stage().create_or_open(),
                Run::builder(&inner).stage(&value).create(),
                Run::builder(&inner).stage(&value).seed(1).create_or_open(),
            ];
            for result in results {
                let err = result.expect_err("bad name accepted");
                assert!(
                    matches!(err, Error::InvalidName { .. }),
                    "{value:?}: {err:?}"
                );
            }
        }
    }
    assert!(
        tree(root.path()).is_empty(),
        "something was created: {:?}",
        tree(root.path())
    );
    Ok(())
}

#[test]
fn good_names_pass() -> TestResult {
    for ok in [
        "a",
        "0",
        "2026-11-30_k3x9a",
        "v1.0",
        "A-b_c.d",
        "console",
        "com10",
        "debug2",
        "a".repeat(255).as_str(),
    ] {
        RunId::new(ok)?;
    }
    Ok(())
}

#[test]
fn the_derive_and_the_runtime_share_one_set_of_rules() {
    // One type, from the one crate that owns the rules.
    let rule: runlayout_grammar::names::NameRule = runlayout::error::NameRule::ReservedInRun;
    // What the runtime keeps in a run folder, the derive refuses as an
    // entry's first component: the compile-fail case names each of them, so
    // a name added to the runtime's list without it fails here.
    let case = include_str!("../ui/runtime_names.rs");
    let expected = include_str!("../ui/runtime_names.stderr");
    for name in runlayout_grammar::names::RUN_NAMES {
        assert!(
            case.contains(&format!("\"{name}")),
            "ui/runtime_names.rs lacks {name}"
        );
        assert!(
            expected.contains(&format!("`{name}` cannot name an entry")),
            "{name}"
        );
    }
    assert!(expected.contains(&rule.to_string()));
    // Placeholder values in the first component follow the same rule.
    for name in runlayout_grammar::names::RUN_NAMES {
        assert_eq!(
            runlayout_grammar::names::check_first_component(name),
            Err(rule)
        );
    }
}
