//! Where results go: JSON for scripts or text for people, through one
//! writer, so that a failed write is an error and never a panic.

use std::error::Error;
use std::fmt::Display;
use std::io::{self, Write};

use serde_json::Value;

/// What a command gives back: its error is printed, and ends the
/// process with status 1.
pub type CliResult<T> = Result<T, Box<dyn Error>>;

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
        self.emit_with(|| value, human)
    }

    /// Whether results are to be JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Writes `value` as JSON, whatever the mode.
    pub fn write_json(&mut self, value: &impl serde::Serialize) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *self.writer, value).map_err(io::Error::from)?;
        writeln!(self.writer)
    }

    /// [`emit`](Output::emit), building the JSON only when it is asked for:
    /// a long listing printed as a table need not build it.
    pub fn emit_with(
        &mut self,
        value: impl FnOnce() -> Value,
        human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.json {
            self.write_json(&value())
        } else {
            human(&mut *self.writer)
        }
    }
}

/// Tells the person at the terminal what went wrong. A failed write to
/// stderr has nowhere left to be reported, so it is ignored.
pub fn warn(message: impl Display) {
    let message = message.to_string();
    let _ = writeln!(
        io::stderr(),
        "runlayout: {}",
        crate::bucket::in_text(&message)
    );
}

/// Whether `err` is a write to a reader that went away (`runlayout ls |
/// head -1`): the reader has all it wanted, so it is no failure.
pub fn is_broken_pipe(err: &(dyn Error + 'static)) -> bool {
    err.downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
