//! Templates whose names a family cannot read back: placeholders that
//! touch, two text values in one name, a number beside a digit, and a
//! hidden name.

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(touching = "steps/{epoch:u32}{step:u32}.pt")]
#[layout(two_texts = "eval/{split}_{metric}.json")]
#[layout(digit = "ckpt/{epoch:04}5{step:u32}.pt")]
#[layout(hidden = "cache/.{key}")]
struct Paths {
    root: PathBuf,
}

fn main() {}
