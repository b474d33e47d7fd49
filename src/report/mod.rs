//! Rendering: the whole run as a table, a JSON document or a Nagios check result. Reports only
//! format what the analysis decided.

pub mod json;
pub mod nagios;
pub mod table;

use serde::Serialize;

use crate::analysis::TargetResult;
use crate::status::Status;

/// Version of the JSON document's layout (`schema/report.schema.json`).
pub const SCHEMA_VERSION: u32 = 1;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Nagios,
}

/// Counts of targets per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub ok: usize,
    pub warning: usize,
    pub critical: usize,
    pub unknown: usize,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Run {
    pub started_at: String,
    pub evaluated_at: String,
    pub warning_days: i64,
    pub critical_days: i64,
    pub targets: Vec<TargetResult>,
    /// `--shard` left this run nothing to scan (its status is then OK, not UNKNOWN).
    pub empty_shard: bool,
}

impl Run {
    /// The worst status over all targets; UNKNOWN when there was nothing to scan.
    pub fn status(&self) -> Status {
        if self.targets.is_empty() {
            return if self.empty_shard { Status::Ok } else { Status::Unknown };
        }
        Status::worst_of(self.targets.iter().map(|t| t.status))
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for target in &self.targets {
            match target.status {
                Status::Ok => summary.ok += 1,
                Status::Warning => summary.warning += 1,
                Status::Critical => summary.critical += 1,
                Status::Unknown => summary.unknown += 1,
            }
        }
        summary
    }
}

/// Text from certificates, servers and DNS made safe for a terminal or a monitoring line:
/// control characters (C0, DEL, C1) and the bidirectional overrides that can disguise text are
/// written as `\u{..}` escapes, so nothing a server sends can move the cursor, recolour the
/// screen or forge a line of the report.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`printable`], keeping line breaks (for table cells that hold several lines).
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| printable(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders a run in a format; `color` only affects the table.
pub fn render(run: &Run, format: Format, color: bool) -> String {
    match format {
        Format::Table => table::render(run, color),
        Format::Json => json::render(run),
        Format::Nagios => nagios::render(run),
    }
}
