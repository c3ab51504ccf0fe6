use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
struct Paths;

fn main() {}
