use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
struct Paths {
    #[layout(rot)]
    root: PathBuf,
}

fn main() {}
