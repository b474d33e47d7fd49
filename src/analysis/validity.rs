//! Validity periods: expired, not yet valid and expiring-soon certificates at the evaluation time.

use super::certificate::{CertInfo, rfc3339, whole_days};
use crate::finding::{CheckId, Finding};
use crate::status::Severity;

/// Expiry thresholds in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub warning_days: i64,
    pub critical_days: i64,
}

/// Findings for one certificate; `role` says what it is in the chain ("the leaf", ...).
/// `needed` is false for a certificate that the validated path does not use: its expiry only
/// affects clients that build another path, so it is a warning.
pub fn validity_findings(
    cert: &CertInfo,
    role: &str,
    at_unix: i64,
    thresholds: Thresholds,
    needed: bool,
) -> Vec<Finding> {
    if !cert.parsed() {
        return vec![];
    }
    let demote = |f: Finding| {
        if needed {
            f
        } else {
            let detail = format!(
                "{}; the validated path does not use it, but clients that build their path through it fail",
                f.detail
            );
            Finding { detail, ..f }.with_severity(Severity::Warning)
        }
    };
    if at_unix < cert.not_before_unix {
        let days = (cert.not_before_unix - at_unix + 86_399) / 86_400;
        return vec![demote(Finding::new(
            CheckId::NotYetValid,
            format!(
                "{role} {} is valid only from {} (in {days} days)",
                cert.label(),
                rfc3339(cert.not_before_unix)
            ),
        ))];
    }
    if at_unix > cert.not_after_unix {
        let ago = match whole_days(at_unix - cert.not_after_unix) {
            0 => "less than a day ago".to_string(),
            1 => "1 day ago".to_string(),
            days => format!("{days} days ago"),
        };
        return vec![demote(Finding::new(
            CheckId::Expired,
            format!(
                "{role} {} expired on {} ({ago})",
                cert.label(),
                rfc3339(cert.not_after_unix)
            ),
        ))];
    }
    let days_left = cert.days_left;
    let severity = if days_left < thresholds.critical_days {
        Severity::Critical
    } else if days_left < thresholds.warning_days {
        Severity::Warning
    } else {
        return vec![];
    };
    vec![demote(
        Finding::new(
            CheckId::ExpiresSoon,
            format!(
                "{role} {} expires on {} ({days_left} days left)",
                cert.label(),
                rfc3339(cert.not_after_unix)
            ),
        )
        .with_severity(severity),
    )]
}
