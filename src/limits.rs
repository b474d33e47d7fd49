//! Process limits: the open-file limit that probing at a given concurrency needs, raised at
//! start within what the system allows, and the number of endpoints that may wait within it.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors an active endpoint may hold at once: its connection, a second one for a retry
/// or for certscan's own ClientHello, and a DNS socket.
const PER_ACTIVE: u64 = 3;
/// Descriptors an endpoint waiting quietly holds: its connection, and one for a retry.
const PER_QUIET: u64 = 2;
/// Descriptors for everything else: standard streams, the async runtime, files read.
const BASE: u64 = 64;

/// The open-file limit that `active` endpoints and `quiet` waiting ones need.
pub(crate) fn open_files_needed(active: usize, quiet: usize) -> u64 {
    BASE + PER_ACTIVE * active as u64 + PER_QUIET * quiet as u64
}

/// How many endpoints may wait quietly, after the open-file limit was raised for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpenFilesBudget {
    pub quiet: usize,
    /// Fewer than asked, because of the hard limit.
    pub quiet_limited: bool,
    /// For the user, when even the active endpoints do not fit.
    pub warning: Option<String>,
}

/// Raises the soft open-file limit to what `active` endpoints and `quiet_wanted` waiting ones
/// need, or as far as the hard limit allows, and says how many may wait within it.
pub(crate) fn open_files_for(active: usize, quiet_wanted: usize) -> OpenFilesBudget {
    let now = raise_open_files(open_files_needed(active, quiet_wanted));
    let for_active = open_files_needed(active, 0);
    let quiet = (now.saturating_sub(for_active) / PER_QUIET).min(quiet_wanted as u64) as usize;
    let warning = (now < for_active).then(|| {
        let hard = getrlimit(Resource::Nofile).maximum.unwrap_or(u64::MAX);
        format!(
            "the open-file limit is {now} (hard limit {hard}) but --concurrency {active} needs about {for_active}: endpoints that find no free descriptor are reported UNKNOWN (certscan.resource_limit); lower --concurrency or raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit)"
        )
    });
    OpenFilesBudget {
        quiet,
        quiet_limited: quiet < quiet_wanted,
        warning,
    }
}

/// Raises the soft open-file limit to `needed`, or as far as the hard limit allows; returns the
/// soft limit in force after.
fn raise_open_files(needed: u64) -> u64 {
    let limit = getrlimit(Resource::Nofile);
    // `None` means unlimited.
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= needed {
        return current;
    }
    let hard = limit.maximum.unwrap_or(u64::MAX);
    let wanted = needed.min(hard);
    let raised = wanted > current
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(wanted),
                maximum: limit.maximum,
            },
        )
        .is_ok();
    if raised { wanted } else { current }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_need_grows_with_concurrency() {
        assert_eq!(open_files_needed(0, 0), BASE);
        assert_eq!(open_files_needed(1000, 0), BASE + 3000);
        assert_eq!(open_files_needed(100, 1000), BASE + 300 + 2000);
    }

    #[test]
    fn a_limit_already_high_enough_is_left_alone() {
        let before = getrlimit(Resource::Nofile);
        let budget = open_files_for(1, 1);
        assert_eq!((budget.quiet, budget.quiet_limited, budget.warning), (1, false, None));
        assert_eq!(getrlimit(Resource::Nofile), before);
    }
}
