//! A nested layout mounted at a path the parent declares as a file.

use std::path::PathBuf;

use runlayout::{DirPath, Layout};

#[derive(Layout)]
#[layout(config = "config.yaml")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(tracker_log = file("tracker"), tracker = nest("tracker", Tracker))]
struct Paths {
    root: PathBuf,
}

fn main() {}
