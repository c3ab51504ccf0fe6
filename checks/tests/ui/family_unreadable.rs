//! Templates whose names a family cannot read back: placeholders that
//! touch, two text values in one name, and a number beside a digit. (A
//! hidden name is refused by the naming rule: `fixed_text_rule.rs`.)

use std::path::PathBuf;

use runlayout::Layout;

#[derive(Layout)]
#[layout(touching = "steps/{epoch:u32}{step:u32}.pt")]
#[layout(two_texts = "eval/{split}_{metric}.json")]
#[layout(digit = "ckpt/{epoch:04}5{step:u32}.pt")]
struct Paths {
    root: PathBuf,
}

fn main() {}
