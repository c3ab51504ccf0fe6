//! What each system call of a default `create()` costs on this machine:
//! the 9 calls `scripts/syscall-budget` lists for a creation into an
//! existing stage folder, made in their order as `create()` makes them,
//! each timed alone, averaged over `n` creations; and a bare `mkdir`'s
//! total next to them. Linux only (the manifest is made unnamed).
//!
//! ```text
//! cargo run --release -p runlayout-checks --example call_cost -- /dev/shm/calls 3000
//! ```
//!
//! `<ROOT>` must not exist (it is made, and left for the caller to remove).

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write as _;
    use std::path::Path;
    use std::time::{Duration, Instant};

    use rustix::fs::{self as rfs, AtFlags, Mode, OFlags};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, n] = args.as_slice() else {
        return Err("usage: call_cost <ROOT> <N>".into());
    };
    let (root, n): (&Path, u32) = (Path::new(root), n.parse()?);
    let stage = root.join("s");
    std::fs::create_dir_all(&stage)?;
    let latest = stage.join("latest");
    let manifest = vec![b' '; 640];
    const CALLS: [&str; 9] = [
        "mkdir (the run folder)",
        "getcwd (the git record)",
        "open (the manifest, unnamed)",
        "write (its text)",
        "flock (the creator's claim)",
        "linkat (run.json appears)",
        "readlink (latest, never back)",
        "symlink (the new pointer)",
        "rename (latest replaced)",
    ];
    let mut spent = [Duration::ZERO; 9];
    let mut files = Vec::with_capacity(n as usize);
    for i in 0..n {
        let name = format!("{i:016x}");
        let run = stage.join(&name);
        let at = run.join("run.json");
        let tmp = stage.join(format!(".tmp-{name}"));
        let mut marks = [Instant::now(); 10];
        std::fs::create_dir(&run)?;
        marks[1] = Instant::now();
        let _ = std::env::current_dir();
        marks[2] = Instant::now();
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        let file = std::fs::File::from(rfs::openat(
            rfs::CWD,
            &run,
            flags,
            Mode::from_bits_truncate(0o666),
        )?);
        marks[3] = Instant::now();
        (&file).write_all(&manifest)?;
        marks[4] = Instant::now();
        file.try_lock_shared()?;
        marks[5] = Instant::now();
        rfs::linkat(&file, "", rfs::CWD, &at, AtFlags::EMPTY_PATH)?;
        marks[6] = Instant::now();
        let _ = std::fs::read_link(&latest);
        marks[7] = Instant::now();
        std::os::unix::fs::symlink(&name, &tmp)?;
        marks[8] = Instant::now();
        std::fs::rename(&tmp, &latest)?;
        marks[9] = Instant::now();
        for (call, pair) in spent.iter_mut().zip(marks.windows(2)) {
            *call += pair[1] - pair[0];
        }
        // Closed after the count, as a run's claim is held past create().
        files.push(file);
    }
    drop(files);
    let bare = root.join("bare");
    std::fs::create_dir(&bare)?;
    let start = Instant::now();
    for i in 0..n {
        std::fs::create_dir(bare.join(format!("{i:016x}")))?;
    }
    let mkdir = start.elapsed() / n;
    let each = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(n);
    let total: f64 = spent.iter().map(|&d| each(d)).sum();
    for (call, &d) in CALLS.iter().zip(&spent) {
        println!("{call:<32} {:>6.2} µs", each(d));
    }
    let bare = mkdir.as_secs_f64() * 1e6;
    println!(
        "{:<32} {total:>6.2} µs ({:.2}x a bare mkdir)",
        "all 9",
        total / bare
    );
    println!("{:<32} {bare:>6.2} µs", "a bare mkdir, alone");
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("call_cost makes the manifest unnamed (O_TMPFILE): Linux only");
}
