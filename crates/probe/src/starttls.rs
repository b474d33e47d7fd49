//! STARTTLS: the plain-text opening that SMTP, IMAP, XMPP, LDAP and PostgreSQL servers require
//! before the TLS handshake. Each conversation reads what the server offers, asks for TLS, and
//! records how a server that does not go along answered. Every answer is bounded in size; the
//! caller bounds the time.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use certscan_model::evidence::StartTlsFailure;
use certscan_model::target::Protocol;

/// The most bytes read from a server before the upgrade.
const MAX_PLAIN_BYTES: usize = 16 * 1024;

/// The LDAP StartTLS extended operation's OID.
const LDAP_START_TLS: &[u8] = b"1.3.6.1.4.1.1466.20037";

/// Bytes read from the server, kept until they are used.
struct Conversation<'a, S> {
    stream: &'a mut S,
    unread: Vec<u8>,
    total: usize,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Conversation<'a, S> {
    fn new(stream: &'a mut S) -> Self {
        Conversation {
            stream,
            unread: Vec::new(),
            total: 0,
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), StartTlsFailure> {
        self.stream.write_all(bytes).await.map_err(|e| StartTlsFailure::Ended {
            error: format!("sending failed: {e}"),
        })
    }

    /// Reads more bytes; the connection's end or the size bound is a failure.
    async fn fill(&mut self) -> Result<(), StartTlsFailure> {
        let mut chunk = [0u8; 2048];
        let read = self.stream.read(&mut chunk).await.map_err(|e| StartTlsFailure::Ended {
            error: format!("the connection failed: {e}"),
        })?;
        if read == 0 {
            let seen = match self.unread.is_empty() {
                true => String::new(),
                false => format!(" after {:?}", text(&self.unread)),
            };
            return Err(StartTlsFailure::Ended {
                error: format!("the server closed the connection{seen}"),
            });
        }
        self.total += read;
        if self.total > MAX_PLAIN_BYTES {
            return Err(StartTlsFailure::NotTheProtocol {
                said: format!("more than {MAX_PLAIN_BYTES} bytes without the expected answer"),
            });
        }
        self.unread.extend_from_slice(&chunk[..read]);
        Ok(())
    }

    /// The next line, without its line ending.
    async fn line(&mut self) -> Result<String, StartTlsFailure> {
        loop {
            if let Some(end) = self.unread.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.unread.drain(..=end).collect();
                return Ok(text(&line).trim_end_matches(['\r', '\n']).to_string());
            }
            self.fill().await?;
        }
    }

    /// Everything read until one of `markers` has been seen.
    async fn until(&mut self, markers: &[&str]) -> Result<String, StartTlsFailure> {
        loop {
            let seen = text(&self.unread);
            if markers.iter().any(|m| seen.contains(m)) {
                self.unread.clear();
                return Ok(seen);
            }
            self.fill().await?;
        }
    }

    async fn exactly(&mut self, count: usize) -> Result<Vec<u8>, StartTlsFailure> {
        while self.unread.len() < count {
            self.fill().await?;
        }
        Ok(self.unread.drain(..count).collect())
    }
}

/// Bytes as text for messages: lossy, control characters kept for the report to escape.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Shortens a server's words for a message.
fn excerpt(said: &str) -> String {
    let said = said.trim();
    match said.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &said[..cut]),
        None => said.to_string(),
    }
}

/// Asks the server for TLS with `protocol`'s STARTTLS; on success the stream is ready for the
/// TLS handshake. `domain` is the name the server is asked for (XMPP's `to`), `client` how
/// certscan names itself (SMTP's EHLO).
pub async fn negotiate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    protocol: Protocol,
    domain: &str,
    client: &str,
) -> Result<(), StartTlsFailure> {
    let mut conversation = Conversation::new(stream);
    match protocol {
        Protocol::Smtp => smtp(&mut conversation, client).await,
        Protocol::Imap => imap(&mut conversation).await,
        Protocol::Xmpp => xmpp(&mut conversation, domain, "jabber:client").await,
        Protocol::XmppServer => xmpp(&mut conversation, domain, "jabber:server").await,
        Protocol::Ldap => ldap(&mut conversation).await,
        Protocol::Postgres => postgres(&mut conversation).await,
        Protocol::Https | Protocol::Wss | Protocol::Sips | Protocol::Tls => Ok(()),
    }
}

/// One SMTP reply: its code and its lines' texts.
async fn smtp_reply<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
) -> Result<(u16, Vec<String>), StartTlsFailure> {
    let mut lines = Vec::new();
    loop {
        let line = conversation.line().await?;
        let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        let separator = line.as_bytes().get(3).copied();
        let (Some(code), Some(b' ' | b'-') | None) = (code, separator) else {
            return Err(StartTlsFailure::NotTheProtocol { said: excerpt(&line) });
        };
        lines.push(line.get(4..).unwrap_or_default().to_string());
        if separator != Some(b'-') {
            return Ok((code, lines));
        }
        if lines.len() > 200 {
            return Err(StartTlsFailure::NotTheProtocol {
                said: "an SMTP reply of more than 200 lines".into(),
            });
        }
    }
}

async fn smtp<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
    client: &str,
) -> Result<(), StartTlsFailure> {
    let (code, greeting) = smtp_reply(conversation).await?;
    if code != 220 {
        return Err(StartTlsFailure::Refused {
            said: format!("{code} {}", excerpt(&greeting.join(" "))),
        });
    }
    conversation.send(format!("EHLO {client}\r\n").as_bytes()).await?;
    let (code, capabilities) = smtp_reply(conversation).await?;
    if code != 250 {
        return Err(StartTlsFailure::NotOffered {
            said: format!("EHLO was answered {code} {}", excerpt(&capabilities.join(" "))),
        });
    }
    let offered = capabilities.iter().skip(1).any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(StartTlsFailure::NotOffered {
            said: format!("its extensions are {}", excerpt(&capabilities[1..].join(", "))),
        });
    }
    conversation.send(b"STARTTLS\r\n").await?;
    match smtp_reply(conversation).await? {
        (220, _) => Ok(()),
        (code, lines) => Err(StartTlsFailure::Refused {
            said: format!("STARTTLS was answered {code} {}", excerpt(&lines.join(" "))),
        }),
    }
}

/// Reads IMAP lines until the tagged completion of `tag`; gives the untagged lines and the
/// completion's status and text.
async fn imap_command<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
    tag: &str,
    command: &str,
) -> Result<(Vec<String>, String), StartTlsFailure> {
    conversation.send(format!("{tag} {command}\r\n").as_bytes()).await?;
    let mut untagged = Vec::new();
    loop {
        let line = conversation.line().await?;
        if let Some(completion) = line.strip_prefix(&format!("{tag} ")) {
            return Ok((untagged, completion.to_string()));
        }
        if !line.starts_with("* ") {
            return Err(StartTlsFailure::NotTheProtocol { said: excerpt(&line) });
        }
        untagged.push(line);
    }
}

async fn imap<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
) -> Result<(), StartTlsFailure> {
    let greeting = conversation.line().await?;
    let upper = greeting.to_ascii_uppercase();
    if upper.starts_with("* BYE") {
        return Err(StartTlsFailure::Refused {
            said: excerpt(&greeting),
        });
    }
    if upper.starts_with("* PREAUTH") {
        return Err(StartTlsFailure::NotOffered {
            said: format!(
                "the session is already authenticated ({}), where STARTTLS is not allowed",
                excerpt(&greeting)
            ),
        });
    }
    if !upper.starts_with("* OK") {
        return Err(StartTlsFailure::NotTheProtocol {
            said: excerpt(&greeting),
        });
    }
    let (untagged, completion) = imap_command(conversation, "c1", "CAPABILITY").await?;
    let capabilities: Vec<&str> = untagged
        .iter()
        .filter_map(|line| {
            let rest = line.strip_prefix("* ")?;
            let (word, list) = rest.split_once(' ')?;
            word.eq_ignore_ascii_case("CAPABILITY").then_some(list)
        })
        .flat_map(str::split_whitespace)
        .collect();
    if !completion.to_ascii_uppercase().starts_with("OK") {
        return Err(StartTlsFailure::Refused {
            said: format!("CAPABILITY was answered {}", excerpt(&completion)),
        });
    }
    if !capabilities.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")) {
        return Err(StartTlsFailure::NotOffered {
            said: format!("its capabilities are {}", excerpt(&capabilities.join(" "))),
        });
    }
    let (_, completion) = imap_command(conversation, "c2", "STARTTLS").await?;
    match completion.to_ascii_uppercase().starts_with("OK") {
        true => Ok(()),
        false => Err(StartTlsFailure::Refused {
            said: format!("STARTTLS was answered {}", excerpt(&completion)),
        }),
    }
}

/// XML attribute values: the characters that would end or open markup escaped.
fn xml_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('\'', "&apos;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn xmpp<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
    domain: &str,
    namespace: &str,
) -> Result<(), StartTlsFailure> {
    const TLS_NAMESPACE: &str = "urn:ietf:params:xml:ns:xmpp-tls";
    conversation
        .send(
            format!(
                "<?xml version='1.0'?><stream:stream to='{}' version='1.0' xml:lang='en' xmlns='{namespace}' xmlns:stream='http://etherx.jabber.org/streams'>",
                xml_attribute(domain)
            )
            .as_bytes(),
        )
        .await?;
    let opening = conversation
        .until(&["features>", "features/>", "stream:error", "</stream:stream>"])
        .await
        .map_err(|failure| match failure {
            // A server that answers something else than XML before the features.
            StartTlsFailure::NotTheProtocol { said } => StartTlsFailure::NotTheProtocol { said },
            other => other,
        })?;
    if !opening.contains("stream") {
        return Err(StartTlsFailure::NotTheProtocol {
            said: excerpt(&opening),
        });
    }
    if opening.contains("stream:error") || !opening.contains("features") {
        return Err(StartTlsFailure::Refused {
            said: excerpt(&opening),
        });
    }
    if !opening.contains(TLS_NAMESPACE) {
        let features = opening.find("features").map(|i| &opening[i..]).unwrap_or(&opening);
        return Err(StartTlsFailure::NotOffered {
            said: format!("its stream features are {}", excerpt(features)),
        });
    }
    conversation
        .send(format!("<starttls xmlns='{TLS_NAMESPACE}'/>").as_bytes())
        .await?;
    let answer = conversation
        .until(&["<proceed", "<failure", "stream:error", "</stream:stream>"])
        .await?;
    match answer.contains("<proceed") {
        true => Ok(()),
        false => Err(StartTlsFailure::Refused { said: excerpt(&answer) }),
    }
}

/// The LDAP StartTLS request: LDAPMessage { messageID 1, ExtendedRequest { requestName } }.
fn ldap_start_tls_request() -> Vec<u8> {
    let mut name = vec![0x80, LDAP_START_TLS.len() as u8];
    name.extend_from_slice(LDAP_START_TLS);
    let mut operation = vec![0x77, name.len() as u8];
    operation.extend(name);
    let mut message = vec![0x02, 0x01, 0x01];
    message.extend(operation);
    let mut whole = vec![0x30, message.len() as u8];
    whole.extend(message);
    whole
}

/// A DER/BER element's header: (tag, header length, content length), when complete.
fn element_header(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *bytes.first()?;
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, first as usize));
    }
    let count = (first & 0x7f) as usize;
    if count == 0 || count > 3 {
        return Some((tag, 2, usize::MAX));
    }
    let length = bytes
        .get(2..2 + count)?
        .iter()
        .fold(0usize, |n, b| n << 8 | *b as usize);
    Some((tag, 2 + count, length))
}

async fn ldap<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
) -> Result<(), StartTlsFailure> {
    conversation.send(&ldap_start_tls_request()).await?;
    let header = loop {
        if let Some(header) = element_header(&conversation.unread) {
            break header;
        }
        conversation.fill().await?;
    };
    let (tag, header_length, length) = header;
    if tag != 0x30 || length > MAX_PLAIN_BYTES {
        let start = conversation.unread.clone();
        return Err(StartTlsFailure::NotTheProtocol {
            said: excerpt(&text(&start)),
        });
    }
    let message = conversation.exactly(header_length + length).await?;
    let not_ldap = || StartTlsFailure::NotTheProtocol {
        said: "an answer that is not an LDAP extended response".into(),
    };
    // messageID, then the ExtendedResponse ([APPLICATION 24]).
    let body = &message[header_length..];
    let (_, id_header, id_length) = element_header(body).ok_or_else(not_ldap)?;
    let rest = body.get(id_header.saturating_add(id_length)..).ok_or_else(not_ldap)?;
    let (tag, response_header, response_length) = element_header(rest).ok_or_else(not_ldap)?;
    if tag != 0x78 {
        return Err(not_ldap());
    }
    let response = rest
        .get(response_header..response_header.saturating_add(response_length))
        .ok_or_else(not_ldap)?;
    // resultCode ENUMERATED, matchedDN, diagnosticMessage.
    let code = match response {
        [0x0a, 0x01, code, ..] => *code,
        _ => return Err(not_ldap()),
    };
    let mut fields = &response[3..];
    let mut strings = Vec::new();
    for _ in 0..2 {
        let Some((0x04, header, length)) = element_header(fields) else {
            break;
        };
        let Some(value) = fields.get(header..header.saturating_add(length)) else {
            break;
        };
        strings.push(text(value));
        fields = &fields[header + length..];
    }
    let diagnostic = strings.get(1).filter(|s| !s.is_empty()).cloned();
    let said = |what: &str| match &diagnostic {
        Some(message) => format!("{what} (result {code}: {})", excerpt(message)),
        None => format!("{what} (result {code})"),
    };
    match code {
        0 => Ok(()),
        // protocolError (the operation is unknown), unavailable, unwillingToPerform: what servers
        // without TLS configured answer.
        2 | 52 | 53 => Err(StartTlsFailure::NotOffered {
            said: said("the StartTLS operation was declined"),
        }),
        _ => Err(StartTlsFailure::Refused {
            said: said("the StartTLS operation failed"),
        }),
    }
}

async fn postgres<S: AsyncRead + AsyncWrite + Unpin>(
    conversation: &mut Conversation<'_, S>,
) -> Result<(), StartTlsFailure> {
    // SSLRequest: length 8, code 80877103.
    conversation.send(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
    match conversation.exactly(1).await?[0] {
        b'S' => Ok(()),
        b'N' => Err(StartTlsFailure::NotOffered {
            said: "it answered N to the SSL request: SSL is off (ssl = off in postgresql.conf)".into(),
        }),
        b'E' => Err(StartTlsFailure::NotOffered {
            said: "it answered the SSL request with an error: a server too old for SSL, or not built with it".into(),
        }),
        other => Err(StartTlsFailure::NotTheProtocol {
            said: format!("it answered the SSL request with the byte 0x{other:02x}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a negotiation against a scripted server: pairs of (what the server expects to read
    /// first, what it then writes); `None` reads nothing.
    async fn run(protocol: Protocol, script: &[(Option<&[u8]>, &[u8])]) -> (Result<(), StartTlsFailure>, Vec<u8>) {
        let (mut client, mut server) = tokio::io::duplex(64 * 1024);
        let script: Vec<(Option<Vec<u8>>, Vec<u8>)> = script
            .iter()
            .map(|(expect, reply)| (expect.map(<[u8]>::to_vec), reply.to_vec()))
            .collect();
        let server = tokio::spawn(async move {
            let mut heard = Vec::new();
            for (expect, reply) in script {
                if let Some(expect) = expect {
                    let mut buffer = vec![0u8; expect.len()];
                    if server.read_exact(&mut buffer).await.is_err() {
                        break;
                    }
                    heard.extend_from_slice(&buffer);
                }
                if server.write_all(&reply).await.is_err() {
                    break;
                }
            }
            heard
        });
        let result = negotiate(&mut client, protocol, "example.test", "[127.0.0.1]").await;
        drop(client);
        (result, server.await.unwrap())
    }

    #[tokio::test]
    async fn smtp() {
        let offering: &[(Option<&[u8]>, &[u8])] = &[
            (None, b"220-mail.example.test ESMTP\r\n220 welcome\r\n"),
            (
                Some(b"EHLO [127.0.0.1]\r\n"),
                b"250-mail.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
            ),
            (Some(b"STARTTLS\r\n"), b"220 2.0.0 Ready to start TLS\r\n"),
        ];
        assert_eq!(run(Protocol::Smtp, offering).await.0, Ok(()));

        let (result, _) = run(
            Protocol::Smtp,
            &[
                (None, b"220 mail ESMTP\r\n"),
                (
                    Some(b"EHLO [127.0.0.1]\r\n"),
                    b"250-mail\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n",
                ),
            ],
        )
        .await;
        assert!(
            matches!(&result, Err(StartTlsFailure::NotOffered { said }) if said.contains("SIZE 1000, AUTH PLAIN")),
            "{result:?}"
        );

        let (result, _) = run(Protocol::Smtp, &[(None, b"554 no service here\r\n")]).await;
        assert!(matches!(&result, Err(StartTlsFailure::Refused { said }) if said.contains("554 no service")));

        let (result, _) = run(
            Protocol::Smtp,
            &[
                (None, b"220 mail\r\n"),
                (Some(b"EHLO [127.0.0.1]\r\n"), b"250-mail\r\n250 STARTTLS\r\n"),
                (
                    Some(b"STARTTLS\r\n"),
                    b"454 4.7.0 TLS not available due to local problem\r\n",
                ),
            ],
        )
        .await;
        assert!(matches!(&result, Err(StartTlsFailure::Refused { said }) if said.contains("454 4.7.0")));

        let (result, _) = run(Protocol::Smtp, &[(None, b"SSH-2.0-OpenSSH_9.6\r\n")]).await;
        assert!(matches!(&result, Err(StartTlsFailure::NotTheProtocol { said }) if said.contains("SSH-2.0")));

        let (result, _) = run(Protocol::Smtp, &[(None, b"220 mail\r\n")]).await;
        assert!(matches!(&result, Err(StartTlsFailure::Ended { .. })), "{result:?}");
    }

    #[tokio::test]
    async fn imap() {
        let offering: &[(Option<&[u8]>, &[u8])] = &[
            (None, b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"),
            (
                Some(b"c1 CAPABILITY\r\n"),
                b"* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED\r\nc1 OK done\r\n",
            ),
            (Some(b"c2 STARTTLS\r\n"), b"c2 OK Begin TLS negotiation now.\r\n"),
        ];
        assert_eq!(run(Protocol::Imap, offering).await.0, Ok(()));

        let (result, _) = run(
            Protocol::Imap,
            &[
                (None, b"* OK ready\r\n"),
                (
                    Some(b"c1 CAPABILITY\r\n"),
                    b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nc1 OK done\r\n",
                ),
            ],
        )
        .await;
        assert!(matches!(&result, Err(StartTlsFailure::NotOffered { said }) if said.contains("AUTH=PLAIN")));

        let (result, _) = run(Protocol::Imap, &[(None, b"* PREAUTH logged in\r\n")]).await;
        assert!(matches!(&result, Err(StartTlsFailure::NotOffered { said }) if said.contains("already authenticated")));

        let (result, _) = run(
            Protocol::Imap,
            &[
                (None, b"* OK ready\r\n"),
                (
                    Some(b"c1 CAPABILITY\r\n"),
                    b"* CAPABILITY IMAP4rev1 STARTTLS\r\nc1 OK done\r\n",
                ),
                (Some(b"c2 STARTTLS\r\n"), b"c2 BAD TLS support isn't enabled.\r\n"),
            ],
        )
        .await;
        assert!(matches!(&result, Err(StartTlsFailure::Refused { said }) if said.contains("isn't enabled")));
    }

    #[tokio::test]
    async fn xmpp() {
        let features = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='a' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
        let opening: &[u8] = b"<?xml version='1.0'?><stream:stream to='example.test' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
        let starttls: &[u8] = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
        let (result, heard) = run(
            Protocol::Xmpp,
            &[
                (Some(opening), features),
                (Some(starttls), b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            ],
        )
        .await;
        assert_eq!(result, Ok(()));
        assert_eq!(heard, [opening, starttls].concat());

        let plain = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></stream:features>";
        let (result, _) = run(Protocol::XmppServer, &[(None, plain)]).await;
        assert!(matches!(&result, Err(StartTlsFailure::NotOffered { said }) if said.contains("xmpp-sasl")));

        let error = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>";
        let (result, _) = run(Protocol::Xmpp, &[(None, error)]).await;
        assert!(matches!(&result, Err(StartTlsFailure::Refused { said }) if said.contains("host-unknown")));
    }

    #[tokio::test]
    async fn ldap() {
        let request = ldap_start_tls_request();
        assert_eq!(request.len(), 31);
        let success = [
            0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00,
        ];
        let (result, heard) = run(Protocol::Ldap, &[(Some(&request), &success)]).await;
        assert_eq!(result, Ok(()));
        assert_eq!(heard, request);

        let mut declined = vec![
            0x30, 0x2c, 0x02, 0x01, 0x01, 0x78, 0x27, 0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x20,
        ];
        declined.extend_from_slice(b"unsupported extended operation!!");
        let (result, _) = run(Protocol::Ldap, &[(Some(&request), &declined)]).await;
        assert!(
            matches!(&result, Err(StartTlsFailure::NotOffered { said }) if said.contains("result 2: unsupported extended operation")),
            "{result:?}"
        );

        let (result, _) = run(Protocol::Ldap, &[(Some(&request), b"HTTP/1.1 400 Bad Request\r\n\r\n")]).await;
        assert!(
            matches!(&result, Err(StartTlsFailure::NotTheProtocol { .. })),
            "{result:?}"
        );

        // A messageID whose length form is not one DER allows (found by fuzzing).
        let (result, _) = run(
            Protocol::Ldap,
            &[(Some(&request), &[0x30, 0x06, 0x02, 0x84, 0xff, 0xff, 0xff, 0xff])],
        )
        .await;
        assert!(
            matches!(&result, Err(StartTlsFailure::NotTheProtocol { .. })),
            "{result:?}"
        );

        // A length that announces more than the bound.
        let (result, _) = run(Protocol::Ldap, &[(Some(&request), &[0x30, 0x83, 0xff, 0xff, 0xff])]).await;
        assert!(
            matches!(&result, Err(StartTlsFailure::NotTheProtocol { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn postgres() {
        let request: &[u8] = &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        assert_eq!(run(Protocol::Postgres, &[(Some(request), b"S")]).await.0, Ok(()));
        let (result, _) = run(Protocol::Postgres, &[(Some(request), b"N")]).await;
        assert!(matches!(&result, Err(StartTlsFailure::NotOffered { said }) if said.contains("ssl = off")));
        let (result, _) = run(Protocol::Postgres, &[(Some(request), b"H")]).await;
        assert!(matches!(&result, Err(StartTlsFailure::NotTheProtocol { .. })));
    }

    #[tokio::test]
    async fn endless_answers_are_cut() {
        let flood = vec![b'2'; MAX_PLAIN_BYTES + 4096];
        let (result, _) = run(Protocol::Smtp, &[(None, &flood)]).await;
        assert!(matches!(&result, Err(StartTlsFailure::NotTheProtocol { said }) if said.contains("more than")));
    }
}
