//! The chain as served (or read from a file): each certificate parsed once, the path validated
//! to a trust anchor at the evaluation time, then every certificate a client may use checked
//! for dates, keys, signatures and profile, the leaf for the names, and the leaf's revocation.

use std::sync::Arc;

use certscan_model::finding::{CheckId, Finding, Refusal, summarise_list};
use certscan_model::status::Severity;
use certscan_x509::certificate::CertInfo;
use certscan_x509::trust::{self, PathCheck};

use crate::{
    ExpiryThresholds, Parsed, Policy, TargetResult, Verification, chain, conformity, crypto, names, revocation,
    validity,
};

/// Certificates of one chain that are parsed and checked; a server or file that sends more is
/// told so (`certscan.capped`). Real chains hold a handful.
pub(crate) const MAX_CHAIN_CERTIFICATES: usize = 100;

/// Checks a chain as served, leaf first (at most [`MAX_CHAIN_CERTIFICATES`], parsed).
pub(crate) fn assess_served_chain(result: &mut TargetResult, source: &Parsed, policy: &Policy) {
    if source.served > MAX_CHAIN_CERTIFICATES {
        result.findings.push(Finding::new(
            CheckId::Capped,
            format!(
                "only the first {MAX_CHAIN_CERTIFICATES} of {} certificates of the chain were checked, to keep the run bounded",
                source.served
            ),
        ));
    }
    result.chain = source.chain.clone();
    assess_chain(result, policy);
}

/// Checks the chain a server sends to clients of one key type only, when it is not the chain
/// the report shows (a server configured with an RSA and an ECDSA certificate: nginx, Apache,
/// `openssl s_server -dcert`): its findings are said of that certificate, so that an expired RSA
/// certificate that RSA-only clients (old phones, Java 7) receive is not missed.
pub(crate) fn assess_other_chain(
    result: &mut TargetResult,
    certificates: &[rustls::pki_types::CertificateDer<'static>],
    key_type: &str,
    policy: &Policy,
) {
    let Some(leaf) = certificates.first() else {
        return;
    };
    if result.chain.first().is_none_or(|shown| shown.der == leaf.as_ref()) {
        return;
    }
    let mut other = TargetResult::empty(result.input.clone());
    other.host = result.host.clone();
    other.names_checked = result.names_checked.clone();
    other.chain = certificates
        .iter()
        .take(MAX_CHAIN_CERTIFICATES)
        .map(|c| policy.parsed.parse(c.as_ref(), policy.at_unix))
        .collect();
    assess_chain(&mut other, policy);
    let label = other.chain[0].label();
    for finding in other.findings {
        result.findings.push(Finding {
            detail: format!(
                "the {key_type} certificate {label}, which the server sends to clients that offer only {key_type} signatures: {}",
                finding.detail
            ),
            of_other_certificate: true,
            ..finding
        });
    }
}

/// Checks the stapled OCSP response (`stapled` is `Some` when a staple could have been seen)
/// and the answers `--revocation` fetched, against the leaf's issuer as served or given.
pub(crate) fn assess_revocation(
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

/// Whether and how the served chain validates.
struct PathOutcome {
    valid: bool,
    /// The indices of the validated path, leaf first: also when only the dates failed.
    path: Option<Vec<usize>>,
    anchor: Option<String>,
    error: Option<String>,
    /// The anchor's certificate, when it came from `--ca-file`.
    anchor_certificate: Option<Vec<u8>>,
    anchor_spki: Option<Vec<u8>>,
    /// The leaf is self-signed and given itself as a trust anchor.
    pinned_leaf: bool,
    /// ... and is a CA certificate, which OpenSSL accepts there and rustls refuses.
    ca_leaf_accepted_by_openssl_only: bool,
}

/// Validates the served chain: at the evaluation time, and when that fails on dates alone, at an
/// instant when the chain is in date, to tell apart "expired but otherwise fine" from a second
/// problem (which is added to `findings`).
fn validate_path(
    served: &[Arc<CertInfo>],
    shape: &chain::Shape,
    policy: &Policy,
    findings: &mut Vec<Finding>,
) -> PathOutcome {
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
    let mut outcome = PathOutcome {
        valid: false,
        path: None,
        anchor: None,
        error: None,
        anchor_certificate: None,
        anchor_spki: None,
        pinned_leaf,
        ca_leaf_accepted_by_openssl_only: false,
    };
    match validate(policy.at_unix) {
        PathCheck::Valid {
            path,
            anchor,
            anchor_certificate,
            anchor_spki_sha256,
        } => {
            outcome.valid = true;
            outcome.path = Some(path);
            outcome.anchor = Some(anchor);
            outcome.anchor_certificate = anchor_certificate;
            outcome.anchor_spki = Some(anchor_spki_sha256);
        }
        PathCheck::Invalid(error) => {
            outcome.error = Some(trust::describe_error(&error));
            let undated = if trust::is_time_error(&error) {
                validate(reference_instant(served, &shape.path))
            } else {
                PathCheck::Invalid(error)
            };
            match undated {
                PathCheck::Valid { path, .. } => outcome.path = Some(path),
                PathCheck::Invalid(other) if !trust::is_time_error(&other) => {
                    findings.push(chain::trust_failure(served, shape, &policy.trust, &other));
                }
                PathCheck::Invalid(_) => {}
            }
        }
    }
    outcome.ca_leaf_accepted_by_openssl_only = ca_leaf_accepted_by_openssl_only;
    if pinned_leaf {
        // The anchor is the leaf itself: its checks are the leaf's.
        outcome.anchor_certificate = None;
    }
    outcome
}

/// `cert.self_signed` as information for a self-signed leaf trusted as given.
fn pinned_leaf_finding(leaf: &CertInfo, ca_leaf_accepted_by_openssl_only: bool) -> Finding {
    let detail = if ca_leaf_accepted_by_openssl_only {
        format!(
            "the leaf {} is self-signed and trusted as given (--ca-file): OpenSSL-based clients (curl, Python, PHP, Wazo's services) accept it; rustls-based clients refuse it because it is a CA certificate (CA:TRUE) used as a server certificate",
            leaf.label()
        )
    } else {
        format!(
            "the leaf {} is self-signed and trusted as given (--ca-file): only clients configured to trust this exact certificate accept it",
            leaf.label()
        )
    };
    Finding::new(CheckId::SelfSigned, detail).with_severity(Severity::Info)
}

/// CA/Browser Forum rules bind publicly trusted certificates only: a chain that ends at a root
/// of the Mozilla or system store. Private chains are held to RFC 5280 alone.
fn is_public_chain(served: &[Arc<CertInfo>], shape: &chain::Shape, outcome: &PathOutcome, policy: &Policy) -> bool {
    match (&outcome.path, outcome.valid) {
        (Some(_), true) => outcome.anchor_certificate.is_none() && !outcome.pinned_leaf,
        _ => {
            let top = &served[shape.top()];
            top.parsed()
                && (policy.trust.is_public_subject(&top.issuer_raw) || policy.trust.is_public_subject(&top.subject_raw))
        }
    }
}

/// Structure that clients refuse although the path validator let it through, in the served
/// path and in the `--ca-file` anchor it ends at (the validator reads only an anchor's name and
/// key); the first such defect, to say why the chain is invalid.
fn structure_findings(
    served: &[Arc<CertInfo>],
    shape: &chain::Shape,
    anchor_certificate: Option<&[u8]>,
    policy: &Policy,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let parsed_anchor;
    let anchor_info: Option<&CertInfo> = match anchor_certificate {
        Some(der) => match policy.given_anchors.iter().find(|given| given.der == der) {
            Some(given) => Some(given),
            None => {
                parsed_anchor = CertInfo::from_der(der, policy.at_unix);
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
            // The client families judge it by their `refuses_empty_issuer` setting.
            findings.push(Finding::new(CheckId::Untrusted, detail).with_refusal(Refusal::EmptyIssuerName));
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
    if let Some(anchor) = anchor_info.filter(|a| a.parsed() && !a.self_signed) {
        findings.push(Finding::new(CheckId::AnchorNotRoot, anchor_not_root(anchor)));
    }
    if let Some(anchor) = anchor_info.filter(|a| a.parsed() && a.has_extended_key_usage && !a.server_auth) {
        findings.push(Finding::new(
            CheckId::AnchorPurpose,
            format!(
                "the trust anchor {} has an extendedKeyUsage that does not allow TLS server authentication (serverAuth)",
                anchor.label()
            ),
        ));
    }
    // Every certificate that issues another on the path: the intermediates, then the anchor
    // (unless the server sent it too).
    let issuers = shape.path.iter().skip(1).map(|&i| (&*served[i], role(served, i)));
    let anchor_not_sent = anchor_info.filter(|a| !shape.path.iter().any(|&i| served[i].der == a.der));
    let issuers = issuers.chain(anchor_not_sent.map(|a| (a, std::borrow::Cow::Borrowed("the trust anchor"))));
    for (issuer, who) in issuers.filter(|(c, _)| c.parsed() && c.key_cert_sign == Some(false)) {
        findings.push(Finding::new(
            CheckId::CaCannotSign,
            format!(
                "{who} {} has a keyUsage that does not allow keyCertSign, so it may not sign certificates",
                issuer.label()
            ),
        ));
    }
    if let Some(anchor) = anchor_info.filter(|a| a.parsed())
        && (policy.at_unix > anchor.not_after_unix || policy.at_unix < anchor.not_before_unix)
    {
        let detail = format!(
            "the trust anchor {} is outside its validity period ({} to {})",
            anchor.label(),
            anchor.not_before,
            anchor.not_after
        );
        findings.push(Finding::new(CheckId::AnchorOutOfDate, detail));
    }
    malformed
}

/// Why OpenSSL does not take a trusted certificate for a root: what it is, and what OpenSSL
/// looks for above it (crypto/x509/v3_purp.c sets EXFLAG_SS only when the issuer is the subject
/// and the authority key identifier, if any, is the certificate's own).
fn anchor_not_root(anchor: &CertInfo) -> String {
    let what = if anchor.issuer_raw == anchor.subject_raw {
        "is self-issued but its authority key identifier names another key than its own, so OpenSSL does not take it for a self-signed root".to_string()
    } else {
        format!("is issued by {}, so it is not a root", anchor.issuer)
    };
    format!(
        "the trust anchor {} {what}: clients that verify with OpenSSL look for its issuer unless partial chains are on",
        anchor.label()
    )
}

/// Dates, keys, signatures and profile of every certificate a client may use (`needed`: the
/// path clients build, then the rest of the served path); the certificate of `needed` that
/// expires first.
fn certificate_findings<'a>(
    served: &'a [Arc<CertInfo>],
    needed: &[usize],
    shape: &chain::Shape,
    rules: conformity::Rules,
    policy: &Policy,
    findings: &mut Vec<Finding>,
) -> Option<&'a CertInfo> {
    let mut considered: Vec<usize> = needed.to_vec();
    considered.extend(shape.path.iter().filter(|i| !needed.contains(i)));
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
        if is_needed && cert.parsed() && soonest.is_none_or(|s| cert.not_after_unix < s.not_after_unix) {
            soonest = Some(cert);
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
    soonest
}

/// Whether the leaf covers each name checked; why not, for the first it does not cover.
fn name_findings(leaf: &CertInfo, names_checked: &[String], findings: &mut Vec<Finding>) -> Option<String> {
    let mut name_error = None;
    let cn_only = leaf.parsed() && !leaf.has_san_extension;
    for name in names_checked {
        if names::covers(leaf, name) {
            continue;
        }
        if cn_only && leaf.common_names.iter().any(|cn| names::cn_matches(cn, name)) {
            // The name is there, but where most clients do not look: the mismatch says so, and
            // name.cn_only below states the certificate's fault.
            findings.push(
                Finding::new(
                    CheckId::NameMismatch,
                    format!("{name} is only in the certificate's Common Name (it has no subjectAltName)"),
                )
                .with_remediation(certscan_model::catalog::entry(CheckId::CnOnly).remediation.clone()),
            );
            name_error.get_or_insert_with(|| format!("{name} is only in the Common Name, which most clients ignore"));
            continue;
        }
        findings.push(Finding::new(
            CheckId::NameMismatch,
            format!(
                "{name} is not covered by the certificate, which lists {}{}",
                presented_names(leaf, cn_only),
                mismatch_hint(leaf, name)
            ),
        ));
        name_error.get_or_insert_with(|| format!("the certificate is not valid for {name}"));
    }
    if cn_only {
        let cn = leaf.common_names.first().cloned().unwrap_or_default();
        findings.push(Finding::new(
            CheckId::CnOnly,
            format!("the leaf has no subjectAltName; its only name is the Common Name {cn:?}"),
        ));
    }
    name_error
}

/// The names a leaf presents, for a mismatch's message.
fn presented_names(leaf: &CertInfo, cn_only: bool) -> String {
    if leaf.sans.is_empty() {
        match leaf.common_names.first() {
            Some(cn) if cn_only => format!("no subjectAltName, only the Common Name {cn:?}"),
            _ => "no subjectAltName entries".to_string(),
        }
    } else {
        summarise_list(&leaf.sans, 10)
    }
}

/// Why a name may not match: it is no name at all, or it nearly matches one of the leaf's.
fn mismatch_hint(leaf: &CertInfo, name: &str) -> String {
    if rustls::pki_types::ServerName::try_from(name).is_err() {
        " (it is not a valid DNS name or IP address, so no certificate can be valid for it)".to_string()
    } else {
        names::near_miss(&leaf.san_entries, name)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default()
    }
}

/// The expiry thresholds in force for the certificate that expires first, in days.
fn expiry_thresholds(soonest: &CertInfo, policy: &Policy) -> ExpiryThresholds {
    let limits = policy
        .thresholds
        .for_certificate(soonest.not_before_unix, soonest.not_after_unix);
    ExpiryThresholds {
        warning_days: limits.warning_seconds as f64 / 86_400.0,
        critical_days: limits.critical_seconds as f64 / 86_400.0,
        basis: if limits.relative { "lifetime" } else { "days" },
    }
}

/// Every check of the served chain, and the verification verdict they add up to.
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
    let outcome = validate_path(served, &shape, policy, &mut findings);
    if outcome.pinned_leaf {
        findings.push(pinned_leaf_finding(
            &served[0],
            outcome.ca_leaf_accepted_by_openssl_only,
        ));
    }
    let public_chain = is_public_chain(served, &shape, &outcome, policy);
    let rules = if public_chain {
        conformity::Rules::CaBrowserForum
    } else {
        conformity::Rules::Rfc5280
    };
    findings.extend(chain::shape_findings(served, &shape, outcome.path.as_deref()));
    let malformed = structure_findings(
        served,
        &shape,
        outcome.anchor_certificate.as_deref(),
        policy,
        &mut findings,
    );
    let needed: Vec<usize> = outcome.path.clone().unwrap_or_else(|| shape.path.clone());
    let soonest = certificate_findings(served, &needed, &shape, rules, policy, &mut findings);
    let name_error = name_findings(&served[0], &result.names_checked, &mut findings);
    findings.extend(crate::leaf_rules::leaf_findings(&served[0]));
    // A weak key or signature on a certificate clients use fails them as surely as a bad path.
    let refused = findings
        .iter()
        .find(|f| matches!(f.id, CheckId::WeakKey | CheckId::WeakSignature) && f.severity == Severity::Critical)
        .map(|f| f.detail.clone());
    let chain_error = outcome.error.or(malformed).or(refused);
    result.days_left = soonest.map(|cert| cert.days_left);
    result.expiry_thresholds = soonest.map(|cert| expiry_thresholds(cert, policy));
    result.verification = Verification {
        valid: Some(outcome.valid && chain_error.is_none() && name_error.is_none()),
        public: outcome.valid && chain_error.is_none() && public_chain,
        error: chain_error.or(name_error),
        anchor: outcome.anchor,
        anchor_spki_sha256: outcome.anchor_spki,
    };
    result.findings.extend(findings);
}
