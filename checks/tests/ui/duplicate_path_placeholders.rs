use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(by_epoch = "ckpt/{epoch:u32}.pt", by_step = "ckpt/{step:u64}.pt")]
struct Paths {
    root: PathBuf,
}

fn main() {}
