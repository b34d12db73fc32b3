//! JSON Lines, the one format every file the command line writes for a program uses (batch
//! results, the ingest journal, exports): one JSON value a line, so that a file cut short by a
//! crash loses only its last line.

use std::io::Write;

use serde::Serialize;

/// Writes `value` as one line.
pub fn write_line(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}
