//! Findings for how a connection went: refused, timed out, reset, alerts, plaintext answers,
//! legacy-only or obsolete-only TLS, a required client certificate, a handshake signature that
//! does not verify, a STARTTLS negotiation that fails, unreadable files.

use certscan_model::evidence::{
    ClientCertificateRequest, ConnectFailure, ConnectionEnd, HandshakeError, HandshakeFacts, LegacyHello, Observation,
    Phase, SignatureCheck, StartTlsFailure, TlsParameters,
};
use certscan_model::finding::{CheckId, Finding};
use certscan_model::target::Protocol;
use rustls::{AlertDescription, InvalidMessage, PeerIncompatible};

/// A STARTTLS negotiation that did not lead to a handshake.
fn starttls_finding(protocol: Protocol, failure: &StartTlsFailure) -> Finding {
    let name = protocol_name(protocol);
    match failure {
        StartTlsFailure::NotOffered { said } => Finding::new(
            CheckId::StartTlsNotOffered,
            format!("the {name} server does not offer TLS: {said}"),
        ),
        StartTlsFailure::Refused { said } => Finding::new(
            CheckId::StartTlsFailed,
            format!("the {name} server refused to go over to TLS: {said}"),
        ),
        StartTlsFailure::NotTheProtocol { said } => Finding::new(
            CheckId::StartTlsFailed,
            format!(
                "the server does not speak {name} (it said {said:?}); an implicit-TLS port (465, 993, 636, 5223) is scanned with tls:// or smtps://, imaps://, ldaps://"
            ),
        ),
        StartTlsFailure::Ended { error } => Finding::new(
            CheckId::StartTlsFailed,
            format!("the {name} STARTTLS negotiation broke off: {error}"),
        ),
    }
}

/// A protocol's name in messages.
fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Smtp => "SMTP",
        Protocol::Imap => "IMAP",
        Protocol::Xmpp => "XMPP",
        Protocol::XmppServer => "XMPP (server-to-server)",
        Protocol::Ldap => "LDAP",
        Protocol::Postgres => "PostgreSQL",
        Protocol::Https => "HTTPS",
        Protocol::Wss => "WebSocket",
        Protocol::Sips => "SIP",
        Protocol::Tls => "TLS",
    }
}

/// The finding for an observation that is not a chain; `None` for a chain.
pub(crate) fn failure_finding(observation: &Observation) -> Option<Finding> {
    Some(match observation {
        Observation::Chain { .. } => return None,
        Observation::Unresolved { error } => {
            Finding::new(CheckId::Unresolvable, format!("the name has no address ({error})"))
        }
        Observation::NoServer { reason } => {
            Finding::new(CheckId::SipNoServer, format!("{reason}: SIP clients do not connect"))
        }
        Observation::Refused => Finding::new(CheckId::ConnectionRefused, "the TCP connection was refused"),
        Observation::ConnectFailed { failure, error } => connect_failure_finding(*failure, error),
        Observation::TimedOut {
            phase: Phase::Resolve,
            seconds,
        } => Finding::new(
            CheckId::Unresolvable,
            format!("resolving the name did not finish within {seconds} s"),
        ),
        Observation::TimedOut {
            phase: Phase::Connect,
            seconds,
        } => Finding::new(
            CheckId::ConnectionTimeout,
            format!(
                "the connection attempt got no answer within {seconds} s: a firewall that drops packets silently, or a host that is down"
            ),
        ),
        Observation::DeadlineReached { phase: None, .. } => Finding::new(
            CheckId::DeadlineReached,
            "the run's deadline came before this endpoint could be probed (it was waiting for a free slot): raise --deadline, lower --timeout, or raise --concurrency or --per-host",
        ),
        Observation::DeadlineReached {
            phase: Some(phase),
            seconds,
        } => Finding::new(
            CheckId::DeadlineReached,
            format!(
                "the run's deadline cut the probe short during {}, after {seconds:.1} s: the endpoint was not judged",
                phase.describe()
            ),
        ),
        Observation::TimedOut { phase, seconds } => Finding::new(
            CheckId::ConnectionTimeout,
            format!("no answer during {} within {seconds} s", phase.describe()),
        ),
        Observation::HandshakeFailed {
            error,
            first_bytes,
            legacy,
            handshake,
            ..
        } => handshake_finding(error, first_bytes, legacy.as_ref(), handshake),
        Observation::StartTlsFailed { protocol, failure } => starttls_finding(*protocol, failure),
        Observation::InternalError { message } => Finding::new(
            CheckId::InternalError,
            format!("certscan failed on this target ({message}); the other targets are reported"),
        ),
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

fn connect_failure_finding(failure: ConnectFailure, error: &str) -> Finding {
    match failure {
        ConnectFailure::HostUnreachable => Finding::new(
            CheckId::ConnectionUnreachable,
            format!(
                "there is no route to the host ({error}): it is down, or a router or firewall on the way rejects the connection"
            ),
        ),
        ConnectFailure::NoLocalRoute => Finding::new(
            CheckId::ConnectionLocalFailure,
            format!(
                "this machine cannot reach that address at all ({error}), so the endpoint was not tested: an IPv6 address on a machine with only IPv4, or a missing route; pin the name to an address this machine can reach with --resolve HOST:PORT:ADDRESS"
            ),
        ),
        ConnectFailure::BlockedLocally => Finding::new(
            CheckId::ConnectionLocalFailure,
            format!(
                "a firewall on this machine forbids the connection ({error}), so the endpoint was not tested: allow outgoing connections to it from the monitoring host"
            ),
        ),
        ConnectFailure::OutOfResources => Finding::new(
            CheckId::ResourceLimit,
            format!(
                "certscan ran out of resources to open the connection ({error}), so the endpoint was not tested: lower --concurrency, or raise the open-file limit (ulimit -n, or LimitNOFILE= in a systemd unit)"
            ),
        ),
        ConnectFailure::Other => Finding::new(
            CheckId::ConnectionLocalFailure,
            format!("the connection could not be attempted ({error}), so the endpoint was not tested"),
        ),
    }
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
    } else if first_line.starts_with("220 ") || first_line.starts_with("220-") {
        format!("an SMTP greeting (\"{first_line}\"); a mail port that offers STARTTLS is scanned with smtp://")
    } else if first_line.to_ascii_uppercase().starts_with("* OK") {
        format!("an IMAP greeting (\"{first_line}\"); an IMAP port that offers STARTTLS is scanned with imap://")
    } else if printable {
        format!("plain text (\"{first_line}\")")
    } else {
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("bytes that are not TLS ({})", hex.join(" "))
    }
}

/// The parameters a server chose for certscan's own TLS 1.0-1.2 ClientHello, named as the
/// report names those of a completed handshake (`TLSv1.2`, the IANA suite name, `secp256r1`);
/// a DHE group by its size (`DH 2048-bit`), as `openssl s_client` shows its temporary key.
pub(crate) fn legacy_parameters(
    version: u16,
    cipher_suite: u16,
    group: Option<u16>,
    dh_bits: Option<u32>,
) -> TlsParameters {
    let version = match version {
        0x0300 => "SSLv3".to_string(),
        0x0301 => "TLSv1.0".to_string(),
        0x0302 => "TLSv1.1".to_string(),
        0x0303 => "TLSv1.2".to_string(),
        other => format!("0x{other:04x}"),
    };
    TlsParameters {
        version,
        cipher: suite_name(cipher_suite),
        group: group
            .map(|g| format!("{:?}", rustls::NamedGroup::from(g)))
            .or_else(|| dh_bits.map(|bits| format!("DH {bits}-bit"))),
        alpn: None,
    }
}

/// A TLS version on the wire, by name (`TLS 1.2`).
pub(crate) fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        other => format!("version 0x{other:04x}"),
    }
}

fn handshake_finding(
    error: &HandshakeError,
    first_bytes: &[u8],
    legacy: Option<&LegacyHello>,
    facts: &HandshakeFacts,
) -> Finding {
    if !looks_like_tls(first_bytes) {
        return Finding::new(
            CheckId::Plaintext,
            format!(
                "the server answered the TLS ClientHello with {}: this port is not configured for TLS",
                plaintext_kind(first_bytes)
            ),
        );
    }
    let aborted = match error {
        HandshakeError::AlertReceived(alert) => Some(format!("the alert {}", alert_name(alert))),
        HandshakeError::Closed => Some("closing the connection".to_string()),
        HandshakeError::Reset => Some("resetting the connection".to_string()),
        _ => None,
    };
    if let (Some(request), Some(how)) = (&facts.client_certificate_request, &aborted) {
        return client_certificate_ended(request, facts.client_certificate_sent, how);
    }
    if let Some(LegacyHello::Accepted {
        version,
        cipher_suite,
        group,
        ..
    }) = legacy
        && let Some(finding) = older_hello_accepted(*version, *cipher_suite, *group)
    {
        return finding;
    }
    refused_handshake(error, legacy)
}

/// The server refused a current ClientHello but answered certscan's older one: with an old
/// version, or with a suite or group current clients refuse.
fn older_hello_accepted(version: u16, cipher_suite: u16, group: Option<u16>) -> Option<Finding> {
    if version < 0x0303 {
        return Some(Finding::new(
            CheckId::LegacyOnly,
            format!(
                "the server refused TLS 1.2 and 1.3 but answered a ClientHello offering TLS 1.0 to 1.2 with a {} ServerHello",
                version_name(version)
            ),
        ));
    }
    let mut refused = Vec::new();
    if let Some(why) = obsolete_suite(cipher_suite) {
        refused.push(format!("the cipher suite {} ({why})", suite_name(cipher_suite)));
    }
    if let Some(name) = group.and_then(obsolete_group) {
        refused.push(format!("the key exchange group {name}"));
    }
    if refused.is_empty() {
        return None;
    }
    // Which clients refuse it, and so the severity, is the client families' judgement
    // (`clients.rs`).
    Some(Finding::new(
        CheckId::ObsoleteOnly,
        format!(
            "the server refused every cipher suite and group that certscan's TLS library (rustls) offers; to a TLS 1.2 ClientHello that also offers older ones it chose {}",
            refused.join(" and ")
        ),
    ))
}

/// A handshake the server refused, by how it refused it.
fn refused_handshake(error: &HandshakeError, legacy: Option<&LegacyHello>) -> Finding {
    let refused_modern = matches!(
        error,
        HandshakeError::AlertReceived(AlertDescription::ProtocolVersion)
            | HandshakeError::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13)
    );
    match error {
        _ if refused_modern && legacy.is_none() => Finding::new(
            CheckId::LegacyOnly,
            "the server refused TLS 1.2 and 1.3 (a protocol_version alert or an older ServerHello): it only speaks older versions",
        ),
        HandshakeError::AlertReceived(alert) => {
            let also = match legacy {
                Some(LegacyHello::Alert { .. }) | Some(LegacyHello::Nothing { .. }) => {
                    ", and refused certscan's TLS 1.0-1.2 ClientHello with older suites as well"
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
        HandshakeError::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge) => Finding::new(
            CheckId::HandshakeFailed,
            "the server sent a handshake message larger than TLS clients accept (over 64 KiB; OpenSSL's limit for a certificate chain is 100 KiB): browsers, curl and rustls abort; a certificate with thousands of names, or a chain with dozens of certificates, does this",
        ),
        HandshakeError::PeerIncompatible(why) => {
            Finding::new(CheckId::HandshakeFailed, format!("the TLS handshake failed: {why:?}"))
        }
        HandshakeError::InvalidMessage(why) => {
            Finding::new(CheckId::HandshakeFailed, format!("the TLS handshake failed: {why:?}"))
        }
        HandshakeError::Other(why) => {
            Finding::new(CheckId::HandshakeFailed, format!("the TLS handshake failed: {why}"))
        }
    }
}

/// A server that asked for a client certificate ended the connection (`how`): it requires one
/// when certscan sent none, and refuses the one given with `--client-cert` when it was sent.
fn client_certificate_ended(request: &ClientCertificateRequest, sent: bool, how: &str) -> Finding {
    let from = match request.acceptable_issuers.as_slice() {
        [] => String::new(),
        issuers => format!(" (it accepts client certificates issued by {})", issuers.join("; ")),
    };
    match sent {
        false => Finding::new(
            CheckId::ClientCertRequired,
            format!(
                "the server asked for a client certificate{from} and ended the connection with {how} when certscan sent none: only clients holding such a certificate can connect (the chain it sent is checked as usual)"
            ),
        ),
        true => Finding::new(
            CheckId::ClientCertRefused,
            format!(
                "the server asked for a client certificate{from}, certscan presented the one given with --client-cert, and the server ended the connection with {how}: it does not accept that certificate"
            ),
        ),
    }
}

/// Findings on the handshake of a connection that gave a chain: a signature that does not
/// verify, and a client-certificate request (required when the server refused the connection
/// without one after the handshake, optional otherwise). The second value is true when the
/// server refused the connection for want of a client certificate, which explains any failure
/// of the exchange that followed.
pub(crate) fn handshake_facts_findings(facts: &HandshakeFacts, answered_http_400: bool) -> (Vec<Finding>, bool) {
    let mut findings = Vec::new();
    if let SignatureCheck::Failed { scheme, error } = &facts.signature {
        findings.push(Finding::new(
            CheckId::SignatureInvalid,
            format!(
                "the server's handshake signature ({scheme}) does not verify with the public key of the certificate it sent ({error}): the server does not hold that certificate's private key, or something between rewrites the handshake"
            ),
        ));
    }
    if let SignatureCheck::Unchecked { error, .. } = &facts.signature {
        findings.push(Finding::new(
            CheckId::SignatureUnchecked,
            format!("the server's handshake signature was not checked: {error}"),
        ));
    }
    let mut refused = false;
    if let Some(request) = &facts.client_certificate_request {
        match &facts.ended_after_handshake {
            Some(end) => {
                refused = true;
                let how = match end {
                    ConnectionEnd::Alert(alert) => format!("the alert {}", alert_name(alert)),
                    ConnectionEnd::Closed => "closing the connection".to_string(),
                };
                findings.push(client_certificate_ended(request, facts.client_certificate_sent, &how));
            }
            // nginx with `ssl_verify_client on` completes the handshake without a client
            // certificate and answers every request with 400 "No required SSL certificate was
            // sent" (NGX_HTTPS_NO_CERT, its page in src/http/ngx_http_special_response.c):
            // required all the same.
            None if answered_http_400 => {
                refused = true;
                findings.push(client_certificate_ended(
                    request,
                    facts.client_certificate_sent,
                    "an HTTP 400 answer (nginx's \"No required SSL certificate was sent\" with ssl_verify_client on)",
                ));
            }
            // The certificate given was presented and the connection went on: mutual TLS works.
            None if facts.client_certificate_sent => {}
            None => findings.push(Finding::new(
                CheckId::ClientCertOptional,
                "the server asks for a client certificate but accepted the connection without one",
            )),
        }
    }
    (findings, refused)
}

/// Why a TLS 1.2 cipher suite is one current clients refuse; `None` for the AEAD suites with
/// ECDHE that they offer.
pub(crate) fn obsolete_suite(suite: u16) -> Option<&'static str> {
    Some(match suite {
        0xc02b | 0xc02c | 0xc02f | 0xc030 | 0xcca8 | 0xcca9 | 0x1301..=0x1303 => return None,
        0x009e | 0x009f | 0xccaa => "finite-field DHE key exchange",
        0x0005 | 0xc011 | 0xc007 | 0x0004 => "RC4, broken",
        0x000a | 0x0016 | 0xc012 | 0xc008 => "3DES, a 64-bit block cipher",
        0x009c | 0x009d | 0x002f | 0x0035 | 0x003c | 0x003d => {
            "RSA key exchange, without forward secrecy, with CBC or GCM"
        }
        0x0033 | 0x0039 | 0x0067 | 0x006b => "DHE key exchange with CBC",
        _ => "CBC mode",
    })
}

/// IANA names of the suites certscan offers in its own ClientHellos.
pub(crate) fn suite_name(suite: u16) -> String {
    let name = match suite {
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0xc012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xc008 => "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0xc011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        0xc007 => "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        0x0013 => "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
        0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        0x0015 => "TLS_DHE_RSA_WITH_DES_CBC_SHA",
        0x0012 => "TLS_DHE_DSS_WITH_DES_CBC_SHA",
        0x0001 => "TLS_RSA_WITH_NULL_MD5",
        0x0002 => "TLS_RSA_WITH_NULL_SHA",
        0x003b => "TLS_RSA_WITH_NULL_SHA256",
        0xc006 => "TLS_ECDHE_ECDSA_WITH_NULL_SHA",
        0xc010 => "TLS_ECDHE_RSA_WITH_NULL_SHA",
        0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        0x0006 => "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x000e => "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0011 => "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
        0x0014 => "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
        0x0018 => "TLS_DH_anon_WITH_RC4_128_MD5",
        0x001b => "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
        0x0034 => "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        0x003a => "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        0x006c => "TLS_DH_anon_WITH_AES_128_CBC_SHA256",
        0x006d => "TLS_DH_anon_WITH_AES_256_CBC_SHA256",
        0x00a6 => "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
        0x00a7 => "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
        0xc016 => "TLS_ECDH_anon_WITH_RC4_128_SHA",
        0xc017 => "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA",
        0xc018 => "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        other => return format!("0x{other:04x}"),
    };
    name.to_string()
}

/// Groups current clients do not offer.
fn obsolete_group(group: u16) -> Option<&'static str> {
    match group {
        0x0019 => Some("secp521r1 (P-521)"),
        0x0100 => Some("ffdhe2048"),
        0x0101 => Some("ffdhe3072"),
        0x0102 => Some("ffdhe4096"),
        0x001d | 0x0017 | 0x0018 => None,
        _ => Some("an unnamed or legacy curve"),
    }
}

/// `HandshakeFailure` -> `handshake_failure`, as the alert is named in RFC 8446.
fn alert_name(alert: &AlertDescription) -> String {
    let debug_name = format!("{alert:?}");
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
        handshake_finding(&error, bytes, None, &HandshakeFacts::default()).id
    }

    fn finding_for(error: &HandshakeError, bytes: &[u8], legacy: Option<&LegacyHello>) -> Finding {
        handshake_finding(error, bytes, legacy, &HandshakeFacts::default())
    }

    #[test]
    fn plaintext_greetings_point_to_starttls() {
        assert!(plaintext_kind(b"220 mx.example.com ESMTP Postfix\r\n").contains("smtp://"));
        assert!(plaintext_kind(b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n").contains("imap://"));
        assert!(!plaintext_kind(b"+OK POP3 ready\r\n").contains("://"));
    }

    #[test]
    fn plaintext_answers_are_named() {
        let f = finding_for(
            &HandshakeError::InvalidMessage(InvalidMessage::InvalidContentType),
            b"HTTP/1.1 400 Bad Request\r\n\r\n",
            None,
        );
        assert_eq!(f.id, CheckId::Plaintext);
        assert!(
            f.detail.contains("plain HTTP (\"HTTP/1.1 400 Bad Request\")"),
            "{}",
            f.detail
        );
        let f = finding_for(
            &HandshakeError::InvalidMessage(InvalidMessage::InvalidContentType),
            b"SIP/2.0 400 Bad Request\r\n",
            None,
        );
        assert!(f.detail.contains("plain SIP"));
        let f = finding_for(&HandshakeError::Other("x".into()), &[0, 1, 2, 3], None);
        assert!(f.detail.contains("00 01 02 03"));
    }

    #[test]
    fn tls_failures_map_to_their_ids() {
        let tls_alert = [21u8, 3, 3, 0, 2, 2, 40];
        assert_eq!(
            id_for(
                HandshakeError::AlertReceived(AlertDescription::HandshakeFailure),
                &tls_alert
            ),
            CheckId::TlsAlert
        );
        assert_eq!(
            id_for(
                HandshakeError::AlertReceived(AlertDescription::ProtocolVersion),
                &tls_alert
            ),
            CheckId::LegacyOnly
        );
        assert_eq!(
            id_for(
                HandshakeError::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13),
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
        assert_eq!(alert_name(&AlertDescription::HandshakeFailure), "handshake_failure");
    }

    fn accepted(version: u16, cipher_suite: u16, group: Option<u16>) -> LegacyHello {
        LegacyHello::Accepted {
            version,
            cipher_suite,
            group,
            dh_bits: None,
            certificates: vec![],
        }
    }

    #[test]
    fn the_legacy_hello_confirms_or_refutes_legacy_only() {
        let alert = HandshakeError::AlertReceived(AlertDescription::ProtocolVersion);
        let tls = [21u8, 3, 3, 0, 2, 2, 70];
        let found = finding_for(&alert, &tls, Some(&accepted(0x0301, 0x002f, None)));
        assert_eq!(found.id, CheckId::LegacyOnly);
        assert!(found.detail.contains("TLS 1.0 ServerHello"), "{}", found.detail);
        let refused = finding_for(&alert, &tls, Some(&LegacyHello::Alert { description: 70 }));
        assert_eq!(refused.id, CheckId::TlsAlert);
        assert!(refused.detail.contains("refused certscan's TLS 1.0-1.2 ClientHello"));
    }

    #[test]
    fn obsolete_suites_and_groups_are_named() {
        let alert = HandshakeError::AlertReceived(AlertDescription::HandshakeFailure);
        let tls = [21u8, 3, 3, 0, 2, 2, 40];
        let cbc = finding_for(&alert, &tls, Some(&accepted(0x0303, 0x002f, None)));
        assert_eq!(cbc.id, CheckId::ObsoleteOnly);
        assert!(
            cbc.detail.contains("TLS_RSA_WITH_AES_128_CBC_SHA (RSA key exchange"),
            "{}",
            cbc.detail
        );
        let p521 = finding_for(&alert, &tls, Some(&accepted(0x0303, 0xc02c, Some(0x0019))));
        assert_eq!(p521.id, CheckId::ObsoleteOnly);
        assert!(
            p521.detail.contains("secp521r1") && !p521.detail.contains("the cipher suite"),
            "{}",
            p521.detail
        );
        // A modern choice does not explain the failure: the alert stays the finding.
        let modern = finding_for(&alert, &tls, Some(&accepted(0x0303, 0xc02f, Some(0x001d))));
        assert_eq!(modern.id, CheckId::TlsAlert);
    }

    #[test]
    fn what_a_server_chose_for_the_older_hello_is_named_as_a_handshake_is() {
        let tls = legacy_parameters(0x0303, 0xc013, Some(0x0017), None);
        assert_eq!(
            (tls.version.as_str(), tls.cipher.as_str(), tls.group.as_deref()),
            ("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Some("secp256r1"))
        );
        assert_eq!(legacy_parameters(0x0301, 0x002f, None, None).version, "TLSv1.0");
        assert_eq!(
            legacy_parameters(0x0303, 0x009e, None, Some(1024)).group.as_deref(),
            Some("DH 1024-bit")
        );
    }

    #[test]
    fn a_required_client_certificate_is_named_not_an_alert() {
        let facts = HandshakeFacts {
            client_certificate_request: Some(ClientCertificateRequest {
                acceptable_issuers: vec!["CN=Phones CA".into()],
            }),
            ..HandshakeFacts::default()
        };
        let alert = HandshakeError::AlertReceived(AlertDescription::HandshakeFailure);
        let found = handshake_finding(&alert, &[21, 3, 3, 0, 2, 2, 40], None, &facts);
        assert_eq!(found.id, CheckId::ClientCertRequired);
        assert!(found.detail.contains("CN=Phones CA") && found.detail.contains("handshake_failure"));
        let (after, refused) = handshake_facts_findings(&facts, false);
        assert_eq!((after[0].id, refused), (CheckId::ClientCertOptional, false));
        let facts = HandshakeFacts {
            ended_after_handshake: Some(ConnectionEnd::Alert(AlertDescription::CertificateRequired)),
            signature: SignatureCheck::Failed {
                scheme: "ECDSA_NISTP256_SHA256".into(),
                error: "bad".into(),
            },
            ..facts
        };
        let (after, refused) = handshake_facts_findings(&facts, false);
        let ids: Vec<CheckId> = after.iter().map(|f| f.id).collect();
        assert_eq!(ids, [CheckId::SignatureInvalid, CheckId::ClientCertRequired]);
        assert!(refused);
    }

    #[test]
    fn a_signature_the_provider_cannot_check_is_unchecked_never_invalid() {
        let with = |signature| HandshakeFacts {
            signature,
            ..HandshakeFacts::default()
        };
        let unchecked = with(SignatureCheck::Unchecked {
            scheme: "RSA_PSS_SHA256".into(),
            error: "a 1024-bit key is not checked".into(),
        });
        let (found, _) = handshake_facts_findings(&unchecked, false);
        let ids: Vec<CheckId> = found.iter().map(|f| f.id).collect();
        assert_eq!(ids, [CheckId::SignatureUnchecked]);
        assert!(found[0].detail.contains("1024-bit"));
        for seen in [
            SignatureCheck::NotSeen,
            SignatureCheck::Verified {
                scheme: "RSA_PKCS1_SHA256".into(),
            },
        ] {
            assert!(handshake_facts_findings(&with(seen), false).0.is_empty());
        }
    }

    #[test]
    fn connect_failures_are_judged_by_whose_problem_they_are() {
        let failed = |failure| {
            failure_finding(&Observation::ConnectFailed {
                failure,
                error: "os error".into(),
            })
            .unwrap()
        };
        let unreachable = failed(ConnectFailure::HostUnreachable);
        assert_eq!(
            (unreachable.id, unreachable.severity),
            (
                CheckId::ConnectionUnreachable,
                certscan_model::status::Severity::Critical
            )
        );
        for local in [
            ConnectFailure::NoLocalRoute,
            ConnectFailure::BlockedLocally,
            ConnectFailure::Other,
        ] {
            let found = failed(local);
            assert_eq!(
                (found.id, found.severity),
                (
                    CheckId::ConnectionLocalFailure,
                    certscan_model::status::Severity::Unknown
                )
            );
            assert!(found.detail.contains("was not tested"), "{}", found.detail);
        }
        let starved = failed(ConnectFailure::OutOfResources);
        assert_eq!(starved.id, CheckId::ResourceLimit);
        assert!(starved.detail.contains("--concurrency"));
        assert_eq!(
            failure_finding(&Observation::Refused).unwrap().id,
            CheckId::ConnectionRefused
        );
    }

    #[test]
    fn a_chain_is_not_a_failure() {
        assert!(
            failure_finding(&Observation::Chain {
                tls: None,
                certificates: vec![],
                exchange: None,
                handshake: None,
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
