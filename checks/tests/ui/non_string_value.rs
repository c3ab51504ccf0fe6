use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(epochs = 5, flag = true)]
struct Paths {
    root: PathBuf,
}

fn main() {}
