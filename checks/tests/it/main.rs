//! The integration tests of runlayout, built as one binary: a module per
//! topic, and `support` for what they share (child processes, fixtures,
//! looking at trees). One binary links the crate graph once, where a binary
//! per topic linked it once each.
//!
//! A test that races or kills real processes starts this binary again,
//! running itself alone as the child's body: it names itself as the
//! harness does, `module::test_name` (see [`support::spawn_child`]).
//!
//! Beside this binary, in `checks/tests/`: the property tests (`fuzz.rs`,
//! `family_props.rs`, `template_props.rs`), the allocation count
//! (`family_allocations.rs`, which installs a counting allocator for its
//! whole binary) and the compile-fail cases of the derive (`ui.rs`).

mod support;

mod atomic_write;
mod best;
mod cluster;
mod concurrency;
mod crash;
mod derive;
mod families;
mod family_races;
mod hygiene;
mod latest;
mod layout_trait;
mod links;
mod manifest;
mod names;
#[cfg(feature = "object-store")]
mod object_store;
mod path_provider;
mod provenance;
mod record;
mod run_args;
mod run_facts;
mod run_ids;
mod runs;
mod saver;
mod scan;
mod status;
mod sweeps;
