//! The JSON report's shapes: what `schema/report.schema.json` describes for a target and a
//! certificate, built from the checks' results. The results are the internal model and change
//! with the checks; these types are the API that CI gates and dashboards read, and change only
//! with the schema.

use serde::Serialize;

use std::collections::BTreeMap;

use certscan_checks::TargetResult;
use certscan_model::finding::Finding as CheckFinding;
use certscan_model::status::{Severity, Status};
use certscan_model::target::Protocol;
use certscan_x509::certificate::CertInfo;

/// One target (`#/$defs/target`).
#[derive(Serialize)]
pub(crate) struct Target<'a> {
    input: &'a str,
    host: Option<&'a str>,
    port: Option<u16>,
    address: Option<&'a str>,
    sni: Option<&'a str>,
    file: Option<&'a str>,
    protocol: Option<Protocol>,
    service: Option<&'a str>,
    source: Option<&'a str>,
    status: Status,
    tls: Option<Tls<'a>>,
    exchange: Option<Exchange<'a>>,
    names_checked: &'a [String],
    chain: Chain<'a>,
    verification: Verification<'a>,
    days_left: Option<i64>,
    expiry_thresholds: Option<ExpiryThresholds>,
    files: Vec<File<'a>>,
    resolution: Vec<Resolution<'a>>,
    caa: Vec<Caa<'a>>,
    revocation: Option<Revocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fetched_issuers: Vec<FetchedIssuer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corrected_chain: Option<&'a str>,
    findings: Vec<Finding<'a>>,
    clients: Vec<Client<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip: Option<&'a certscan_checks::sip::SipView>,
    ignored: &'a [String],
}

impl<'a> Target<'a> {
    pub(crate) fn from(result: &'a TargetResult) -> Target<'a> {
        Target {
            input: &result.input,
            host: result.host.as_deref(),
            port: result.port,
            address: result.address.as_deref(),
            sni: result.sni.as_deref(),
            file: result.file.as_deref(),
            protocol: result.protocol,
            service: result.service.as_deref(),
            source: result.source.as_deref(),
            status: result.status,
            tls: result.tls.as_ref().map(|tls| Tls {
                version: &tls.version,
                cipher: &tls.cipher,
                group: tls.group.as_deref(),
                alpn: tls.alpn.as_deref(),
            }),
            exchange: result.exchange.as_ref().map(|e| Exchange {
                kind: e.kind,
                request: &e.request,
                version: e.version.as_deref(),
                status: e.status,
                first_line: e.first_line.as_deref(),
                headers: &e.headers,
                error: e.error.as_deref(),
            }),
            names_checked: &result.names_checked,
            chain: Chain(&result.chain),
            verification: Verification {
                valid: result.verification.valid,
                error: result.verification.error.as_deref(),
                anchor: result.verification.anchor.as_deref(),
            },
            days_left: result.days_left,
            expiry_thresholds: result.expiry_thresholds.map(|t| ExpiryThresholds {
                warning_days: t.warning_days,
                critical_days: t.critical_days,
                basis: t.basis,
            }),
            files: result.files.iter().map(File::from).collect(),
            resolution: result.resolution.iter().map(Resolution::from).collect(),
            caa: result.caa.iter().map(Caa::from).collect(),
            revocation: result.revocation.as_ref().map(Revocation::from),
            fetched_issuers: result.fetched_issuers.iter().map(FetchedIssuer::from).collect(),
            corrected_chain: result.corrected_chain.as_deref(),
            findings: result.findings.iter().map(Finding::from).collect(),
            clients: result.clients.iter().map(Client::from).collect(),
            sip: result.sip.as_ref(),
            ignored: &result.ignored,
        }
    }
}

/// The served chain, leaf first, written certificate by certificate.
pub(crate) struct Chain<'a>(&'a [std::sync::Arc<CertInfo>]);

impl Serialize for Chain<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|cert| Certificate::from(cert)))
    }
}

/// One certificate of a chain (`#/$defs/certificate`).
#[derive(Serialize)]
pub(crate) struct Certificate<'a> {
    subject: &'a str,
    issuer: &'a str,
    serial: &'a str,
    not_before: &'a str,
    not_after: &'a str,
    days_left: i64,
    sans: &'a [String],
    key: Key<'a>,
    signature_algorithm: &'a str,
    sha256: &'a str,
    self_signed: bool,
    is_ca: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    parse_error: Option<&'a str>,
}

impl<'a> Certificate<'a> {
    fn from(cert: &'a CertInfo) -> Certificate<'a> {
        Certificate {
            subject: &cert.subject,
            issuer: &cert.issuer,
            serial: &cert.serial,
            not_before: &cert.not_before,
            not_after: &cert.not_after,
            days_left: cert.days_left,
            sans: &cert.sans,
            key: Key {
                kind: &cert.key.kind,
                bits: cert.key.bits,
            },
            signature_algorithm: &cert.signature_algorithm,
            sha256: &cert.sha256,
            self_signed: cert.self_signed,
            is_ca: cert.is_ca,
            parse_error: cert.parse_error.as_deref(),
        }
    }
}

/// A certificate's public key.
#[derive(Serialize)]
struct Key<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    bits: Option<u32>,
}

/// The negotiated TLS parameters (`#/$defs/target/tls`).
#[derive(Serialize)]
struct Tls<'a> {
    version: &'a str,
    cipher: &'a str,
    group: Option<&'a str>,
    alpn: Option<&'a str>,
}

/// The application protocol exchange after the handshake.
#[derive(Serialize)]
struct Exchange<'a> {
    kind: &'a str,
    request: &'a str,
    version: Option<&'a str>,
    status: Option<u16>,
    first_line: Option<&'a str>,
    headers: &'a BTreeMap<String, String>,
    error: Option<&'a str>,
}

/// Whether the chain validates.
#[derive(Serialize)]
struct Verification<'a> {
    valid: Option<bool>,
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor: Option<&'a str>,
}

/// The expiry thresholds in force, in days.
#[derive(Serialize)]
struct ExpiryThresholds {
    warning_days: f64,
    critical_days: f64,
    basis: &'static str,
}

/// A certificate or key file's owner and mode.
#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    role: &'a str,
    uid: u32,
    gid: u32,
    mode: &'a str,
}

impl<'a> File<'a> {
    fn from(file: &'a certscan_checks::deploy::FileView) -> File<'a> {
        File {
            path: &file.path,
            role: file.role,
            uid: file.uid,
            gid: file.gid,
            mode: &file.mode,
        }
    }
}

/// How one name resolves.
#[derive(Serialize)]
struct Resolution<'a> {
    name: &'a str,
    hosts_file: &'a [String],
    system: Option<&'a [String]>,
    system_error: Option<&'a str>,
    dns: Option<&'a [String]>,
    dns_error: Option<&'a str>,
}

impl<'a> Resolution<'a> {
    fn from(view: &'a certscan_checks::resolution::ResolutionView) -> Resolution<'a> {
        Resolution {
            name: &view.name,
            hosts_file: &view.hosts_file,
            system: view.system.as_deref(),
            system_error: view.system_error.as_deref(),
            dns: view.dns.as_deref(),
            dns_error: view.dns_error.as_deref(),
        }
    }
}

/// The CAA verdict for one name.
#[derive(Serialize)]
struct Caa<'a> {
    name: &'a str,
    found_at: Option<&'a str>,
    records: Vec<CaaRecord<'a>>,
    issuer_domains: &'a [String],
    permitted: Option<bool>,
}

#[derive(Serialize)]
struct CaaRecord<'a> {
    flags: u8,
    tag: &'a str,
    value: &'a str,
}

impl<'a> Caa<'a> {
    fn from(report: &'a certscan_checks::caa::CaaReport) -> Caa<'a> {
        Caa {
            name: &report.name,
            found_at: report.found_at.as_deref(),
            records: report
                .records
                .iter()
                .map(|r| CaaRecord {
                    flags: r.flags,
                    tag: &r.tag,
                    value: &r.value,
                })
                .collect(),
            issuer_domains: &report.issuer_domains,
            permitted: report.permitted,
        }
    }
}

/// The leaf's revocation: the staple and the live answers.
#[derive(Serialize)]
struct Revocation<'a> {
    must_staple: bool,
    stapled: Option<Answer<'a>>,
    live: Vec<Live<'a>>,
}

/// One revocation answer, checked.
#[derive(Serialize)]
struct Answer<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    this_update: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_update: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
}

/// A live question and its answer.
#[derive(Serialize)]
struct Live<'a> {
    method: &'a str,
    url: Option<&'a str>,
    #[serde(flatten)]
    answer: Answer<'a>,
}

impl<'a> Answer<'a> {
    fn from(view: &'a certscan_checks::revocation::AnswerView) -> Answer<'a> {
        Answer {
            status: view.status,
            this_update: view.this_update.as_deref(),
            next_update: view.next_update.as_deref(),
            revoked_at: view.revoked_at.as_deref(),
            reason: view.reason,
            problem: view.problem.as_deref(),
        }
    }
}

impl<'a> Revocation<'a> {
    fn from(view: &'a certscan_checks::revocation::RevocationView) -> Revocation<'a> {
        Revocation {
            must_staple: view.must_staple,
            stapled: view.stapled.as_ref().map(Answer::from),
            live: view
                .live
                .iter()
                .map(|live| Live {
                    method: live.method.as_str(),
                    url: live.url.as_deref(),
                    answer: Answer::from(&live.answer),
                })
                .collect(),
        }
    }
}

/// What one CA Issuers URL served.
#[derive(Serialize)]
struct FetchedIssuer<'a> {
    url: Option<&'a str>,
    certificates: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<'a> FetchedIssuer<'a> {
    fn from(view: &'a certscan_checks::issuers::FetchedIssuerView) -> FetchedIssuer<'a> {
        FetchedIssuer {
            url: view.url.as_deref(),
            certificates: &view.certificates,
            error: view.error.as_deref(),
        }
    }
}

/// One finding, with its catalog title and the fix in force (`#/$defs/finding`).
#[derive(Serialize)]
pub(crate) struct Finding<'a> {
    id: &'static str,
    severity: Severity,
    title: &'static str,
    detail: &'a str,
    remediation: &'a str,
    commands: &'a [String],
}

impl<'a> Finding<'a> {
    pub(crate) fn from(finding: &'a CheckFinding) -> Finding<'a> {
        Finding {
            id: finding.id.as_str(),
            severity: finding.severity,
            title: finding.title(),
            detail: &finding.detail,
            remediation: finding.remediation(),
            commands: &finding.commands,
        }
    }
}

/// What one family of clients does with the target (`#/$defs/client`).
#[derive(Serialize)]
pub(crate) struct Client<'a> {
    family: &'a str,
    name: &'a str,
    outcome: &'static str,
    deciding: bool,
    versions: &'a str,
    reasons: Vec<ClientReason<'a>>,
}

/// A finding that gives a family its outcome, and what the family does with it.
#[derive(Serialize)]
pub(crate) struct ClientReason<'a> {
    check: &'static str,
    how: &'a str,
}

impl<'a> Client<'a> {
    fn from(verdict: &'a certscan_checks::clients::FamilyVerdict) -> Client<'a> {
        Client {
            family: &verdict.family.id,
            name: &verdict.family.name,
            outcome: verdict.outcome.as_str(),
            deciding: verdict.deciding,
            versions: &verdict.family.versions,
            reasons: verdict
                .reasons
                .iter()
                .map(|r| ClientReason {
                    check: r.check.map(|c| c.as_str()).unwrap_or_default(),
                    how: &r.how,
                })
                .collect(),
        }
    }
}
