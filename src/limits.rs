//! Process limits: the open-file limit that probing at a given concurrency needs, raised at
//! start within what the system allows.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors one endpoint may hold at once: its connection, a second one for a retry or for
/// certscan's own ClientHello, and a DNS socket.
const PER_ENDPOINT: u64 = 3;
/// Descriptors for everything else: standard streams, the async runtime, files read.
const BASE: u64 = 64;

/// The open-file limit that probing `concurrency` endpoints at once needs.
pub fn open_files_needed(concurrency: usize) -> u64 {
    BASE + PER_ENDPOINT * concurrency as u64
}

/// Raises the soft open-file limit to `needed`, or as far as the hard limit allows. Returns a
/// warning for the user when the hard limit is lower than what is needed.
pub fn raise_open_files(needed: u64, concurrency: usize) -> Option<String> {
    let limit = getrlimit(Resource::Nofile);
    // `None` means unlimited.
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= needed {
        return None;
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
    let now = if raised { wanted } else { current };
    (now < needed).then(|| {
        format!(
            "the open-file limit is {now} (hard limit {hard}) but --concurrency {concurrency} needs about {needed}: endpoints that find no free descriptor are reported UNKNOWN (certscan.resource_limit); lower --concurrency or raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_need_grows_with_concurrency() {
        assert_eq!(open_files_needed(0), BASE);
        assert_eq!(open_files_needed(1000), BASE + 3000);
    }

    #[test]
    fn a_limit_already_high_enough_is_left_alone() {
        let before = getrlimit(Resource::Nofile);
        assert_eq!(raise_open_files(16, 1), None);
        assert_eq!(getrlimit(Resource::Nofile), before);
    }
}
