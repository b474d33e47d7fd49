//! One run, from a validated plan to results: probe the targets and files, gather the disk,
//! CAA and name-resolution evidence they call for, then analyse.

use std::path::PathBuf;

use crate::analysis::certificate::CertInfo;
use crate::analysis::{Policy, assess_all, caa, resolution};
use crate::evidence::{Evidence, Observation, Origin};
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

/// Looks up CAA for the leaf names of every chain (each name once) and attaches the lookups.
async fn add_caa_evidence(evidence: &mut [Evidence], plan: &Plan) {
    let Some(dns) = &plan.dns else { return };
    let issuer_given = !plan.policy.caa_issuers.is_empty();
    let per_source: Vec<Vec<String>> = evidence
        .iter()
        .map(|e| {
            e.observation
                .served_certificates()
                .first()
                .map(|leaf| caa::names_to_look_up(&CertInfo::from_der(leaf, plan.policy.at_unix), issuer_given))
                .unwrap_or_default()
        })
        .collect();
    let mut unique: Vec<String> = Vec::new();
    for name in per_source.iter().flatten() {
        if !unique.contains(name) {
            unique.push(name.clone());
        }
    }
    if unique.is_empty() {
        return;
    }
    let lookups = probe::dns::lookup_caa(&unique, dns).await;
    for (source, names) in evidence.iter_mut().zip(per_source) {
        source.caa = names
            .iter()
            .filter_map(|name| lookups.iter().find(|l| l.name == *name).cloned())
            .collect();
    }
}

/// Resolves the target's name and the leaf's names of every source (each name once) and
/// attaches the resolutions.
async fn add_name_evidence(evidence: &mut [Evidence], plan: &Plan) {
    let per_source: Vec<Vec<String>> = evidence
        .iter()
        .map(|e| {
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
                let leaf = CertInfo::from_der(leaf, plan.policy.at_unix);
                names.extend(
                    resolution::certificate_names(&leaf)
                        .into_iter()
                        .filter(|n| !names.contains(n))
                        .collect::<Vec<_>>(),
                );
            }
            names
        })
        .collect();
    let mut unique: Vec<String> = Vec::new();
    for name in per_source.iter().flatten() {
        if !unique.contains(name) {
            unique.push(name.clone());
        }
    }
    let resolved = probe::names::resolve_names(&unique, &plan.resolution).await;
    for (source, names) in evidence.iter_mut().zip(per_source) {
        source.names = names
            .iter()
            .filter_map(|name| resolved.iter().find(|r| r.name == *name).cloned())
            .collect();
    }
}

/// Probes, analyses and returns the finished run.
pub async fn scan(plan: &Plan) -> Run {
    let mut evidence = probe::probe_targets(&plan.targets, &plan.probe).await;
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
        });
    }
    probe::disk::add_disk_evidence(&mut evidence, plan.pkcs12_password.as_deref());
    add_caa_evidence(&mut evidence, plan).await;
    add_name_evidence(&mut evidence, plan).await;
    Run {
        started_at: plan.started_at.clone(),
        evaluated_at: plan.evaluated_at.clone(),
        warning_days: plan.policy.thresholds.warning_days,
        critical_days: plan.policy.thresholds.critical_days,
        targets: assess_all(&evidence, &plan.policy),
    }
}
