//! Generated code names everything by absolute path: it compiles, warning
//! free, in a scope where the usual names mean something else.

#![deny(warnings)]
#![allow(clippy::all)]

/// Stand-ins for every name generated code could pick up from the scope.
/// (Never used: generated code that touched one would not compile.)
#[allow(dead_code, non_camel_case_types)]
mod decoys {
    pub struct Result;
    pub struct Option;
    pub struct Path;
    pub struct PathBuf;
    pub struct DirPath;
    pub struct FilePath;
    pub struct Ok;
    pub struct Err;
    pub struct Some;
    pub struct None;
    pub struct String;
    pub struct Into;
    pub struct AsRef;
    pub struct Display;
    pub struct Entry;
    pub struct u64;
    pub struct u32;
    pub struct Family;
    pub struct FamilyTemplate;
    pub struct Conflict;
    pub struct TEMPLATE;
    pub struct ENTRIES;
    pub struct CONFLICT;
    pub trait Layout {}
    pub trait FromRoot {}
}

mod shadowed {
    #[allow(unused_imports)]
    use super::decoys::{
        AsRef, CONFLICT, Conflict, DirPath, Display, ENTRIES, Entry, Err, Family, FamilyTemplate,
        FilePath, FromRoot, Into, Layout, None, Ok, Option, Path, PathBuf, Result, Some, String,
        TEMPLATE, u32, u64,
    };

    /// `format!`, `core` and `std` as local names too.
    #[allow(unused_macros)]
    macro_rules! format {
        () => {};
    }
    #[allow(dead_code)]
    mod core {}
    #[allow(dead_code)]
    mod std {}

    #[derive(runlayout::Layout)]
    #[layout(config = "config.yaml", plots = "plots/")]
    pub struct Tracker {
        pub dir: runlayout::DirPath,
    }

    #[derive(runlayout::Layout)]
    #[layout(checkpoint = "checkpoints", logfile = "log.txt")]
    #[layout(epoch = "checkpoints/epoch_{epoch:04}.ckpt", step = "steps/{step:u32}")]
    #[layout(eval = "eval/{split}_{epoch:u64}.png", tracker = nest("tracker", Tracker))]
    pub struct Paths {
        pub root: ::std::path::PathBuf,
    }

    #[derive(runlayout::Layout)]
    #[layout(cache = "cache/{key}")]
    pub struct Generic<R> {
        pub root: R,
    }
}

#[test]
fn derives_compile_with_shadowed_names() -> ::std::result::Result<(), runlayout::Error> {
    use runlayout::Layout as _;
    let paths = shadowed::Paths {
        root: ::std::path::PathBuf::from("r"),
    };
    assert_eq!(paths.checkpoint(), ::std::path::Path::new("r/checkpoints"));
    assert_eq!(paths.logfile(), ::std::path::Path::new("r/log.txt"));
    assert_eq!(
        paths.epoch(2),
        ::std::path::Path::new("r/checkpoints/epoch_0002.ckpt")
    );
    assert_eq!(paths.step(5), ::std::path::Path::new("r/steps/5"));
    assert_eq!(
        paths.eval("val", 1)?,
        ::std::path::Path::new("r/eval/val_1.png")
    );
    assert_eq!(
        paths.tracker().config(),
        ::std::path::Path::new("r/tracker/config.yaml")
    );
    assert_eq!(
        paths.tracker().plots(),
        ::std::path::Path::new("r/tracker/plots")
    );
    assert_eq!(shadowed::Paths::ENTRIES.len(), 6);
    // Families: a `static` template of their own, the facade's key types.
    let epochs: runlayout::Family<::std::primitive::u64, runlayout::FilePath> =
        paths.epoch_family();
    assert_eq!(epochs.template(), "checkpoints/epoch_{epoch:04}.ckpt");
    let evals: runlayout::Family<
        (::std::string::String, ::std::primitive::u64),
        runlayout::FilePath,
    > = paths.eval_family();
    assert_eq!(evals.root(), ::std::path::Path::new("r"));
    assert_eq!(paths.step_family().list()?.len(), 0);
    let generic = shadowed::Generic { root: "g" };
    assert_eq!(generic.cache("k")?, ::std::path::Path::new("g/cache/k"));
    assert_eq!(generic.cache_family().template(), "cache/{key}");
    let _ = shadowed::Tracker {
        dir: runlayout::DirPath::new("t"),
    }
    .dir;
    ::std::result::Result::Ok(())
}
