use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(up = "checkpoints/../secrets", here = "./checkpoints")]
struct Paths {
    root: PathBuf,
}

fn main() {}
