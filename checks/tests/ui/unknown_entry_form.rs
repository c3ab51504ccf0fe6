use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = folder("checkpoints"))]
struct Paths {
    root: PathBuf,
}

fn main() {}
