//! A 6-point sweep (learning rate × seed) run by 3 worker threads, then
//! compared in one table, as `runlayout sweep show` prints it.
//!
//! ```text
//! cargo run --example sweep
//! ```
//!
//! Each worker claims the next trial left, trains (here: computes a fake
//! validation loss), records it in the trial's summary and marks the trial
//! finished. Every trial is an ordinary run of the stage `lr-sweep` under
//! `./runs`, so `runlayout ls`, `show` and `sweep show` read them too.

use std::time::Duration;

use runlayout::sweep::Sweep;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sweep = Sweep::builder("runs")
        .stage("lr-sweep")
        .grid("lr", [0.1, 0.01, 0.001])
        .grid("seed", [1, 2])
        .create()?;
    println!("sweep {sweep}: {} trials", sweep.count());

    let spec = sweep.spec();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|worker| {
                s.spawn(move || -> runlayout::Result<usize> {
                    // Each worker opens the sweep as a process of its own would.
                    let mine = Sweep::open("runs", spec)?;
                    let mut done = 0;
                    while let Some(trial) = mine.claim_next()? {
                        let guard = trial.guard();
                        let lr: f64 = trial.param("lr")?;
                        let seed: f64 = trial.param("seed")?;
                        std::thread::sleep(Duration::from_millis(20));
                        let val_loss = (lr.log10() + 2.0).powi(2) + 0.01 * seed;
                        trial.run().summary().set("val_loss", val_loss)?;
                        trial.run().summary().set("worker", worker)?;
                        guard.finish()?;
                        done += 1;
                    }
                    Ok(done)
                })
            })
            .collect();
        for worker in workers {
            let done = worker.join().expect("a worker panicked")?;
            println!("a worker ran {done} trials");
        }
        Ok::<(), runlayout::Error>(())
    })?;
    assert!(sweep.is_done()?);

    // The table `runlayout sweep show <SWEEP> --sort summary.val_loss` prints.
    let mut trials = sweep.trials()?;
    let loss = |t: &runlayout::sweep::TrialState| t.summary["val_loss"].as_f64();
    trials.sort_by(|a, b| {
        loss(a)
            .partial_cmp(&loss(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    println!(
        "{:<6} {:<6} {:<5} {:<9} {:<9} {:<9} RUN",
        "TRIAL", "lr", "seed", "STATUS", "DURATION", "val_loss"
    );
    for t in &trials {
        let status = t.status.map_or("-".to_owned(), |s| s.to_string());
        let duration = t
            .duration()
            .map_or("-".to_owned(), |d| format!("{}ms", d.as_millis()));
        println!(
            "{:<6} {:<6} {:<5} {:<9} {:<9} {:<9.4} {}/{}",
            t.number,
            t.params["lr"].to_string(),
            t.params["seed"].to_string(),
            status,
            duration,
            loss(t).unwrap_or(f64::NAN),
            sweep.stage(),
            sweep.trial_id(t.number),
        );
    }
    Ok(())
}
