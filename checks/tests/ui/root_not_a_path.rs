use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
struct Paths {
    root: u32,
}

fn main() {}
