use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
enum Paths {
    A,
}

fn main() {}
