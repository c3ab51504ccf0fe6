//! What one `create()` costs in instructions, next to a bare `create_dir`,
//! for `scripts/create-cost`, which runs it under callgrind (instruction
//! counts do not vary with the machine's load as times do).
//!
//! ```text
//! valgrind --tool=callgrind cargo run --release -p runlayout-checks --example create_cost -- runlayout <ROOT> 200
//! valgrind --tool=callgrind cargo run --release -p runlayout-checks --example create_cost -- mkdir <ROOT> 200
//! ```
//!
//! Both make a stage folder and one run first, outside the count's
//! difference: the script subtracts a run of `n` from a run of `2n`, so
//! what is left is `n` creations into an existing stage folder.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::Path;

use runlayout::Run;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [how, root, n] = args.as_slice() else {
        return Err("usage: create_cost runlayout|mkdir <ROOT> <N>".into());
    };
    let (root, n): (&Path, u64) = (Path::new(root), n.parse()?);
    match how.as_str() {
        "runlayout" => {
            for _ in 0..=n {
                Run::builder(root).stage("s").create()?;
            }
        }
        "mkdir" => {
            let stage = root.join("s");
            std::fs::create_dir_all(&stage)?;
            let random = RandomState::new();
            for i in 0..=n {
                std::fs::create_dir(stage.join(format!("{:016x}", random.hash_one(i))))?;
            }
        }
        other => return Err(format!("unknown mode {other:?}: runlayout or mkdir").into()),
    }
    Ok(())
}
