use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(crate = runlayout, ckpt = "checkpoints")]
struct Paths {
    root: PathBuf,
}

fn main() {}
