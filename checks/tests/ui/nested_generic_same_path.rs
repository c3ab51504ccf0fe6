//! A nested layout whose type is a generic parameter is checked against
//! its parent when the parent is used with a concrete type: here `Tracker`'s
//! `config` is the parent's `tracker_cfg`, found once `Paths<Tracker>` is
//! used (`cargo build`; `cargo check` does not instantiate generic code).

use std::marker::PhantomData;
use std::path::PathBuf;

use runlayout::{DirPath, FromRoot, Layout};

#[derive(Layout)]
#[layout(config = "config.yaml", plots = "plots/")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(tracker = nest("tracker", T))]
#[layout(tracker_cfg = "tracker/config.yaml")]
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
    let _ = paths.tracker().config();
}
