//! Name matching as TLS clients do it (RFC 6125 with the rules of current browsers and
//! rustls-webpki): used to explain name findings and to suggest the closest name.

use std::net::IpAddr;

use rustls::pki_types::ServerName;

use certscan_x509::certificate::{CertInfo, SanEntry};

/// Whether a DNS name is a syntactically valid presented (SAN) identifier; wildcards are
/// allowed only as a whole left-most `*` label with at least two labels after it.
pub(crate) fn valid_presented_dns(name: &str) -> bool {
    let (wildcard, rest) = match name.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    if name.len() > 253 || rest.ends_with('.') || !valid_labels(rest) {
        return false;
    }
    !wildcard || rest.split('.').count() >= 2
}

/// Whether a DNS name is a valid reference identifier (what a client connects to); it may end
/// with a dot (an absolute name).
pub(crate) fn valid_reference_dns(name: &str) -> bool {
    let relative = name.strip_suffix('.').unwrap_or(name);
    name.len() <= 253 && valid_labels(relative)
}

fn valid_labels(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let well_formed = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    labels.iter().all(well_formed)
        && labels
            .last()
            .is_some_and(|last| !last.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the leaf is valid for a name (a DNS name or an IP address) as a TLS client decides it.
/// When the validator cannot read the certificate at all (an unsupported critical extension, a
/// malformed extension), that is a trust problem reported on its own: the name is then judged
/// from the subjectAltName entries, so it is not reported as a mismatch it is not.
pub(crate) fn covers(leaf: &CertInfo, name: &str) -> bool {
    let Ok(server_name) = ServerName::try_from(name) else {
        return false;
    };
    match certscan_x509::trust::valid_for_name(leaf, &server_name) {
        Ok(()) => true,
        Err(webpki::Error::CertNotValidForName(_)) => false,
        Err(_) => sans_cover(&leaf.san_entries, name),
    }
}

/// Whether a Common Name matches a name as OpenSSL-based clients that still read it do (an
/// exact DNS name, a wildcard as in a SAN, or the textual IP address).
pub(crate) fn cn_matches(cn: &str, name: &str) -> bool {
    match name.parse::<IpAddr>() {
        Ok(ip) => cn.parse::<IpAddr>().is_ok_and(|c| c == ip),
        Err(_) => dns_name_matches(cn, name),
    }
}

/// Whether a presented SAN DNS name covers the reference name.
pub(crate) fn dns_name_matches(presented: &str, reference: &str) -> bool {
    if !valid_presented_dns(presented) || !valid_reference_dns(reference) {
        return false;
    }
    let reference = reference.strip_suffix('.').unwrap_or(reference).to_ascii_lowercase();
    let presented = presented.to_ascii_lowercase();
    match presented.strip_prefix("*.") {
        Some(suffix) => match reference.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest == suffix,
            None => false,
        },
        None => presented == reference,
    }
}

/// Whether the SANs cover a name (a DNS name, or an IP address matched against IP SANs only).
pub fn sans_cover(sans: &[SanEntry], name: &str) -> bool {
    match name.parse::<IpAddr>() {
        Ok(ip) => sans.iter().any(|san| matches!(san, SanEntry::Ip(s) if *s == ip)),
        Err(_) => sans
            .iter()
            .any(|san| matches!(san, SanEntry::Dns(p) if dns_name_matches(p, name))),
    }
}

/// Why a name is not covered, when a SAN comes close: the usual wildcard and IP mistakes.
pub(crate) fn near_miss(sans: &[SanEntry], name: &str) -> Option<String> {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = lower.parse::<IpAddr>() {
        if sans
            .iter()
            .any(|s| matches!(s, SanEntry::Dns(d) if d.eq_ignore_ascii_case(&ip.to_string())))
        {
            return Some(format!(
                "{ip} is listed as a DNS name, but IP addresses only match IP SAN entries"
            ));
        }
        return None;
    }
    for san in sans {
        let SanEntry::Dns(presented) = san else {
            continue;
        };
        let presented = presented.to_ascii_lowercase();
        if let Some(suffix) = presented.strip_prefix("*.") {
            if lower == suffix {
                return Some(format!(
                    "{presented} does not cover the bare domain {lower}: add {lower} itself as a SAN"
                ));
            }
            if lower.ends_with(&format!(".{suffix}")) {
                return Some(format!(
                    "{presented} covers exactly one label, but {lower} is {} labels below {suffix}",
                    lower.trim_end_matches(suffix).trim_end_matches('.').split('.').count()
                ));
            }
        } else if presented.contains('*') {
            return Some(format!(
                "{presented} is a partial wildcard, which clients do not accept"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    fn dns(names: &[&str]) -> Vec<SanEntry> {
        names.iter().map(|n| SanEntry::Dns(n.to_string())).collect()
    }

    const CASES: &[(&str, &str, bool)] = &[
        ("example.com", "example.com", true),
        ("EXAMPLE.com", "example.COM", true),
        ("example.com", "example.com.", true),
        ("example.com", "www.example.com", false),
        ("*.example.com", "www.example.com", true),
        ("*.example.com", "WWW.Example.Com", true),
        ("*.example.com", "a.b.example.com", false),
        ("*.example.com", "example.com", false),
        ("*.com", "example.com", false),
        ("w*.example.com", "www.example.com", false),
        ("*w.example.com", "www.example.com", false),
        ("www.*.example.com", "www.a.example.com", false),
        ("*.*.example.com", "a.b.example.com", false),
        ("example.com.", "example.com", false),
        ("ex_ample.com", "ex_ample.com", true),
        ("-bad.example.com", "-bad.example.com", false),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", true),
        ("*.xn--bcher-kva.example", "a.xn--bcher-kva.example", true),
        ("example.123", "example.123", false),
        ("*.example.com", "*.example.com", false),
        ("a.example.com", "a..example.com", false),
    ];

    #[test]
    fn dns_matching_table() {
        for &(presented, reference, expected) in CASES {
            assert_eq!(
                dns_name_matches(presented, reference),
                expected,
                "{presented} vs {reference}"
            );
        }
    }

    /// The matcher used for explanations agrees with the one that decides validity.
    #[test]
    fn agrees_with_the_tls_library_on_every_table_row() {
        use rcgen::{CertificateParams, KeyPair, SanType};
        let key = KeyPair::generate().unwrap();
        for &(presented, reference, _) in CASES {
            let mut params = CertificateParams::default();
            params.subject_alt_names = vec![SanType::DnsName(presented.try_into().unwrap())];
            let cert = params.self_signed(&key).unwrap();
            let info = certscan_x509::certificate::CertInfo::from_der(cert.der(), 0);
            let Ok(name) = ServerName::try_from(reference) else {
                assert!(
                    !dns_name_matches(presented, reference),
                    "{reference} is not a valid name"
                );
                continue;
            };
            let library = certscan_x509::trust::valid_for_name(&info, &name).is_ok();
            assert_eq!(
                sans_cover(&info.san_entries, reference),
                library,
                "{presented} vs {reference}"
            );
        }
    }

    #[test]
    fn ip_names_match_ip_sans_only() {
        let sans = vec![
            SanEntry::Ip("127.0.0.1".parse().unwrap()),
            SanEntry::Dns("10.0.0.1".into()),
        ];
        assert!(sans_cover(&sans, "127.0.0.1"));
        assert!(!sans_cover(&sans, "10.0.0.1"));
        assert!(near_miss(&sans, "10.0.0.1").unwrap().contains("only match IP SAN"));
    }

    #[test]
    fn near_misses_explain_wildcard_scope() {
        let sans = dns(&["*.example.com"]);
        assert!(
            near_miss(&sans, "a.b.example.com")
                .unwrap()
                .contains("exactly one label")
        );
        assert!(near_miss(&sans, "example.com").unwrap().contains("bare domain"));
        assert_eq!(near_miss(&sans, "other.test"), None);
    }
}
