//! What the application protocol on the port said: HTTPS answers and HSTS, WebSocket upgrades
//! (RFC 6455, with the accept-hash check), SIP answers to OPTIONS, and TLS 1.3 support.

use base64::Engine;

use certscan_model::evidence::{Answer, Exchange, TlsParameters};
use certscan_model::finding::{CheckId, Finding};

/// HSTS max-age below this (180 days) is short.
pub(crate) const HSTS_MIN_SECONDS: u64 = 180 * 24 * 3600;

/// Headers shown in the report.
const SHOWN_HEADERS: &[&str] = &[
    "server",
    "user-agent",
    "strict-transport-security",
    "location",
    "upgrade",
    "connection",
    "sec-websocket-accept",
    "allow",
];

/// The exchange as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeView {
    /// `http`, `websocket` or `sip`.
    pub kind: &'static str,
    pub request: String,
    pub version: Option<String>,
    pub status: Option<u16>,
    pub first_line: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
    pub error: Option<String>,
}

pub(crate) fn view(exchange: &Exchange) -> ExchangeView {
    let (kind, request, answer) = match exchange {
        Exchange::Http { path, answer } => ("http", format!("GET {path}"), answer),
        Exchange::WebSocket { path, answer, .. } => ("websocket", format!("GET {path} (Upgrade: websocket)"), answer),
        Exchange::Sip { answer } => ("sip", "OPTIONS".to_string(), answer),
    };
    let mut out = ExchangeView {
        kind,
        request,
        version: None,
        status: None,
        first_line: None,
        headers: Default::default(),
        error: None,
    };
    match answer {
        Ok(a) => {
            out.version = Some(a.version.clone());
            out.status = a.status;
            out.first_line = Some(a.first_line.clone());
            for name in SHOWN_HEADERS {
                if let Some(value) = a.header(name) {
                    out.headers.insert(name.to_string(), value.to_string());
                }
            }
        }
        Err(error) => out.error = Some(error.message.clone()),
    }
    out
}

/// `Sec-WebSocket-Accept` for a key (RFC 6455 section 4.2.2).
pub fn websocket_accept(key: &str) -> String {
    let mut input = key.as_bytes().to_vec();
    input.extend_from_slice(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

fn has_token(value: Option<&str>, token: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// The max-age of an HSTS header, if it has a valid one.
fn hsts_max_age(value: &str) -> Option<u64> {
    value.split(';').find_map(|directive| {
        let (name, number) = directive.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| number.trim().trim_matches('"').parse().ok())?
    })
}

fn http_findings(answer: &Answer) -> Vec<Finding> {
    if !answer.version.starts_with("HTTP/") || answer.status.is_none() {
        return vec![Finding::new(
            CheckId::HttpNoAnswer,
            format!(
                "the port answered GET with {:?}, which is not HTTP",
                answer.first_line.chars().take(80).collect::<String>()
            ),
        )];
    }
    match answer.header("strict-transport-security") {
        None => vec![Finding::new(
            CheckId::HstsMissing,
            format!(
                "the answer ({}) has no Strict-Transport-Security header",
                answer.first_line
            ),
        )],
        Some(value) => match hsts_max_age(value) {
            Some(age) if age >= HSTS_MIN_SECONDS => vec![],
            age => vec![Finding::new(
                CheckId::HstsShort,
                format!(
                    "Strict-Transport-Security is \"{value}\": max-age {} is under 180 days ({HSTS_MIN_SECONDS} s)",
                    age.map_or("missing".to_string(), |a| format!("{a} s"))
                ),
            )],
        },
    }
}

fn refused_hint(status: u16) -> &'static str {
    match status {
        400 => {
            "a 400 usually means a proxy in front did not forward the Upgrade and Connection headers (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";)"
        }
        401 | 403 => {
            "the server refused the client: an Origin check or authentication in front of the WebSocket endpoint"
        }
        404 => {
            "a 404 means nothing serves WebSocket on this path: check the path (Kurento uses /kurento) and the proxy's location block"
        }
        426 => {
            "a 426 means the server wants another protocol version or TLS setting for the upgrade: check Sec-WebSocket-Version 13 support"
        }
        300..=399 => "a redirect: WebSocket clients do not follow redirects, so point them at the final URL",
        _ => "check the WebSocket endpoint's path and the proxy configuration in front of it",
    }
}

fn websocket_findings(path: &str, key: &str, answer: &Answer) -> Vec<Finding> {
    if !answer.version.starts_with("HTTP/") || answer.status.is_none() {
        return vec![Finding::new(
            CheckId::WssNoAnswer,
            format!(
                "the upgrade request for {path} was answered with {:?}, which is not HTTP",
                answer.first_line
            ),
        )];
    }
    let status = answer.status.unwrap_or(0);
    if status != 101 {
        if (200..300).contains(&status) {
            return vec![Finding::new(
                CheckId::WssNotWebsocket,
                format!(
                    "{path} answered \"{}\" to the upgrade request: the server speaks HTTP there but not WebSocket",
                    answer.first_line
                ),
            )];
        }
        return vec![Finding::new(
            CheckId::WssUpgradeRefused,
            format!(
                "the upgrade request for {path} was refused with \"{}\": {}",
                answer.first_line,
                refused_hint(status)
            ),
        )];
    }
    if !has_token(answer.header("upgrade"), "websocket") || !has_token(answer.header("connection"), "upgrade") {
        return vec![Finding::new(
            CheckId::WssNotWebsocket,
            format!(
                "{path} answered 101 without \"Upgrade: websocket\" and \"Connection: upgrade\" (got Upgrade: {:?}, Connection: {:?})",
                answer.header("upgrade").unwrap_or(""),
                answer.header("connection").unwrap_or("")
            ),
        )];
    }
    let expected = websocket_accept(key);
    match answer.header("sec-websocket-accept") {
        Some(accept) if accept == expected => vec![],
        got => vec![Finding::new(
            CheckId::WssBadAccept,
            format!(
                "Sec-WebSocket-Accept is {:?} but the key sent requires {expected:?}: clients abort the connection",
                got.unwrap_or("missing")
            ),
        )],
    }
}

fn sip_findings(answer: &Answer) -> Vec<Finding> {
    if answer.is_sip() && answer.status.is_some() {
        return vec![];
    }
    vec![Finding::new(
        CheckId::SipNotSip,
        format!(
            "the port answered OPTIONS with {:?}, which is not a SIP answer",
            answer.first_line.chars().take(80).collect::<String>()
        ),
    )]
}

/// Findings for an exchange.
pub(crate) fn exchange_findings(exchange: &Exchange) -> Vec<Finding> {
    match exchange {
        Exchange::Http {
            path,
            answer: Err(error),
        } => {
            vec![Finding::new(
                CheckId::HttpNoAnswer,
                format!("no HTTP answer to GET {path}: {error}"),
            )]
        }
        Exchange::Http { answer: Ok(answer), .. } => http_findings(answer),
        Exchange::WebSocket {
            path,
            answer: Err(error),
            ..
        } => {
            vec![Finding::new(
                CheckId::WssNoAnswer,
                format!("no answer to the upgrade request for {path}: {error}"),
            )]
        }
        Exchange::WebSocket {
            path,
            key,
            answer: Ok(answer),
        } => websocket_findings(path, key, answer),
        Exchange::Sip { answer: Err(error) } => {
            vec![Finding::new(
                CheckId::SipNoAnswer,
                format!("no SIP answer to OPTIONS: {error}"),
            )]
        }
        Exchange::Sip { answer: Ok(answer) } => sip_findings(answer),
    }
}

/// `tls.no_tls13` when TLS 1.2 was negotiated although 1.3 was offered.
pub(crate) fn version_findings(tls: &TlsParameters) -> Vec<Finding> {
    if tls.version == "TLSv1.2" {
        vec![Finding::new(
            CheckId::NoTls13,
            "the server chose TLS 1.2 although TLS 1.3 was offered",
        )]
    } else {
        vec![]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::exchange_findings as findings;
    use certscan_probe::exchange::parse_head;

    fn ids(exchange: &Exchange) -> Vec<CheckId> {
        findings(exchange).iter().map(|f| f.id).collect()
    }

    fn http(head: &str) -> Exchange {
        Exchange::Http {
            path: "/".into(),
            answer: Ok(parse_head(head)),
        }
    }

    #[test]
    fn accept_hash_matches_rfc_6455_example() {
        assert_eq!(
            websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn hsts_presence_and_length() {
        assert_eq!(
            ids(&http(
                "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=63072000; includeSubDomains"
            )),
            []
        );
        assert_eq!(ids(&http("HTTP/1.1 200 OK")), [CheckId::HstsMissing]);
        assert_eq!(
            ids(&http("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=3600")),
            [CheckId::HstsShort]
        );
        assert_eq!(
            ids(&http("HTTP/1.1 200 OK\r\nStrict-Transport-Security: includeSubDomains")),
            [CheckId::HstsShort]
        );
        assert_eq!(ids(&http("SSH-2.0-OpenSSH_9.6")), [CheckId::HttpNoAnswer]);
        let silent = Exchange::Http {
            path: "/".into(),
            answer: Err("timed out".into()),
        };
        assert_eq!(ids(&silent), [CheckId::HttpNoAnswer]);
    }

    #[test]
    fn websocket_upgrades() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ws = |head: &str| Exchange::WebSocket {
            path: "/kurento".into(),
            key: key.into(),
            answer: Ok(parse_head(head)),
        };
        let good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
        assert_eq!(ids(&ws(good)), []);
        let bad = good.replace("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "AAAA");
        assert_eq!(ids(&ws(&bad)), [CheckId::WssBadAccept]);
        assert_eq!(ids(&ws("HTTP/1.1 200 OK")), [CheckId::WssNotWebsocket]);
        assert_eq!(
            ids(&ws("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c")),
            [CheckId::WssNotWebsocket]
        );
        for (status, hint) in [(400, "Upgrade and Connection"), (404, "path"), (426, "version")] {
            let found = findings(&ws(&format!("HTTP/1.1 {status} Nope")));
            assert_eq!(found[0].id, CheckId::WssUpgradeRefused);
            assert!(found[0].detail.contains(hint), "{}", found[0].detail);
        }
    }

    #[test]
    fn sip_answers() {
        let sip = |head: &str| Exchange::Sip {
            answer: Ok(parse_head(head)),
        };
        for code in [200, 401, 403, 404, 405, 407, 481, 501] {
            assert_eq!(ids(&sip(&format!("SIP/2.0 {code} Whatever"))), [], "{code}");
        }
        assert_eq!(ids(&sip("HTTP/1.1 400 Bad Request")), [CheckId::SipNotSip]);
        assert_eq!(
            ids(&Exchange::Sip {
                answer: Err("no answer".into())
            }),
            [CheckId::SipNoAnswer]
        );
    }
}
