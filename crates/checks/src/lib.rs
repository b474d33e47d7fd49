//! The checks: pure functions that turn evidence into per-target results with findings. No file
//! or network I/O happens here (the caller loads trust stores and files), so every check is
//! unit-tested from certificates and observations alone.

pub mod caa;
pub mod chain;
pub mod compliance;
pub mod conformity;
pub mod connection;
pub mod crypto;
pub mod deploy;
pub mod issuers;
pub mod names;
pub mod platform;
pub mod protocol;
pub mod resolution;
pub mod revocation;
pub mod validity;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use rustls::pki_types::CertificateDer;

use certscan_model::evidence::{Evidence, HandshakeFacts, Observation, Origin, TlsParameters};
use certscan_model::finding::{CheckId, Finding, collapse_repeated, sort_worst_first, summarise_list};
use certscan_model::status::{Severity, Status};
use certscan_model::target::{Host, Protocol, host_port};
use certscan_x509::certificate::CertInfo;
use certscan_x509::parsed;
use certscan_x509::trust::{self, PathCheck, TrustStore};
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
    /// The platform whose profile is in use: its rules (Wazo's services reach each other through
    /// the certificate's name, `hosts.loopback_mismatch`) and its remediation texts.
    pub platform: Option<platform::Platform>,
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
}

/// Whether the chain validates to a trusted anchor for the names at the evaluation time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// `None` when there was no chain to verify.
    pub valid: Option<bool>,
    pub error: Option<String>,
    /// The trust anchor the validated path ends at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// The validated path ends at a root of the Mozilla or system store (not a `--ca-file`).
    #[serde(skip)]
    pub public: bool,
    /// The SHA-256 of the trust anchor's SubjectPublicKeyInfo.
    #[serde(skip)]
    pub anchor_spki_sha256: Option<Vec<u8>>,
}

/// The expiry thresholds of the certificate that expires first, in days (fractions when they
/// are shares of a short lifetime).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExpiryThresholds {
    pub warning_days: f64,
    pub critical_days: f64,
    /// `days` (given in days) or `lifetime` (shares of the certificate's lifetime).
    pub basis: &'static str,
}

/// Everything known about one target (one address of an endpoint, or one file).
#[derive(Debug, Clone, Serialize)]
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fetched_issuers: Vec<issuers::FetchedIssuerView>,
    /// The chain that validates once the fetched issuers are added, as PEM (leaf first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_chain: Option<String>,
    pub findings: Vec<Finding>,
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

/// Analyses every piece of evidence, then what only shows across them (addresses of one name
/// serving different certificates).
pub fn assess_all(evidence: &[Evidence], policy: &Policy) -> Vec<TargetResult> {
    let mut results: Vec<TargetResult> = evidence.iter().map(|e| assess_isolated(e, policy)).collect();
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
pub fn assess_isolated(evidence: &Evidence, policy: &Policy) -> TargetResult {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assess(evidence, policy))) {
        Ok(result) => result,
        Err(payload) => {
            let failed = Evidence {
                observation: Observation::InternalError {
                    message: certscan_model::fault::panic_message(payload.as_ref()),
                },
                caa: vec![],
                names: vec![],
                deploy: Default::default(),
                caps: vec![],
                ..evidence.clone()
            };
            assess(&failed, policy)
        }
    }
}

/// Analyses one piece of evidence.
pub fn assess(evidence: &Evidence, policy: &Policy) -> TargetResult {
    if !matches!(evidence.observation, Observation::InternalError { .. }) {
        certscan_model::fault::injected_fault("analysis", &evidence.input);
    }
    let mut result = TargetResult::empty(evidence.input.clone());
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
    match &evidence.observation {
        Observation::Chain {
            tls,
            certificates,
            exchange,
            handshake,
        } => {
            result.tls = tls.clone();
            if let Some(tls) = tls {
                result.findings.extend(protocol::version_findings(tls));
            }
            let (handshake_findings, refused_without_client_certificate) = handshake
                .as_ref()
                .map(connection::handshake_facts_findings)
                .unwrap_or_default();
            if let Some(exchange) = exchange {
                result.exchange = Some(protocol::view(exchange));
                // A server that ended the connection for want of a client certificate did not
                // fail the exchange for any other reason: the client-certificate finding says why.
                if !refused_without_client_certificate {
                    result.findings.extend(protocol::exchange_findings(exchange));
                }
            }
            if certificates.is_empty() {
                result.verification = Verification {
                    valid: Some(false),
                    error: Some("no certificate was sent".into()),
                    anchor: None,
                    public: false,
                    anchor_spki_sha256: None,
                };
                result
                    .findings
                    .push(Finding::new(CheckId::Untrusted, "the server sent no certificate"));
            } else {
                assess_served_chain(&mut result, certificates, policy);
                issuers::assess(&mut result, &evidence.issuer_fetches, policy);
                let stapled = handshake.as_ref().map(|h| h.stapled_ocsp.as_deref());
                assess_revocation(&mut result, stapled, &evidence.revocation, policy);
            }
            distrust_on_bad_signature(&mut result, &handshake_findings);
            result.findings.extend(handshake_findings);
        }
        Observation::HandshakeFailed { handshake, .. } => {
            result
                .findings
                .extend(connection::failure_finding(&evidence.observation));
            // The certificates were received before the failure (or in clear text, to certscan's
            // own older ClientHello): they are checked as any served chain.
            let served = evidence.observation.served_certificates();
            if !served.is_empty() {
                assess_served_chain(&mut result, served, policy);
            }
            let (handshake_findings, _) = connection::handshake_facts_findings(&HandshakeFacts {
                // The failure finding already speaks of the client certificate.
                client_certificate_request: None,
                ..handshake.clone()
            });
            distrust_on_bad_signature(&mut result, &handshake_findings);
            result.findings.extend(handshake_findings);
        }
        other => {
            let finding = connection::failure_finding(other);
            // A profile says how much a closed port matters: an optional service may be off.
            let finding = match (finding, &evidence.origin) {
                (
                    Some(f),
                    Origin::Endpoint {
                        service: Some(service),
                        if_refused: Some(severity),
                        ..
                    },
                ) if f.id == CheckId::ConnectionRefused => Some(
                    Finding {
                        detail: format!("{service} is not listening ({})", f.detail),
                        ..f
                    }
                    .with_severity(*severity),
                ),
                (finding, _) => finding,
            };
            result.findings.extend(finding);
        }
    }
    for cap in &evidence.caps {
        result.findings.push(Finding::new(
            CheckId::Capped,
            format!(
                "only the first {} of {} {} were used, to keep the run bounded",
                cap.kept, cap.total, cap.what
            ),
        ));
    }
    if let Some(Ok(listening)) = &evidence.deploy.listening {
        result
            .findings
            .extend(deploy::proxy_findings(&evidence.extra.proxy_backends, listening));
    }
    result.files = deploy::file_views(&evidence.deploy);
    result.findings.extend(deploy::findings(
        &evidence.deploy,
        evidence.extra.lineage.as_ref(),
        result.chain.first().map(|c| &**c),
        &policy.readable_by,
        &policy.reload_command,
        policy.at_unix,
    ));
    if let (false, Some(leaf)) = (evidence.extra.wazo.is_empty(), result.chain.first()) {
        let served = platform::ServedCertificate {
            leaf,
            publicly_trusted: result.verification.public,
        };
        result.findings.extend(platform::wazo_findings(
            &evidence.extra.wazo,
            &served,
            &evidence.deploy,
            policy.at_unix,
        ));
    }
    if let Origin::File { path } = &evidence.origin {
        let file = path.display();
        let certbot_leaf = path.file_name().is_some_and(|n| n == "cert.pem")
            && path
                .parent()
                .and_then(|p| p.parent())
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == "live");
        for finding in result.findings.iter_mut().filter(|f| f.id == CheckId::ChainIncomplete) {
            finding.remediation = Some(if certbot_leaf {
                let full = path.with_file_name("fullchain.pem");
                format!(
                    "{file} is certbot's leaf-only file; it belongs where only the certificate is wanted. Configure {} instead (nginx: ssl_certificate {};), then reload.",
                    full.display(),
                    full.display()
                )
            } else {
                format!(
                    "{file} holds the certificate without its intermediate: configure the service with the full chain instead (with certbot, fullchain.pem beside cert.pem), or append the intermediate to {file} (cat {file} intermediate.pem > fullchain.pem)."
                )
            });
        }
    }

    if !evidence.names.is_empty() {
        let locality = if policy.assume_local {
            resolution::Locality::Declared
        } else {
            match &evidence.origin {
                Origin::Endpoint { address: Some(a), .. } if a.is_loopback() || policy.local_addresses.contains(a) => {
                    resolution::Locality::Inferred
                }
                _ => resolution::Locality::Remote,
            }
        };
        let certificate_names = result
            .chain
            .first()
            .map(|leaf| resolution::certificate_names(leaf))
            .unwrap_or_default();
        result.resolution = evidence.names.iter().map(resolution::view).collect();
        // The loopback rule is Wazo's: elsewhere a name mapped to the LAN address is normal.
        let mut found = resolution::findings(&evidence.names, &certificate_names, locality);
        if policy.platform != Some(platform::Platform::Wazo) {
            found.retain(|f| f.id != CheckId::HostsLoopbackMismatch);
        }
        result.findings.extend(found);
        // A Wazo daemon refused on a name the hosts file sends elsewhere than 127.0.0.1 (Debian's
        // 127.0.1.1 line): the daemons listen on 127.0.0.1, so that line is the cause.
        if policy.platform == Some(platform::Platform::Wazo)
            && let Origin::Endpoint {
                host: Host::Dns(name), ..
            } = &evidence.origin
            && let Some(resolution) = evidence.names.iter().find(|r| r.name == *name)
            && let Some((address, line)) = resolution
                .hosts_file
                .iter()
                .zip(&resolution.hosts_lines)
                .find(|(a, _)| a.is_loopback() && **a != std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        {
            for refused in result
                .findings
                .iter_mut()
                .filter(|f| f.id == CheckId::ConnectionRefused)
            {
                refused.detail.push_str(&format!(
                    "; line {line} of the hosts file maps {name} to {address}, where Wazo's daemons do not listen (they listen on 127.0.0.1)"
                ));
                refused.remediation = Some(format!(
                    "Change line {line} of /etc/hosts to map {name} to 127.0.0.1 (remove the {address} entry, which Debian's installer writes), then check with: getent ahosts {name}"
                ));
            }
        }
    }
    if !evidence.caa.is_empty() {
        let issuers = match (policy.caa_issuers.is_empty(), result.chain.first()) {
            (false, _) => policy.caa_issuers.clone(),
            (true, Some(leaf)) => caa::issuer_domains(leaf)
                .map(|(_, domains)| domains)
                .unwrap_or_default(),
            (true, None) => vec![],
        };
        for lookup in &evidence.caa {
            let (report, findings) = caa::evaluate(lookup, &issuers);
            result.caa.push(report);
            result.findings.extend(findings);
        }
    }
    if let Some(platform) = policy.platform {
        platform::adapt_remediations(platform, &mut result.findings);
    }
    if let Some(compliance) = &policy.compliance
        && !matches!(evidence.observation, Observation::InternalError { .. })
    {
        let below_minimum = match &evidence.observation {
            Observation::Chain {
                handshake: Some(facts), ..
            } => facts.below_minimum.as_ref().map(|(_, answer)| answer),
            _ => None,
        };
        let broken = compliance.judge(&result, below_minimum);
        result.findings.extend(broken);
    }
    // Accepted findings leave the verdict, and are counted where they were.
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
    // Plain HTTP on a port the proxy forwards to is the backend itself, reached around the proxy:
    // it should not be reachable, rather than speak TLS.
    if let Origin::Endpoint {
        port,
        address: Some(address),
        ..
    } = &evidence.origin
        && (address.is_loopback() || policy.local_addresses.contains(address) || policy.assume_local)
        && let Some((upstream, _)) = policy.proxied_backends.iter().find(|(_, p)| p == port)
    {
        for finding in result.findings.iter_mut().filter(|f| f.id == CheckId::Plaintext) {
            finding.detail.push_str(&format!(
                "; this port is the backend the proxy forwards to ({upstream})"
            ));
            finding.remediation = Some(format!(
                "Do not enable TLS here: this is the plain-HTTP backend behind the proxy, which clients must reach through the proxy's HTTPS port. Bind it to 127.0.0.1 (for Docker: -p 127.0.0.1:{port}:{port}) so that it cannot be reached around the proxy."
            ));
        }
    }
    result.recompute_status();
    result
}

/// Certificates of one chain that are parsed and checked; a server or file that sends more is
/// told so (`certscan.capped`). Real chains hold a handful.
pub const MAX_CHAIN_CERTIFICATES: usize = 100;

/// Parses and checks a chain as served, leaf first (at most [`MAX_CHAIN_CERTIFICATES`]).
fn assess_served_chain(result: &mut TargetResult, certificates: &[CertificateDer<'static>], policy: &Policy) {
    if certificates.len() > MAX_CHAIN_CERTIFICATES {
        result.findings.push(Finding::new(
            CheckId::Capped,
            format!(
                "only the first {MAX_CHAIN_CERTIFICATES} of {} certificates of the chain were checked, to keep the run bounded",
                certificates.len()
            ),
        ));
    }
    result.chain = certificates
        .iter()
        .take(MAX_CHAIN_CERTIFICATES)
        .map(|c| policy.parsed.parse(c.as_ref(), policy.at_unix))
        .collect();
    assess_chain(result, policy);
}

/// Checks the stapled OCSP response (`stapled` is `Some` when a staple could have been seen)
/// and the answers `--revocation` fetched, against the leaf's issuer as served or given.
fn assess_revocation(
    result: &mut TargetResult,
    stapled: Option<Option<&[u8]>>,
    live: &[certscan_model::evidence::RevocationFetch],
    policy: &Policy,
) {
    let Some(leaf) = result.chain.first() else {
        return;
    };
    // The issuer is only needed to check an answer: finding it costs a signature verification.
    if !matches!(stapled, Some(Some(_))) && live.is_empty() {
        let (view, findings) = revocation::assess(leaf, None, stapled, live, policy.at_unix);
        result.revocation = view;
        result.findings.extend(findings);
        return;
    }
    let issuer = revocation::find_issuer(leaf, result.chain[1..].iter().map(|c| &**c))
        .or_else(|| revocation::find_issuer(leaf, policy.given_anchors.iter()));
    let (view, findings) = revocation::assess(leaf, issuer, stapled, live, policy.at_unix);
    result.revocation = view;
    result.findings.extend(findings);
}

/// A server that cannot sign with its certificate's key is not that certificate's holder: no
/// client completes the handshake, whatever the chain.
fn distrust_on_bad_signature(result: &mut TargetResult, handshake_findings: &[Finding]) {
    if let Some(bad) = handshake_findings.iter().find(|f| f.id == CheckId::SignatureInvalid) {
        result.verification.valid = Some(false);
        result.verification.error.get_or_insert_with(|| bad.detail.clone());
    }
}

/// The role of a served certificate in messages.
fn role(served: &[Arc<CertInfo>], index: usize) -> std::borrow::Cow<'static, str> {
    match index {
        0 => "the leaf".into(),
        i if served[i].self_signed => format!("root #{i}").into(),
        i => format!("intermediate #{i}").into(),
    }
}

/// An instant at which every certificate of the named path is valid, to look for problems
/// other than dates when the evaluation time is outside a validity period.
fn reference_instant(served: &[Arc<CertInfo>], path: &[usize]) -> i64 {
    let parsed: Vec<&CertInfo> = path.iter().map(|&i| &*served[i]).filter(|c| c.parsed()).collect();
    let latest_start = parsed.iter().map(|c| c.not_before_unix).max().unwrap_or(0);
    let earliest_end = parsed.iter().map(|c| c.not_after_unix).min().unwrap_or(0);
    if latest_start <= earliest_end {
        latest_start + 1
    } else {
        served[0].not_before_unix + 1
    }
}

fn assess_chain(result: &mut TargetResult, policy: &Policy) {
    let served = &result.chain;
    let mut findings = Vec::new();
    for (i, cert) in served.iter().enumerate() {
        if let Some(error) = &cert.parse_error {
            findings.push(Finding::new(
                CheckId::Unparsable,
                format!("certificate #{i} does not parse: {error}"),
            ));
        }
    }
    let shape = chain::shape(served);

    // A self-signed leaf given itself as a trust anchor (--ca-file) is accepted by OpenSSL-based
    // clients even when it is a CA certificate (what `openssl req -x509` makes); rustls-webpki
    // refuses a CA certificate as a server certificate. The verdict follows OpenSSL.
    let pinned_leaf = served[0].parsed() && served[0].self_signed && policy.trust.is_given_certificate(&served[0].der);
    let mut ca_leaf_accepted_by_openssl_only = false;
    let mut validate = |at: i64| match trust::validate(served, &policy.trust, at) {
        PathCheck::Invalid(webpki::Error::CaUsedAsEndEntity) if pinned_leaf => {
            ca_leaf_accepted_by_openssl_only = true;
            PathCheck::Valid {
                path: vec![0],
                anchor: served[0].subject.clone(),
                anchor_certificate: None,
                anchor_spki_sha256: ring::digest::digest(&ring::digest::SHA256, &served[0].spki_der)
                    .as_ref()
                    .to_vec(),
            }
        }
        other => other,
    };

    // Trust: at the evaluation time, and when that fails on dates alone, at an instant when the
    // chain is in date, to tell apart "expired but otherwise fine" from a second problem.
    let mut anchor_certificate = None;
    let mut anchor_spki = None;
    let (chain_valid, validated_path, anchor, chain_error) = match validate(policy.at_unix) {
        PathCheck::Valid {
            path,
            anchor,
            anchor_certificate: certificate,
            anchor_spki_sha256,
        } => {
            anchor_certificate = certificate;
            anchor_spki = Some(anchor_spki_sha256);
            (true, Some(path), Some(anchor), None)
        }
        PathCheck::Invalid(error) => {
            let description = trust::describe_error(&error);
            let undated = if trust::is_time_error(&error) {
                validate(reference_instant(served, &shape.path))
            } else {
                PathCheck::Invalid(error)
            };
            match undated {
                PathCheck::Valid { path, .. } => (false, Some(path), None, Some(description)),
                PathCheck::Invalid(other) => {
                    if !trust::is_time_error(&other) {
                        findings.push(chain::trust_failure(served, &shape, &policy.trust, &other));
                    }
                    (false, None, None, Some(description))
                }
            }
        }
    };
    if pinned_leaf {
        // The anchor is the leaf itself: its checks are the leaf's.
        anchor_certificate = None;
        let detail = if ca_leaf_accepted_by_openssl_only {
            format!(
                "the leaf {} is self-signed and trusted as given (--ca-file): OpenSSL-based clients (curl, Python, PHP, Wazo's services) accept it; rustls-based clients refuse it because it is a CA certificate (CA:TRUE) used as a server certificate",
                served[0].label()
            )
        } else {
            format!(
                "the leaf {} is self-signed and trusted as given (--ca-file): only clients configured to trust this exact certificate accept it",
                served[0].label()
            )
        };
        findings.push(Finding::new(CheckId::SelfSigned, detail).with_severity(Severity::Info));
    }
    // CA/Browser Forum rules bind publicly trusted certificates only: a chain that ends at a root
    // of the Mozilla or system store. Private chains are held to RFC 5280 alone.
    let public_chain = match (&validated_path, chain_valid) {
        (Some(_), true) => anchor_certificate.is_none() && !pinned_leaf,
        _ => {
            let top = &served[shape.top()];
            top.parsed()
                && (policy.trust.is_public_subject(&top.issuer_raw) || policy.trust.is_public_subject(&top.subject_raw))
        }
    };
    let rules = if public_chain {
        conformity::Rules::CaBrowserForum
    } else {
        conformity::Rules::Rfc5280
    };
    findings.extend(chain::shape_findings(served, &shape, validated_path.as_deref()));

    // Structure that clients refuse although the path validator let it through, in the served
    // path and in the --ca-file anchor it ends at (the validator reads only an anchor's name and key).
    let parsed_anchor;
    let anchor_info: Option<&CertInfo> = match anchor_certificate {
        Some(der) => match policy.given_anchors.iter().find(|given| given.der == der) {
            Some(given) => Some(given),
            None => {
                parsed_anchor = CertInfo::from_der(&der, policy.at_unix);
                Some(&parsed_anchor)
            }
        },
        None => None,
    };
    let mut malformed = None;
    let mut structural = |cert: &CertInfo, who: &str| {
        if cert.parsed() && cert.issuer_raw.len() <= 2 {
            let detail = format!(
                "{who} {} has an empty issuer name, which RFC 5280 forbids",
                cert.label()
            );
            malformed.get_or_insert_with(|| detail.clone());
            findings.push(Finding::new(CheckId::Untrusted, detail));
        }
    };
    for &i in &shape.path {
        structural(&served[i], &role(served, i));
    }
    if let Some(anchor) = anchor_info {
        structural(anchor, "the trust anchor");
        findings.extend(conformity::problems(
            anchor,
            "the trust anchor",
            false,
            conformity::Rules::Rfc5280,
        ));
    }
    if let Some(anchor) = anchor_info.filter(|a| a.parsed())
        && (policy.at_unix > anchor.not_after_unix || policy.at_unix < anchor.not_before_unix)
    {
        let detail = format!(
            "the trust anchor {} is outside its validity period ({} to {}): rustls and browsers ignore an anchor's dates, but OpenSSL-based clients reject the chain",
            anchor.label(),
            anchor.not_before,
            anchor.not_after
        );
        findings.push(Finding::new(CheckId::Expired, detail).with_severity(Severity::Warning));
    }

    // Dates, keys and signatures of every certificate a client may use.
    let needed: Vec<usize> = validated_path.clone().unwrap_or_else(|| shape.path.clone());
    let mut considered: Vec<usize> = needed.clone();
    considered.extend(shape.path.iter().filter(|i| !needed.contains(i)));
    let mut days_left: Option<i64> = None;
    let mut soonest: Option<&CertInfo> = None;
    for &i in &considered {
        let cert = &served[i];
        let role = role(served, i);
        let is_needed = needed.contains(&i);
        findings.extend(validity::validity_findings(
            cert,
            &role,
            policy.at_unix,
            policy.thresholds,
            is_needed,
        ));
        if is_needed && cert.parsed() {
            days_left = Some(days_left.map_or(cert.days_left, |d: i64| d.min(cert.days_left)));
            if soonest.is_none_or(|s| cert.not_after_unix < s.not_after_unix) {
                soonest = Some(cert);
            }
        }
        if is_needed {
            findings.extend(conformity::problems(cert, &role, i == 0, rules));
        }
        let anchor_self_signature = i > 0 && cert.self_signed;
        if !anchor_self_signature {
            findings.extend(crypto::weak_key(cert, &role));
            findings.extend(crypto::weak_signature(cert, &role));
        }
    }

    // Names.
    let leaf = &served[0];
    let mut name_error = None;
    let cn_only = leaf.parsed() && !leaf.has_san_extension;
    for name in &result.names_checked {
        if names::covers(leaf, name) {
            continue;
        }
        if cn_only && leaf.common_names.iter().any(|cn| names::cn_matches(cn, name)) {
            // The name is there, but where most clients do not look: the mismatch says so, and
            // name.cn_only below states the certificate's fault.
            findings.push(
                Finding::new(
                    CheckId::NameMismatch,
                    format!(
                        "{name} is only in the certificate's Common Name (it has no subjectAltName): browsers, Go, rustls and urllib3 2 refuse it; OpenSSL-based clients such as curl and Python's ssl module still accept it"
                    ),
                )
                .with_remediation(certscan_model::catalog::entry(CheckId::CnOnly).remediation.clone()),
            );
            name_error.get_or_insert_with(|| format!("{name} is only in the Common Name, which most clients ignore"));
            continue;
        }
        let present = if leaf.sans.is_empty() {
            match leaf.common_names.first() {
                Some(cn) if cn_only => format!("no subjectAltName, only the Common Name {cn:?}"),
                _ => "no subjectAltName entries".to_string(),
            }
        } else {
            summarise_list(&leaf.sans, 10)
        };
        let hint = if rustls::pki_types::ServerName::try_from(name.as_str()).is_err() {
            " (it is not a valid DNS name or IP address, so no certificate can be valid for it)".to_string()
        } else {
            names::near_miss(&leaf.san_entries, name)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        };
        findings.push(Finding::new(
            CheckId::NameMismatch,
            format!("{name} is not covered by the certificate, which lists {present}{hint}"),
        ));
        name_error.get_or_insert_with(|| format!("the certificate is not valid for {name}"));
    }
    if cn_only {
        let cn = leaf.common_names.first().cloned().unwrap_or_default();
        findings.push(Finding::new(
            CheckId::CnOnly,
            format!(
                "the leaf has no subjectAltName; its only name is the Common Name {cn:?}, which browsers, Go, rustls and urllib3 2 ignore (OpenSSL-based clients such as curl still read it)"
            ),
        ));
    }

    // A weak key or signature on a certificate clients use fails them as surely as a bad path.
    let refused = findings
        .iter()
        .find(|f| matches!(f.id, CheckId::WeakKey | CheckId::WeakSignature) && f.severity == Severity::Critical)
        .map(|f| f.detail.clone());
    let chain_error = chain_error.or(malformed).or(refused);
    result.days_left = days_left;
    result.expiry_thresholds = soonest.map(|cert| {
        let limits = policy
            .thresholds
            .for_certificate(cert.not_before_unix, cert.not_after_unix);
        ExpiryThresholds {
            warning_days: limits.warning_seconds as f64 / 86_400.0,
            critical_days: limits.critical_seconds as f64 / 86_400.0,
            basis: if limits.relative { "lifetime" } else { "days" },
        }
    });
    result.verification = Verification {
        valid: Some(chain_valid && chain_error.is_none() && name_error.is_none()),
        public: chain_valid && chain_error.is_none() && public_chain,
        error: chain_error.or(name_error),
        anchor,
        anchor_spki_sha256: anchor_spki,
    };
    result.findings.extend(findings);
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
