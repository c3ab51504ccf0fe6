//! Property tests of every boundary where outside text becomes a path: any
//! string is either rejected or becomes exactly one plain path component.
//! 10,000 cases per property on every `cargo test`.

use std::path::{Component, Path, PathBuf};

use proptest::prelude::*;
use runlayout::{Layout, Run, RunId};

const CASES: u32 = 10_000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that reach the interesting cases often: separators, dots, NUL,
/// reserved and device names, non-ASCII, and plain text.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[./\\\\:a-zA-Z0-9_\\-\\x00 é]{0,12}",
        "(\\.|\\.\\.|/|\\\\|debug|latest|ancestor|CON|nul|com1|a|\\.txt|-|_){1,5}",
        "[a-zA-Z0-9][a-zA-Z0-9._-]{0,300}",
    ]
}

fn normal_parts(path: &Path) -> Option<Vec<String>> {
    path.components()
        .map(|c| match c {
            Component::Normal(part) => part.to_str().map(str::to_owned),
            _ => None,
        })
        .collect()
}

#[derive(Layout)]
#[layout(
    by_split = "eval/{split}",
    report = "eval/x{split}.json",
    step = "steps/{split}_{n:04}"
)]
struct Paths {
    root: PathBuf,
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn run_ids_are_rejected_or_one_component(s in tricky()) {
        let root = Path::new("/root");
        match Run::builder(root).run_id(s.as_str()).planned_path() {
            Err(_) => prop_assert!(RunId::new(s.as_str()).is_err()),
            Ok(path) => {
                let path = path.expect("fixed id");
                let below = path.strip_prefix(root).expect("never escapes the root");
                prop_assert_eq!(normal_parts(below), Some(vec![s.clone()]));
                prop_assert!(s != "." && s != "..");
            }
        }
    }

    #[test]
    fn stages_are_rejected_or_one_component(s in tricky()) {
        let root = Path::new("/root");
        if let Ok(path) = Run::builder(root).stage(s.as_str()).run_id("r").planned_path() {
            let below = path.expect("fixed id");
            let below = below.strip_prefix(root).expect("never escapes the root");
            prop_assert_eq!(normal_parts(below), Some(vec![s.clone(), "r".to_owned()]));
        }
    }

    #[test]
    fn placeholder_values_are_rejected_or_one_component(s in tricky(), n in any::<u64>()) {
        let paths = Paths { root: PathBuf::from("/root") };
        if let Ok(path) = paths.by_split(s.as_str()) {
            let below = path.strip_prefix("/root").expect("never escapes the root").to_path_buf();
            prop_assert_eq!(normal_parts(&below), Some(vec!["eval".to_owned(), s.clone()]));
        }
        if let Ok(path) = paths.report(s.as_str()) {
            let below = path.strip_prefix("/root").expect("never escapes the root").to_path_buf();
            prop_assert_eq!(normal_parts(&below), Some(vec!["eval".to_owned(), format!("x{s}.json")]));
        }
        if let Ok(path) = paths.step(s.as_str(), n) {
            let below = path.strip_prefix("/root").expect("never escapes the root").to_path_buf();
            prop_assert_eq!(normal_parts(&below), Some(vec!["steps".to_owned(), format!("{s}_{n:04}")]));
        }
    }

    #[test]
    fn run_ids_round_trip_through_display_and_from_str(s in tricky(), seed in any::<u64>()) {
        if let Ok(id) = RunId::new(s.as_str()) {
            let back: RunId = id.to_string().parse().expect("a valid id parses");
            prop_assert_eq!(back, id);
        }
        let seeded = RunId::from_seed(seed);
        prop_assert_eq!(seeded.to_string().parse::<RunId>().expect("parses"), seeded);
    }
}

/// What a launcher tells the ranks of one job, as raw bytes: torchrun's run
/// id, or Slurm's job, array task and step. The restart count goes with it
/// and must not matter.
#[cfg(unix)]
#[derive(Clone, Debug)]
enum Job {
    Torchrun(Vec<u8>),
    Slurm {
        job: Vec<u8>,
        array: Option<(Vec<u8>, Vec<u8>)>,
        step: Option<Vec<u8>>,
        restarts: Option<u32>,
    },
}

#[cfg(unix)]
impl Job {
    /// What tells one job from another: two jobs are the same job exactly
    /// when these are equal.
    fn identity(&self) -> (u8, Vec<Option<Vec<u8>>>) {
        match self {
            Job::Torchrun(id) => (0, vec![Some(id.clone())]),
            Job::Slurm {
                array: Some((job, task)),
                step,
                ..
            } => (1, vec![Some(job.clone()), Some(task.clone()), step.clone()]),
            Job::Slurm {
                job,
                array: None,
                step,
                ..
            } => (2, vec![Some(job.clone()), step.clone()]),
        }
    }

    fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        use std::os::unix::ffi::OsStringExt;
        let os = |b: &Vec<u8>| std::ffi::OsString::from_vec(b.clone());
        match self {
            Job::Torchrun(id) => vec![("TORCHELASTIC_RUN_ID", os(id))],
            Job::Slurm {
                job,
                array,
                step,
                restarts,
            } => {
                let mut env = vec![("SLURM_JOB_ID", os(job))];
                if let Some((array_job, task)) = array {
                    env.push(("SLURM_ARRAY_JOB_ID", os(array_job)));
                    env.push(("SLURM_ARRAY_TASK_ID", os(task)));
                }
                if let Some(step) = step {
                    env.push(("SLURM_STEP_ID", os(step)));
                }
                if let Some(n) = restarts {
                    env.push(("SLURM_RESTART_COUNT", n.to_string().into()));
                }
                env
            }
        }
    }

    fn run_id(&self) -> Option<RunId> {
        let env = self.env();
        runlayout::Launcher::detect_with(|var| {
            env.iter()
                .find(|(name, _)| *name == var)
                .map(|(_, v)| v.clone())
        })
        .map(|launcher| launcher.run_id())
    }
}

/// A launcher's value: digits as Slurm gives them, text that cleans alike
/// (`exp:1`, `exp/1`), long text, non-ASCII, any bytes at all. Values that
/// are empty or only white space count as unset, so none is made here.
#[cfg(unix)]
fn launcher_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[0-9]{1,7}".prop_map(String::into_bytes),
        "[a-z0-9:/._\\- ]{1,10}".prop_map(String::into_bytes),
        "[a-zA-Z0-9._-]{200,260}".prop_map(String::into_bytes),
        any::<String>().prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 1..12),
    ]
    .prop_filter("set and not torchrun's placeholder", |v| {
        !v.iter().all(u8::is_ascii_whitespace) && v != b"none"
    })
}

#[cfg(unix)]
fn job() -> impl Strategy<Value = Job> {
    prop_oneof![
        launcher_value().prop_map(Job::Torchrun),
        (
            launcher_value(),
            proptest::option::of((launcher_value(), launcher_value())),
            proptest::option::of(launcher_value()),
            proptest::option::of(0u32..4),
        )
            .prop_map(|(job, array, step, restarts)| Job::Slurm {
                job,
                array,
                step,
                restarts
            }),
    ]
}

/// The same job with one thing changed a little: one byte of one value, a
/// value moved to another field, the step dropped, another restart count.
#[cfg(unix)]
fn near(job: Job) -> impl Strategy<Value = Job> {
    (any::<usize>(), any::<u8>(), 0u8..4).prop_map(move |(at, byte, how)| {
        // A poked value stays set: not blank, not torchrun's placeholder.
        let poke = |v: &mut Vec<u8>| {
            let i = at % v.len();
            v[i] = byte;
            if v.iter().all(u8::is_ascii_whitespace) || v == b"none" {
                v[i] = b'x';
            }
        };
        let mut job = job.clone();
        match (&mut job, how) {
            (Job::Torchrun(id), _) => poke(id),
            (
                Job::Slurm {
                    step: Some(step), ..
                },
                0,
            ) => poke(step),
            (
                Job::Slurm {
                    array: Some((a, t)),
                    step,
                    ..
                },
                1,
            ) => {
                *step = Some(std::mem::replace(t, a.clone()));
            }
            (Job::Slurm { step, .. }, 2) => *step = None,
            (Job::Slurm { restarts, .. }, 3) => *restarts = Some(restarts.map_or(1, |n| n + 1)),
            (Job::Slurm { job, .. }, _) => poke(job),
        }
        job
    })
}

#[cfg(unix)]
proptest! {
    #![proptest_config(config())]

    #[test]
    fn distinct_launcher_values_give_distinct_run_ids(
        (a, b) in prop_oneof![
            (job(), job()),
            job().prop_flat_map(|a| (Just(a.clone()), near(a))),
        ]
    ) {
        let (Some(id_a), Some(id_b)) = (a.run_id(), b.run_id()) else {
            return Err(TestCaseError::fail(format!("no launcher found in {a:?} or {b:?}")));
        };
        // Every id is a valid run id, whatever the bytes were.
        for id in [&id_a, &id_b] {
            prop_assert!(RunId::new(id.to_string()).is_ok(), "{}", id);
        }
        if a.identity() == b.identity() {
            prop_assert_eq!(id_a, id_b, "one job, one id: {:?} / {:?}", a, b);
        } else {
            prop_assert_ne!(id_a, id_b, "two jobs, one id: {:?} / {:?}", a, b);
        }
    }
}
