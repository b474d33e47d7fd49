//! The JSON report's shapes: what `schema/report.schema.json` describes for a target and a
//! certificate, built from the checks' results. The results are the internal model and change
//! with the checks; these types are the API that CI gates and dashboards read, and change only
//! with the schema.

use serde::Serialize;

use certscan_checks::{ExpiryThresholds, TargetResult, Verification};
use certscan_model::evidence::TlsParameters;
use certscan_model::finding::Finding;
use certscan_model::status::Status;
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
    tls: Option<&'a TlsParameters>,
    exchange: Option<&'a certscan_checks::protocol::ExchangeView>,
    names_checked: &'a [String],
    chain: Chain<'a>,
    verification: &'a Verification,
    days_left: Option<i64>,
    expiry_thresholds: Option<ExpiryThresholds>,
    files: &'a [certscan_checks::deploy::FileView],
    resolution: &'a [certscan_checks::resolution::ResolutionView],
    caa: &'a [certscan_checks::caa::CaaReport],
    revocation: Option<&'a certscan_checks::revocation::RevocationView>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fetched_issuers: &'a [certscan_checks::issuers::FetchedIssuerView],
    #[serde(skip_serializing_if = "Option::is_none")]
    corrected_chain: Option<&'a str>,
    findings: &'a [Finding],
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
            tls: result.tls.as_ref(),
            exchange: result.exchange.as_ref(),
            names_checked: &result.names_checked,
            chain: Chain(&result.chain),
            verification: &result.verification,
            days_left: result.days_left,
            expiry_thresholds: result.expiry_thresholds,
            files: &result.files,
            resolution: &result.resolution,
            caa: &result.caa,
            revocation: result.revocation.as_ref(),
            fetched_issuers: &result.fetched_issuers,
            corrected_chain: result.corrected_chain.as_deref(),
            findings: &result.findings,
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
