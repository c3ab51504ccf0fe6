//! Plain aligned tables for people; scripts use `--json`.

use std::io::{self, Write};

/// Writes `rows` under `header`, each column as wide as its widest cell.
pub fn write(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    aligned(out, std::iter::once(&header).chain(rows))
}

/// Writes `rows` aligned, with no header: for output a script may read
/// line by line too (`runlayout latest`).
pub fn write_rows(out: &mut dyn Write, rows: &[Vec<String>]) -> io::Result<()> {
    aligned(out, rows.iter())
}

/// Each column as wide as its widest cell, two spaces between columns.
fn aligned<'a>(
    out: &mut dyn Write,
    rows: impl Iterator<Item = &'a Vec<String>> + Clone,
) -> io::Result<()> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows.clone() {
        for (i, cell) in row.iter().enumerate() {
            let width = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    for row in rows {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())?;
    }
    Ok(())
}
