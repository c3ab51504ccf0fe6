use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
struct Paths {
    #[layout(root)]
    output: PathBuf,
    #[layout(root)]
    cache: PathBuf,
}

fn main() {}
