//! The JSON report (schema version 1, `engine/schema/report.schema.json`).

use std::io::{self, Write};

use crate::Report;

/// Write `report` as pretty-printed JSON followed by a newline.
pub fn render_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
