//! How the names that matter resolve: which names to look at, and the hosts-file and DNS
//! findings (a certificate name that does not point at 127.0.0.1 on the machine that serves it,
//! stale /etc/hosts pins, names that resolve nowhere).

use std::net::{IpAddr, Ipv4Addr};

use certscan_model::evidence::NameResolution;
use certscan_model::finding::{CheckId, Finding};
use certscan_model::status::Severity;
use certscan_x509::certificate::{CertInfo, SanEntry};

/// Whether the scanned endpoint is this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Locality {
    Remote,
    /// Inferred: the endpoint's address is a loopback or local interface address.
    Inferred,
    /// Declared with --local.
    Declared,
}

/// The leaf's DNS names worth resolving: its CNs and SAN DNS names, wildcards skipped, each once
/// (how many are looked up is capped where the lookups are made).
pub fn certificate_names(leaf: &CertInfo) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let candidates = leaf
        .common_names
        .iter()
        .cloned()
        .chain(leaf.san_entries.iter().filter_map(|san| match san {
            SanEntry::Dns(name) => Some(name.clone()),
            _ => None,
        }));
    for name in candidates {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !name.contains('*')
            && name.parse::<IpAddr>().is_err()
            && super::names::valid_reference_dns(&name)
            && seen.insert(name.clone())
        {
            names.push(name);
        }
    }
    names
}

/// One name's resolution as the JSON shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolutionView {
    pub name: String,
    pub hosts_file: Vec<String>,
    pub system: Option<Vec<String>>,
    pub system_error: Option<String>,
    pub dns: Option<Vec<String>>,
    pub dns_error: Option<String>,
}

fn strings(addresses: &[IpAddr]) -> Vec<String> {
    addresses.iter().map(IpAddr::to_string).collect()
}

fn split(view: &Option<Result<Vec<IpAddr>, String>>) -> (Option<Vec<String>>, Option<String>) {
    match view {
        None => (None, None),
        Some(Ok(addresses)) => (Some(strings(addresses)), None),
        Some(Err(error)) => (None, Some(error.clone())),
    }
}

pub(crate) fn view(resolution: &NameResolution) -> ResolutionView {
    let (system, system_error) = split(&resolution.system);
    let (dns, dns_error) = split(&resolution.dns);
    ResolutionView {
        name: resolution.name.clone(),
        hosts_file: strings(&resolution.hosts_file),
        system,
        system_error,
        dns,
        dns_error,
    }
}

fn list(addresses: &[IpAddr]) -> String {
    strings(addresses).join(", ")
}

/// Findings for the resolutions of one target. `certificate_names` are the leaf's names.
pub(crate) fn findings(
    resolutions: &[NameResolution],
    certificate_names: &[String],
    locality: Locality,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let local = locality != Locality::Remote;
    for r in resolutions {
        let name = &r.name;
        let is_certificate_name = certificate_names.contains(name);
        if is_certificate_name && local {
            let v4: Vec<IpAddr> = r.hosts_file.iter().copied().filter(IpAddr::is_ipv4).collect();
            let wrong = v4.iter().any(|a| *a != IpAddr::V4(Ipv4Addr::LOCALHOST))
                || (v4.is_empty() && r.hosts_file.iter().any(|a| !a.is_loopback()));
            let missing = r.hosts_file.is_empty();
            if wrong || (missing && locality == Locality::Declared) {
                let seen = if missing {
                    "does not list it".to_string()
                } else {
                    format!("maps it to {}", list(&r.hosts_file))
                };
                findings.push(
                    Finding::new(
                        CheckId::HostsLoopbackMismatch,
                        format!("the certificate name {name} must resolve to 127.0.0.1 on this machine, but the hosts file {seen}"),
                    )
                    .with_remediation(format!(
                        "Put \"127.0.0.1 {name}\" in /etc/hosts (on Wazo through the custom template of the custom-certificate procedure, so upgrades keep it) and remove any 127.0.1.1 line for {name}; check with: getent ahosts {name}"
                    )),
                );
            }
        }
        if let Some(Ok(dns)) = &r.dns {
            let stale: Vec<IpAddr> = r.hosts_file.iter().copied().filter(|a| !dns.contains(a)).collect();
            let wazo_pin = local && r.hosts_file.iter().all(IpAddr::is_loopback);
            if !dns.is_empty() && !stale.is_empty() && !wazo_pin {
                let severity = if local { Severity::Info } else { Severity::Warning };
                findings.push(
                    Finding::new(
                        CheckId::HostsOverridesDns,
                        format!(
                            "the hosts file pins {name} to {}, which DNS does not give (DNS: {})",
                            list(&stale),
                            list(dns)
                        ),
                    )
                    .with_severity(severity),
                );
            }
        }
        let system_found = matches!(&r.system, Some(Ok(a)) if !a.is_empty());
        let dns_found = matches!(&r.dns, Some(Ok(a)) if !a.is_empty());
        let dns_failed = matches!(&r.dns, Some(Err(_)));
        let asked = r.system.is_some() || r.dns.is_some();
        if is_certificate_name && asked && r.hosts_file.is_empty() && !system_found && !dns_found && !dns_failed {
            findings.push(Finding::new(
                CheckId::CertNameUnresolvable,
                format!("the certificate name {name} resolves neither through the hosts file nor DNS"),
            ));
        }
    }
    findings
}

/// How the target's name and the certificate's names resolve, and what disagrees. The loopback
/// rule applies only where a platform in play asks for it.
pub(crate) fn check(source: &crate::Enriched, policy: &crate::Policy, result: &mut crate::TargetResult) {
    let evidence = &source.parsed.evidence;
    if source.lookups.names.is_empty() {
        return;
    }
    let locality = if policy.assume_local {
        Locality::Declared
    } else {
        match &evidence.origin {
            certscan_model::evidence::Origin::Endpoint { address: Some(a), .. }
                if a.is_loopback() || policy.local_addresses.contains(a) =>
            {
                Locality::Inferred
            }
            _ => Locality::Remote,
        }
    };
    let mut certificate_names = result
        .chain
        .first()
        .map(|leaf| certificate_names(leaf))
        .unwrap_or_default();
    // A SIP domain reached through its SRV records needs no address of its own (RFC 3263).
    if let Some(located) = &evidence.extra.located
        && located.route != certscan_model::sip::Route::DomainAddress
    {
        certificate_names.retain(|name| *name != located.lookup.domain);
    }
    result.resolution = source.lookups.names.iter().map(view).collect();
    let mut found = findings(&source.lookups.names, &certificate_names, locality);
    if !policy.platforms.iter().any(|p| p.names_resolve_to_loopback()) {
        found.retain(|f| f.id != CheckId::HostsLoopbackMismatch);
    }
    result.findings.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolution(name: &str, hosts: &[&str], dns: Option<&[&str]>) -> NameResolution {
        let parse = |list: &[&str]| list.iter().map(|a| a.parse().unwrap()).collect::<Vec<IpAddr>>();
        NameResolution {
            name: name.into(),
            hosts_file: parse(hosts),
            hosts_lines: (1..=hosts.len()).collect(),
            system: None,
            dns: dns.map(|d| Ok(parse(d))),
        }
    }

    fn ids(findings: &[Finding]) -> Vec<CheckId> {
        findings.iter().map(|f| f.id).collect()
    }

    const NAME: &str = "wazo.example.com";

    #[test]
    fn debian_127_0_1_1_line_breaks_a_local_service() {
        let names = [NAME.to_string()];
        let debian = [resolution(NAME, &["127.0.1.1"], None)];
        assert_eq!(
            ids(&findings(&debian, &names, Locality::Inferred)),
            [CheckId::HostsLoopbackMismatch]
        );
        assert!(findings(&debian, &names, Locality::Remote).is_empty());
        let right = [resolution(NAME, &["127.0.0.1", "::1"], None)];
        assert!(findings(&right, &names, Locality::Declared).is_empty());
        let missing = [resolution(NAME, &[], None)];
        assert!(
            findings(&missing, &names, Locality::Inferred).is_empty(),
            "only --local asks for the entry"
        );
        assert_eq!(
            ids(&findings(&missing, &names, Locality::Declared)),
            [CheckId::HostsLoopbackMismatch]
        );
        let target_only = [resolution(NAME, &["127.0.1.1"], None)];
        assert!(
            findings(&target_only, &[], Locality::Declared).is_empty(),
            "not a certificate name"
        );
    }

    #[test]
    fn stale_pins_differ_from_dns() {
        let names = [NAME.to_string()];
        let stale = [resolution(NAME, &["192.0.2.1"], Some(&["198.51.100.7"]))];
        let remote = findings(&stale, &names, Locality::Remote);
        assert_eq!(ids(&remote), [CheckId::HostsOverridesDns]);
        assert_eq!(remote[0].severity, Severity::Warning);
        assert!(remote[0].detail.contains("192.0.2.1") && remote[0].detail.contains("198.51.100.7"));
        let local = findings(
            &[resolution(NAME, &["192.0.2.1"], Some(&["198.51.100.7"]))],
            &[],
            Locality::Inferred,
        );
        assert_eq!(local[0].severity, Severity::Info);
        let agreeing = [resolution(NAME, &["198.51.100.7"], Some(&["198.51.100.7"]))];
        assert!(findings(&agreeing, &names, Locality::Remote).is_empty());
        let wazo_pin = [resolution(NAME, &["127.0.0.1"], Some(&["198.51.100.7"]))];
        assert!(
            findings(&wazo_pin, &names, Locality::Declared).is_empty(),
            "the loopback pin is the local setup"
        );
        let internal_only = [resolution(NAME, &["10.1.2.3"], Some(&[]))];
        assert!(
            findings(&internal_only, &names, Locality::Remote).is_empty(),
            "DNS does not know the name at all"
        );
    }

    #[test]
    fn certificate_names_that_resolve_nowhere() {
        let names = ["old.example.com".to_string()];
        let nowhere = [resolution("old.example.com", &[], Some(&[]))];
        assert_eq!(
            ids(&findings(&nowhere, &names, Locality::Remote)),
            [CheckId::CertNameUnresolvable]
        );
        let unasked = [resolution("old.example.com", &[], None)];
        assert!(
            findings(&unasked, &names, Locality::Remote).is_empty(),
            "with only the hosts file nothing can be concluded"
        );
        let failed = [NameResolution {
            name: "old.example.com".into(),
            hosts_file: vec![],
            hosts_lines: vec![],
            system: None,
            dns: Some(Err("SERVFAIL".into())),
        }];
        assert!(findings(&failed, &names, Locality::Remote).is_empty());
    }
}
