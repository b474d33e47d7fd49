//! Nagios plugin output: a status line with perfdata, then one line per finding.

use std::collections::HashMap;

use super::{Run, printable};
use certscan_model::status::Severity;

/// Days, to a tenth: `15.7`, or `30` when whole.
fn days_text(days: f64) -> String {
    certscan_checks::validity::days_text((days * 86_400.0).round() as i64)
}

pub(crate) fn render(run: &Run) -> String {
    let mut headline = headline(run);
    if let Some(note) = run.gate_note() {
        headline.push_str(&format!(" ({})", printable(&note)));
    }
    let mut out = format!("CERTSCAN {} - {}", run.status().label(), headline.replace('|', "/"));
    let perfdata = perfdata(run);
    if !perfdata.is_empty() {
        out.push_str(" | ");
        out.push_str(&perfdata.join(" "));
    }
    out.push('\n');
    for target in &run.targets {
        for finding in &target.findings {
            out.push_str(&format!(
                "[{}] {} {}: {}\n",
                finding.severity.as_str().to_uppercase(),
                printable(&target.label()),
                finding.id,
                printable(&finding.detail).replace('|', "/")
            ));
        }
    }
    out
}

/// The status line's summary: the soonest expiry when all is OK, else the counts and the worst
/// problem of the worst endpoint, so that the one line says what to look at.
fn headline(run: &Run) -> String {
    let summary = run.summary();
    let total = run.targets.len();
    let mut headline = match (summary.critical, summary.unknown, summary.warning) {
        (0, 0, 0) => {
            let soonest = run
                .targets
                .iter()
                .filter_map(|t| t.days_left.map(|days| (days, t)))
                .min_by_key(|(days, _)| *days);
            match soonest {
                Some((days, target)) => format!(
                    "{total} endpoint(s) OK, first expiry in {days} days ({})",
                    printable(&target.label())
                ),
                None => format!("{total} endpoint(s) OK"),
            }
        }
        _ => {
            let parts: Vec<String> = [
                (summary.critical, "critical"),
                (summary.unknown, "unknown"),
                (summary.warning, "warning"),
            ]
            .iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, word)| format!("{count} {word}"))
            .collect();
            format!("{} of {total} endpoint(s)", parts.join(", "))
        }
    };
    let status = run.status();
    if let Some((target, finding)) = run
        .targets
        .iter()
        .filter(|t| t.status == status)
        .find_map(|t| t.findings.first().map(|f| (t, f)))
        && finding.severity != Severity::Info
    {
        headline.push_str(&format!(": {} {}", printable(&target.label()), finding.id));
    }
    headline
}

/// Days left per endpoint, with its thresholds. Days left alert below the thresholds: the ranges
/// are `W:` and `C:` (Nagios plugin guidelines: a range `N:` alerts when the value is less than
/// N). Each endpoint's own: a short-lived certificate's are shares of its lifetime, in days. An
/// address is added to a label only where one name and port has several.
fn perfdata(run: &Run) -> Vec<String> {
    let mut label_counts: HashMap<String, usize> = HashMap::with_capacity(run.targets.len());
    for target in &run.targets {
        *label_counts.entry(target.label()).or_default() += 1;
    }
    run.targets
        .iter()
        .filter_map(|t| {
            let days = t.days_left?;
            let shared = label_counts.get(&t.label()).is_some_and(|count| *count > 1);
            let label = match &t.address {
                Some(address) if shared => format!("{}@{address}", t.label()),
                _ => t.label(),
            };
            let (warning, critical) = match &t.expiry_thresholds {
                Some(limits) => (days_text(limits.warning_days), days_text(limits.critical_days)),
                None => (run.thresholds.warning.as_text(), run.thresholds.critical.as_text()),
            };
            Some(format!(
                "'{}'={days};{warning}:;{critical}:;;",
                printable(&label).replace('\'', "\"").replace(['=', '|'], "_"),
            ))
        })
        .collect()
}
