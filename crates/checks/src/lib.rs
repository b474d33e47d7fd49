//! The checks: pure functions that turn evidence into per-target results with findings. No file
//! or network I/O happens here (the caller loads trust stores and files), so every check is
//! unit-tested from certificates and observations alone.

pub(crate) mod accepted;
pub(crate) mod by_hand;
pub mod caa;
pub(crate) mod chain;
pub mod clients;
pub mod compliance;
pub(crate) mod conformity;
pub(crate) mod connection;
pub(crate) mod crypto;
pub mod deploy;
pub mod issuers;
pub(crate) mod leaf_rules;
pub(crate) mod mutual;
pub mod names;
pub(crate) mod observation;
pub mod platform;
pub mod protocol;
pub mod resolution;
pub mod revocation;
pub(crate) mod served;
pub mod sip;
pub mod validity;

pub use platform::PlatformRules;

use std::collections::BTreeMap;
use std::sync::Arc;

use certscan_model::evidence::{Evidence, Lookups, Observation, Origin, TlsParameters};
use certscan_model::finding::{CheckId, Finding, collapse_repeated, sort_worst_first};
use certscan_model::status::Status;
use certscan_model::target::{Host, Protocol, host_port};
use certscan_x509::certificate::CertInfo;
use certscan_x509::parsed;
use certscan_x509::trust::TrustStore;
use validity::Thresholds;

/// What the analysis judges against.
#[derive(Debug, Clone)]
pub struct Policy {
    pub trust: TrustStore,
    /// The evaluation time, seconds since the epoch (`--at`, else now).
    pub at_unix: i64,
    pub thresholds: Thresholds,
    /// Names to check (`--name`); when empty, an endpoint's own host name is checked.
    pub names: Vec<String>,
    /// CAA identifiers to ask about (`--caa-issuer`); when empty, the issuing CA's.
    pub caa_issuers: Vec<String>,
    /// Findings accepted with `--ignore`: a check id, for every target or for one host.
    pub ignore: Vec<(CheckId, Option<String>)>,
    /// This machine's addresses, to tell when an endpoint is local.
    pub local_addresses: Vec<std::net::IpAddr>,
    /// `--local`: the scanned services run on this machine.
    pub assume_local: bool,
    /// Ports of this machine that the reverse proxy forwards to in plain HTTP, as
    /// (`proxy_pass` as written, port), from `--nginx-conf`.
    pub proxied_backends: Vec<(String, u16)>,
    /// The platforms in play, in the order their wording applies: their own checks and rules
    /// and their remediation texts.
    pub platforms: Vec<&'static dyn platform::PlatformRules>,
    /// Accounts that must be able to read certificate and key files (`--readable-by`).
    pub readable_by: Vec<deploy::Account>,
    /// The command that makes the service load a renewed certificate.
    pub reload_command: String,
    /// `--write-chain`: where the chain corrected with fetched issuers is written.
    pub write_chain: Option<std::path::PathBuf>,
    /// `--policy`: the compliance policy every result is judged against.
    pub compliance: Option<Arc<compliance::CompliancePolicy>>,
    /// The `--ca-file` certificates of `trust`, parsed once for the run.
    pub given_anchors: Arc<Vec<CertInfo>>,
    /// The certificates the run's analyses parsed, each certificate met again parsed once.
    pub parsed: parsed::ParsedCertificates,
    /// The client families whose failure makes a finding critical (`--clients`, else the
    /// mainstream families and those the profile in play implies).
    pub deciding_clients: Vec<String>,
    /// The `--ca-file` paths, for the by-hand commands.
    pub ca_files: Vec<String>,
    /// `--mutual-tls`: the certificates checked are also presented as client certificates
    /// (a SIP trunk's, which the server shows when it calls out).
    pub mutual_tls: bool,
}

/// Whether the chain validates to a trusted anchor for the names at the evaluation time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// `None` when there was no chain to verify.
    pub valid: Option<bool>,
    pub error: Option<String>,
    /// The trust anchor the validated path ends at.
    pub anchor: Option<String>,
    /// The validated path ends at a root of the Mozilla or system store (not a `--ca-file`).
    pub public: bool,
    /// The SHA-256 of the trust anchor's SubjectPublicKeyInfo.
    pub anchor_spki_sha256: Option<Vec<u8>>,
}

/// The expiry thresholds of the certificate that expires first, in days (fractions when they
/// are shares of a short lifetime).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpiryThresholds {
    pub warning_days: f64,
    pub critical_days: f64,
    /// `days` (given in days) or `lifetime` (shares of the certificate's lifetime).
    pub basis: &'static str,
}

/// Everything known about one target (one address of an endpoint, or one file).
#[derive(Debug, Clone)]
pub struct TargetResult {
    pub input: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub address: Option<String>,
    pub sni: Option<String>,
    pub file: Option<String>,
    pub protocol: Option<Protocol>,
    /// What runs on the port, from a platform profile.
    pub service: Option<String>,
    /// Where the target came from when it was read from a configuration (nginx, certbot).
    pub source: Option<String>,
    pub status: Status,
    pub tls: Option<TlsParameters>,
    /// What the application protocol exchange after the handshake saw.
    pub exchange: Option<protocol::ExchangeView>,
    pub names_checked: Vec<String>,
    pub chain: Vec<Arc<CertInfo>>,
    pub verification: Verification,
    /// Days until the first certificate of the path expires (negative once expired).
    pub days_left: Option<i64>,
    /// The expiry thresholds in force for that certificate, in days.
    pub expiry_thresholds: Option<ExpiryThresholds>,
    /// Owner, group and mode of the certificate and key files.
    pub files: Vec<deploy::FileView>,
    /// How the target's name and the certificate's names resolve.
    pub resolution: Vec<resolution::ResolutionView>,
    /// CAA verdicts, one per certificate name looked up.
    pub caa: Vec<caa::CaaReport>,
    /// The stapled OCSP response and the answers `--revocation` fetched, checked.
    pub revocation: Option<revocation::RevocationView>,
    /// What `--fetch-issuer` fetched from the chain's CA Issuers URLs.
    pub fetched_issuers: Vec<issuers::FetchedIssuerView>,
    /// The chain that validates once the fetched issuers are added, as PEM (leaf first).
    pub corrected_chain: Option<String>,
    pub findings: Vec<Finding>,
    /// What each family of clients does with this target, and why.
    pub clients: Vec<clients::FamilyVerdict>,
    /// For SIPS endpoints: how the endpoint was found and which SIP clients accept its
    /// certificate for the SIP domain.
    pub sip: Option<sip::SipView>,
    /// Check ids of the findings that `--ignore` removed here.
    pub ignored: Vec<String>,
}

impl TargetResult {
    /// A result with nothing known yet but the input.
    pub fn empty(input: String) -> TargetResult {
        TargetResult {
            input,
            host: None,
            port: None,
            address: None,
            sni: None,
            file: None,
            protocol: None,
            service: None,
            source: None,
            status: Status::Ok,
            tls: None,
            exchange: None,
            names_checked: vec![],
            chain: vec![],
            verification: Verification::default(),
            days_left: None,
            expiry_thresholds: None,
            files: vec![],
            resolution: vec![],
            caa: vec![],
            revocation: None,
            fetched_issuers: vec![],
            corrected_chain: None,
            findings: vec![],
            clients: vec![],
            sip: None,
            ignored: vec![],
        }
    }

    /// `host:port` for endpoints, the path for files.
    pub fn label(&self) -> String {
        match (&self.host, self.port, &self.file) {
            (Some(host), Some(port), _) => {
                let host = host.parse().map(Host::Ip).unwrap_or_else(|_| Host::Dns(host.clone()));
                host_port(&host, port)
            }
            (_, _, Some(file)) => file.clone(),
            _ => self.input.clone(),
        }
    }

    fn recompute_status(&mut self) {
        self.findings = collapse_repeated(std::mem::take(&mut self.findings));
        sort_worst_first(&mut self.findings);
        self.status = Status::worst_of(self.findings.iter().map(|f| f.severity.status()));
    }
}

/// Analyses every source, then what only shows across them (addresses of one name serving
/// different certificates).
pub fn assess_all(sources: &[Enriched], policy: &Policy) -> Vec<TargetResult> {
    let mut results: Vec<TargetResult> = sources.iter().map(|s| assess_isolated(s, policy)).collect();
    address_drift(&mut results);
    results
}

/// The result for a line of a targets file that is not a target: UNKNOWN, saying where it is
/// and what is wrong, so the rest of the list is still scanned and reported.
pub fn invalid_target(input: &str, error: &str) -> TargetResult {
    let mut result = TargetResult::empty(input.to_string());
    result.findings.push(Finding::new(CheckId::TargetInvalid, error));
    result.recompute_status();
    result
}

/// [`assess`], where a failure (a panic, which is a bug) becomes this target's UNKNOWN result
/// instead of ending the run.
pub(crate) fn assess_isolated(source: &Enriched, policy: &Policy) -> TargetResult {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assess(source, policy))) {
        Ok(result) => result,
        Err(payload) => {
            let failed = Evidence {
                observation: Observation::InternalError {
                    message: certscan_model::fault::panic_message(payload.as_ref()),
                },
                deploy: Default::default(),
                ..source.parsed.evidence.clone()
            };
            let failed = Enriched {
                parsed: Parsed {
                    evidence: failed,
                    chain: vec![],
                    served: 0,
                },
                lookups: Lookups::default(),
            };
            assess(&failed, policy)
        }
    }
}

/// A source's evidence with the chain it served parsed, each certificate once: what the lookups
/// that follow the probe and the checks read.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub evidence: Evidence,
    /// The served chain, leaf first, parsed (at most [`served::MAX_CHAIN_CERTIFICATES`]).
    pub chain: Vec<Arc<CertInfo>>,
    /// How many certificates were served.
    pub served: usize,
}

impl Parsed {
    /// Parses the chain the evidence holds (a served chain, a file's, or what a server sent
    /// before its handshake failed), sharing certificates met before in the run.
    pub fn new(evidence: Evidence, policy: &Policy) -> Parsed {
        let served = evidence.observation.served_certificates();
        let chain = served
            .iter()
            .take(served::MAX_CHAIN_CERTIFICATES)
            .map(|c| policy.parsed.parse(c.as_ref(), policy.at_unix))
            .collect();
        let served = served.len();
        Parsed {
            evidence,
            chain,
            served,
        }
    }

    /// The served leaf, parsed or not.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.chain.first().map(|c| &**c)
    }
}

/// A parsed source with what was looked up and fetched for it: what the checks read.
#[derive(Debug, Clone)]
pub struct Enriched {
    pub parsed: Parsed,
    pub lookups: Lookups,
}

/// One check: reads the source, the policy and what the checks before it filled in, and adds
/// its findings (and the views it owns) to the result.
pub type Check = fn(&Enriched, &Policy, &mut TargetResult);

/// The checks, in the order they run. A new check is a function in the module of its subject
/// and one line here.
pub(crate) const CHECKS: &[Check] = &[
    describe_origin,
    observation::check,
    capped,
    deploy::check,
    platform::check,
    resolution::check,
    caa::check,
    sip::check,
];

/// How findings are worded for the setup in play: each platform's wording, in the order
/// the platforms are given.
const REWORDINGS: &[Check] = &[platform::reword];

/// Analyses one source: the checks, the wording for the setup in play, the compliance
/// policy, then what `--ignore` accepts.
pub(crate) fn assess(source: &Enriched, policy: &Policy) -> TargetResult {
    let evidence = &source.parsed.evidence;
    if !matches!(evidence.observation, Observation::InternalError { .. }) {
        certscan_model::fault::injected_fault("analysis", &evidence.input);
    }
    let mut result = TargetResult::empty(evidence.input.clone());
    for check in CHECKS.iter().chain(REWORDINGS) {
        check(source, policy, &mut result);
    }
    by_hand::fill(&policy.ca_files, &mut result);
    clients::judge(&policy.deciding_clients, &mut result);
    compliance::check(source, policy, &mut result);
    ignore(policy, &mut result);
    by_hand::fill(&policy.ca_files, &mut result);
    result.recompute_status();
    result
}

/// Where the target is, and the names its certificate must be valid for.
fn describe_origin(source: &Enriched, policy: &Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    let own_name = match &evidence.origin {
        Origin::Endpoint {
            host,
            port,
            address,
            sni,
            protocol,
            service,
            ..
        } => {
            result.service = service.clone();
            result.host = Some(host.to_string());
            result.port = Some(*port);
            result.address = address.map(|a| a.to_string());
            result.sni = sni.clone();
            result.protocol = Some(*protocol);
            Some(host.to_string())
        }
        Origin::File { path } => {
            result.file = Some(path.display().to_string());
            None
        }
    };
    result.names_checked = match (&evidence.extra.names, policy.names.is_empty()) {
        (Some(names), _) => names.clone(),
        (None, true) => own_name.into_iter().collect(),
        (None, false) => policy.names.clone(),
    };
    result.source = evidence.extra.source.clone();
}

/// What the probe left out to keep the run bounded (`certscan.capped`).
fn capped(source: &Enriched, _: &Policy, result: &mut TargetResult) {
    for cap in &source.lookups.caps {
        result.findings.push(Finding::new(
            CheckId::Capped,
            format!(
                "only the first {} of {} {} were used, to keep the run bounded",
                cap.kept, cap.total, cap.what
            ),
        ));
    }
}

/// Accepted findings leave the verdict, and are counted where they were.
fn ignore(policy: &Policy, result: &mut TargetResult) {
    let host = result.host.clone();
    let ignored_here = |f: &Finding| {
        policy.ignore.iter().any(|(id, only)| {
            *id == f.id
                && only
                    .as_ref()
                    .is_none_or(|h| host.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(h)))
        })
    };
    let (ignored, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut result.findings)
        .into_iter()
        .partition(|f| ignored_here(f));
    result.findings = kept;
    result.ignored = ignored.iter().map(|f| f.id.to_string()).collect();
}

/// Endpoints of one host and port whose addresses serve different leaf certificates.
fn address_drift(results: &mut [TargetResult]) {
    let mut groups: BTreeMap<(String, u16), Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if let (Some(host), Some(port), Some(_), false) = (&r.host, r.port, &r.address, r.chain.is_empty()) {
            groups.entry((host.clone(), port)).or_default().push(i);
        }
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        let mut fingerprints: Vec<&str> = members.iter().map(|&i| results[i].chain[0].sha256.as_str()).collect();
        fingerprints.sort();
        fingerprints.dedup();
        if fingerprints.len() < 2 {
            continue;
        }
        let served: Vec<String> = members
            .iter()
            .map(|&i| {
                let r = &results[i];
                format!(
                    "{} serves {} ({})",
                    r.address.as_deref().unwrap_or("?"),
                    r.chain[0].label(),
                    &r.chain[0].sha256[..23]
                )
            })
            .collect();
        let detail = format!(
            "the addresses of this name serve different leaf certificates: {}",
            served.join("; ")
        );
        for &i in members {
            results[i]
                .findings
                .push(Finding::new(CheckId::AddressDrift, detail.clone()));
            results[i].recompute_status();
        }
    }
}
