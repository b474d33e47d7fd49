//! The JSON document: one object per run, described by `schema/report.schema.json`.

use serde::Serialize;

use super::{Run, SCHEMA_VERSION, Summary};
use crate::analysis::TargetResult;
use crate::status::Status;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    started_at: &'a str,
    evaluated_at: &'a str,
    thresholds: Thresholds,
    status: Status,
    exit_code: u8,
    summary: Summary,
    gate: &'a super::Gate,
    targets: &'a [TargetResult],
}

#[derive(Serialize)]
struct Thresholds {
    warning_days: i64,
    critical_days: i64,
}

pub fn render(run: &Run) -> String {
    let status = run.status();
    let document = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: &run.started_at,
        evaluated_at: &run.evaluated_at,
        thresholds: Thresholds {
            warning_days: run.warning_days,
            critical_days: run.critical_days,
        },
        status,
        exit_code: run.exit_code(),
        summary: run.summary(),
        gate: &run.gate,
        targets: &run.targets,
    };
    // Serialising plain data structures cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
