//! What a platform adds to the analysis: checks of its own, the wording of findings for its
//! setup, and which of the common rules it takes part in. certscan-platforms implements
//! [`PlatformRules`] for each platform certscan knows; the checks here name none of them.

use crate::{Check, Enriched, Policy, TargetResult};

/// A platform's part in the analysis.
pub trait PlatformRules: std::fmt::Debug + Send + Sync {
    /// Checks of its own, run after the deployment checks and before the name checks.
    fn checks(&self) -> &'static [Check] {
        &[]
    }

    /// How it words findings for its setup (where its certificate lives, how it is reloaded),
    /// run after every check; a later platform may reword what an earlier one did.
    fn rewordings(&self) -> &'static [Check] {
        &[]
    }

    /// Whether its services reach each other through the certificate's names on the machine
    /// that serves it, so those names must resolve to 127.0.0.1 there
    /// (`hosts.loopback_mismatch`). Elsewhere a name mapped to the LAN address is normal.
    fn names_resolve_to_loopback(&self) -> bool {
        false
    }
}

/// The platforms' own checks, in the order the platforms are given.
pub(crate) fn check(source: &Enriched, policy: &Policy, result: &mut TargetResult) {
    for check in policy.platforms.iter().flat_map(|p| p.checks()) {
        check(source, policy, result);
    }
}

/// The platforms' wording, in the order the platforms are given.
pub(crate) fn reword(source: &Enriched, policy: &Policy, result: &mut TargetResult) {
    for reword in policy.platforms.iter().flat_map(|p| p.rewordings()) {
        reword(source, policy, result);
    }
}
