//! `epoch_ckpt` has a placeholder, so it gets `epoch_ckpt_family()`; an
//! entry of that name would hide it. Code calling either compiles on.

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(epoch_ckpt = "checkpoints/epoch_{epoch:04}.ckpt")]
#[layout(epoch_ckpt_family = "checkpoints/family.txt")]
struct Paths {
    root: PathBuf,
}

fn main() {
    let paths = Paths { root: PathBuf::from("r") };
    let _ = paths.epoch_ckpt_family();
}
