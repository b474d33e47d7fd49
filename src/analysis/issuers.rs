//! `--fetch-issuer`: the proof that a missing intermediate is the whole problem. Decodes what a
//! CA Issuers URL (the AIA extension) serves (DER, PEM or a PKCS#7 bundle), says which URL to
//! follow next, and checks whether the served chain with what was fetched validates; if so, the
//! `chain.incomplete` (or `chain.unknown_root`) finding says so and the corrected chain is kept for
//! `--write-chain`.

use serde::Serialize;
use x509_parser::asn1_rs::{Any, FromDer};

use super::certificate::CertInfo;
use super::trust::{self, PathCheck, TrustStore};
use super::{Policy, TargetResult};
use crate::evidence::{IssuerFetch, Observation};
use crate::finding::CheckId;

/// Issuer certificates fetched at most per chain (each fetch climbs one level).
pub const MAX_FETCHES: usize = 3;

/// 1.2.840.113549.1.7.2, PKCS#7 signedData.
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/// What one fetch gave, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchedIssuerView {
    pub url: Option<String>,
    /// The subjects of the certificates it served.
    pub certificates: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The certificates in a CA Issuers answer: one DER certificate (RFC 5280 says
/// application/pkix-cert), a PKCS#7 certs-only bundle (application/pkcs7-mime), or PEM.
pub fn decode(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if let Some(certificates) = pkcs7_certificates(body) {
        return match certificates.is_empty() {
            true => Err("the PKCS#7 bundle holds no certificate".into()),
            false => Ok(certificates),
        };
    }
    match crate::probe::file::chain_from_bytes(body) {
        Observation::Chain { certificates, .. } => Ok(certificates.into_iter().map(|c| c.to_vec()).collect()),
        _ => Err("the answer is neither a DER or PEM certificate nor a PKCS#7 bundle".into()),
    }
}

/// The certificates of a PKCS#7 SignedData, or `None` when the bytes are not one.
fn pkcs7_certificates(der: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (_, content_info) = Any::from_der(der).ok()?;
    let (rest, content_type) = Any::from_der(content_info.data).ok()?;
    if content_type.tag().0 != 6 || content_type.data != OID_SIGNED_DATA {
        return None;
    }
    let (_, explicit) = Any::from_der(rest).ok()?;
    let (_, signed_data) = Any::from_der(explicit.data).ok()?;
    // version, digestAlgorithms, encapContentInfo, then [0] IMPLICIT certificates.
    let mut fields = signed_data.data;
    for _ in 0..3 {
        fields = Any::from_der(fields).ok()?.0;
    }
    let mut certificates = vec![];
    if let Ok((_, set)) = Any::from_der(fields)
        && set.tag().0 == 0
    {
        let mut rest = set.data;
        while let Ok((after, _)) = Any::from_der(rest) {
            certificates.push(rest[..rest.len() - after.len()].to_vec());
            rest = after;
            if certificates.len() >= 16 {
                break;
            }
        }
    }
    Some(certificates)
}

/// The top of the chain as far as issuers can be followed from the leaf.
fn top(chain: &[CertInfo]) -> &CertInfo {
    let mut current = &chain[0];
    for _ in 0..chain.len() {
        match chain
            .iter()
            .find(|candidate| !std::ptr::eq(*candidate, current) && current.named_issuer_is(candidate))
        {
            Some(issuer) if !issuer.self_signed => current = issuer,
            _ => break,
        }
    }
    current
}

/// The CA Issuers URL to fetch next for `chain` (served certificates, then those fetched so
/// far): `Ok(None)` when the top of the chain is a root or is issued by a trust anchor, an error
/// when the certificate whose issuer is missing names no URL.
pub fn next_url(chain: &[CertInfo], store: &TrustStore) -> Result<Option<String>, String> {
    if chain.is_empty() || !chain[0].parsed() {
        return Ok(None);
    }
    let top = top(chain);
    if top.self_signed || store.has_subject(&top.issuer_raw) {
        return Ok(None);
    }
    match top.ca_issuers_urls.first() {
        Some(url) => Ok(Some(url.clone())),
        None => Err(format!(
            "{} names no CA Issuers URL to fetch its issuer {} from",
            top.label(),
            top.issuer
        )),
    }
}

/// Whether a served chain needs its issuer fetched: it does not validate for want of an issuer.
pub fn needs_fetch(served: &[CertInfo], store: &TrustStore, at_unix: i64) -> bool {
    matches!(
        trust::validate(served, store, at_unix),
        PathCheck::Invalid(webpki::Error::UnknownIssuer)
    )
}

/// PEM text of certificates.
pub fn pem(certificates: &[Vec<u8>]) -> String {
    use base64::Engine;
    let mut out = String::new();
    for der in certificates {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(der);
        for line in encoded.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// Says in the chain finding what the fetched issuers prove, and keeps the corrected chain.
pub fn assess(result: &mut TargetResult, fetches: &[IssuerFetch], policy: &Policy) {
    if fetches.is_empty() || result.chain.is_empty() {
        return;
    }
    let mut fetched: Vec<CertInfo> = vec![];
    let mut notes: Vec<String> = vec![];
    for fetch in fetches {
        let mut view = FetchedIssuerView {
            url: fetch.url.clone(),
            certificates: vec![],
            error: None,
        };
        let url = fetch.url.as_deref().unwrap_or("its CA Issuers URL");
        match fetch
            .answer
            .as_ref()
            .map_err(String::clone)
            .and_then(|body| decode(body))
        {
            Ok(certificates) => {
                let infos: Vec<CertInfo> = certificates
                    .iter()
                    .map(|der| CertInfo::from_der(der, policy.at_unix))
                    .collect();
                view.certificates = infos.iter().map(CertInfo::label).collect();
                fetched.extend(infos);
            }
            Err(error) => {
                notes.push(match &fetch.url {
                    Some(_) => format!("fetching the issuer from {url} failed: {error}"),
                    None => format!("no issuer could be fetched: {error}"),
                });
                view.error = Some(error);
            }
        }
        result.fetched_issuers.push(view);
    }
    let mut remediation = None;
    if !fetched.is_empty() {
        let full: Vec<CertInfo> = result.chain.iter().cloned().chain(fetched.iter().cloned()).collect();
        let sources: Vec<&str> = fetches.iter().filter_map(|f| f.url.as_deref()).collect();
        let names: Vec<String> = fetched.iter().map(CertInfo::label).collect();
        match trust::validate(&full, &policy.trust, policy.at_unix) {
            PathCheck::Valid { path, anchor, .. } => {
                let corrected: Vec<Vec<u8>> = path.iter().map(|&i| full[i].der.clone()).collect();
                let added: Vec<String> = path[1..]
                    .iter()
                    .filter(|&&i| i >= result.chain.len())
                    .map(|&i| full[i].label())
                    .collect();
                notes.push(format!(
                    "certscan fetched {} from {} and with it the chain validates to {anchor}",
                    added.join(" and "),
                    sources.join(", ")
                ));
                let written = match &policy.write_chain {
                    Some(path) => format!("certscan writes that chain to {}", path.display()),
                    None => "rerun with --write-chain PATH to have certscan write that chain as PEM".into(),
                };
                remediation = Some(format!(
                    "Serve the leaf followed by {} ({written}), then reload the service; with certbot, configure fullchain.pem instead of cert.pem.",
                    added.join(" and ")
                ));
                result.corrected_chain = Some(pem(&corrected));
            }
            PathCheck::Invalid(error) => notes.push(format!(
                "the certificate(s) fetched from {} ({}) do not complete a trusted path: {}",
                sources.join(", "),
                names.join(", "),
                trust::describe_error(&error)
            )),
        }
    }
    if let Some(finding) = result
        .findings
        .iter_mut()
        .find(|f| matches!(f.id, CheckId::ChainIncomplete | CheckId::UnknownRoot))
    {
        for note in notes {
            finding.detail = format!("{}; {note}", finding.detail);
        }
        if let Some(remediation) = remediation {
            finding.remediation = Some(remediation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs7_bundles_and_garbage() {
        // ContentInfo { signedData, [0] { SignedData { 1, {}, { data }, [0] { cert }, {} } } }
        let cert = [0x30, 0x03, 0x02, 0x01, 0x07];
        let mut signed = vec![0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x0b, 0x06, 0x09];
        signed.extend([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
        signed.extend([0xa0, cert.len() as u8]);
        signed.extend(cert);
        signed.extend([0x31, 0x00]);
        let mut signed_data = vec![0x30, signed.len() as u8];
        signed_data.extend(signed);
        let mut explicit = vec![0xa0, signed_data.len() as u8];
        explicit.extend(signed_data);
        let mut inner = vec![0x06, 0x09];
        inner.extend(OID_SIGNED_DATA);
        inner.extend(explicit);
        let mut bundle = vec![0x30, inner.len() as u8];
        bundle.extend(inner);
        assert_eq!(pkcs7_certificates(&bundle), Some(vec![cert.to_vec()]));
        assert_eq!(decode(&bundle), Ok(vec![cert.to_vec()]));
        assert!(decode(b"<html>not found</html>").is_err());
        assert!(pkcs7_certificates(&[0x30, 0x03, 0x02, 0x01, 0x07]).is_none());
    }

    #[test]
    fn pem_lines_are_64_columns() {
        let text = pem(&[vec![0u8; 100]]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
    }
}
