//! Profile rules (RFC 5280 and the CA/Browser Forum baseline) that path validators such as
//! rustls-webpki do not enforce but other clients, CAs and auditors do: each problem names the
//! clients known to refuse it (a warning; the client families then judge those that decide), and
//! one that no client's path validation refuses is information (a rule for CAs and auditors).
//! A problem whose enforcement is not known stays a warning.

use certscan_model::finding::{CheckId, Finding, Refusal};
use certscan_model::status::Severity;
use certscan_x509::certificate::CertInfo;

/// What clients refuse a problem that OpenSSL's strict checks (`X509_V_FLAG_X509_STRICT`) catch:
/// Python turns them on in its default context from 3.13 (`VERIFY_X509_STRICT`, CPython issue
/// 107361), so requests and urllib3 there refuse the chain; OpenSSL without them (curl, Python
/// up to 3.12) accepts it. Seen with OpenSSL 3.0's `openssl verify -x509_strict` (errors 82,
/// 85, 86 and 89), and compared with Python's `ssl` in `tests/clients.rs`.
pub(crate) const REFUSED_BY_STRICT_OPENSSL: &str = "Python 3.13 and later refuse it (their default context turns on OpenSSL's strict checks), as does openssl verify -x509_strict; curl and earlier Python accept it";

/// Go's parser refuses a negative serial (crypto/x509/parser.go, from Go 1.23; GODEBUG
/// x509negativeserial=1 restores the old behaviour); rustls-webpki and OpenSSL accept it. The
/// client families judge it by their `refuses_negative_serial` setting.
const NEGATIVE_SERIAL: &str = "its serial number is negative (RFC 5280 requires a positive serial)";
/// Go's parser refuses a name constraints extension with neither subtree
/// (crypto/x509/parser.go: "x509: empty name constraints extension"); the client families judge
/// it by their `refuses_empty_name_constraints` setting.
const EMPTY_NAME_CONSTRAINTS: &str = "its name constraints hold neither permitted nor excluded subtrees";

/// What a client does with a certificate that breaks a profile rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enforced {
    /// Some clients refuse it (the text says which, and the refusal, when known, lets the client
    /// families judge it), or it is not known that none does.
    BySome(Option<Refusal>),
    /// No client's path validation refuses it: information, with why.
    ByNone(&'static str),
}

/// rustls-webpki reads the serial number without checking it (src/cert.rs,
/// `lenient_certificate_serial_number`: "we don't enforce these constraints"), OpenSSL does not
/// check it during verification, and Go refuses only negative ones.
const ZERO_SERIAL_ACCEPTED: &str =
    "no client refuses it (rustls, OpenSSL and Go accept a zero serial); the CA that issued it breaks RFC 5280";
/// Seen with the real clients (tests/clients.rs, a 21-octet serial); rustls-webpki reads the
/// serial without checking it (src/cert.rs, `lenient_certificate_serial_number`).
const LONG_SERIAL_ACCEPTED: &str = "the clients compared accept it (curl, OpenSSL, Python, Java, Go and rustls: tests/clients.rs); a rule the CA breaks, which auditors check";
/// Seen with the real clients (tests/clients.rs): name constraints that are not critical, or in
/// a certificate that is no CA, change nothing for them; rustls-webpki reads name constraints
/// from CAs and anchors only and does not look at their criticality.
const NAME_CONSTRAINTS_FORM_ACCEPTED: &str = "the clients compared accept it (curl, OpenSSL, Python, Java, Go and rustls: tests/clients.rs); a rule the CA breaks, which auditors check";

/// OpenSSL uses authorityCertIssuer and authorityCertSerialNumber only to pick the issuer
/// (crypto/x509/v3_purp.c, `X509_check_akid`: a mismatch, not their presence, fails), and
/// rustls-webpki does not read them.
const AKI_ISSUER_FIELDS_ACCEPTED: &str = "no client refuses it (OpenSSL compares the fields with the issuer, which they match here; rustls does not read them); a rule the CA breaks, which auditors check";
/// Clients that verify TLS servers understand extendedKeyUsage, so its criticality changes
/// nothing for them: rustls-webpki processes the extension (src/cert.rs, `remember_cert_extension`)
/// and OpenSSL too (crypto/x509/v3_purp.c, `X509_supported_extension`).
const CRITICAL_EKU_ACCEPTED: &str = "no client refuses it (rustls and OpenSSL understand the extension, so its criticality changes nothing); a rule the CA breaks, which auditors check";

/// OpenSSL and Go read a root's extendedKeyUsage (chain.anchor_purpose), but one that allows
/// serverAuth restricts nothing for a TLS server; rustls-webpki keeps no extension of an anchor.
const ROOT_EKU_ACCEPTED: &str = "the clients compared accept it, since it allows serverAuth (curl, OpenSSL, Python, Java and Go connect through such a root: tests/clients.rs; rustls keeps no extension of a trust anchor); a rule the CA breaks, which auditors check";

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
    let mut problems: Vec<(String, Enforced)> = serial_problem(&cert.serial_raw).into_iter().collect();
    let some =
        |problem: String, problems: &mut Vec<(String, Enforced)>| problems.push((problem, Enforced::BySome(None)));
    let strict = |problem: String, problems: &mut Vec<(String, Enforced)>| {
        problems.push((problem, Enforced::BySome(Some(Refusal::StrictProfile))))
    };
    if !cert.self_signed && cert.authority_key_id.is_none() {
        strict(
            format!(
                "it has no authority key identifier, which RFC 5280 requires to pick its issuer: {REFUSED_BY_STRICT_OPENSSL}"
            ),
            &mut problems,
        );
    }
    if cert.is_ca {
        problems.extend(ca_problems(cert));
    } else if cert.key_cert_sign == Some(true) {
        // OpenSSL without its strict checks accepts it (curl, Python up to 3.12); with them it is
        // error 82, "Key usage keyCertSign invalid for non-CA cert".
        strict(
            format!(
                "it is not a CA but its keyUsage asserts keyCertSign, which RFC 5280 allows only in CA certificates: {REFUSED_BY_STRICT_OPENSSL}"
            ),
            &mut problems,
        );
    }
    // A self-issued certificate whose authority key identifier names another key is no breach:
    // RFC 4210 4.4 makes such certificates when a CA changes its key (OldWithNew, NewWithOld).
    // As a trust anchor OpenSSL does not take it for a root: chain.anchor_not_root says so.
    let self_issued = cert.issuer_raw == cert.subject_raw;
    if public && cert.authority_key_id_has_issuer_fields && cert.is_ca {
        problems.push((
            "its authority key identifier carries authorityCertIssuer or authorityCertSerialNumber, which the CA/Browser Forum forbids".into(),
            Enforced::ByNone(AKI_ISSUER_FIELDS_ACCEPTED),
        ));
    }
    // A root whose extendedKeyUsage leaves out serverAuth is chain.anchor_purpose: clients fail.
    if public && cert.is_ca && self_issued && cert.server_auth {
        problems.push((
            "it is a root with an extendedKeyUsage extension, which the CA/Browser Forum forbids".into(),
            Enforced::ByNone(ROOT_EKU_ACCEPTED),
        ));
    }
    problems.extend(name_constraints_problem(cert));
    if public && is_leaf && cert.extended_key_usage_critical {
        problems.push((
            "its extendedKeyUsage is marked critical, which the CA/Browser Forum does not allow in server certificates"
                .into(),
            Enforced::ByNone(CRITICAL_EKU_ACCEPTED),
        ));
    }
    for oid in &cert.malformed_extensions {
        some(format!("its extension {oid} is malformed"), &mut problems);
    }
    // A leaf without extendedKeyUsage is cert.no_extended_key_usage, which Safari refuses.
    for oid in &cert.unknown_critical_extensions {
        some(
            format!("it has a critical extension ({oid}) that clients do not understand"),
            &mut problems,
        );
    }
    problems
        .into_iter()
        .map(|(problem, enforced)| {
            let finding = Finding::new(CheckId::Nonconformant, format!("{role} {}: {problem}", cert.label()));
            match enforced {
                Enforced::BySome(None) => finding,
                Enforced::BySome(Some(refusal)) => finding.with_refusal(refusal),
                Enforced::ByNone(why) => {
                    let detail = format!("{}: {why}", finding.detail);
                    Finding::new(CheckId::Nonconformant, detail).with_severity(Severity::Info)
                }
            }
        })
        .collect()
}

/// RFC 5280 4.1.2.2: a positive serial of at most 20 octets.
fn serial_problem(serial: &[u8]) -> Option<(String, Enforced)> {
    if serial.iter().all(|b| *b == 0) {
        Some((
            "its serial number is zero (RFC 5280 requires a positive serial)".into(),
            Enforced::ByNone(ZERO_SERIAL_ACCEPTED),
        ))
    } else if serial.first().is_some_and(|b| b & 0x80 != 0) {
        Some((NEGATIVE_SERIAL.into(), Enforced::BySome(Some(Refusal::NegativeSerial))))
    } else if serial.len() > 20 {
        Some((
            format!(
                "its serial number is {} octets long (RFC 5280 allows at most 20)",
                serial.len()
            ),
            Enforced::ByNone(LONG_SERIAL_ACCEPTED),
        ))
    } else {
        None
    }
}

/// What RFC 5280 requires of a CA certificate.
fn ca_problems(cert: &CertInfo) -> Vec<(String, Enforced)> {
    let strict = Enforced::BySome(Some(Refusal::StrictProfile));
    let mut problems = Vec::new();
    if cert.subject_key_id.is_none() {
        // OpenSSL's strict checks: error 86, "Missing Subject Key Identifier".
        problems.push((
            format!("it is a CA without a subject key identifier (RFC 5280 requires one): {REFUSED_BY_STRICT_OPENSSL}"),
            strict,
        ));
    }
    if cert.basic_constraints_critical == Some(false) {
        problems.push((
            format!(
                "its basicConstraints extension is not marked critical, which RFC 5280 requires on CAs: {REFUSED_BY_STRICT_OPENSSL}"
            ),
            strict,
        ));
    }
    if cert.subject_raw.len() <= 2 {
        problems.push((
            "it is a CA with an empty subject, so the certificates it issues have an empty issuer name (chain.untrusted says which clients refuse them)"
                .into(),
            Enforced::BySome(None),
        ));
    }
    problems
}

/// RFC 5280 4.2.1.10: name constraints only in CAs, critical, and not empty.
fn name_constraints_problem(cert: &CertInfo) -> Option<(String, Enforced)> {
    let accepted = |problem: &str| Some((problem.to_string(), Enforced::ByNone(NAME_CONSTRAINTS_FORM_ACCEPTED)));
    match cert.name_constraints {
        Some((_, true)) => Some((
            EMPTY_NAME_CONSTRAINTS.into(),
            Enforced::BySome(Some(Refusal::EmptyNameConstraints)),
        )),
        Some(_) if !cert.is_ca => {
            accepted("it is not a CA but carries name constraints (RFC 5280 allows them only in CAs)")
        }
        Some((false, _)) => accepted("its name constraints are not marked critical (RFC 5280 requires it)"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed leaf (CA:FALSE) with this serial, parsed.
    fn leaf(serial: Vec<u8>) -> CertInfo {
        let mut params = rcgen::CertificateParams::new(vec!["a.example.test".to_string()]).unwrap();
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        CertInfo::from_der(cert.der(), 0)
    }

    fn judged(cert: &CertInfo, rules: Rules) -> Vec<(Severity, String)> {
        problems(cert, "the leaf", true, rules)
            .into_iter()
            .map(|f| (f.severity, f.detail))
            .collect()
    }

    #[test]
    fn what_no_client_refuses_is_information_and_says_so() {
        let zero = judged(&leaf(vec![0]), Rules::Rfc5280);
        assert_eq!(zero.len(), 1, "{zero:?}");
        assert_eq!(zero[0].0, Severity::Info);
        assert!(zero[0].1.contains("no client refuses it"), "{}", zero[0].1);

        let mut critical_eku = leaf(vec![1, 2, 3]);
        critical_eku.extended_key_usage_critical = true;
        let found = judged(&critical_eku, Rules::CaBrowserForum);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Severity::Info);
        // Under a private root the CA/Browser Forum rule does not apply at all.
        assert!(judged(&critical_eku, Rules::Rfc5280).is_empty());
    }

    #[test]
    fn what_some_client_refuses_stays_a_warning_that_names_it() {
        // rcgen writes every serial as a positive INTEGER: the negative one is set as parsed.
        let mut negative_serial = leaf(vec![1, 2]);
        negative_serial.serial_raw = vec![0x80, 1];
        let negative = judged(&negative_serial, Rules::Rfc5280);
        assert_eq!(negative.len(), 1, "{negative:?}");
        assert_eq!(negative[0].0, Severity::Warning);
        assert!(negative[0].1.contains(NEGATIVE_SERIAL), "{}", negative[0].1);

        let mut strict = leaf(vec![1, 2, 3]);
        strict.key_cert_sign = Some(true);
        let found = judged(&strict, Rules::Rfc5280);
        assert_eq!(found[0].0, Severity::Warning);
        assert!(found[0].1.contains(REFUSED_BY_STRICT_OPENSSL));
        // A well-formed leaf has nothing to say.
        assert!(judged(&leaf(vec![1, 2, 3]), Rules::CaBrowserForum).is_empty());
    }
}
