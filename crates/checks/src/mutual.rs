//! The certificate of a mutual-TLS peer: a SIP server that asks its peers for a certificate
//! presents its own when it calls out, so that certificate must allow TLS client authentication
//! as well as server authentication; public CAs stopped issuing such certificates in 2026.

use certscan_model::evidence::HandshakeFacts;
use certscan_model::finding::{CheckId, Finding};
use certscan_model::target::Protocol;

use crate::{Policy, TargetResult};

/// 2026-02-11, when Let's Encrypt's default profile stopped including clientAuth.
const PUBLIC_CLIENT_AUTH_ENDING: i64 = 1_770_768_000;

/// Whether the leaf is used as a client certificate too: `--mutual-tls`, or a SIPS server that
/// asks its peers for a certificate (it calls out with its own).
fn used_for_mutual_tls(result: &TargetResult, handshake: Option<&HandshakeFacts>, mutual_tls: bool) -> bool {
    mutual_tls
        || (result.protocol == Some(Protocol::Sips)
            && handshake.is_some_and(|facts| facts.client_certificate_request.is_some()))
}

/// The findings on the leaf as a client certificate, when it is one.
pub(crate) fn check(result: &mut TargetResult, handshake: Option<&HandshakeFacts>, policy: &Policy) {
    judge(result, handshake, policy.mutual_tls, policy.at_unix);
}

fn judge(result: &mut TargetResult, handshake: Option<&HandshakeFacts>, mutual_tls: bool, at_unix: i64) {
    if !used_for_mutual_tls(result, handshake, mutual_tls) {
        return;
    }
    let Some(leaf) = result.chain.first().filter(|leaf| leaf.parsed()) else {
        return;
    };
    let why_used = match mutual_tls {
        true => "it is used for mutual TLS (--mutual-tls)",
        false => "this SIP server asks its peers for a certificate, so it presents its own when it calls out",
    };
    if leaf.has_extended_key_usage && !leaf.client_auth {
        result.findings.push(Finding::new(
            CheckId::NoClientAuth,
            format!(
                "the leaf {} allows server authentication only (its extendedKeyUsage has no clientAuth), and {why_used}: a peer that checks the certificate it is given (carriers, Microsoft Teams Direct Routing, Kamailio and Asterisk with verify_client) refuses it, so calls this server places over TLS fail while calls it receives work",
                leaf.label()
            ),
        ));
    } else if leaf.client_auth && result.verification.public && at_unix >= PUBLIC_CLIENT_AUTH_ENDING {
        result.findings.push(Finding::new(
            CheckId::ClientAuthEnding,
            format!(
                "the leaf {} still allows client authentication, and {why_used}; it comes from a public CA, and public CAs stopped issuing clientAuth in 2026 (Let's Encrypt removed it from its default profile on 11 February 2026 and ended the last profile that kept it on 8 July 2026; Chrome's root program requires separate server and client hierarchies): its next renewal will not have it",
                leaf.label()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certscan_model::evidence::ClientCertificateRequest;
    use certscan_x509::certificate::CertInfo;
    use rcgen::ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};

    const AFTER: i64 = PUBLIC_CLIENT_AUTH_ENDING + 86_400;

    /// A result whose leaf has these extended key usages (none: no extension).
    fn with_leaf(usages: Vec<rcgen::ExtendedKeyUsagePurpose>, protocol: Protocol, public: bool) -> TargetResult {
        let mut params = rcgen::CertificateParams::new(vec!["sbc.example.test".to_string()]).unwrap();
        params.extended_key_usages = usages;
        let cert = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        let mut result = TargetResult::empty("sbc.example.test:5061".into());
        result.chain = vec![std::sync::Arc::new(CertInfo::from_der(cert.der(), 0))];
        result.protocol = Some(protocol);
        result.verification.public = public;
        result
    }

    fn asking() -> HandshakeFacts {
        HandshakeFacts {
            client_certificate_request: Some(ClientCertificateRequest {
                acceptable_issuers: vec![],
            }),
            ..HandshakeFacts::default()
        }
    }

    fn ids(result: &TargetResult) -> Vec<&'static str> {
        result.findings.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn a_sips_server_that_asks_for_certificates_needs_client_auth_in_its_own() {
        let mut server_only = with_leaf(vec![ServerAuth], Protocol::Sips, false);
        judge(&mut server_only, Some(&asking()), false, AFTER);
        assert_eq!(ids(&server_only), ["cert.no_client_auth"]);
        assert!(
            server_only.findings[0]
                .detail
                .contains("calls this server places over TLS fail")
        );
        // Both usages, or no extension at all (every use allowed): nothing to say.
        for usages in [vec![ServerAuth, ClientAuth], vec![]] {
            let mut fine = with_leaf(usages, Protocol::Sips, false);
            judge(&mut fine, Some(&asking()), false, AFTER);
            assert_eq!(ids(&fine), Vec::<&str>::new());
        }
        // A SIPS server that asks nobody, or an HTTPS one: not a mutual-TLS peer.
        let mut not_asking = with_leaf(vec![ServerAuth], Protocol::Sips, false);
        judge(&mut not_asking, Some(&HandshakeFacts::default()), false, AFTER);
        let mut https = with_leaf(vec![ServerAuth], Protocol::Https, false);
        judge(&mut https, Some(&asking()), false, AFTER);
        assert!(not_asking.findings.is_empty() && https.findings.is_empty());
        // --mutual-tls says so for any certificate, a file's included.
        let mut flagged = with_leaf(vec![ServerAuth], Protocol::Https, false);
        judge(&mut flagged, None, true, AFTER);
        assert_eq!(ids(&flagged), ["cert.no_client_auth"]);
    }

    #[test]
    fn a_public_certificate_with_client_auth_is_told_its_next_renewal_will_not_have_it() {
        let mut public = with_leaf(vec![ServerAuth, ClientAuth], Protocol::Sips, true);
        judge(&mut public, Some(&asking()), false, AFTER);
        assert_eq!(ids(&public), ["cert.client_auth_ending"]);
        assert!(public.findings[0].detail.contains("8 July 2026"));
        // A private CA's keeps it; before the change there was nothing to say.
        let mut private = with_leaf(vec![ServerAuth, ClientAuth], Protocol::Sips, false);
        judge(&mut private, Some(&asking()), false, AFTER);
        let mut before = with_leaf(vec![ServerAuth, ClientAuth], Protocol::Sips, true);
        judge(&mut before, Some(&asking()), false, PUBLIC_CLIENT_AUTH_ENDING - 86_400);
        assert!(private.findings.is_empty() && before.findings.is_empty());
    }
}
