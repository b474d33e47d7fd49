//! Severities of findings and the Nagios-style status of an endpoint or a whole run.

use serde::{Deserialize, Serialize};

/// How bad one finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; does not change the status.
    Info,
    Warning,
    Critical,
    /// The check could not be made (a lookup failed, a file could not be read).
    Unknown,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
            Severity::Unknown => "unknown",
        }
    }

    /// The status a finding of this severity gives its endpoint on its own.
    pub fn status(self) -> Status {
        match self {
            Severity::Info => Status::Ok,
            Severity::Warning => Status::Warning,
            Severity::Critical => Status::Critical,
            Severity::Unknown => Status::Unknown,
        }
    }

    /// Sort key, worst first: critical, unknown, warning, info.
    pub(crate) fn rank(self) -> u8 {
        self.status().rank()
    }
}

/// The status of an endpoint or of a run, with the Nagios plugin exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Ok, Status::Warning, Status::Critical, Status::Unknown];

    /// Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Critical => "critical",
            Status::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// How bad a status is when statuses are combined. CRITICAL outranks UNKNOWN, so that a
    /// failed lookup on one endpoint never hides an expired certificate on another.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Unknown => 2,
            Status::Critical => 3,
        }
    }

    /// The worse of two statuses.
    pub(crate) fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() { other } else { self }
    }

    /// The worst of many statuses; OK when there are none.
    pub fn worst_of(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses.into_iter().fold(Status::Ok, Status::worst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_outranks_unknown_which_outranks_warning() {
        assert_eq!(Status::worst_of([Status::Unknown, Status::Critical]), Status::Critical);
        assert_eq!(Status::worst_of([Status::Warning, Status::Unknown]), Status::Unknown);
        assert_eq!(Status::worst_of([Status::Ok, Status::Warning]), Status::Warning);
        assert_eq!(Status::worst_of([]), Status::Ok);
    }

    #[test]
    fn exit_codes_follow_nagios() {
        let codes: Vec<u8> = Status::ALL.iter().map(|s| s.exit_code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        assert_eq!(Severity::Info.status(), Status::Ok);
    }
}
