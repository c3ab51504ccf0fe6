use runlayout::Layout;

#[derive(Layout)]
#[layout(ckpt = "checkpoints")]
union Paths {
    a: u32,
}

fn main() {}
