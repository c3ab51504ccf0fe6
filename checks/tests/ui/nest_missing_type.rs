use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(tracker = nest("tracker"))]
struct Paths {
    root: PathBuf,
}

fn main() {}
