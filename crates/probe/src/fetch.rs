//! Plain-HTTP fetches of what a certificate points to (an OCSP responder, a CRL, its issuer's
//! certificate): one request per connection, bounded in time and in bytes. The request is
//! HTTP/1.0, so the answer ends with the connection or its Content-Length; a chunked answer is
//! decoded all the same.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The most header bytes read before the body.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// What to send.
pub enum Request<'a> {
    Get,
    Post { content_type: &'a str, body: &'a [u8] },
}

/// An `http://` URL taken apart.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub host: String,
    pub port: u16,
    /// The path and query, starting with `/`.
    pub path: String,
}

/// Takes an `http://` URL apart; other schemes are refused with a reason.
pub(crate) fn parse_url(url: &str) -> Result<HttpUrl, String> {
    let rest = match url.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("http://") => &url[7..],
        _ => return Err(format!("{url} is not an http:// URL (only plain HTTP is fetched)")),
    };
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(format!("{url:?} holds spaces or control characters"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = path.split('#').next().unwrap_or_default();
    let path = match path {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    if authority.contains('@') {
        return Err(format!("{url} carries credentials"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("{url} has an unclosed [ in its host"))?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        None | Some("") => 80,
        Some(port) => port.parse().map_err(|_| format!("{url} has an invalid port"))?,
    };
    if host.is_empty() {
        return Err(format!("{url} has no host"));
    }
    Ok(HttpUrl {
        host: host.to_string(),
        port,
        path,
    })
}

/// Fetches `url`, giving the body of a 200 answer; anything else (another status, a body over
/// `max_body` bytes, the deadline) is an error that says what happened.
pub async fn fetch(url: &str, request: Request<'_>, deadline: Instant, max_body: usize) -> Result<Vec<u8>, String> {
    match tokio::time::timeout_at(deadline, fetch_unbounded(url, request, max_body)).await {
        Ok(result) => result,
        Err(_) => Err(format!("{url} did not answer in time")),
    }
}

async fn fetch_unbounded(url: &str, request: Request<'_>, max_body: usize) -> Result<Vec<u8>, String> {
    let parsed = parse_url(url)?;
    let addresses: Vec<SocketAddr> = match parsed.host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, parsed.port)],
        Err(_) => tokio::net::lookup_host((parsed.host.as_str(), parsed.port))
            .await
            .map_err(|e| format!("{} does not resolve: {e}", parsed.host))?
            .collect(),
    };
    let mut last_error = format!("{} has no address", parsed.host);
    let mut stream = None;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(e) => last_error = format!("{url}: cannot connect to {address}: {e}"),
        }
    }
    let mut stream = stream.ok_or(last_error)?;
    let host_header = match parsed.port {
        80 => parsed.host.clone(),
        port if parsed.host.contains(':') => format!("[{}]:{port}", parsed.host),
        port => format!("{}:{port}", parsed.host),
    };
    let (method, body, extra) = match request {
        Request::Get => ("GET", &[][..], String::new()),
        Request::Post { content_type, body } => (
            "POST",
            body,
            format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", body.len()),
        ),
    };
    let head = format!(
        "{method} {} HTTP/1.0\r\nHost: {host_header}\r\nUser-Agent: certscan/{}\r\nAccept: */*\r\n{extra}\r\n",
        parsed.path,
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(&[head.as_bytes(), body].concat())
        .await
        .map_err(|e| format!("{url}: cannot send the request: {e}"))?;
    let limit = MAX_HEADER_BYTES + max_body;
    let mut answer = Vec::new();
    let read = (&mut stream).take(limit as u64 + 1).read_to_end(&mut answer).await;
    if let Err(e) = read
        && answer.is_empty()
    {
        return Err(format!("{url}: the connection failed before an answer: {e}"));
    }
    parse_answer(url, &answer, max_body)
}

/// The body of a complete HTTP/1.x answer.
pub fn parse_answer(url: &str, answer: &[u8], max_body: usize) -> Result<Vec<u8>, String> {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .filter(|end| *end <= MAX_HEADER_BYTES)
        .ok_or_else(|| match answer.is_empty() {
            true => format!("{url} closed the connection without answering"),
            false => format!("{url} did not give a complete HTTP answer"),
        })?;
    let head = String::from_utf8_lossy(&answer[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| {
            let start: String = status_line.chars().take(60).collect();
            format!("{url} did not answer HTTP (it sent {start:?})")
        })?;
    if status != 200 {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_string())
        })
    };
    let body = &answer[split + 4..];
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(body).ok_or_else(|| format!("{url} sent a broken chunked body"))?
    } else {
        match header("content-length").map(|v| v.parse::<usize>()) {
            Some(Ok(length)) if length > max_body => {
                return Err(format!("{url} sent {length} bytes, more than the {max_body} allowed"));
            }
            Some(Ok(length)) if body.len() < length => {
                return Err(format!("{url} ended its answer after {} of {length} bytes", body.len()));
            }
            Some(Ok(length)) => body[..length].to_vec(),
            Some(Err(_)) => return Err(format!("{url} sent an invalid Content-Length")),
            None => body.to_vec(),
        }
    };
    if body.len() > max_body {
        return Err(format!("{url} sent more than the {max_body} bytes allowed"));
    }
    Ok(body)
}

/// A chunked body's data; `None` when it is cut short or malformed.
fn dechunk(mut input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = input.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&input[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        input = &input[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(input.get(..size)?);
        input = input.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = parse_url("http://ocsp.example.com/").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("ocsp.example.com", 80, "/")
        );
        let url = parse_url("HTTP://127.0.0.1:8080/a/b.crl?x=1#frag").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("127.0.0.1", 8080, "/a/b.crl?x=1")
        );
        let url = parse_url("http://[::1]:81").unwrap();
        assert_eq!((url.host.as_str(), url.port, url.path.as_str()), ("::1", 81, "/"));
        assert_eq!(parse_url("http://r3.o.lencr.org?q").unwrap().path, "/?q");
        for bad in [
            "https://ocsp.example.com/",
            "ldap://dir/cn=ca",
            "http://",
            "http://a:99999/",
            "http://user@host/",
            "http://host/a b",
            "http://[::1/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(parse_answer("u", ok, 10).unwrap(), b"abc");
        let to_end = b"HTTP/1.0 200 OK\r\n\r\nabcdef";
        assert_eq!(parse_answer("u", to_end, 10).unwrap(), b"abcdef");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_answer("u", chunked, 10).unwrap(), b"abcde");
        let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc";
        assert!(parse_answer("u", cut, 10).unwrap_err().contains("chunked"));
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nabc";
        assert!(parse_answer("u", short, 100).unwrap_err().contains("3 of 30"));
        let big = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\nabc";
        assert!(parse_answer("u", big, 10).unwrap_err().contains("more than the 10"));
        let big = b"HTTP/1.0 200 OK\r\n\r\nabcdefghijkl";
        assert!(parse_answer("u", big, 10).unwrap_err().contains("more than"));
        let missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        assert!(parse_answer("u", missing, 10).unwrap_err().contains("HTTP 404"));
        assert!(
            parse_answer("u", b"SSH-2.0-OpenSSH\r\n\r\n", 10)
                .unwrap_err()
                .contains("did not answer HTTP")
        );
        assert!(parse_answer("u", b"", 10).unwrap_err().contains("without answering"));
        assert!(
            parse_answer("u", b"HTTP/1.1 200 OK\r\n", 10)
                .unwrap_err()
                .contains("complete")
        );
    }
}
