use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints", weights = "checkpoints/")]
struct Paths {
    root: PathBuf,
}

fn main() {}
