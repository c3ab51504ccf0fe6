use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
struct Paths {
    output: PathBuf,
    cache: PathBuf,
}

fn main() {}
