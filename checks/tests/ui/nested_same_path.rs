//! Two names for one path across a `nest` boundary: the nested layout's
//! `config` is the parent's `tracker_cfg`.

use std::path::PathBuf;

use runlayout::{DirPath, Layout};

#[derive(Layout)]
#[layout(config = "config.yaml", plots = "plots/")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(tracker = nest("tracker", Tracker))]
#[layout(tracker_cfg = "tracker/config.yaml")]
struct Paths {
    root: PathBuf,
}

fn main() {}
