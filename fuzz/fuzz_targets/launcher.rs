//! Launchers' ids on arbitrary variable values. The input is up to ten
//! values separated by NUL bytes (which no environment variable holds):
//! the first five are one environment, the next five another, each for
//! `TORCHELASTIC_RUN_ID`, `SLURM_JOB_ID`, `SLURM_ARRAY_JOB_ID`,
//! `SLURM_ARRAY_TASK_ID` and `SLURM_STEP_ID` in that order; a missing
//! value is an unset variable. Values need not be UTF-8.
//!
//! Properties:
//!
//! - Nothing panics.
//! - A blank value (empty or white space) counts as unset.
//! - The run id of every launcher passes `RunId::new`, starts with the
//!   launcher's kind, and is the same on every call.
//! - Two different launchers (of one kind or not) never give one run id:
//!   the two environments' launchers, and every Slurm launcher whose values,
//!   joined as a plain id joins them (`<job>_<task>.<step>`), read the same
//!   as a Slurm launcher of the input (`1.2` and `3`, `1` and `2.3`).
//! - Slurm's plain numbers make the documented ids: `slurm-<job>.<step>`,
//!   `slurm-<array job>_<task>`, ...

#![no_main]

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use libfuzzer_sys::fuzz_target;
use runlayout_runtime::{Launcher, RunId};

const VARIABLES: [&str; 5] = [
    "TORCHELASTIC_RUN_ID",
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_STEP_ID",
];

type Env<'a> = [Option<&'a [u8]>; 5];

fuzz_target!(|data: &[u8]| {
    let mut values = data.split(|&b| b == 0);
    let mut env = || -> Env<'_> { std::array::from_fn(|_| values.next()) };
    let (a, b) = (env(), env());
    let first = detect(&a);
    let second = detect(&b);
    for (env, launcher) in [(&a, &first), (&b, &second)] {
        let unset_blanks = env.map(|v| v.filter(|v| !v.iter().all(u8::is_ascii_whitespace)));
        assert_eq!(
            launcher,
            &detect(&unset_blanks),
            "blank values count as unset"
        );
        if let Some(launcher) = launcher {
            named(env, launcher);
        }
    }
    if let (Some(first), Some(second)) = (&first, &second)
        && first != second
    {
        assert_ne!(
            first.run_id(),
            second.run_id(),
            "{first:?} and {second:?} give one run id"
        );
    }
    if let Some(launcher) = &first {
        let mut ids = HashMap::new();
        for other in confusable(launcher) {
            let id = other.run_id();
            if let Some(same) = ids.insert(id.clone(), other.clone()) {
                assert_eq!(same, other, "{same:?} and {other:?} give one run id, {id}");
            }
        }
    }
});

/// The Slurm launchers whose values, joined as a plain id joins them
/// (`<job>[_<task>][.<step>]`), read the same as `launcher`'s: the values
/// split anew at each `_` and `.` (a few of them, in short values).
fn confusable(launcher: &Launcher) -> Vec<Launcher> {
    let joined: Vec<u8> = match launcher {
        Launcher::Slurm { job, step, .. } => {
            let mut joined = job.as_bytes().to_vec();
            if let Some(step) = step {
                joined.push(b'.');
                joined.extend_from_slice(step.as_bytes());
            }
            joined
        }
        Launcher::SlurmArray {
            job, task, step, ..
        } => {
            let mut joined = job.as_bytes().to_vec();
            joined.push(b'_');
            joined.extend_from_slice(task.as_bytes());
            if let Some(step) = step {
                joined.push(b'.');
                joined.extend_from_slice(step.as_bytes());
            }
            joined
        }
        _ => return Vec::new(),
    };
    if joined.len() > 64 {
        return Vec::new();
    }
    let at = |separator: u8| -> Vec<usize> {
        let found = joined.iter().enumerate().filter(|&(_, &b)| b == separator);
        found.map(|(i, _)| i).take(6).collect()
    };
    let (underscores, dots) = (at(b'_'), at(b'.'));
    let whole = &joined[..];
    let mut envs: Vec<Env<'_>> = vec![[None, Some(whole), None, None, None]];
    for &dot in &dots {
        let (job, step) = (&joined[..dot], &joined[dot + 1..]);
        envs.push([None, Some(job), None, None, Some(step)]);
    }
    for &underscore in &underscores {
        let (job, rest) = (&joined[..underscore], &joined[underscore + 1..]);
        envs.push([None, None, Some(job), Some(rest), None]);
        for &dot in dots.iter().filter(|&&dot| dot > underscore) {
            let (task, step) = (&joined[underscore + 1..dot], &joined[dot + 1..]);
            envs.push([None, None, Some(job), Some(task), Some(step)]);
        }
    }
    envs.iter().filter_map(detect).collect()
}

fn detect(env: &Env<'_>) -> Option<Launcher> {
    Launcher::detect_with(|name| {
        let i = VARIABLES.iter().position(|v| *v == name)?;
        env[i].map(|value| OsString::from_vec(value.to_vec()))
    })
}

fn named(env: &Env<'_>, launcher: &Launcher) {
    let id = launcher.run_id();
    assert!(
        RunId::new(id.as_str()).is_ok_and(|checked| checked == id),
        "{launcher:?} gives {id:?}, which RunId::new refuses"
    );
    assert_eq!(
        id,
        launcher.run_id(),
        "{launcher:?}: another id on another call"
    );
    let kind = match launcher {
        Launcher::Torchrun { .. } => "torchrun-",
        Launcher::Slurm { .. } | Launcher::SlurmArray { .. } => "slurm-",
        other => panic!("a launcher of a new kind: {other:?}"),
    };
    assert!(id.as_str().starts_with(kind), "{launcher:?} gives {id}");

    // Slurm's own values are plain numbers; then the id is the documented one.
    let number = |v: Option<&[u8]>| {
        v.filter(|v| !v.is_empty() && v.len() <= 20 && v.iter().all(u8::is_ascii_digit))
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let [_, job, array_job, task, step] = env.map(number);
    let documented = match launcher {
        Launcher::Slurm { .. } => job.map(|job| match step {
            Some(step) => format!("slurm-{job}.{step}"),
            None => format!("slurm-{job}"),
        }),
        Launcher::SlurmArray { .. } => array_job.zip(task).map(|(job, task)| match step {
            Some(step) => format!("slurm-{job}_{task}.{step}"),
            None => format!("slurm-{job}_{task}"),
        }),
        _ => None,
    };
    let step_is_plain = env[4].is_none_or(|v| number(Some(v)).is_some());
    if let Some(documented) = documented
        && step_is_plain
    {
        assert_eq!(id.as_str(), documented, "{launcher:?}");
    }
}
