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

/// Takes an `http://` URL apart (with the `url` crate, as WHATWG's URL standard reads it);
/// other schemes are refused with a reason.
pub(crate) fn parse_url(text: &str) -> Result<HttpUrl, String> {
    if text.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(format!("{text:?} holds spaces or control characters"));
    }
    let url = url::Url::parse(text).map_err(|e| format!("{text} is not a valid URL ({e})"))?;
    if url.scheme() != "http" {
        return Err(format!("{text} is not an http:// URL (only plain HTTP is fetched)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text} carries credentials"));
    }
    let host = match url.host() {
        Some(url::Host::Domain(name)) if !name.is_empty() => name.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(format!("{text} has no host")),
    };
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    Ok(HttpUrl {
        host,
        port: url.port_or_known_default().unwrap_or(80),
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

/// The most header lines of an answer that are read.
const MAX_HEADERS: usize = 64;

/// The body of a complete HTTP/1.x answer, its head read with `httparse`.
pub fn parse_answer(url: &str, answer: &[u8], max_body: usize) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_length = match response.parse(answer) {
        Ok(httparse::Status::Complete(length)) if length <= MAX_HEADER_BYTES + 4 => length,
        Ok(_) if answer.is_empty() => return Err(format!("{url} closed the connection without answering")),
        Ok(_) => return Err(format!("{url} did not give a complete HTTP answer")),
        Err(_) => {
            let start: String = String::from_utf8_lossy(answer)
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect();
            return Err(format!("{url} did not answer HTTP (it sent {start:?})"));
        }
    };
    let status = response.code.unwrap_or_default();
    if status != 200 {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let body = &answer[head_length..];
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

/// A chunked body's data (sizes read with `httparse`); `None` when it is cut short or
/// malformed.
fn dechunk(mut input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let httparse::Status::Complete((line_length, size)) = httparse::parse_chunk_size(input).ok()? else {
            return None;
        };
        let size = usize::try_from(size).ok()?;
        input = &input[line_length..];
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
        // As WHATWG's URL standard reads them: the host in lower case, the path resolved.
        let url = parse_url("http://CRL.Example.COM/a/../b%20c.crl").unwrap();
        assert_eq!(
            (url.host.as_str(), url.path.as_str()),
            ("crl.example.com", "/b%20c.crl")
        );
        for bad in [
            "https://ocsp.example.com/",
            "ldap://dir/cn=ca",
            "http://",
            "http://a:99999/",
            "http://user@host/",
            "http://host/a b",
            "http://[::1/",
            "http://user:secret@host/",
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
