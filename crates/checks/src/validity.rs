//! Validity periods: expired, not yet valid and expiring-soon certificates at the evaluation time.

use certscan_model::finding::{CheckId, Finding};
use certscan_model::status::Severity;
use certscan_x509::certificate::{CertInfo, rfc3339, whole_days};

/// How little time left makes a certificate WARNING or CRITICAL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// Fewer than this many days left (`-w 30`).
    Days(i64),
    /// Less than this share, in percent, of the certificate's lifetime left (`-w 33%`).
    Percent(f64),
}

impl Limit {
    /// `DAYS` or `PERCENT%`.
    pub fn parse(text: &str) -> Result<Limit, String> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            return match percent.trim().parse::<f64>() {
                Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(Limit::Percent(p)),
                _ => Err(format!("{text:?} is not a share of the lifetime between 0% and 100%")),
            };
        }
        match text.parse::<i64>() {
            Ok(days) if days >= 0 => Ok(Limit::Days(days)),
            _ => Err(format!(
                "{text:?} is neither a number of days nor a share of the lifetime such as 33%"
            )),
        }
    }

    /// The limit in seconds left, for a certificate that lives `lifetime` seconds.
    fn seconds(self, lifetime: i64) -> i64 {
        match self {
            Limit::Days(days) => days.saturating_mul(86_400),
            Limit::Percent(percent) => (lifetime.max(0) as f64 * percent / 100.0).round() as i64,
        }
    }

    /// As given on the command line: `30` or `33%`.
    pub fn as_text(self) -> String {
        match self {
            Limit::Days(days) => days.to_string(),
            Limit::Percent(percent) => format!("{}%", (percent * 10.0).round() / 10.0),
        }
    }
}

/// Certificates that live fewer days than this get, by default, thresholds that are shares of
/// their lifetime; longer-lived ones keep thresholds in days.
pub(crate) const SHORT_LIVED_DAYS: i64 = 90;
/// The default share of its lifetime left that makes a short-lived certificate WARNING: a
/// third, when ACME clients renew.
pub const DEFAULT_WARNING_SHARE: f64 = 100.0 / 3.0;
/// The default share that makes it CRITICAL: a tenth, after renewals have failed for days.
pub const DEFAULT_CRITICAL_SHARE: f64 = 10.0;

/// The expiry thresholds of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub warning: Limit,
    pub critical: Limit,
    /// Neither `-w` nor `-c` was given: `warning` and `critical` (30 and 14 days) hold for
    /// certificates that live [`SHORT_LIVED_DAYS`] or more, shorter-lived ones are judged by
    /// the share of their lifetime left (a third, a tenth).
    pub by_lifetime: bool,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            warning: Limit::Days(30),
            critical: Limit::Days(14),
            by_lifetime: true,
        }
    }
}

/// The thresholds in force for one certificate, in seconds left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Effective {
    pub warning_seconds: i64,
    pub critical_seconds: i64,
    /// Whether they are shares of the certificate's lifetime.
    pub relative: bool,
    pub warning: Limit,
    pub critical: Limit,
}

impl Thresholds {
    /// The thresholds for a certificate valid from `not_before` to `not_after` (Unix times).
    pub(crate) fn for_certificate(&self, not_before: i64, not_after: i64) -> Effective {
        let lifetime = not_after.saturating_sub(not_before);
        let (warning, critical) = if self.by_lifetime && lifetime < SHORT_LIVED_DAYS * 86_400 {
            (
                Limit::Percent(DEFAULT_WARNING_SHARE),
                Limit::Percent(DEFAULT_CRITICAL_SHARE),
            )
        } else {
            (self.warning, self.critical)
        };
        Effective {
            warning_seconds: warning.seconds(lifetime),
            critical_seconds: critical.seconds(lifetime),
            relative: matches!(warning, Limit::Percent(_)) || matches!(critical, Limit::Percent(_)),
            warning,
            critical,
        }
    }
}

/// Days, to a tenth, for reports: `15.7`, or `30` when whole.
pub fn days_text(seconds: i64) -> String {
    let days = (seconds as f64 / 86_400.0 * 10.0).round() / 10.0;
    if days.fract() == 0.0 {
        format!("{}", days as i64)
    } else {
        format!("{days:.1}")
    }
}

/// The time left as the Days column, JSON and perfdata count it (whole days, toward zero), in
/// hours when less than a day is left.
fn time_left_text(seconds: i64) -> String {
    match certscan_x509::certificate::whole_days(seconds) {
        0 => format!("{} hours left", seconds.max(0) / 3_600),
        1 => "1 day left".to_string(),
        days => format!("{days} days left"),
    }
}

/// Findings for one certificate; `role` says what it is in the chain ("the leaf", ...).
/// `needed` is false for a certificate that the validated path does not use: its expiry only
/// affects clients that build another path, so it is a warning.
pub(crate) fn validity_findings(
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
    let left = cert.not_after_unix - at_unix;
    let limits = thresholds.for_certificate(cert.not_before_unix, cert.not_after_unix);
    let (severity, limit, limit_seconds) = if left < limits.critical_seconds {
        (Severity::Critical, limits.critical, limits.critical_seconds)
    } else if left < limits.warning_seconds {
        (Severity::Warning, limits.warning, limits.warning_seconds)
    } else {
        return vec![];
    };
    let lifetime = cert.not_after_unix - cert.not_before_unix;
    let threshold = match limit {
        Limit::Days(days) => format!("{} below {days} days", severity.as_str()),
        Limit::Percent(percent) => format!(
            "{} below {} days, {}% of its {}-day lifetime",
            severity.as_str(),
            days_text(limit_seconds),
            (percent * 10.0).round() / 10.0,
            days_text(lifetime)
        ),
    };
    vec![demote(
        Finding::new(
            CheckId::ExpiresSoon,
            format!(
                "{role} {} expires on {} ({}; {threshold})",
                cert.label(),
                rfc3339(cert.not_after_unix),
                time_left_text(left)
            ),
        )
        .with_severity(severity),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn the_time_left_is_counted_as_the_days_column_counts_it() {
        // 9.96 days: the Days column, JSON and perfdata say 9, and so does the text.
        let left = 9 * DAY + 83_000;
        assert_eq!(certscan_x509::certificate::whole_days(left), 9);
        assert_eq!(time_left_text(left), "9 days left");
        assert_eq!(time_left_text(DAY + 10), "1 day left");
        assert_eq!(time_left_text(5 * 3_600 + 59), "5 hours left");
    }

    #[test]
    fn limits_are_days_or_shares_of_the_lifetime() {
        assert_eq!(Limit::parse("30"), Ok(Limit::Days(30)));
        assert_eq!(Limit::parse("33%"), Ok(Limit::Percent(33.0)));
        assert!(Limit::parse("-1").is_err() && Limit::parse("150%").is_err() && Limit::parse("soon").is_err());
        assert_eq!(Limit::Percent(100.0 / 3.0).as_text(), "33.3%");
    }

    #[test]
    fn by_default_long_lived_certificates_keep_days_and_short_lived_ones_get_shares() {
        let default = Thresholds::default();
        // A 398-day and a 90-day certificate: 30 and 14 days, as Nagios setups expect.
        for lifetime in [398, 90] {
            let limits = default.for_certificate(0, lifetime * DAY);
            assert_eq!((limits.warning_seconds, limits.critical_seconds), (30 * DAY, 14 * DAY));
            assert!(!limits.relative);
        }
        // A 47-day certificate: a third (15.7 days) and a tenth (4.7 days).
        let limits = default.for_certificate(0, 47 * DAY);
        assert!(limits.relative);
        assert_eq!(days_text(limits.warning_seconds), "15.7");
        assert_eq!(days_text(limits.critical_seconds), "4.7");
        // A 6-day certificate: 2 days and 14.4 hours.
        let limits = default.for_certificate(0, 6 * DAY);
        assert_eq!(limits.warning_seconds, 2 * DAY);
        assert_eq!(limits.critical_seconds, 6 * DAY / 10);
        // Given days hold for every certificate.
        let days = Thresholds {
            by_lifetime: false,
            ..Thresholds::default()
        };
        assert_eq!(days.for_certificate(0, 6 * DAY).warning_seconds, 30 * DAY);
    }
}
