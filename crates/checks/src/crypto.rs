//! Key sizes and signature algorithms that current clients refuse.

use certscan_model::finding::{CheckId, Finding};
use certscan_x509::certificate::CertInfo;

/// Signature algorithms with broken hashes: MD2, MD4, MD5 and SHA-1 (RSA, ECDSA, DSA).
const WEAK_SIGNATURES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.2", "MD2 with RSA"),
    ("1.2.840.113549.1.1.3", "MD4 with RSA"),
    ("1.2.840.113549.1.1.4", "MD5 with RSA"),
    ("1.2.840.113549.1.1.5", "SHA-1 with RSA"),
    ("1.3.14.3.2.29", "SHA-1 with RSA"),
    ("1.2.840.10045.4.1", "ECDSA with SHA-1"),
    ("1.2.840.10040.4.3", "DSA with SHA-1"),
];

/// The MD2, MD4 and MD5 signature algorithms among them.
pub(crate) const MD_SIGNATURES: &[&str] = &["1.2.840.113549.1.1.2", "1.2.840.113549.1.1.3", "1.2.840.113549.1.1.4"];

/// A weak key, if this certificate has one.
pub(crate) fn weak_key(cert: &CertInfo, role: &str) -> Option<Finding> {
    let bits = cert.key.bits.unwrap_or(0);
    let why = match cert.key.kind.as_str() {
        "RSA" if bits < 2048 => format!("an RSA key of {bits} bits (at least 2048 are needed)"),
        "DSA" => format!("a DSA key ({bits} bits): DSA is no longer accepted for TLS"),
        kind if kind.starts_with("EC") && bits < 224 => {
            format!("an elliptic-curve key of {bits} bits (at least 224 are needed)")
        }
        _ => return None,
    };
    Some(Finding::new(
        CheckId::WeakKey,
        format!("{role} {} has {why}", cert.label()),
    ))
}

/// A weak signature, if this certificate carries one that clients check.
pub(crate) fn weak_signature(cert: &CertInfo, role: &str) -> Option<Finding> {
    let (_, name) = WEAK_SIGNATURES.iter().find(|(oid, _)| *oid == cert.signature_oid)?;
    Some(Finding::new(
        CheckId::WeakSignature,
        format!("{role} {} is signed with {name}", cert.label()),
    ))
}
