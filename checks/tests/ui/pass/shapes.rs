//! Layout shapes that must compile: generic roots, a marked root among other
//! fields, raw identifiers, every entry form, a renamed crate path, families,
//! and nested layouts whose type names the struct's generic parameter, used
//! with a concrete type (their check against the parent then runs, and
//! passes).

use std::path::{Path, PathBuf};

use std::marker::PhantomData;

use runlayout::{DirPath, Family, FilePath, FromRoot, Layout, Run};

#[derive(Layout)]
#[layout(config = "config.yaml", plots = "plots/")]
pub struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(checkpoint = "checkpoints", logfile = "log.txt")]
#[layout(r#type = "type.txt", version = dir("v1.0"), license = file("LICENSE"))]
#[layout(tracker = nest("basetracker", Tracker))]
struct TrainPaths {
    run: Run,
}

#[derive(Layout)]
#[layout(out = "out/{name}.json")]
struct Generic<R: AsRef<Path>> {
    root: R,
}

#[derive(Layout)]
#[layout(cache = "cache/")]
struct Unbounded<R> {
    root: R,
}

#[derive(Layout)]
#[layout(data = "data")]
struct Marked {
    label: String,
    #[layout(root)]
    base: PathBuf,
}

#[derive(Layout)]
#[layout(inner = nest("inner", Unbounded<R>), steps = "steps/{step:u32}/")]
struct Outer<R>
where
    DirPath: Into<R>,
{
    root: R,
}

#[derive(Layout)]
#[layout(base = nest("base", Tracker), tracker = nest("tracker", T))]
#[layout(tracker_notes = "tracker/notes.md", summary = "summary.json")]
struct WithTracker<T: Layout + FromRoot> {
    #[layout(root)]
    root: PathBuf,
    tracker_type: PhantomData<T>,
}

mod renamed {
    pub use runlayout as rl;
}

#[derive(Layout)]
#[layout(crate = "renamed::rl", notes = "notes.md")]
struct Renamed {
    root: PathBuf,
}

fn main() {
    fn takes_dir(_: DirPath) {}
    fn takes_file(_: FilePath) {}
    let root = std::env::temp_dir();
    let run_paths = |p: &TrainPaths| {
        takes_dir(p.checkpoint());
        takes_file(p.logfile());
        takes_file(p.r#type());
        takes_dir(p.version());
        takes_file(p.license());
        takes_file(p.tracker().config());
    };
    let _ = run_paths;
    let g = Generic { root: root.clone() };
    let _: runlayout::Result<FilePath> = g.out("x");
    let _: Family<String, FilePath> = g.out_family();
    let o: Outer<PathBuf> = Outer { root: root.clone() };
    takes_dir(o.inner().cache());
    let _: Family<u32, DirPath> = o.steps_family();
    let u = Unbounded { root: root.clone() };
    takes_dir(u.cache());
    let m = Marked { label: String::new(), base: root.clone() };
    let _ = &m.label;
    takes_dir(m.data());
    let w: WithTracker<Tracker> = WithTracker { root: root.clone(), tracker_type: PhantomData };
    takes_file(w.tracker().config());
    takes_file(w.base().config());
    w.create_all().ok();
    let r = Renamed { root };
    takes_file(r.notes());
}
