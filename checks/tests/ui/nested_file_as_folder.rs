//! A file in one layout used as a folder by the other, across a `nest`
//! boundary: the nested layout's `config.yaml` is a file, the parent puts
//! `old.yaml` inside it.

use std::path::PathBuf;

use runlayout::{DirPath, Layout};

#[derive(Layout)]
#[layout(config = "config.yaml", plots = "plots/")]
struct Tracker {
    dir: DirPath,
}

#[derive(Layout)]
#[layout(old = "tracker/config.yaml/old.yaml")]
#[layout(tracker = nest("tracker", Tracker))]
struct Paths {
    root: PathBuf,
}

fn main() {}
