//! Where results go: JSON for scripts or text for people, through one
//! writer, so that a failed write is an error and never a panic.

use std::error::Error;
use std::fmt::Display;
use std::io::{self, Write};

use serde_json::Value;

/// How and where results are printed.
pub struct Output<'w> {
    json: bool,
    writer: &'w mut dyn Write,
}

impl<'w> Output<'w> {
    pub fn new(json: bool, writer: &'w mut dyn Write) -> Self {
        Output { json, writer }
    }

    /// Writes `value` as JSON, or lets `human` write text.
    pub fn emit(
        &mut self,
        value: Value,
        human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.json {
            writeln!(self.writer, "{value:#}")
        } else {
            human(&mut *self.writer)
        }
    }
}

/// Tells the person at the terminal what went wrong. A failed write to
/// stderr has nowhere left to be reported, so it is ignored.
pub fn warn(message: impl Display) {
    let _ = writeln!(io::stderr(), "runlayout: {message}");
}

/// Whether `err` is a write to a reader that went away (`runlayout ls |
/// head -1`): the reader has all it wanted, so it is no failure.
pub fn is_broken_pipe(err: &(dyn Error + 'static)) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
