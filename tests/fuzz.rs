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
