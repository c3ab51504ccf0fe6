//! Fills a root with finished runs, from threads: what `scripts/bucket-ls-speed`
//! lists. Needs the `object-store` feature for a URL root.
//!
//!     bucket_fill <ROOT> <RUNS> [THREADS]

use std::sync::atomic::{AtomicUsize, Ordering};

use runlayout::Run;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, runs, rest @ ..] = args.as_slice() else {
        return Err("usage: bucket_fill <ROOT> <RUNS> [THREADS]".into());
    };
    let runs: usize = runs.parse()?;
    let threads: usize = rest.first().map_or(Ok(16), |t| t.parse())?;
    let next = AtomicUsize::new(0);
    let cache = tempfile::tempdir()?;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> runlayout::Result<()> {
                    while next.fetch_add(1, Ordering::Relaxed) < runs {
                        let run = Run::builder(root.as_str())
                            .cache_dir(cache.path())
                            .stage("sweep")
                            .create()?;
                        run.guard().finish()?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("no panic"))
    })?;
    println!("made {runs} runs in {root}");
    Ok(())
}
