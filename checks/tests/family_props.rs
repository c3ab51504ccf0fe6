//! Property tests of families on real folders, 10,000 cases per placeholder
//! form (zero-padded, each integer type, text, text in the first component,
//! several placeholders in one component, placeholders across levels, a
//! float beside an integer), in both directions:
//!
//! - whatever values are rendered and written, `list()` finds exactly those
//!   members, with those values, at the paths the accessor gives, and
//!   `last()` the greatest;
//! - of random names dropped in beside them (near misses: leading zeros,
//!   signs, overflow, hidden names, `.tmp`, folders where files belong), a
//!   name is a member exactly when an independent reading (std's `parse`
//!   and brute force over the separators) finds values whose accessor
//!   renders exactly that name.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use runlayout::{Family, FilePath, Layout};

const CASES: u32 = 10_000;

#[derive(Layout)]
#[layout(padded = "padded/epoch_{epoch:04}.ckpt")]
#[layout(u8s = "u8/{n:u8}.bin", u16s = file("u16/n{n:u16}"), u32s = "u32/{n:u32}.pt")]
#[layout(u64s = file("u64/{n:u64}"), u128s = "u128/{n:u128}.bin", usizes = file("usize/s_{n:usize}"))]
#[layout(texts = "text/{name}.json", first = "{split}.log")]
#[layout(mixed = "mixed/{split}_{epoch:04}-{step:u32}.pt")]
#[layout(levels = "levels/{epoch:u32}/{split}/{step:u16}.png")]
#[layout(floats = "float/e{epoch:u32}_{val_loss:.4}.ckpt")]
struct Forms {
    root: PathBuf,
}

/// A fresh folder for the cases of one property: on tmpfs when there is one.
fn base() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary folder")
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Text that reaches the interesting cases: valid values, separators, dots,
/// reserved and device names, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9][a-zA-Z0-9._-]{0,8}",
        1 => "[a-zA-Z0-9._+ é/-]{0,6}",
        1 => "(ancestor|run\\.json|latest|con|nul\\.x|Aux|a\\.|\\.a|-a|_a)",
    ]
}

/// Digits as a name might hold them: signs, leading zeros, spaces, overflow.
fn digits() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+\\- 0]?[0-9]{1,6}",
        "[1-9][0-9]{17,42}",
        "0{0,6}[0-9]{0,3}",
        "[0-9a-f]{0,4}",
    ]
}

/// A name for a folder of a family: `core` between the template's fixed
/// text, or with a part of it missing, hidden, or with `.tmp` appended.
fn near_miss(
    prefix: &'static str,
    core: impl Strategy<Value = String>,
    suffix: &'static str,
) -> impl Strategy<Value = (String, bool)> {
    (
        core,
        any::<bool>(),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        // A folder rather than a file.
        prop::bool::weighted(0.15),
    )
        .prop_map(
            move |(core, upper, with_prefix, with_suffix, hidden, tmp, folder)| {
                let mut name = String::new();
                if hidden {
                    name.push('.');
                }
                if with_prefix {
                    name.push_str(&if upper && !prefix.is_empty() {
                        prefix.to_uppercase()
                    } else {
                        prefix.to_owned()
                    });
                }
                name.push_str(&core);
                if with_suffix {
                    name.push_str(suffix);
                }
                if tmp {
                    name.push_str(".tmp");
                }
                (name, folder)
            },
        )
}

/// Whether `name` can be made in a folder as a name of its own.
fn makeable(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && name.len() < 200
}

/// Writes a file at `path` (or makes a folder), with its parents. `false`
/// if something stands there already.
fn put(path: &Path, folder: bool) -> bool {
    if fs::symlink_metadata(path).is_ok() {
        return false;
    }
    fs::create_dir_all(path.parent().expect("a parent")).expect("parents");
    if folder {
        fs::create_dir(path).expect("folder");
    } else {
        fs::write(path, b"x").expect("file");
    }
    true
}

/// One property for a single-level family: `values` rendered with `render`
/// and written, `junk` dropped into `folder`, and `read` the independent
/// reading of a name (values whose accessor gives exactly that name).
struct Single<K> {
    folder: &'static str,
    render: fn(&Forms, &K) -> Option<FilePath>,
    family: fn(&Forms) -> Family<K, FilePath>,
    read: fn(&Forms, &str) -> Option<K>,
}

impl<K: runlayout::family::FamilyKey + Ord + Clone + Debug> Single<K> {
    fn check(
        &self,
        root: &Path,
        values: &[K],
        junk: &[(String, bool)],
    ) -> Result<(), TestCaseError> {
        let forms = Forms {
            root: root.to_path_buf(),
        };
        let mut expected = BTreeSet::new();
        for value in values {
            if let Some(path) = (self.render)(&forms, value) {
                put(&path, false);
                expected.insert(value.clone());
            }
        }
        for (name, folder) in junk {
            if !makeable(name) || !put(&root.join(self.folder).join(name), *folder) {
                continue;
            }
            if let Some(value) = (self.read)(&forms, name)
                && !folder
            {
                expected.insert(value);
            }
        }
        let family = (self.family)(&forms);
        let listed = family
            .list()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (value, path) in &listed {
            prop_assert_eq!(Some(path.clone()), (self.render)(&forms, value));
        }
        let keys: Vec<K> = listed.into_iter().map(|(k, _)| k).collect();
        prop_assert_eq!(&keys, &expected.iter().cloned().collect::<Vec<_>>());
        let last = family
            .last()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(last.map(|(k, _)| k), expected.last().cloned());
        Ok(())
    }
}

/// Runs `single` on fresh folders for every case of `strategy`.
fn run<K: runlayout::family::FamilyKey + Ord + Clone + Debug>(
    single: Single<K>,
    strategy: impl Strategy<Value = (Vec<K>, Vec<(String, bool)>)>,
) {
    let base = base();
    let n = Cell::new(0u32);
    runner()
        .run(&strategy, |(values, junk)| {
            n.set(n.get() + 1);
            let root = base.path().join(n.get().to_string());
            let result = single.check(&root, &values, &junk);
            fs::remove_dir_all(&root).ok();
            result
        })
        .unwrap();
}

/// The value `core` parses to with std's `parse`, if `accessor` renders it
/// to exactly `name`.
fn reparse<T: std::str::FromStr>(
    name: &str,
    prefix: &str,
    suffix: &str,
    accessor: impl Fn(&T) -> Option<FilePath>,
) -> Option<T> {
    let core = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let value: T = core.parse().ok()?;
    let rendered = accessor(&value)?;
    (rendered.file_name()? == name).then_some(value)
}

macro_rules! uint_form {
    ($test:ident, $ty:ty, $accessor:ident, $family:ident, $folder:literal, $prefix:literal, $suffix:literal) => {
        #[test]
        fn $test() {
            run(
                Single {
                    folder: $folder,
                    render: |f, v| Some(f.$accessor(*v)),
                    family: |f| f.$family(),
                    read: |f, name| {
                        reparse(name, $prefix, $suffix, |v: &$ty| Some(f.$accessor(*v)))
                    },
                },
                (
                    prop::collection::vec(prop_oneof![0..20 as $ty, any::<$ty>()], 0..6),
                    prop::collection::vec(near_miss($prefix, digits(), $suffix), 0..8),
                ),
            );
        }
    };
}

uint_form!(
    zero_padded_round_trips,
    u64,
    padded,
    padded_family,
    "padded",
    "epoch_",
    ".ckpt"
);
uint_form!(u8_round_trips, u8, u8s, u8s_family, "u8", "", ".bin");
uint_form!(u16_round_trips, u16, u16s, u16s_family, "u16", "n", "");
uint_form!(u32_round_trips, u32, u32s, u32s_family, "u32", "", ".pt");
uint_form!(u64_round_trips, u64, u64s, u64s_family, "u64", "", "");
uint_form!(
    u128_round_trips,
    u128,
    u128s,
    u128s_family,
    "u128",
    "",
    ".bin"
);
uint_form!(
    usize_round_trips,
    usize,
    usizes,
    usizes_family,
    "usize",
    "s_",
    ""
);

#[test]
fn text_round_trips() {
    run(
        Single {
            folder: "text",
            render: |f, v: &String| f.texts(v).ok(),
            family: |f| f.texts_family(),
            read: |f, name| reparse(name, "", ".json", |v: &String| f.texts(v).ok()),
        },
        (
            prop::collection::vec(text(), 0..6),
            prop::collection::vec(near_miss("", text(), ".json"), 0..8),
        ),
    );
}

#[test]
fn text_in_the_first_component_round_trips() {
    // Right inside the root, runlayout's own names (`ancestor`, ...) are
    // refused, as the accessor refuses them.
    run(
        Single {
            folder: "",
            render: |f, v: &String| f.first(v).ok(),
            family: |f| f.first_family(),
            read: |f, name| reparse(name, "", ".log", |v: &String| f.first(v).ok()),
        },
        (
            prop::collection::vec(text(), 0..6),
            prop::collection::vec(near_miss("", text(), ".log"), 0..8),
        ),
    );
}

/// The values of `{split}_{epoch:04}-{step:u32}.pt` that render to `name`,
/// found by trying every `_` and `-` as the separators.
fn read_mixed(f: &Forms, name: &str) -> Option<(String, u64, u32)> {
    let body = name.strip_suffix(".pt")?;
    for (dash, _) in body.match_indices('-') {
        for (underscore, _) in body[..dash].match_indices('_') {
            let split = &body[..underscore];
            let (Ok(epoch), Ok(step)) = (
                body[underscore + 1..dash].parse::<u64>(),
                body[dash + 1..].parse::<u32>(),
            ) else {
                continue;
            };
            if let Ok(path) = f.mixed(split, epoch, step)
                && path.file_name().is_some_and(|n| n == name)
            {
                return Some((split.to_owned(), epoch, step));
            }
        }
    }
    None
}

#[test]
fn several_placeholders_in_one_component_round_trip() {
    let mixed_name = (text(), digits(), digits()).prop_map(|(s, e, t)| format!("{s}_{e}-{t}"));
    run(
        Single {
            folder: "mixed",
            render: |f, (s, e, t): &(String, u64, u32)| f.mixed(s, *e, *t).ok(),
            family: |f| f.mixed_family(),
            read: read_mixed,
        },
        (
            prop::collection::vec(
                (text(), prop_oneof![0..20u64, any::<u64>()], any::<u32>()),
                0..6,
            ),
            prop::collection::vec(near_miss("", mixed_name, ".pt"), 0..8),
        ),
    );
}

type Level = (u32, String, u16);

/// Placeholders across levels: values rendered; junk folder names at the
/// first two levels, each holding a file that would be a member if the
/// folder's name round-trips; junk file names at the last level.
fn check_levels(
    root: &Path,
    values: &[Level],
    epochs: &[(String, bool)],
    splits: &[(String, bool)],
    steps: &[(String, bool)],
) -> Result<(), TestCaseError> {
    let f = Forms {
        root: root.to_path_buf(),
    };
    let mut expected = BTreeSet::new();
    for (e, s, t) in values {
        if let Ok(path) = f.levels(*e, s, *t) {
            put(&path, false);
            expected.insert((*e, s.clone(), *t));
        }
    }
    // A level-1 folder holds `val/1.png`: a member if the folder's name is
    // an epoch that renders to itself.
    for (name, _) in epochs {
        let dir = root.join("levels").join(name);
        if !makeable(name) || fs::symlink_metadata(&dir).is_ok() {
            continue;
        }
        put(&dir.join("val/1.png"), false);
        if let Ok(epoch) = name.parse::<u32>()
            && epoch.to_string() == *name
        {
            expected.insert((epoch, "val".to_owned(), 1));
        }
    }
    // A level-2 folder in `levels/5/` holds `2.png`.
    for (name, _) in splits {
        let dir = root.join("levels/5").join(name);
        if !makeable(name) || fs::symlink_metadata(&dir).is_ok() {
            continue;
        }
        put(&dir.join("2.png"), false);
        if f.levels(5, name, 2).is_ok_and(|p| p == dir.join("2.png")) {
            expected.insert((5, name.clone(), 2));
        }
    }
    // Level-3 names in `levels/5/val/`.
    for (name, folder) in steps {
        if !makeable(name) || !put(&root.join("levels/5/val").join(name), *folder) {
            continue;
        }
        if let Some(step) = reparse(name, "", ".png", |t: &u16| f.levels(5, "val", *t).ok())
            && !folder
        {
            expected.insert((5, "val".to_owned(), step));
        }
    }
    let family = f.levels_family();
    let listed = family
        .list()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for ((e, s, t), path) in &listed {
        prop_assert_eq!(Some(path.clone()), f.levels(*e, s, *t).ok());
    }
    let keys: Vec<Level> = listed.into_iter().map(|(k, _)| k).collect();
    prop_assert_eq!(&keys, &expected.iter().cloned().collect::<Vec<_>>());
    let last = family
        .last()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(last.map(|(k, _)| k), expected.last().cloned());
    Ok(())
}

#[test]
fn placeholders_across_levels_round_trip() {
    let base = base();
    let n = Cell::new(0u32);
    let strategy = (
        prop::collection::vec((0..8u32, text(), any::<u16>()), 0..6),
        prop::collection::vec(near_miss("", digits(), ""), 0..4),
        prop::collection::vec(near_miss("", text(), ""), 0..4),
        prop::collection::vec(near_miss("", digits(), ".png"), 0..4),
    );
    runner()
        .run(&strategy, |(values, epochs, splits, steps)| {
            n.set(n.get() + 1);
            let root = base.path().join(n.get().to_string());
            let result = check_levels(&root, &values, &epochs, &splits, &steps);
            fs::remove_dir_all(&root).ok();
            result
        })
        .unwrap();
}

type FloatKey = (u32, f64);

/// Floats as a trainer's metrics are, and the edges: negative, zero, tiny
/// (rounding to zero), huge (hundreds of digits), halfway cases.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -10.0..10.0f64,
        1 => prop_oneof![Just(0.0), Just(-0.0), Just(1e-7), Just(-1e-7), Just(0.00005), Just(-0.00015)],
        1 => (-1e6..1e6f64).prop_map(|x| (x * 4.0).round() / 4.0),
        1 => any::<f64>().prop_filter("finite", |x| x.is_finite() && x.abs() < 1e200),
    ]
}

/// Text where a float would be, near misses included: signs, leading
/// zeros, too few or many decimals, exponents, words.
fn float_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "-?[0-9]{1,3}\\.[0-9]{4}",
        1 => "[+\\- 0]?[0-9]{0,3}\\.?[0-9]{0,6}",
        1 => "-?0\\.0000|-?[0-9]e-?[0-9]|inf|NaN|-inf|1\\.0000_2\\.0000",
    ]
}

/// The key of `epoch` and `val_loss` as the family reads it back: the
/// value the name's digits show.
fn float_key(f: &Forms, epoch: u32, val_loss: f64) -> Option<FloatKey> {
    let path = f.floats(epoch, val_loss).ok()?;
    let name = path.file_name()?.to_str()?.to_owned();
    read_float_name(f, &name)
}

/// The values whose accessor renders exactly `name`, read with std's
/// `parse`: `e`, digits, `_`, then everything up to `.ckpt`.
fn read_float_name(f: &Forms, name: &str) -> Option<FloatKey> {
    let body = name.strip_prefix('e')?.strip_suffix(".ckpt")?;
    let (epoch, val_loss) = body.split_once('_')?;
    let (epoch, val_loss): (u32, f64) = (epoch.parse().ok()?, val_loss.parse().ok()?);
    let path = f.floats(epoch, val_loss).ok()?;
    (path.file_name()? == name).then_some((epoch, val_loss))
}

fn check_floats(
    root: &Path,
    values: &[FloatKey],
    junk: &[(String, bool)],
) -> Result<(), TestCaseError> {
    let f = Forms {
        root: root.to_path_buf(),
    };
    let mut expected: Vec<FloatKey> = Vec::new();
    for &(epoch, val_loss) in values {
        if let Ok(path) = f.floats(epoch, val_loss) {
            put(&path, false);
            expected.extend(float_key(&f, epoch, val_loss));
        }
    }
    for (name, folder) in junk {
        if !makeable(name) || !put(&root.join("float").join(name), *folder) {
            continue;
        }
        if let Some(key) = read_float_name(&f, name)
            && !folder
        {
            expected.push(key);
        }
    }
    let order = |a: &FloatKey, b: &FloatKey| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1));
    expected.sort_by(order);
    expected.dedup_by(|a, b| order(a, b).is_eq());
    let family = f.floats_family();
    let listed = family
        .list()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for ((epoch, val_loss), path) in &listed {
        prop_assert_eq!(Some(path.clone()), f.floats(*epoch, *val_loss).ok());
        prop_assert!(val_loss.is_finite() && !(*val_loss == 0.0 && val_loss.is_sign_negative()));
    }
    let keys: Vec<FloatKey> = listed.into_iter().map(|(k, _)| k).collect();
    let bits = |keys: &[FloatKey]| -> Vec<(u32, u64)> {
        keys.iter().map(|(e, v)| (*e, v.to_bits())).collect()
    };
    prop_assert_eq!(bits(&keys), bits(&expected));
    let last = family
        .last()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(
        last.map(|(k, _)| bits(&[k])),
        expected.last().map(|k| bits(&[*k]))
    );
    Ok(())
}

#[test]
fn a_float_beside_an_integer_round_trips() {
    let base = base();
    let n = Cell::new(0u32);
    let name = (digits(), float_text()).prop_map(|(e, v)| format!("{e}_{v}"));
    let strategy = (
        prop::collection::vec((0..4u32, float()), 0..6),
        prop::collection::vec(near_miss("e", name, ".ckpt"), 0..8),
    );
    runner()
        .run(&strategy, |(values, junk)| {
            n.set(n.get() + 1);
            let root = base.path().join(n.get().to_string());
            let result = check_floats(&root, &values, &junk);
            fs::remove_dir_all(&root).ok();
            result
        })
        .unwrap();
}
