//! The JSON document (one object per run) and NDJSON (one line per target, then a summary
//! line), both described by `schema/report.schema.json`.

use serde::Serialize;

use super::wire::Target;
use super::{Run, SCHEMA_VERSION, Summary};
use certscan_checks::TargetResult;
use certscan_model::status::Status;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Document<'a> {
    /// In NDJSON only: which kind of line this is.
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'static str>,
    schema_version: u32,
    tool: Tool,
    started_at: &'a str,
    evaluated_at: &'a str,
    thresholds: Thresholds,
    status: Status,
    exit_code: u8,
    summary: Summary,
    gate: &'a super::Gate,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<Target<'a>>>,
}

/// An NDJSON line for one target: its result as in the document's `targets`, marked.
#[derive(Serialize)]
struct TargetLine<'a> {
    record: &'static str,
    #[serde(flatten)]
    target: Target<'a>,
}

#[derive(Serialize)]
struct Thresholds {
    /// The thresholds in days, when they are days (for long-lived certificates by default).
    warning_days: Option<i64>,
    critical_days: Option<i64>,
    /// As given: `30`, or `33%` of the lifetime.
    warning: String,
    critical: String,
    /// Neither was given: certificates that live fewer than 90 days are judged by the share of
    /// their lifetime left instead (a third, a tenth).
    by_lifetime: bool,
}

fn days(limit: certscan_checks::validity::Limit) -> Option<i64> {
    match limit {
        certscan_checks::validity::Limit::Days(days) => Some(days),
        certscan_checks::validity::Limit::Percent(_) => None,
    }
}

fn document(run: &Run, ndjson: bool) -> Document<'_> {
    Document {
        record: ndjson.then_some("summary"),
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "certscan",
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: &run.started_at,
        evaluated_at: &run.evaluated_at,
        thresholds: Thresholds {
            warning_days: days(run.thresholds.warning),
            critical_days: days(run.thresholds.critical),
            warning: run.thresholds.warning.as_text(),
            critical: run.thresholds.critical.as_text(),
            by_lifetime: run.thresholds.by_lifetime,
        },
        status: run.status(),
        exit_code: run.exit_code(),
        summary: run.summary(),
        gate: &run.gate,
        targets: (!ndjson).then(|| run.targets.iter().map(Target::from).collect()),
    }
}

pub(crate) fn render(run: &Run) -> String {
    // Serialising plain data structures cannot fail.
    let mut text = serde_json::to_string_pretty(&document(run, false)).unwrap_or_default();
    text.push('\n');
    text
}

/// Appends one target's NDJSON line, newline included, to `out`.
pub fn write_ndjson_target_line(out: &mut Vec<u8>, target: &TargetResult) {
    let line = TargetLine {
        record: "target",
        target: Target::from(target),
    };
    let start = out.len();
    match serde_json::to_writer(&mut *out, &line) {
        Ok(()) => out.push(b'\n'),
        // Never half a line in the stream.
        Err(_) => out.truncate(start),
    }
}

/// The NDJSON line that ends a run: the document's fields but the targets.
pub(crate) fn ndjson_summary_line(run: &Run) -> String {
    let mut text = serde_json::to_string(&document(run, true)).unwrap_or_default();
    text.push('\n');
    text
}

/// What a usage error prints on standard output in JSON (a document) and NDJSON (one line), so
/// that a job parsing the report sees why there is none. Described by the schema's
/// `#/$defs/usage_error`.
pub fn usage_error(message: &str, ndjson: bool) -> String {
    #[derive(Serialize)]
    struct UsageError<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        record: Option<&'static str>,
        schema_version: u32,
        tool: Tool,
        status: Status,
        exit_code: u8,
        error: &'a str,
    }
    let error = UsageError {
        record: ndjson.then_some("error"),
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "certscan",
            version: env!("CARGO_PKG_VERSION"),
        },
        status: Status::Unknown,
        exit_code: Status::Unknown.exit_code(),
        error: message,
    };
    let mut text = if ndjson {
        serde_json::to_string(&error)
    } else {
        serde_json::to_string_pretty(&error)
    }
    .unwrap_or_default();
    text.push('\n');
    text
}
