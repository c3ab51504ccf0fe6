//! A nested layout whose type is a generic parameter, used with a type
//! whose file the parent uses as a folder: `Tracker`'s `config.yaml` is a
//! file, the parent's `old` puts something inside it.

use std::marker::PhantomData;
use std::path::PathBuf;

use runlayout::{DirPath, FromRoot, Layout};

#[derive(Layout)]
#[layout(config = "config.yaml", plots = "plots/")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(tracker = nest("tracker", T), old = "tracker/config.yaml/old")]
struct Paths<T: Layout + FromRoot> {
    #[layout(root)]
    root: PathBuf,
    tracker_type: PhantomData<T>,
}

fn main() {
    let paths = Paths::<Tracker> {
        root: PathBuf::from("runs/r1"),
        tracker_type: PhantomData,
    };
    let _ = paths.old();
}
