//! Wazo's own checks and wording: how its services connect to each other (the effective
//! `host`, `https` and `verify_certificate` of their merged configuration) must fit the
//! certificate they serve, and a daemon refused on a name the hosts file sends elsewhere than
//! 127.0.0.1 is worded as that line's doing.

use certscan_checks::names::sans_cover;
use certscan_checks::{Check, Enriched, PlatformRules, Policy, TargetResult};
use certscan_model::configured::{CUSTOM_FILE, ClientSetting};
use certscan_model::evidence::DeployEvidence;
use certscan_model::finding::{CheckId, Finding, summarise_list};
use certscan_x509::certificate::CertInfo;

use super::wazo::Wazo;

impl PlatformRules for Wazo {
    fn checks(&self) -> &'static [Check] {
        &[check]
    }

    fn rewordings(&self) -> &'static [Check] {
        &[reword]
    }

    /// Wazo's services reach each other through the certificate's name on the machine itself,
    /// and listen on 127.0.0.1.
    fn names_resolve_to_loopback(&self) -> bool {
        true
    }
}

/// What the certificate is, as Wazo's verification settings see it.
struct ServedCertificate<'a> {
    pub leaf: &'a CertInfo,
    /// The chain as served (leaf first), for the issuers a CA file does not hold.
    pub chain: &'a [std::sync::Arc<CertInfo>],
    /// The chain validates to a root of the system's (Mozilla's) store: `verify_certificate:
    /// true` accepts it.
    pub publicly_trusted: bool,
}

/// Where a fix goes: the documented custom file, linked into the service's `conf.d/`.
fn fix_in(setting: &ClientSetting, yaml: &str) -> String {
    format!(
        "Write in {CUSTOM_FILE} (linked into /etc/{}/conf.d/ as Wazo's documentation shows; never edit config.yml, which upgrades replace):\n  {}:\n{yaml}\nthen wazo-service restart all.",
        setting.service, setting.section
    )
}

/// "the auth connection of wazo-calld (host set in FILE)".
fn place(setting: &ClientSetting, key: &str) -> String {
    let file = match key {
        "host" => setting.host.as_ref().map(|h| &h.file),
        "https" => setting.https.as_ref().map(|h| &h.file),
        _ => setting.verify.as_ref().map(|v| &v.file),
    };
    match file {
        Some(file) => format!(
            "the {} connection of {} ({key} set in {})",
            setting.section,
            setting.service,
            file.display()
        ),
        None => format!(
            "the {} connection of {} ({key} not set)",
            setting.section, setting.service
        ),
    }
}

/// Findings for Wazo's client settings against the certificate the services serve.
fn wazo_findings(
    settings: &[ClientSetting],
    served: &ServedCertificate<'_>,
    deploy: &DeployEvidence,
    at_unix: i64,
) -> Vec<Finding> {
    let leaf = served.leaf;
    let suggested = leaf
        .san_entries
        .iter()
        .find_map(|san| match san {
            certscan_x509::certificate::SanEntry::Dns(name) if !name.starts_with("*.") => Some(name.clone()),
            _ => None,
        })
        .or_else(|| leaf.common_names.first().cloned())
        .unwrap_or_else(|| "the certificate's name".into());
    let mut findings = Vec::new();
    // A connection in plain HTTP (Wazo's packaged default, to localhost) presents no
    // certificate: there is nothing to match.
    for setting in settings.iter().filter(|s| s.uses_https()) {
        let host = setting.host.as_ref().map_or("localhost", |h| h.value.as_str());
        findings.extend(host_finding(setting, host, leaf, &suggested));
        findings.extend(verify_finding(setting, host, served, deploy, at_unix));
    }
    findings
}

/// `host`: the certificate must cover the name the service connects to.
fn host_finding(setting: &ClientSetting, host: &str, leaf: &CertInfo, suggested: &str) -> Option<Finding> {
    let covered = sans_cover(&leaf.san_entries, host)
        || (!leaf.has_san_extension && leaf.common_names.iter().any(|cn| cn.eq_ignore_ascii_case(host)));
    (!covered).then(|| {
        Finding::new(
            CheckId::WazoHostMismatch,
            format!(
                "{} reaches {host} over HTTPS, which the certificate ({}) does not cover",
                place(setting, "host"),
                summarise_list(&leaf.sans, 10)
            ),
        )
        .with_remediation(fix_in(
            setting,
            &format!(
                "    host: {suggested}\nand make {suggested} resolve to 127.0.0.1 in /etc/hosts (for services on this machine)"
            ),
        ))
    })
}

/// `verify_certificate`: off across the network, the system's CAs for a certificate they do
/// not trust, or a file that does not let OpenSSL verify the certificate.
fn verify_finding(
    setting: &ClientSetting,
    host: &str,
    served: &ServedCertificate<'_>,
    deploy: &DeployEvidence,
    at_unix: i64,
) -> Option<Finding> {
    let leaf = served.leaf;
    let local = matches!(host, "localhost" | "127.0.0.1" | "::1");
    let verify = setting.verify.as_ref().map_or("true", |v| v.value.as_str());
    let proper = if leaf.self_signed {
        "/usr/share/xivo-certs/server.crt   # the self-signed certificate itself"
    } else if served.publicly_trusted {
        "true   # the system's CAs trust this certificate"
    } else {
        "/path/to/root-ca.pem   # the self-signed root CA at the top of the certificate's chain"
    };
    let (id, detail) = match verify {
        "false" | "False" | "no" if !local => (
            CheckId::WazoVerifyDisabled,
            format!(
                "{} turns certificate verification off for {host}, across the network",
                place(setting, "verify_certificate")
            ),
        ),
        "false" | "False" | "no" => return None,
        "true" | "True" | "yes" if !served.publicly_trusted => {
            let why = if leaf.self_signed {
                format!("the self-signed certificate {}", leaf.label())
            } else {
                format!("the private CA that issued {}", leaf.label())
            };
            let unset = if setting.verify.is_none() {
                " (the default when verify_certificate is absent)"
            } else {
                ""
            };
            (
                CheckId::WazoVerifyMismatch,
                format!(
                    "{} verifies against the system's CAs{unset}, which do not include {why}: its connections to {host} fail",
                    place(setting, "verify_certificate")
                ),
            )
        }
        "true" | "True" | "yes" => return None,
        path => {
            let what = verify_file_problem(setting, served, deploy, at_unix)?;
            (
                CheckId::WazoVerifyMismatch,
                format!(
                    "{} verifies against {path}, which {what}: its connections to {host} fail",
                    place(setting, "verify_certificate")
                ),
            )
        }
    };
    Some(Finding::new(id, detail).with_remediation(fix_in(setting, &format!("    verify_certificate: {proper}"))))
}

/// How OpenSSL ends its walk up the served chain with a CA file as its only trust store.
#[derive(Debug, PartialEq, Eq)]
enum OpensslWalk {
    /// At a self-signed certificate the file holds: verified.
    Verified,
    /// At a certificate the file holds that is not self-signed, whose issuer is nowhere: the
    /// file holds an intermediate (or the leaf) without the root it chains to.
    TrustedButNoRoot { leaf: bool },
    /// Without reaching any certificate of the file.
    Untrusted,
}

/// The most issuers followed up a chain.
const MAX_WALK: usize = 10;

/// What OpenSSL's default verification does with `file` as its trust store and the served
/// `chain`: from the leaf, each issuer is taken from the file first and else from what the
/// server sent (trusted-first, always on since OpenSSL 1.1.0: `X509_V_FLAG_TRUSTED_FIRST` in
/// openssl's `doc/man3/X509_VERIFY_PARAM_set_flags.pod`), until a self-signed certificate. The
/// chain verifies only when that certificate is in the file: partial chains
/// (`X509_V_FLAG_PARTIAL_CHAIN`, which would let a file holding the intermediate alone verify)
/// are off by default, and Python turns them on only from 3.13 (CPython issue 107361), later than
/// the Python 3.11 of the Debian 12 that Wazo runs on.
fn openssl_walk(chain: &[std::sync::Arc<CertInfo>], file: &[CertInfo]) -> OpensslWalk {
    let Some(leaf) = chain.first() else {
        return OpensslWalk::Untrusted;
    };
    let in_file = |cert: &CertInfo| file.iter().any(|f| f.sha256 == cert.sha256);
    let mut current: &CertInfo = leaf;
    let mut trusted_from = None;
    for step in 0..MAX_WALK {
        if in_file(current) && trusted_from.is_none() {
            trusted_from = Some(step);
        }
        if current.self_signed {
            return match (in_file(current), trusted_from) {
                (true, _) => OpensslWalk::Verified,
                // The root the server sent is no anchor: the file holds a CA below it only.
                (false, Some(step)) => OpensslWalk::TrustedButNoRoot { leaf: step == 0 },
                (false, None) => OpensslWalk::Untrusted,
            };
        }
        let issuer = file
            .iter()
            .find(|ca| ca.is_ca && current.named_issuer_is(ca))
            .or_else(|| {
                chain
                    .iter()
                    .map(|c| &**c)
                    .find(|ca| ca.is_ca && current.named_issuer_is(ca))
            });
        match issuer {
            Some(issuer) => current = issuer,
            None => break,
        }
    }
    match trusted_from {
        Some(step) => OpensslWalk::TrustedButNoRoot { leaf: step == 0 },
        None => OpensslWalk::Untrusted,
    }
}

/// What is wrong with a `verify_certificate` file, if anything, as OpenSSL (Python's requests,
/// which Wazo's services use) verifies the served chain with it: the certificate itself when it
/// is self-signed, else the root CA at the top of its chain (an intermediate alone does not
/// verify).
fn verify_file_problem(
    setting: &ClientSetting,
    served: &ServedCertificate<'_>,
    deploy: &DeployEvidence,
    at_unix: i64,
) -> Option<String> {
    let held = setting
        .verify_file
        .as_ref()
        .and_then(|file| deploy.verify_files.iter().find(|(p, _)| p == file))
        .map(|(_, certs)| certs);
    let certs: Vec<CertInfo> = match held {
        Some(Ok(certs)) => certs.iter().map(|c| CertInfo::from_der(c.as_ref(), at_unix)).collect(),
        Some(Err(error)) => return Some(format!("cannot be read ({error})")),
        None => vec![],
    };
    match openssl_walk(served.chain, &certs) {
        OpensslWalk::Verified => None,
        OpensslWalk::TrustedButNoRoot { leaf: true } => {
            Some("holds the certificate but not the CA that issued it, which OpenSSL clients need".to_string())
        }
        OpensslWalk::TrustedButNoRoot { leaf: false } => Some(
            "holds a CA of the chain but not the self-signed root it chains to, which OpenSSL clients need (they accept an intermediate alone only with partial chains, off by default before Python 3.13)"
                .to_string(),
        ),
        OpensslWalk::Untrusted => Some("holds neither the certificate nor the CA that issued it".to_string()),
    }
}

/// Wazo's services' connections to each other, against the certificate served.
fn check(source: &Enriched, policy: &Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    let (false, Some(leaf)) = (evidence.extra.wazo.is_empty(), result.chain.first()) else {
        return;
    };
    let served = ServedCertificate {
        leaf,
        chain: &result.chain,
        publicly_trusted: result.verification.public,
    };
    result.findings.extend(wazo_findings(
        &evidence.extra.wazo,
        &served,
        &evidence.deploy,
        policy.at_unix,
    ));
}

/// Wazo's wording: the hosts-file line that sends a daemon's name elsewhere than 127.0.0.1,
/// and where its certificate lives and how it is reloaded.
fn reword(source: &Enriched, _: &Policy, result: &mut TargetResult) {
    reword_refused_daemon(source, result);
    crate::fix_certificate_findings(
        "Install a certificate from a CA as Wazo's documentation describes: the full chain and key under /etc/ssl/wazo/ (or certbot's live/ files), named in /etc/xivo/custom/custom-certificate.yml (rest_api: https: certificate and private_key) linked into each service's conf.d/, and in nginx; then wazo-service restart all.",
        &mut result.findings,
    );
}

/// A Wazo daemon refused on a name the hosts file sends elsewhere than 127.0.0.1 (Debian's
/// 127.0.1.1 line): the daemons listen on 127.0.0.1, so that line is the cause.
fn reword_refused_daemon(source: &Enriched, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    let certscan_model::evidence::Origin::Endpoint {
        host: certscan_model::target::Host::Dns(name),
        ..
    } = &evidence.origin
    else {
        return;
    };
    let Some(resolution) = source.lookups.names.iter().find(|r| r.name == *name) else {
        return;
    };
    let Some((address, line)) = resolution
        .hosts_file
        .iter()
        .zip(&resolution.hosts_lines)
        .find(|(a, _)| a.is_loopback() && **a != std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
    else {
        return;
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The committed RSA test CA (self-signed) and the leaf it issued.
    fn root_and_leaf() -> (CertInfo, CertInfo) {
        let read = |pem: &str| match certscan_probe::file::chain_from_bytes(pem.as_bytes()) {
            certscan_model::evidence::Observation::Chain { certificates, .. } => {
                CertInfo::from_der(certificates[0].as_ref(), 1_900_000_000)
            }
            other => panic!("{other:?}"),
        };
        (
            read(include_str!("../../../fixtures/legacy/rsaca.pem")),
            read(include_str!("../../../fixtures/legacy/sha1leaf.pem")),
        )
    }

    #[test]
    fn openssl_verifies_only_up_to_a_self_signed_root_in_the_file() {
        let (root, leaf) = root_and_leaf();
        let served = [Arc::new(leaf.clone())];
        assert_eq!(
            openssl_walk(&served, std::slice::from_ref(&root)),
            OpensslWalk::Verified
        );
        assert_eq!(
            openssl_walk(&served, std::slice::from_ref(&leaf)),
            OpensslWalk::TrustedButNoRoot { leaf: true }
        );
        assert_eq!(openssl_walk(&served, &[]), OpensslWalk::Untrusted);
        // The root sent by the server is no anchor: the file must hold it.
        let root_served = [Arc::new(leaf.clone()), Arc::new(root.clone())];
        assert_eq!(openssl_walk(&root_served, &[]), OpensslWalk::Untrusted);
        assert_eq!(
            openssl_walk(&root_served, std::slice::from_ref(&leaf)),
            OpensslWalk::TrustedButNoRoot { leaf: true }
        );
        // A self-signed certificate served as the leaf verifies when the file holds it.
        let self_signed = [Arc::new(root.clone())];
        assert_eq!(
            openssl_walk(&self_signed, std::slice::from_ref(&root)),
            OpensslWalk::Verified
        );
    }
}
