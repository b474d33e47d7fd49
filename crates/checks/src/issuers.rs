//! `--fetch-issuer`: the proof that a missing intermediate is the whole problem. Says which CA
//! Issuers URL (the AIA extension) to follow next, and checks whether the served chain with the
//! certificates fetched validates; if so, the
//! `chain.incomplete` (or `chain.unknown_root`) finding says so and the corrected chain is kept for
//! `--write-chain`.

use std::sync::Arc;

use super::{Policy, TargetResult};
use certscan_model::evidence::IssuerFetch;
use certscan_model::finding::CheckId;
use certscan_x509::certificate::CertInfo;
use certscan_x509::trust::{self, PathCheck, TrustStore};

/// Issuer certificates fetched at most per chain (each fetch climbs one level).
pub const MAX_FETCHES: usize = 3;

/// What one fetch gave, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedIssuerView {
    pub url: Option<String>,
    /// The subjects of the certificates it served.
    pub certificates: Vec<String>,
    pub error: Option<String>,
}

/// The top of the chain as far as issuers can be followed from the leaf.
fn top(chain: &[Arc<CertInfo>]) -> &CertInfo {
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
pub fn next_url(chain: &[Arc<CertInfo>], store: &TrustStore) -> Result<Option<String>, String> {
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
pub fn needs_fetch(served: &[Arc<CertInfo>], store: &TrustStore, at_unix: i64) -> bool {
    matches!(
        trust::validate(served, store, at_unix),
        PathCheck::Invalid(webpki::Error::UnknownIssuer)
    )
}

/// PEM text of certificates.
pub(crate) fn pem(certificates: &[Vec<u8>]) -> String {
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
pub(crate) fn assess(result: &mut TargetResult, fetches: &[IssuerFetch], policy: &Policy) {
    if fetches.is_empty() || result.chain.is_empty() {
        return;
    }
    let mut fetched: Vec<Arc<CertInfo>> = vec![];
    let mut notes: Vec<String> = vec![];
    for fetch in fetches {
        let mut view = FetchedIssuerView {
            url: fetch.url.clone(),
            certificates: vec![],
            error: None,
        };
        let url = fetch.url.as_deref().unwrap_or("its CA Issuers URL");
        match &fetch.answer {
            Ok(certificates) => {
                let infos: Vec<Arc<CertInfo>> = certificates
                    .iter()
                    .map(|der| policy.parsed.parse(der, policy.at_unix))
                    .collect();
                view.certificates = infos.iter().map(|info| info.label()).collect();
                fetched.extend(infos);
            }
            Err(error) => {
                notes.push(match &fetch.url {
                    Some(_) => format!("fetching the issuer from {url} failed: {error}"),
                    None => format!("no issuer could be fetched: {error}"),
                });
                view.error = Some(error.clone());
            }
        }
        result.fetched_issuers.push(view);
    }
    let remediation = if fetched.is_empty() {
        None
    } else {
        complete_with(result, &fetched, fetches, policy, &mut notes)
    };
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

/// Validates the served chain with the fetched certificates added: the corrected chain and the
/// fix when it then validates; a note saying what happened either way.
fn complete_with(
    result: &mut TargetResult,
    fetched: &[Arc<CertInfo>],
    fetches: &[IssuerFetch],
    policy: &Policy,
    notes: &mut Vec<String>,
) -> Option<String> {
    let full: Vec<Arc<CertInfo>> = result.chain.iter().chain(fetched).cloned().collect();
    let sources: Vec<&str> = fetches.iter().filter_map(|f| f.url.as_deref()).collect();
    let (path, anchor) = match trust::validate(&full, &policy.trust, policy.at_unix) {
        PathCheck::Valid { path, anchor, .. } => (path, anchor),
        PathCheck::Invalid(error) => {
            let names: Vec<String> = fetched.iter().map(|info| info.label()).collect();
            notes.push(format!(
                "the certificate(s) fetched from {} ({}) do not complete a trusted path: {}",
                sources.join(", "),
                names.join(", "),
                trust::describe_error(&error)
            ));
            return None;
        }
    };
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
    result.corrected_chain = Some(pem(&corrected));
    Some(format!(
        "Serve the leaf followed by {} ({written}), then reload the service; with certbot, configure fullchain.pem instead of cert.pem.",
        added.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_lines_are_64_columns() {
        let text = pem(&[vec![0u8; 100]]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
    }
}
