use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(a = "epoch_{1st}", b = "run_{self}")]
struct Paths {
    root: PathBuf,
}

fn main() {}
