//! The checks of runlayout that a user of the crate never builds, kept out of
//! the facade so that `cargo run --example quickstart` builds the library's
//! own dependencies and little else:
//!
//! - `tests/`: the integration tests, the compile-fail cases of the derive
//!   (`tests/ui/`, run by trybuild) and the property tests;
//! - `benches/runlayout.rs`: each operation next to the hand-written code it
//!   replaces (`cargo bench -p runlayout-checks --bench runlayout`);
//! - `examples/stress.rs`: many processes creating runs below one root;
//! - `examples/syscall_probe.rs`: the probe `scripts/syscall-budget` runs
//!   under strace;
//! - the example `tracing`, whose file is the workspace's
//!   `examples/tracing.rs`: a program's tracing events in its run's log
//!   file (`cargo run -p runlayout-checks --example tracing`).
//!
//! The library itself holds what more than one of them uses: [`Paths`], the
//! 20-entry layout of the benchmarks and the probe.

#![forbid(unsafe_code)]

mod paths20;

pub use paths20::Paths;
