//! One run, from a validated plan to results: probe the targets and files, gather the disk,
//! CAA and name-resolution evidence they call for, then analyse.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use tokio::time::Instant;

use crate::analysis::certificate::CertInfo;
use crate::analysis::{Policy, assess_all, caa, resolution};
use crate::evidence::{CaaLookup, Cap, Evidence, NameResolution, Observation, Origin};
use crate::probe::dns::DnsOptions;
use crate::probe::names::ResolutionOptions;
use crate::probe::{self, ProbeOptions};
use crate::report::{Format, Run};
use crate::target::{Extra, FileTarget, Host, Target};

/// Everything a scan needs, validated.
pub struct Plan {
    pub targets: Vec<Target>,
    /// Plain-HTTP API URLs found in Kazoo's UI configuration, with the file.
    pub kazoo_insecure: Vec<(PathBuf, String)>,
    pub files: Vec<FileTarget>,
    /// The password for PKCS#12 files, from `--password-env`.
    pub pkcs12_password: Option<String>,
    pub probe: ProbeOptions,
    /// Where this machine's own tables are read (`--config-root`, or `/` with `--local`), when the
    /// scan is about this machine.
    pub machine_root: Option<PathBuf>,
    /// `--color`.
    pub color: crate::cli::ColorChoice,
    /// `--fail-on` and `--ignore`, as given.
    pub gate: crate::report::Gate,
    /// `--shard` left this job nothing to scan: an empty run is then fine, not UNKNOWN.
    pub empty_shard: bool,
    /// How long the run may work, from its start (`--deadline`, or `-t` in Nagios format).
    pub run_budget: Option<std::time::Duration>,
    /// Where certscan's own DNS queries go; `None` with --no-dns.
    pub dns: Option<DnsOptions>,
    /// How names are resolved for the hosts and DNS checks.
    pub resolution: ResolutionOptions,
    pub policy: Policy,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub started_at: String,
    pub evaluated_at: String,
}

/// Names looked up per source, for CAA and for resolution each: a leaf with thousands of SANs
/// must not cost thousands of queries.
pub const MAX_LOOKUP_NAMES: usize = 32;

/// The names of every source to ask about, capped at [`MAX_LOOKUP_NAMES`] (the cap, when reached,
/// is recorded in the source's evidence), and the same names once each, in first-seen order.
fn lookup_requests(
    evidence: &mut [Evidence],
    what: &'static str,
    names_of: impl Fn(&Evidence) -> Vec<String>,
) -> (Vec<Vec<String>>, Vec<String>) {
    let mut unique = Vec::new();
    let mut seen = HashSet::new();
    let mut per_source = Vec::with_capacity(evidence.len());
    for source in evidence.iter_mut() {
        let mut names = names_of(source);
        if names.len() > MAX_LOOKUP_NAMES {
            source.caps.push(Cap {
                what,
                kept: MAX_LOOKUP_NAMES,
                total: names.len(),
            });
            names.truncate(MAX_LOOKUP_NAMES);
        }
        for name in &names {
            if seen.insert(name.clone()) {
                unique.push(name.clone());
            }
        }
        per_source.push(names);
    }
    (per_source, unique)
}

/// Looks up CAA for the leaf names of every chain and resolves every source's names (the
/// target's and the leaf's), both at once and each name once, all before `deadline`, then
/// attaches what was found to each source.
async fn add_lookup_evidence(evidence: &mut [Evidence], plan: &Plan, deadline: Instant) {
    let at_unix = plan.policy.at_unix;
    let issuer_given = !plan.policy.caa_issuers.is_empty();
    let (caa_per_source, caa_unique) = match &plan.dns {
        None => (vec![vec![]; evidence.len()], vec![]),
        Some(_) => lookup_requests(evidence, "certificate names looked up for CAA", |e| {
            e.observation
                .served_certificates()
                .first()
                .map(|leaf| caa::names_to_look_up(&CertInfo::from_der(leaf, at_unix), issuer_given))
                .unwrap_or_default()
        }),
    };
    let (names_per_source, names_unique) = lookup_requests(evidence, "names resolved", |e| {
        let mut names: Vec<String> = match &e.origin {
            Origin::Endpoint {
                host: Host::Dns(name), ..
            } => vec![name.clone()],
            Origin::Endpoint { .. } => vec![],
            Origin::File { .. } => plan
                .policy
                .names
                .iter()
                .filter(|n| n.parse::<std::net::IpAddr>().is_err())
                .cloned()
                .collect(),
        };
        if let Some(leaf) = e.observation.served_certificates().first() {
            let mut seen: HashSet<String> = names.iter().cloned().collect();
            let leaf = CertInfo::from_der(leaf, at_unix);
            names.extend(
                resolution::certificate_names(&leaf)
                    .into_iter()
                    .filter(|n| seen.insert(n.clone())),
            );
        }
        names
    });
    let caa_lookups = async {
        match &plan.dns {
            Some(dns) if !caa_unique.is_empty() => probe::dns::lookup_caa(&caa_unique, dns, deadline).await,
            _ => vec![],
        }
    };
    let resolutions = probe::names::resolve_names(&names_unique, &plan.resolution, deadline);
    let (caa_lookups, resolutions) = tokio::join!(caa_lookups, resolutions);
    let caa_by_name: HashMap<&str, &CaaLookup> = caa_lookups.iter().map(|l| (l.name.as_str(), l)).collect();
    let resolution_by_name: HashMap<&str, &NameResolution> = resolutions.iter().map(|r| (r.name.as_str(), r)).collect();
    for ((source, caa_names), resolution_names) in evidence.iter_mut().zip(caa_per_source).zip(names_per_source) {
        source.caa = caa_names
            .iter()
            .filter_map(|name| caa_by_name.get(name.as_str()).map(|l| (*l).clone()))
            .collect();
        source.names = resolution_names
            .iter()
            .filter_map(|name| resolution_by_name.get(name.as_str()).map(|r| (*r).clone()))
            .collect();
    }
}

/// Probes, analyses and returns the finished run.
pub async fn scan(plan: &Plan) -> Run {
    let mut probe_options = plan.probe.clone();
    probe_options.deadline = plan.run_budget.map(|budget| Instant::now() + budget);
    let mut evidence = probe::probe_targets(&plan.targets, &probe_options).await;
    evidence.extend(plan.files.iter().map(|file| {
        let mut read = probe::file::read_chain_file(&file.path, plan.pkcs12_password.as_deref());
        read.extra = file.extra.clone();
        read
    }));
    for (path, url) in &plan.kazoo_insecure {
        evidence.push(Evidence {
            input: url.clone(),
            origin: Origin::File { path: path.clone() },
            observation: Observation::PlainHttpUrl { url: url.clone() },
            caa: vec![],
            names: vec![],
            deploy: Default::default(),
            extra: Extra {
                source: Some(format!("kazoo {}", path.display())),
                ..Extra::default()
            },
            caps: vec![],
        });
    }
    probe::disk::add_disk_evidence(
        &mut evidence,
        plan.pkcs12_password.as_deref(),
        plan.machine_root.as_deref(),
    );
    // The lookups of every source get one endpoint timeout, within the run's deadline.
    let lookup_deadline = Instant::now() + plan.probe.timeout;
    let lookup_deadline = probe_options
        .deadline
        .map_or(lookup_deadline, |run| run.min(lookup_deadline));
    add_lookup_evidence(&mut evidence, plan, lookup_deadline).await;
    Run {
        empty_shard: plan.empty_shard,
        gate: plan.gate.clone(),
        started_at: plan.started_at.clone(),
        evaluated_at: plan.evaluated_at.clone(),
        warning_days: plan.policy.thresholds.warning_days,
        critical_days: plan.policy.thresholds.critical_days,
        targets: assess_all(&evidence, &plan.policy),
    }
}
