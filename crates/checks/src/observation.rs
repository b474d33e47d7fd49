//! What the connection or the file gave: the negotiated parameters, the handshake and the
//! protocol exchange of a connection that completed (with what else the server accepts, its
//! certificate of the other key type, and its certificate as a mutual-TLS peer), the failure of
//! one that did not; the chains served (or read from a file) are checked by [`crate::served`].

use certscan_model::evidence::{Answer, Exchange, HandshakeFacts, LegacyHello, Observation, Origin, TlsParameters};
use certscan_model::finding::{CheckId, Finding};

use crate::{Enriched, Policy, TargetResult, Verification, accepted, connection, issuers, mutual, protocol, served};

/// The findings of the observation, and of the chain it holds.
pub(crate) fn check(source: &Enriched, policy: &Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    match &evidence.observation {
        Observation::Chain {
            tls,
            exchange,
            handshake,
            ..
        } => {
            let completed = Completed {
                tls: tls.as_ref(),
                exchange: exchange.as_ref(),
                handshake: handshake.as_ref(),
            };
            completed.check(source, policy, result);
        }
        Observation::HandshakeFailed { handshake, .. } => handshake_failed(source, handshake, policy, result),
        other => result.findings.extend(connection_failed(other, &evidence.origin)),
    }
}

/// A connection that completed (or a file that was read).
struct Completed<'a> {
    tls: Option<&'a TlsParameters>,
    exchange: Option<&'a Exchange>,
    handshake: Option<&'a HandshakeFacts>,
}

impl Completed<'_> {
    fn check(&self, source: &Enriched, policy: &Policy, result: &mut TargetResult) {
        result.tls = self.tls.cloned();
        if let Some(tls) = self.tls {
            result.findings.extend(protocol::version_findings(tls));
        }
        let answered_http_400 = matches!(
            self.exchange,
            Some(Exchange::Http {
                answer: Ok(Answer { status: Some(400), .. }),
                ..
            })
        );
        let (mut handshake_findings, refused_without_client_certificate) = self
            .handshake
            .map(|facts| connection::handshake_facts_findings(facts, answered_http_400))
            .unwrap_or_default();
        if let Some(also) = self.handshake.and_then(|facts| facts.also_accepted.as_ref()) {
            handshake_findings.extend(accepted::findings(also));
        }
        if let Some(exchange) = self.exchange {
            result.exchange = Some(protocol::view(exchange));
            // A server that ended the connection for want of a client certificate did not
            // fail the exchange for any other reason: the client-certificate finding says why.
            if !refused_without_client_certificate {
                result.findings.extend(protocol::exchange_findings(exchange));
            }
        }
        if source.parsed.chain.is_empty() {
            result.verification = Verification {
                valid: Some(false),
                error: Some("no certificate was sent".into()),
                anchor: None,
                public: false,
                anchor_spki_sha256: None,
            };
            result
                .findings
                .push(Finding::new(CheckId::Untrusted, "the server sent no certificate"));
        } else {
            served::assess_served_chain(result, &source.parsed, policy);
            issuers::assess(result, &source.lookups.issuer_fetches, policy);
            let stapled = self.handshake.map(|h| h.stapled_ocsp.as_deref());
            served::assess_revocation(result, stapled, &source.lookups.revocation, policy);
            self.assess_other_certificates(result, policy);
            mutual::check(result, self.handshake, policy);
        }
        distrust_on_bad_signature(result, &handshake_findings);
        result.findings.extend(handshake_findings);
    }
}

impl Completed<'_> {
    /// The certificates the server sends to RSA-only and ECDSA-only clients, when one is not
    /// the certificate shown.
    fn assess_other_certificates(&self, result: &mut TargetResult, policy: &Policy) {
        let Some(also) = self.handshake.and_then(|facts| facts.also_accepted.as_ref()) else {
            return;
        };
        for (answer, key_type) in [(&also.rsa_certificate, "RSA"), (&also.ecdsa_certificate, "ECDSA")] {
            if let Some(LegacyHello::Accepted { certificates, .. }) = answer {
                served::assess_other_chain(result, certificates, key_type, policy);
            }
        }
    }
}

/// A handshake that failed: its failure, and the certificates received before it (or in clear
/// text, to certscan's own older ClientHello), checked as any served chain.
fn handshake_failed(source: &Enriched, handshake: &HandshakeFacts, policy: &Policy, result: &mut TargetResult) {
    let observation = &source.parsed.evidence.observation;
    result.findings.extend(connection::failure_finding(observation));
    // What the server chose for certscan's own older ClientHello is what it negotiates.
    if let Observation::HandshakeFailed {
        legacy:
            Some(LegacyHello::Accepted {
                version,
                cipher_suite,
                group,
                dh_bits,
                ..
            }),
        ..
    } = observation
    {
        result.tls = Some(connection::legacy_parameters(*version, *cipher_suite, *group, *dh_bits));
    }
    if !source.parsed.chain.is_empty() {
        served::assess_served_chain(result, &source.parsed, policy);
    }
    let (handshake_findings, _) = connection::handshake_facts_findings(
        &HandshakeFacts {
            // The failure finding already speaks of the client certificate.
            client_certificate_request: None,
            ..handshake.clone()
        },
        false,
    );
    distrust_on_bad_signature(result, &handshake_findings);
    result.findings.extend(handshake_findings);
}

/// A connection that did not reach the handshake, or a file that could not be read. A profile
/// says how much a closed port matters: an optional service may be off.
fn connection_failed(observation: &Observation, origin: &Origin) -> Option<Finding> {
    let finding = connection::failure_finding(observation);
    match (finding, origin) {
        (
            Some(f),
            Origin::Endpoint {
                service: Some(service),
                if_refused: Some(severity),
                ..
            },
        ) if f.id == CheckId::ConnectionRefused => Some(
            Finding {
                detail: format!("{service} is not listening ({})", f.detail),
                ..f
            }
            .with_severity(*severity),
        ),
        (finding, _) => finding,
    }
}

/// A server that cannot sign with its certificate's key is not that certificate's holder: no
/// client completes the handshake, whatever the chain.
fn distrust_on_bad_signature(result: &mut TargetResult, handshake_findings: &[Finding]) {
    if let Some(bad) = handshake_findings.iter().find(|f| f.id == CheckId::SignatureInvalid) {
        result.verification.valid = Some(false);
        result.verification.error.get_or_insert_with(|| bad.detail.clone());
    }
}
