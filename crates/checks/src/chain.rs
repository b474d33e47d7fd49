//! The served chain's shape (which certificate issued which, in what order, what is left over)
//! and the specific cause when it does not lead to a trusted anchor.

use std::collections::HashMap;
use std::sync::Arc;

use certscan_model::finding::{CheckId, Finding};
use certscan_x509::certificate::CertInfo;
use certscan_x509::trust::{TrustStore, describe_error};

/// The issuing path through the served certificates, following names and key identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Served indices from the leaf upwards.
    pub path: Vec<usize>,
    /// Served certificates on no path from the leaf.
    pub extra: Vec<usize>,
    /// (duplicate, first occurrence) pairs of identical certificates.
    pub duplicates: Vec<(usize, usize)>,
}

impl Shape {
    /// The last certificate of the path.
    pub(crate) fn top(&self) -> usize {
        *self.path.last().unwrap_or(&0)
    }
}

/// Follows issuers from the leaf through the served certificates. Hash maps keep it linear in
/// the number of certificates (a hostile chain may hold thousands).
pub(crate) fn shape(served: &[Arc<CertInfo>]) -> Shape {
    let mut duplicates = Vec::new();
    let mut is_duplicate = vec![false; served.len()];
    let mut first_seen: HashMap<&[u8], usize> = HashMap::with_capacity(served.len());
    for (i, cert) in served.iter().enumerate() {
        match first_seen.get(cert.der.as_slice()) {
            Some(&first) => {
                duplicates.push((i, first));
                is_duplicate[i] = true;
            }
            None => {
                first_seen.insert(cert.der.as_slice(), i);
            }
        }
    }
    // Candidate issuers by subject, in served order.
    let mut by_subject: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, cert) in served.iter().enumerate() {
        if !is_duplicate[i] && cert.parsed() {
            by_subject.entry(cert.subject_raw.as_slice()).or_default().push(i);
        }
    }
    let mut path = vec![0];
    let mut on_path = vec![false; served.len()];
    if !served.is_empty() {
        on_path[0] = true;
        let mut current = 0;
        while !served[current].self_signed {
            let next = by_subject
                .get(served[current].issuer_raw.as_slice())
                .and_then(|candidates| {
                    candidates
                        .iter()
                        .copied()
                        .find(|&j| !on_path[j] && served[current].named_issuer_is(&served[j]))
                });
            match next {
                Some(j) => {
                    path.push(j);
                    on_path[j] = true;
                    current = j;
                }
                None => break,
            }
        }
    }
    let extra = (0..served.len()).filter(|&i| !on_path[i] && !is_duplicate[i]).collect();
    Shape {
        path,
        extra,
        duplicates,
    }
}

/// Order, root and leftover findings for a chain sent by a server (or stored in a file).
pub(crate) fn shape_findings(
    served: &[Arc<CertInfo>],
    shape: &Shape,
    validated_path: Option<&[usize]>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    // The order that matters is the validated path's when there is one, else the named path's.
    let order = validated_path.unwrap_or(&shape.path);
    if order.iter().enumerate().any(|(position, &index)| position != index) {
        let sent: Vec<String> = order.iter().map(|i| format!("#{i}")).collect();
        findings.push(Finding::new(
            CheckId::ChainOrder,
            format!(
                "the issuing order is {} but the certificates were sent as #0..#{}: each certificate must be followed by its issuer",
                sent.join(" -> "),
                served.len() - 1
            ),
        ));
    }
    let top = &served[shape.top()];
    if shape.path.len() > 1 && top.self_signed {
        findings.push(Finding::new(
            CheckId::RootIncluded,
            format!("certificate #{} is the self-signed root {}", shape.top(), top.label()),
        ));
    }
    for &i in &shape.extra {
        if validated_path.is_some_and(|p| p.contains(&i)) {
            continue;
        }
        findings.push(Finding::new(
            CheckId::ExtraCert,
            format!(
                "certificate #{i} ({}) issues nothing in the chain sent",
                served[i].label()
            ),
        ));
    }
    for &(duplicate, first) in &shape.duplicates {
        findings.push(Finding::new(
            CheckId::ExtraCert,
            format!(
                "certificate #{duplicate} is sent twice (the same as #{first}: {})",
                served[first].label()
            ),
        ));
    }
    findings
}

/// The finding that names why a chain does not validate (time problems excluded: the validity
/// checks report those).
pub(crate) fn trust_failure(
    served: &[Arc<CertInfo>],
    shape: &Shape,
    store: &TrustStore,
    error: &webpki::Error,
) -> Finding {
    let leaf = &served[0];
    let issuer_unknown = matches!(error, webpki::Error::UnknownIssuer);
    if leaf.self_signed && leaf.parsed() && (issuer_unknown || matches!(error, webpki::Error::CaUsedAsEndEntity)) {
        return Finding::new(
            CheckId::SelfSigned,
            format!(
                "the leaf {} is its own issuer; clients reject it unless they trust this exact certificate",
                leaf.label()
            ),
        );
    }
    if let Some(finding) = chain_loop(served, shape).or_else(|| unreadable_size(served, error)) {
        return finding;
    }
    if !issuer_unknown {
        return Finding::new(CheckId::Untrusted, describe_error(error));
    }
    missing_issuer(served, shape, store)
}

/// The top of the named path is issued by a certificate already on it: A issues B issues A.
fn chain_loop(served: &[Arc<CertInfo>], shape: &Shape) -> Option<Finding> {
    let top = &served[shape.top()];
    if top.self_signed {
        return None;
    }
    let position = shape.path.iter().position(|&j| top.named_issuer_is(&served[j]))?;
    let cycle: Vec<String> = shape.path[position..]
        .iter()
        .chain(std::iter::once(&shape.path[position]))
        .map(|&j| format!("#{j} ({})", served[j].label()))
        .collect();
    Some(
        Finding::new(
            CheckId::Untrusted,
            format!(
                "the chain loops: {} (each issued by the next), so following issuers never reaches a root; the certificate that points back into the chain (an old cross-sign) must not be sent",
                cycle.join(" -> ")
            ),
        )
        .with_remediation(
            "Serve the chain your CA publishes today: the leaf followed by its intermediate(s), without the cross-signed certificate that points back into the chain (with certbot, use fullchain.pem), then reload the service.",
        ),
    )
}

/// Valid DER that path validators cannot read: rustls-webpki reads DER lengths up to 64 KiB.
fn unreadable_size(served: &[Arc<CertInfo>], error: &webpki::Error) -> Option<Finding> {
    if !matches!(error, webpki::Error::BadDer | webpki::Error::TrailingData(_)) {
        return None;
    }
    let (i, cert) = served
        .iter()
        .enumerate()
        .find(|(_, c)| c.parsed() && c.der.len() > 0xffff)?;
    Some(Finding::new(
        CheckId::Untrusted,
        format!(
            "certificate #{i} ({}) is {} bytes, larger than TLS clients read (rustls-webpki stops at 64 KiB; it holds {} names)",
            cert.label(),
            cert.der.len(),
            cert.sans.len()
        ),
    ))
}

/// No issuer for the top of the path: a root the store lacks, the leaf sent alone, or an
/// intermediate neither sent nor trusted.
fn missing_issuer(served: &[Arc<CertInfo>], shape: &Shape, store: &TrustStore) -> Finding {
    let (leaf, top_index) = (&served[0], shape.top());
    let top = &served[top_index];
    if top.self_signed {
        return Finding::new(
            CheckId::UnknownRoot,
            format!(
                "the chain ends at the root {} (certificate #{top_index}), which is not in the trust store",
                top.label()
            ),
        );
    }
    let missing = &top.issuer;
    if top_index == 0 {
        let aia = match leaf.ca_issuers_urls.first() {
            Some(url) => format!("; the leaf says it can be downloaded from {url}"),
            None => String::new(),
        };
        let others = if served.len() > 1 {
            " (the other certificates sent do not issue it)"
        } else {
            ""
        };
        let finding = Finding::new(
            CheckId::ChainIncomplete,
            format!("only the leaf was sent; its issuer {missing} is missing{aia}{others}"),
        );
        return match leaf.ca_issuers_urls.first() {
            Some(url) => finding.with_remediation(format!(
                "Serve the full chain: append the intermediate {missing} after the leaf (with certbot, use fullchain.pem). It can be fetched from {url} (convert DER with: openssl x509 -inform DER -in FILE -out intermediate.pem)."
            )),
            None => finding,
        };
    }
    let detail = if store.has_subject(&top.issuer_raw) {
        format!("certificate #{top_index} is issued by {missing}, which is not trusted here")
    } else {
        format!(
            "certificate #{top_index} ({}) is issued by {missing}, which is neither sent nor in the trust store: if it is a root, trust it (--ca-file); if it is an intermediate, the server must send it",
            top.label()
        )
    };
    Finding::new(CheckId::UnknownRoot, detail)
}
