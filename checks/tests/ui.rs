//! Every layout mistake is a compile error at the token at fault.
//!
//! Each `tests/ui/*.rs` is one mistake, with the compiler's expected output
//! beside it in `*.stderr`; `tests/ui/pass/*.rs` must compile. After an
//! intended change of a message, refresh the expected output with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
