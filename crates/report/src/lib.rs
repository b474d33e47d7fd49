//! Rendering: the whole run as a table, a JSON document, NDJSON lines, a Nagios check result,
//! JUnit XML or Prometheus metrics. Reports only format what the checks decided.

pub mod json;
pub mod junit;
pub(crate) mod nagios;
pub(crate) mod prometheus;
pub mod table;
mod wire;

use serde::Serialize;

use certscan_checks::TargetResult;
use certscan_model::status::Status;

/// Version of the JSON document's layout (`schema/report.schema.json`).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    /// One JSON object per line: each target's result as soon as it is known, then a summary.
    Ndjson,
    Nagios,
    /// Prometheus text exposition format, for node_exporter's textfile collector.
    Prometheus,
    /// JUnit XML, for the test views of GitLab, Jenkins and Azure DevOps.
    Junit,
}

/// Which findings fail a CI gate (`--fail-on`), and which were accepted (`--ignore`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Gate {
    pub fail_on: FailOn,
    /// The `--ignore` rules as given: `ID` or `ID@HOST`.
    pub ignore: Vec<String>,
}

/// The least severity that makes the exit status non-zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Critical,
    /// The Nagios exit codes as they are: WARNING and worse (the default).
    #[default]
    Warning,
    Info,
}

/// Counts of targets per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub ok: usize,
    pub warning: usize,
    pub critical: usize,
    pub unknown: usize,
}

/// A run's results: every target's, for the formats that print them together, and the counts
/// that the status, the exit code and the summary need, for all formats.
#[derive(Debug, Clone)]
pub struct Run {
    pub started_at: String,
    pub evaluated_at: String,
    pub thresholds: certscan_checks::validity::Thresholds,
    /// The results kept for rendering (none in NDJSON, which prints each as it comes).
    pub targets: Vec<TargetResult>,
    /// Counts over every result, kept or not.
    pub tally: Tally,
    /// `--shard` left this run nothing to scan (its status is then OK, not UNKNOWN).
    pub empty_shard: bool,
    pub gate: Gate,
    /// How long the run took, when measured.
    pub duration_seconds: Option<f64>,
}

/// What the end of a run needs to know of its results, counted as they come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub(crate) summary: Summary,
    /// Whether any result has a finding (for `--fail-on info`).
    pub any_finding: bool,
    /// Findings removed by `--ignore`.
    pub ignored: usize,
}

impl Tally {
    /// Adds the counts of another tally (results counted elsewhere).
    pub fn absorb(&mut self, other: Tally) {
        self.summary.ok += other.summary.ok;
        self.summary.warning += other.summary.warning;
        self.summary.critical += other.summary.critical;
        self.summary.unknown += other.summary.unknown;
        self.any_finding |= other.any_finding;
        self.ignored += other.ignored;
    }

    pub fn add(&mut self, target: &TargetResult) {
        match target.status {
            Status::Ok => self.summary.ok += 1,
            Status::Warning => self.summary.warning += 1,
            Status::Critical => self.summary.critical += 1,
            Status::Unknown => self.summary.unknown += 1,
        }
        self.any_finding |= !target.findings.is_empty();
        self.ignored += target.ignored.len();
    }

    pub fn total(&self) -> usize {
        let s = self.summary;
        s.ok + s.warning + s.critical + s.unknown
    }
}

impl Run {
    /// Counts a result, and keeps it when `keep` (for the formats that print results together).
    pub fn add(&mut self, target: TargetResult, keep: bool) {
        self.tally.add(&target);
        if keep {
            self.targets.push(target);
        }
    }

    /// The worst status over all targets; UNKNOWN when there was nothing to scan.
    pub fn status(&self) -> Status {
        if self.tally.total() == 0 {
            return if self.empty_shard { Status::Ok } else { Status::Unknown };
        }
        let s = self.tally.summary;
        Status::worst_of(
            [
                (s.ok, Status::Ok),
                (s.warning, Status::Warning),
                (s.critical, Status::Critical),
                (s.unknown, Status::Unknown),
            ]
            .into_iter()
            .filter(|(count, _)| *count > 0)
            .map(|(_, status)| status),
        )
    }

    /// The process exit status: the Nagios code of the worst status, lowered or raised by
    /// `--fail-on` (UNKNOWN always fails: nothing could be concluded).
    pub fn exit_code(&self) -> u8 {
        let status = self.status();
        match self.gate.fail_on {
            FailOn::Warning => status.exit_code(),
            FailOn::Critical if status == Status::Warning => 0,
            FailOn::Critical => status.exit_code(),
            FailOn::Info if status == Status::Ok && self.tally.any_finding => Status::Warning.exit_code(),
            FailOn::Info => status.exit_code(),
        }
    }

    /// How many findings `--ignore` removed, over all targets.
    pub(crate) fn ignored_count(&self) -> usize {
        self.tally.ignored
    }

    /// The gate's settings as one clause for summary lines, when any is not the default.
    pub(crate) fn gate_note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.gate.fail_on != FailOn::Warning {
            parts.push(format!(
                "fail-on {}",
                if self.gate.fail_on == FailOn::Critical {
                    "critical"
                } else {
                    "info"
                }
            ));
        }
        if !self.gate.ignore.is_empty() {
            parts.push(format!(
                "{} finding(s) ignored by --ignore {}",
                self.ignored_count(),
                self.gate.ignore.join(",")
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    pub(crate) fn summary(&self) -> Summary {
        self.tally.summary
    }
}

/// A control character (C0, DEL, C1) or a bidirectional override, which [`printable`] escapes.
pub(crate) fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from certificates, servers and DNS made safe for a terminal or a monitoring line:
/// control characters (C0, DEL, C1) and the bidirectional overrides that can disguise text are
/// written as `\u{..}` escapes, so nothing a server sends can move the cursor, recolour the
/// screen or forge a line of the report.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
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
pub(crate) fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| printable(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders a run in a format; the layout (colour, width, verbosity) only affects the table. In NDJSON, the targets' lines
/// were written as they came: this is the summary line that ends them.
pub fn render(run: &Run, format: Format, layout: table::Layout) -> String {
    match format {
        Format::Table => table::render(run, layout),
        Format::Json => json::render(run),
        Format::Ndjson => json::ndjson_summary_line(run),
        Format::Nagios => nagios::render(run),
        Format::Prometheus => prometheus::render(run),
        Format::Junit => junit::render(run),
    }
}
