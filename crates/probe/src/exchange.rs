//! What each port's clients do after the TLS handshake: an HTTP GET (HTTP/2 when the server
//! chose it), an RFC 6455 WebSocket upgrade, a SIP OPTIONS request. Reads are bounded in size;
//! the caller bounds them in time. Records the answer; judging it is the analysis's job.

use base64::Engine;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use super::tls::{Stream, connection_end_of};
use certscan_model::evidence::{Answer, ConnectionEnd, Exchange, NoAnswer};

/// The largest answer head read (status line and headers).
pub(crate) const MAX_HEAD_BYTES: usize = 16 * 1024;
/// What an exchange says when the server closed the connection before answering.
pub(crate) const CLOSED_WITHOUT_ANSWER: &str = "the server closed the connection without answering";
/// Headers kept from an answer.
const MAX_HEADERS: usize = 100;

const USER_AGENT: &str = concat!("certscan/", env!("CARGO_PKG_VERSION"));

/// Random bytes for keys, branches and tags.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system RNG does not fail on supported platforms; zeros would still make a valid request.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes
}

fn token() -> String {
    random_bytes::<8>().iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a head up to the blank line that ends it, at most [`MAX_HEAD_BYTES`]; bytes after it
/// stay in the reader for the next message. A head that is not read whole (the connection ends
/// before the blank line, or the bound is reached first) is an error that says so, never an
/// answer: what was cut off may have changed its meaning.
pub async fn read_head<S: AsyncBufRead + Unpin>(stream: &mut S) -> Result<String, NoAnswer> {
    let mut head = Vec::with_capacity(1024);
    loop {
        if head.len() >= MAX_HEAD_BYTES {
            return Err(NoAnswer::from(format!(
                "the answer's head did not end within {MAX_HEAD_BYTES} bytes (it began {}), so it was not read whole",
                first_line_of(&head)
            )));
        }
        let line_start = head.len();
        let room = (MAX_HEAD_BYTES - head.len()) as u64;
        match (&mut *stream).take(room).read_until(b'\n', &mut head).await {
            Ok(0) if head.is_empty() => {
                return Err(NoAnswer {
                    message: CLOSED_WITHOUT_ANSWER.into(),
                    end: Some(ConnectionEnd::Closed),
                });
            }
            Ok(0) => {
                return Err(NoAnswer::from(format!(
                    "the answer ended after {} bytes without the blank line that closes its head (it began {}): it is not a well-formed message",
                    head.len(),
                    first_line_of(&head)
                )));
            }
            Ok(_) => {
                let line = &head[line_start..];
                if line == b"\r\n" || line == b"\n" {
                    head.truncate(line_start);
                    break;
                }
            }
            Err(e) if head.is_empty() => return Err(failed(format!("no answer: {e}"), &e)),
            Err(e) => {
                let message = format!(
                    "reading the answer failed after {} bytes (it began {}): {e}",
                    head.len(),
                    first_line_of(&head)
                );
                return Err(failed(message, &e));
            }
        }
    }
    while head.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        head.pop();
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// An exchange that failed on an I/O error, with how the server ended the connection if it did.
fn failed(message: String, e: &std::io::Error) -> NoAnswer {
    NoAnswer {
        message,
        end: connection_end_of(e),
    }
}

/// The first line of a partial head, quoted and shortened, for messages.
fn first_line_of(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let line: String = text.lines().next().unwrap_or("").chars().take(80).collect();
    format!("{line:?}")
}

/// Parses an HTTP/1.x or SIP head: `VERSION STATUS REASON` then `Name: value` lines. Written
/// by hand rather than with httparse: SIP heads are not HTTP, and what a broken server sends
/// (bare newlines, a status out of range, an unknown version) is recorded as it came, for the
/// checks to judge, where httparse would only refuse it.
pub fn parse_head(head: &str) -> Answer {
    let mut lines = head.split("\r\n").flat_map(|l| l.split('\n'));
    let first_line = lines.next().unwrap_or("").trim_end().to_string();
    let mut words = first_line.split_whitespace();
    let version = words.next().unwrap_or("").to_string();
    let status = words
        .next()
        .and_then(|w| w.parse::<u16>().ok())
        .filter(|s| (100..1000).contains(s));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .take(MAX_HEADERS)
        .collect();
    Answer {
        version,
        status,
        first_line,
        headers,
    }
}

/// `host[:port]` as the Host header and URIs write it.
fn authority(host: &str, port: u16, default_port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if port == default_port {
        host
    } else {
        format!("{host}:{port}")
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, request: &str) -> Result<(), NoAnswer> {
    let sent = match stream.write_all(request.as_bytes()).await {
        Ok(()) => stream.flush().await,
        Err(e) => Err(e),
    };
    sent.map_err(|e| failed(format!("sending the request failed: {e}"), &e))
}

/// `GET path` over HTTP/1.1, or over HTTP/2 when ALPN chose it.
pub(crate) async fn http(mut stream: Stream, host: &str, port: u16, path: &str) -> Exchange {
    let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let answer = if http2 {
        http2_get(stream, &authority(host, port, 443), path).await
    } else {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            authority(host, port, 443)
        );
        match send(&mut stream, &request).await {
            Ok(()) => read_head(&mut BufReader::new(stream))
                .await
                .map(|head| parse_head(&head)),
            Err(e) => Err(e),
        }
    };
    Exchange::Http {
        path: path.to_string(),
        answer,
    }
}

/// An HTTP/2 failure, with how the server ended the connection when an I/O error says so.
fn http2_failed(context: &str, e: h2::Error) -> NoAnswer {
    NoAnswer {
        message: format!("{context}: {e}"),
        end: e.get_io().and_then(connection_end_of),
    }
}

async fn http2_get(stream: Stream, authority: &str, path: &str) -> Result<Answer, NoAnswer> {
    // A bounded header list: a server that floods CONTINUATION frames is cut off, not buffered.
    let (client, connection) = h2::client::Builder::new()
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .handshake::<_, bytes::Bytes>(stream)
        .await
        .map_err(|e| http2_failed("HTTP/2 handshake failed", e))?;
    let driver = tokio::spawn(connection);
    let result = async {
        let mut client = client.ready().await.map_err(|e| http2_failed("HTTP/2", e))?;
        let request = http::Request::builder()
            .method("GET")
            .uri(format!("https://{authority}{path}"))
            .header("user-agent", USER_AGENT)
            .body(())
            .map_err(|e| NoAnswer::from(format!("HTTP/2 request: {e}")))?;
        let (response, _) = client
            .send_request(request, true)
            .map_err(|e| http2_failed("HTTP/2", e))?;
        let response = response.await.map_err(|e| http2_failed("HTTP/2 answer", e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .take(MAX_HEADERS)
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Answer {
            version: "HTTP/2".into(),
            status: Some(status),
            first_line: format!("HTTP/2 {status}"),
            headers,
        })
    }
    .await;
    driver.abort();
    result
}

/// An RFC 6455 opening handshake on `path`; a completed upgrade is closed with a close frame.
pub(crate) async fn websocket(stream: Stream, host: &str, port: u16, path: &str) -> Exchange {
    let key = base64::engine::general_purpose::STANDARD.encode(random_bytes::<16>());
    let host_header = authority(host, port, 443);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: https://{host_header}\r\nUser-Agent: {USER_AGENT}\r\n\r\n"
    );
    let mut stream = BufReader::new(stream);
    let answer = match send(stream.get_mut(), &request).await {
        Ok(()) => read_head(&mut stream).await.map(|head| parse_head(&head)),
        Err(e) => Err(e),
    };
    let mut stream = stream.into_inner();
    if matches!(&answer, Ok(a) if a.status == Some(101)) {
        // A masked close frame with status 1000 (normal closure).
        let mask = random_bytes::<4>();
        let payload = [0x03u8, 0xe8];
        let mut frame = vec![0x88, 0x80 | payload.len() as u8];
        frame.extend(mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        let _ = stream.write_all(&frame).await;
        let _ = stream.shutdown().await;
    }
    Exchange::WebSocket {
        path: path.to_string(),
        key,
        answer,
    }
}

/// A SIP OPTIONS request (RFC 3261) for `sips:host`; provisional answers are skipped.
pub(crate) async fn sip_options(stream: Stream, host: &str, port: u16) -> Exchange {
    let local = stream
        .get_ref()
        .0
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "0.0.0.0:0".into());
    let target = authority(host, port, 5061);
    let (branch, tag, call_id) = (token(), token(), token());
    let request = format!(
        "OPTIONS sips:{target} SIP/2.0\r\n\
         Via: SIP/2.0/TLS {local};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sips:certscan@{target}>;tag={tag}\r\n\
         To: <sips:{target}>\r\n\
         Call-ID: {call_id}@certscan\r\n\
         CSeq: 1 OPTIONS\r\n\
         Contact: <sips:certscan@{local}>\r\n\
         Accept: application/sdp\r\n\
         User-Agent: {USER_AGENT}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let mut stream = BufReader::new(stream);
    let answer = async {
        send(stream.get_mut(), &request).await?;
        for _ in 0..4 {
            let answer = parse_head(&read_head(&mut stream).await?);
            let provisional = answer.is_sip() && answer.status.is_some_and(|s| s < 200);
            if !provisional {
                return Ok(answer);
            }
            // Skip the provisional answer's body, if it announced one (bounded); `l` is the
            // compact form of Content-Length (RFC 3261 section 7.3.3).
            let length: usize = answer
                .header("content-length")
                .or_else(|| answer.header("l"))
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length.min(MAX_HEAD_BYTES)];
            stream
                .read_exact(&mut body)
                .await
                .map_err(|e| failed(format!("reading the answer failed: {e}"), &e))?;
        }
        Err(NoAnswer::from("only provisional SIP answers"))
    }
    .await;
    Exchange::Sip { answer }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_into_status_and_headers() {
        let answer = parse_head(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: https://x/\r\nstrict-transport-security: max-age=63072000\r\nBroken line",
        );
        assert_eq!((answer.version.as_str(), answer.status), ("HTTP/1.1", Some(301)));
        assert_eq!(answer.header("Strict-Transport-Security"), Some("max-age=63072000"));
        assert_eq!(answer.header("location"), Some("https://x/"));
        let sip = parse_head("SIP/2.0 200 OK\r\nServer: Asterisk PBX 20.5.0");
        assert_eq!(
            (sip.version.as_str(), sip.status, sip.header("server")),
            ("SIP/2.0", Some(200), Some("Asterisk PBX 20.5.0"))
        );
        let junk = parse_head("\u{1}\u{2}garbage");
        assert_eq!(junk.status, None);
    }

    #[tokio::test]
    async fn heads_are_bounded_and_closed_streams_say_so() {
        let long = vec![b'a'; MAX_HEAD_BYTES * 3];
        let error = read_head(&mut long.as_slice()).await.unwrap_err();
        assert!(error.message.contains("did not end within"), "{error}");
        let error = read_head(&mut &b"HTTP/1.1 200 OK\r\nServer: x\r\n"[..])
            .await
            .unwrap_err();
        assert!(
            error.message.contains("without the blank line") && error.message.contains("HTTP/1.1 200 OK"),
            "{error}"
        );
        assert!(read_head(&mut &b"SIP/2.0 200 OK"[..]).await.is_err());
        assert!(read_head(&mut &b""[..]).await.unwrap_err().message.contains("closed"));
        let mut two = &b"SIP/2.0 100 Trying\r\n\r\nSIP/2.0 200 OK\r\nA: b\r\n\r\nbody"[..];
        assert_eq!(read_head(&mut two).await.unwrap(), "SIP/2.0 100 Trying");
        assert_eq!(read_head(&mut two).await.unwrap(), "SIP/2.0 200 OK\r\nA: b");
        assert_eq!(two, b"body", "what follows a head is left for the next read");
    }

    #[test]
    fn authorities_bracket_ipv6_and_drop_default_ports() {
        assert_eq!(authority("example.com", 443, 443), "example.com");
        assert_eq!(authority("example.com", 8443, 443), "example.com:8443");
        assert_eq!(authority("::1", 5061, 5061), "[::1]");
        assert_eq!(authority("::1", 9000, 443), "[::1]:9000");
    }
}
