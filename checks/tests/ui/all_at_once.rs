use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(abs = "/abs", up = "../x", log = "log.txt", log = "other.txt")]
#[layout(epoch = "ckpt/{epoch:04}.pt", bad = "a{")]
struct Paths {
    root: PathBuf,
}

fn main() {
    // The fallback keeps these from adding errors of their own.
    let paths = Paths { root: PathBuf::from("runs") };
    let _ = paths.log();
    let _ = paths.epoch(3);
    let _ = paths.create_all();
}
