//! What a server that completed a current handshake also accepts, from certscan's own
//! ClientHellos on connections of their own: TLS 1.0 and 1.1 (RFC 8996), broken suites (RC4,
//! 3DES, DES, NULL, export, anonymous), static RSA key exchange, and the size of its DHE group.
//! A question that got no answer is said to be unchecked, never taken as a refusal.

use certscan_model::evidence::{AlsoAccepted, LegacyHello};
use certscan_model::finding::{CheckId, Finding};
use certscan_model::status::Severity;

use crate::connection::{suite_name, version_name};

/// How a server answered one question.
enum Answer<'a> {
    /// It chose this version and suite (and told this DH prime size).
    Chose {
        version: u16,
        suite: u16,
        dh_bits: Option<u32>,
    },
    Refused,
    /// The question was not asked to the end: why.
    Unchecked(&'a str),
}

fn answer(hello: &Option<LegacyHello>) -> Answer<'_> {
    match hello {
        None => Answer::Unchecked("no answer in time"),
        Some(LegacyHello::Accepted {
            version,
            cipher_suite,
            dh_bits,
            ..
        }) => Answer::Chose {
            version: *version,
            suite: *cipher_suite,
            dh_bits: *dh_bits,
        },
        // A hello that never reached the server is a question not asked; a server that closed
        // the connection or answered with something else refused.
        Some(LegacyHello::NotSent { why }) => Answer::Unchecked(why),
        Some(LegacyHello::Alert { .. } | LegacyHello::Nothing { .. }) => Answer::Refused,
    }
}

/// Why a broken suite is broken.
fn broken_because(name: &str) -> &'static str {
    if name.contains("_anon_") {
        "anonymous key exchange: no certificate, so anyone in the path can impersonate the server"
    } else if name.contains("_NULL_") {
        "NULL encryption: the traffic travels in clear text"
    } else if name.contains("EXPORT") {
        "export grade: keys of 40 to 56 bits (FREAK, Logjam)"
    } else if name.contains("RC4") {
        "RC4, whose biases reveal plaintext (RFC 7465 forbids it)"
    } else if name.contains("3DES") {
        "3DES, a 64-bit block cipher open to SWEET32 (CVE-2016-2183)"
    } else {
        "single DES, a 56-bit key broken by brute force"
    }
}

/// The findings for what the server also accepts.
pub(crate) fn findings(accepted: &AlsoAccepted) -> Vec<Finding> {
    let mut found = vec![];
    let mut unchecked = vec![];
    match answer(&accepted.old_versions) {
        Answer::Chose { version, suite, .. } if version < 0x0303 => {
            let also_tls10 = match answer(&accepted.tls10) {
                Answer::Chose { version: 0x0301, .. } => " and TLS 1.0",
                _ => "",
            };
            found.push(Finding::new(
                CheckId::OldVersionsAccepted,
                format!(
                    "besides current versions, the server accepts {}{also_tls10} (it chose {} for a ClientHello offering only TLS 1.0 and 1.1): RFC 8996 deprecates TLS 1.0 and 1.1, and an attacker in the path who can make a client fall back gets their weaknesses",
                    version_name(version),
                    suite_name(suite)
                ),
            ))
        }
        Answer::Unchecked(why) => unchecked.push(format!("TLS 1.0 and 1.1 ({why})")),
        _ => {}
    }
    match answer(&accepted.broken_suites) {
        Answer::Chose { suite, .. } => {
            for suite in std::iter::once(suite).chain(accepted.more_broken_suites.iter().copied()) {
                let name = suite_name(suite);
                found.push(Finding::new(
                    CheckId::WeakSuiteAccepted,
                    format!(
                        "besides current suites, the server accepts {name}: {}; a client that offers it (old phones, appliances, scripts with custom cipher lists) gets it",
                        broken_because(&name)
                    ),
                ));
            }
        }
        Answer::Refused => {}
        Answer::Unchecked(why) => unchecked.push(format!("RC4, 3DES, DES, NULL, export and anonymous suites ({why})")),
    }
    match answer(&accepted.rsa_key_exchange) {
        Answer::Chose { suite, .. } => found.push(
            Finding::new(
                CheckId::WeakSuiteAccepted,
                format!(
                    "the server also accepts static RSA key exchange ({}): a client that picks it gets no forward secrecy, so whoever obtains the server's key later can decrypt recorded sessions; current clients prefer ECDHE",
                    suite_name(suite)
                ),
            )
            .with_severity(Severity::Info),
        ),
        Answer::Refused => {}
        Answer::Unchecked(why) => unchecked.push(format!("RSA key exchange ({why})")),
    }
    match answer(&accepted.dhe) {
        Answer::Chose {
            dh_bits: Some(bits),
            suite,
            ..
        } if bits < 2048 => found.push(
            Finding::new(
                CheckId::DheWeakGroup,
                format!(
                    "the server accepts finite-field DHE ({}) with a {bits}-bit group: under 2048 bits is within reach of precomputation (Logjam){}",
                    suite_name(suite),
                    if bits < 1024 { ", and under 1024 bits of a single attacker; OpenSSL at security level 2 and Java 17 refuse it" } else { "; OpenSSL clients at security level 2 refuse the handshake when they pick it" }
                ),
            )
            .with_severity(if bits < 1024 { Severity::Critical } else { Severity::Warning }),
        ),
        Answer::Chose { dh_bits: None, .. } => {
            unchecked.push("the DHE group's size (the ServerKeyExchange was not read)".into())
        }
        Answer::Unchecked(why) => unchecked.push(format!("DHE ({why})")),
        _ => {}
    }
    for (hello, key_type) in [
        (&accepted.rsa_certificate, "RSA"),
        (&accepted.ecdsa_certificate, "ECDSA"),
    ] {
        if let Answer::Unchecked(why) = answer(hello) {
            unchecked.push(format!("the certificate it sends to {key_type}-only clients ({why})"));
        }
    }
    if !unchecked.is_empty() {
        found.push(Finding::new(
            CheckId::AcceptedUnchecked,
            format!("not checked: whether the server also accepts {}", unchecked.join("; ")),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chose(version: u16, cipher_suite: u16, dh_bits: Option<u32>) -> Option<LegacyHello> {
        Some(LegacyHello::Accepted {
            version,
            cipher_suite,
            group: None,
            dh_bits,
            certificates: vec![],
        })
    }

    fn refused() -> Option<LegacyHello> {
        Some(LegacyHello::Alert { description: 40 })
    }

    fn ids(found: &[Finding]) -> Vec<(&'static str, Severity)> {
        found.iter().map(|f| (f.id.as_str(), f.severity)).collect()
    }

    #[test]
    fn a_server_that_refuses_everything_old_has_no_finding() {
        let modern = AlsoAccepted {
            old_versions: refused(),
            tls10: None,
            broken_suites: refused(),
            more_broken_suites: vec![],
            rsa_key_exchange: Some(LegacyHello::Nothing {
                note: "no answer".into(),
            }),
            dhe: chose(0x0303, 0x009e, Some(2048)),
            rsa_certificate: refused(),
            ecdsa_certificate: refused(),
        };
        assert!(findings(&modern).is_empty(), "{:?}", findings(&modern));
    }

    #[test]
    fn each_old_thing_accepted_is_named_at_its_severity() {
        let old = AlsoAccepted {
            old_versions: chose(0x0302, 0xc013, None),
            tls10: chose(0x0301, 0xc013, None),
            broken_suites: chose(0x0303, 0x000a, None),
            more_broken_suites: vec![0x0005],
            rsa_key_exchange: chose(0x0303, 0x009c, None),
            dhe: chose(0x0303, 0x0033, Some(1024)),
            rsa_certificate: refused(),
            ecdsa_certificate: refused(),
        };
        let found = findings(&old);
        assert_eq!(
            ids(&found),
            [
                ("tls.old_versions_accepted", Severity::Warning),
                ("tls.weak_suite_accepted", Severity::Critical),
                ("tls.weak_suite_accepted", Severity::Critical),
                ("tls.weak_suite_accepted", Severity::Info),
                ("tls.dhe_weak_group", Severity::Warning),
            ]
        );
        assert!(found[0].detail.contains("TLS 1.1 and TLS 1.0") && found[0].detail.contains("RFC 8996"));
        assert!(found[1].detail.contains("TLS_RSA_WITH_3DES_EDE_CBC_SHA") && found[1].detail.contains("SWEET32"));
        assert!(found[2].detail.contains("TLS_RSA_WITH_RC4_128_SHA") && found[2].detail.contains("RC4"));
        assert!(found[4].detail.contains("1024-bit group"));
        let tiny = findings(&AlsoAccepted {
            dhe: chose(0x0303, 0x0033, Some(512)),
            rsa_certificate: refused(),
            ecdsa_certificate: refused(),
            ..AlsoAccepted::default()
        });
        assert!(
            tiny.iter()
                .any(|f| f.id == CheckId::DheWeakGroup && f.severity == Severity::Critical)
        );
    }

    #[test]
    fn a_question_without_an_answer_is_unchecked_never_a_pass() {
        let silent = AlsoAccepted {
            old_versions: None,
            tls10: None,
            broken_suites: refused(),
            more_broken_suites: vec![],
            rsa_key_exchange: Some(LegacyHello::NotSent {
                why: "could not reconnect: connection refused".into(),
            }),
            dhe: refused(),
            rsa_certificate: None,
            ecdsa_certificate: refused(),
        };
        let found = findings(&silent);
        assert_eq!(ids(&found), [("tls.accepted_unchecked", Severity::Info)]);
        assert!(
            found[0].detail.contains("TLS 1.0 and 1.1 (no answer in time)")
                && found[0].detail.contains("RSA key exchange (could not reconnect")
                && found[0]
                    .detail
                    .contains("the certificate it sends to RSA-only clients (no answer in time)"),
            "{}",
            found[0].detail
        );
    }
}
