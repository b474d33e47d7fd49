//! Profile rules (RFC 5280 and the CA/Browser Forum baseline) that path validators such as
//! rustls-webpki do not enforce but other clients, CAs and auditors do: reported as warnings that
//! name the problem, without changing the verdict.

use certscan_model::finding::{CheckId, Finding};
use certscan_x509::certificate::CertInfo;

/// What clients refuse a problem that OpenSSL's strict checks (`X509_V_FLAG_X509_STRICT`) catch:
/// Python turns them on in its default context from 3.13 (`VERIFY_X509_STRICT`, CPython issue
/// 107361), so requests and urllib3 there refuse the chain; OpenSSL without them (curl, Python
/// up to 3.12) accepts it. Seen with OpenSSL 3.0's `openssl verify -x509_strict` (errors 82,
/// 85 and 89), and compared with Python's `ssl` in `tests/clients.rs`.
pub(crate) const REFUSED_BY_STRICT_OPENSSL: &str = "Python 3.13 and later refuse it (their default context turns on OpenSSL's strict checks), as does openssl verify -x509_strict; curl and earlier Python accept it";

/// Which rule set a certificate is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rules {
    /// RFC 5280 alone: private PKIs, self-signed certificates, `--ca-file` anchors.
    Rfc5280,
    /// RFC 5280 and the CA/Browser Forum Baseline Requirements: chains that end at a root of the
    /// Mozilla or system store.
    CaBrowserForum,
}

/// Problems of one certificate; `role` says where it stands ("the leaf", "intermediate #1",
/// "the trust anchor"), `is_leaf` whether it is the end-entity certificate.
pub(crate) fn problems(cert: &CertInfo, role: &str, is_leaf: bool, rules: Rules) -> Vec<Finding> {
    let public = rules == Rules::CaBrowserForum;
    if !cert.parsed() {
        return vec![];
    }
    let mut problems: Vec<String> = serial_problem(&cert.serial_raw).into_iter().collect();
    if !cert.self_signed && cert.authority_key_id.is_none() {
        problems.push(format!(
            "it has no authority key identifier, which RFC 5280 requires to pick its issuer: {REFUSED_BY_STRICT_OPENSSL}"
        ));
    }
    if cert.is_ca {
        problems.extend(ca_problems(cert));
    } else if cert.key_cert_sign == Some(true) {
        // OpenSSL without its strict checks accepts it (curl, Python up to 3.12); with them it is
        // error 82, "Key usage keyCertSign invalid for non-CA cert".
        problems.push(format!(
            "it is not a CA but its keyUsage asserts keyCertSign, which RFC 5280 allows only in CA certificates: {REFUSED_BY_STRICT_OPENSSL}"
        ));
    }
    let self_issued = cert.issuer_raw == cert.subject_raw;
    if let (true, Some(aki), Some(ski)) = (self_issued, &cert.authority_key_id, &cert.subject_key_id)
        && aki != ski
    {
        problems.push(
            "it is self-issued but its authority key identifier differs from its own subject key identifier".into(),
        );
    }
    if public && cert.authority_key_id_has_issuer_fields && cert.is_ca {
        problems.push("its authority key identifier carries authorityCertIssuer or authorityCertSerialNumber, which the CA/Browser Forum forbids".into());
    }
    if public && cert.is_ca && self_issued && cert.has_extended_key_usage {
        problems.push("it is a root with an extendedKeyUsage extension, which the CA/Browser Forum forbids".into());
    }
    problems.extend(name_constraints_problem(cert));
    if public && is_leaf && cert.extended_key_usage_critical {
        problems.push(
            "its extendedKeyUsage is marked critical, which the CA/Browser Forum does not allow in server certificates"
                .into(),
        );
    }
    for oid in &cert.malformed_extensions {
        problems.push(format!("its extension {oid} is malformed"));
    }
    if public && is_leaf && !cert.has_extended_key_usage {
        problems.push(
            "it has no extendedKeyUsage, so it is usable for any purpose (the CA/Browser Forum requires serverAuth)"
                .into(),
        );
    }
    for oid in &cert.unknown_critical_extensions {
        problems.push(format!(
            "it has a critical extension ({oid}) that clients do not understand"
        ));
    }
    problems
        .into_iter()
        .map(|problem| Finding::new(CheckId::Nonconformant, format!("{role} {}: {problem}", cert.label())))
        .collect()
}

/// RFC 5280 4.1.2.2: a positive serial of at most 20 octets.
fn serial_problem(serial: &[u8]) -> Option<String> {
    if serial.iter().all(|b| *b == 0) {
        Some("its serial number is zero (RFC 5280 requires a positive serial)".into())
    } else if serial.first().is_some_and(|b| b & 0x80 != 0) {
        Some("its serial number is negative (RFC 5280 requires a positive serial)".into())
    } else if serial.len() > 20 {
        Some(format!(
            "its serial number is {} octets long (RFC 5280 allows at most 20)",
            serial.len()
        ))
    } else {
        None
    }
}

/// What RFC 5280 requires of a CA certificate.
fn ca_problems(cert: &CertInfo) -> Vec<String> {
    let mut problems = Vec::new();
    if cert.subject_key_id.is_none() {
        problems.push("it is a CA without a subject key identifier (RFC 5280 requires one)".into());
    }
    if cert.basic_constraints_critical == Some(false) {
        problems.push(format!(
            "its basicConstraints extension is not marked critical, which RFC 5280 requires on CAs: {REFUSED_BY_STRICT_OPENSSL}"
        ));
    }
    if cert.key_cert_sign == Some(false) {
        problems.push("it is a CA whose keyUsage does not allow keyCertSign".into());
    }
    if cert.subject_raw.len() <= 2 {
        problems.push("it is a CA with an empty subject".into());
    }
    problems
}

/// RFC 5280 4.2.1.10: name constraints only in CAs, critical, and not empty.
fn name_constraints_problem(cert: &CertInfo) -> Option<String> {
    match cert.name_constraints {
        Some(_) if !cert.is_ca => {
            Some("it is not a CA but carries name constraints (RFC 5280 allows them only in CAs)".into())
        }
        Some((false, _)) => Some("its name constraints are not marked critical (RFC 5280 requires it)".into()),
        Some((true, true)) => Some("its name constraints hold neither permitted nor excluded subtrees".into()),
        _ => None,
    }
}
