use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
#[layout(ckpt = "weights")]
struct Paths {
    root: PathBuf,
}

fn main() {}
