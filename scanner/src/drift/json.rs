//! The JSON drift report (schema version 1, `scanner/schema/drift-report.schema.json`).

use std::io::{self, Write};

use super::DriftReport;

/// Write `report` as pretty-printed JSON followed by a newline.
pub fn render_json(report: &DriftReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
