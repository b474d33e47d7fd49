//! Findings for endpoints and files that gave no chain: refused, timed out, reset, alerts,
//! plaintext answers, legacy-only TLS, unreadable files.

use crate::evidence::{HandshakeError, LegacyHello, Observation, Phase};
use crate::finding::{CheckId, Finding};

/// The finding for an observation that is not a chain; `None` for a chain.
pub fn failure_finding(observation: &Observation) -> Option<Finding> {
    Some(match observation {
        Observation::Chain { .. } => return None,
        Observation::Unresolved { error } => {
            Finding::new(CheckId::Unresolvable, format!("the name has no address ({error})"))
        }
        Observation::Refused => Finding::new(CheckId::ConnectionRefused, "the TCP connection was refused"),
        Observation::ConnectFailed { error } => Finding::new(
            CheckId::ConnectionRefused,
            format!("the TCP connection failed: {error}"),
        ),
        Observation::TimedOut {
            phase: Phase::Resolve,
            seconds,
        } => Finding::new(
            CheckId::Unresolvable,
            format!("resolving the name did not finish within {seconds} s"),
        ),
        Observation::TimedOut { phase, seconds } => Finding::new(
            CheckId::ConnectionTimeout,
            format!("no answer during {} within {seconds} s", phase.describe()),
        ),
        Observation::HandshakeFailed {
            error,
            first_bytes,
            legacy,
        } => handshake_finding(error, first_bytes, legacy.as_ref()),
        Observation::FileUnreadable { error } => Finding::new(CheckId::FileReadError, error.clone()),
        Observation::PlainHttpUrl { url } => Finding::new(
            CheckId::KazooApiNotHttps,
            format!("the UI sends browsers to the API at {url}, which is not HTTPS"),
        ),
        Observation::Pkcs12BadPassword { error } => Finding::new(
            CheckId::Pkcs12BadPassword,
            format!("the PKCS#12 file could not be opened: {error}"),
        ),
        Observation::NoCertificate { note } => {
            Finding::new(CheckId::NoCertificate, format!("no certificate in the file: {note}"))
        }
    })
}

/// TLS records start with a content type of 20 to 24 and a 3.x version.
fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes, [20..=24, 3, ..] | [20..=24] | [])
}

/// Describes a plaintext answer: its first line when it is text, else its first bytes in hex.
fn plaintext_kind(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let first_line: String = text.lines().next().unwrap_or("").chars().take(80).collect();
    let printable = !first_line.is_empty() && first_line.chars().all(|c| !c.is_control());
    if first_line.starts_with("HTTP/") {
        format!("plain HTTP (\"{first_line}\")")
    } else if first_line.starts_with("SIP/2.0") {
        format!("plain SIP (\"{first_line}\")")
    } else if printable {
        format!("plain text (\"{first_line}\")")
    } else {
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("bytes that are not TLS ({})", hex.join(" "))
    }
}

fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        other => format!("version 0x{other:04x}"),
    }
}

fn handshake_finding(error: &HandshakeError, first_bytes: &[u8], legacy: Option<&LegacyHello>) -> Finding {
    if !looks_like_tls(first_bytes) {
        return Finding::new(
            CheckId::Plaintext,
            format!(
                "the server answered the TLS ClientHello with {}: this port is not configured for TLS",
                plaintext_kind(first_bytes)
            ),
        );
    }
    if let Some(LegacyHello::Accepted { version }) = legacy {
        return Finding::new(
            CheckId::LegacyOnly,
            format!(
                "the server refused TLS 1.2 and 1.3 but answered a ClientHello offering TLS 1.0/1.1 with a {} ServerHello",
                version_name(*version)
            ),
        );
    }
    let refused_modern = matches!(error, HandshakeError::AlertReceived(alert) if alert == "ProtocolVersion")
        || matches!(error, HandshakeError::PeerIncompatible(why) if why.contains("Tls12Or13"));
    match error {
        _ if refused_modern && legacy.is_none() => Finding::new(
            CheckId::LegacyOnly,
            "the server refused TLS 1.2 and 1.3 (a protocol_version alert or an older ServerHello): it only speaks older versions",
        ),
        HandshakeError::AlertReceived(alert) => {
            let also = match legacy {
                Some(LegacyHello::Alert { .. }) | Some(LegacyHello::Nothing { .. }) => {
                    ", and refused TLS 1.0/1.1 as well"
                }
                _ => "",
            };
            Finding::new(
                CheckId::TlsAlert,
                format!("the server sent the fatal alert {}{also}", alert_name(alert)),
            )
        }
        HandshakeError::Reset => Finding::new(
            CheckId::ConnectionReset,
            "the connection was reset during the TLS handshake",
        ),
        HandshakeError::Closed => Finding::new(
            CheckId::ConnectionClosed,
            "the server closed the connection during the TLS handshake without an alert",
        ),
        HandshakeError::PeerIncompatible(why) | HandshakeError::InvalidMessage(why) | HandshakeError::Other(why) => {
            Finding::new(CheckId::HandshakeFailed, format!("the TLS handshake failed: {why}"))
        }
    }
}

/// `HandshakeFailure` -> `handshake_failure`, as the alert is named in RFC 8446.
fn alert_name(debug_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in debug_name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_for(error: HandshakeError, bytes: &[u8]) -> CheckId {
        handshake_finding(&error, bytes, None).id
    }

    #[test]
    fn plaintext_answers_are_named() {
        let f = handshake_finding(
            &HandshakeError::InvalidMessage("x".into()),
            b"HTTP/1.1 400 Bad Request\r\n\r\n",
            None,
        );
        assert_eq!(f.id, CheckId::Plaintext);
        assert!(
            f.detail.contains("plain HTTP (\"HTTP/1.1 400 Bad Request\")"),
            "{}",
            f.detail
        );
        let f = handshake_finding(
            &HandshakeError::InvalidMessage("x".into()),
            b"SIP/2.0 400 Bad Request\r\n",
            None,
        );
        assert!(f.detail.contains("plain SIP"));
        let f = handshake_finding(&HandshakeError::Other("x".into()), &[0, 1, 2, 3], None);
        assert!(f.detail.contains("00 01 02 03"));
    }

    #[test]
    fn tls_failures_map_to_their_ids() {
        let tls_alert = [21u8, 3, 3, 0, 2, 2, 40];
        assert_eq!(
            id_for(HandshakeError::AlertReceived("HandshakeFailure".into()), &tls_alert),
            CheckId::TlsAlert
        );
        assert_eq!(
            id_for(HandshakeError::AlertReceived("ProtocolVersion".into()), &tls_alert),
            CheckId::LegacyOnly
        );
        assert_eq!(
            id_for(
                HandshakeError::PeerIncompatible("ServerDoesNotSupportTls12Or13".into()),
                &[22, 3, 1]
            ),
            CheckId::LegacyOnly
        );
        assert_eq!(id_for(HandshakeError::Reset, &[]), CheckId::ConnectionReset);
        assert_eq!(id_for(HandshakeError::Closed, &[]), CheckId::ConnectionClosed);
        assert_eq!(
            id_for(HandshakeError::Other("x".into()), &[22, 3, 3]),
            CheckId::HandshakeFailed
        );
        assert_eq!(alert_name("HandshakeFailure"), "handshake_failure");
    }

    #[test]
    fn the_legacy_hello_confirms_or_refutes_legacy_only() {
        let alert = HandshakeError::AlertReceived("ProtocolVersion".into());
        let tls = [21u8, 3, 3, 0, 2, 2, 70];
        let accepted = handshake_finding(&alert, &tls, Some(&LegacyHello::Accepted { version: 0x0301 }));
        assert_eq!(accepted.id, CheckId::LegacyOnly);
        assert!(accepted.detail.contains("TLS 1.0 ServerHello"), "{}", accepted.detail);
        let refused = handshake_finding(&alert, &tls, Some(&LegacyHello::Alert { description: 70 }));
        assert_eq!(refused.id, CheckId::TlsAlert);
        assert!(refused.detail.contains("refused TLS 1.0/1.1 as well"));
    }

    #[test]
    fn a_chain_is_not_a_failure() {
        assert!(
            failure_finding(&Observation::Chain {
                tls: None,
                certificates: vec![],
                exchange: None
            })
            .is_none()
        );
        assert_eq!(
            failure_finding(&Observation::Refused).unwrap().id,
            CheckId::ConnectionRefused
        );
        let timeout = Observation::TimedOut {
            phase: Phase::Handshake,
            seconds: 1.0,
        };
        assert_eq!(failure_finding(&timeout).unwrap().id, CheckId::ConnectionTimeout);
    }
}
