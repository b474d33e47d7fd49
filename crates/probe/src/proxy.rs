//! Connections through an HTTP proxy (`--proxy http://HOST:PORT`), as monitoring hosts in a DMZ
//! reach the servers they poll: a `CONNECT` request for the address certscan resolved, and the
//! proxy's answer read up to its blank line (at most 8 KiB). Everything after is the tunnel.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most read of a proxy's answer to `CONNECT`.
const MAX_ANSWER_HEAD: usize = 8 * 1024;

/// An HTTP proxy that tunnels with `CONNECT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProxy {
    host: String,
    port: u16,
}

impl std::fmt::Display for HttpProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.host.contains(':') {
            true => write!(f, "http://[{}]:{}", self.host, self.port),
            false => write!(f, "http://{}:{}", self.host, self.port),
        }
    }
}

impl HttpProxy {
    /// `http://HOST:PORT` (or `HOST:PORT`): the port is required, since proxies' ports vary
    /// (3128, 8080) and a guessed one fails far from its cause.
    pub fn parse(text: &str) -> Result<HttpProxy, String> {
        let bad = |why: &str| format!("--proxy {text:?}: {why} (give http://HOST:PORT)");
        let url = match text.contains("://") {
            true => url::Url::parse(text).map_err(|e| bad(&e.to_string()))?,
            false => url::Url::parse(&format!("http://{text}")).map_err(|e| bad(&e.to_string()))?,
        };
        if url.scheme() != "http" {
            return Err(bad("only http:// proxies, which tunnel with CONNECT, are supported"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("proxy credentials are not supported"));
        }
        let host = url.host_str().ok_or_else(|| bad("no host"))?;
        let port = url.port().ok_or_else(|| bad("no port"))?;
        Ok(HttpProxy {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port,
        })
    }

    /// A TCP stream to `target` through the proxy. A proxy that cannot be reached or refuses
    /// the tunnel is an error that names the proxy, never the server's refusal.
    pub(crate) async fn connect(&self, target: SocketAddr) -> std::io::Result<TcpStream> {
        let mut stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| std::io::Error::other(format!("cannot reach the proxy {self}: {e}")))?;
        let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        // Byte by byte: what follows the blank line is the server's, and must stay unread.
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() >= MAX_ANSWER_HEAD {
                return Err(std::io::Error::other(format!(
                    "the proxy {self} answered CONNECT with more than 8 KiB of headers"
                )));
            }
            match stream.read(&mut byte).await? {
                0 => {
                    return Err(std::io::Error::other(format!(
                        "the proxy {self} closed the connection before answering CONNECT {target}"
                    )));
                }
                _ => head.push(byte[0]),
            }
        }
        let status_line = String::from_utf8_lossy(head.split(|b| *b == b'\r').next().unwrap_or_default()).into_owned();
        let status = status_line.split_whitespace().nth(1).unwrap_or_default();
        match status.starts_with('2') && status_line.starts_with("HTTP/1.") {
            true => Ok(stream),
            false => Err(std::io::Error::other(format!(
                "the proxy {self} refused CONNECT {target}: {}",
                status_line.trim()
            ))),
        }
    }
}

/// A TCP stream to `target`, through `proxy` when there is one.
pub(crate) async fn connect(target: SocketAddr, proxy: Option<&HttpProxy>) -> std::io::Result<TcpStream> {
    match proxy {
        Some(proxy) => proxy.connect(target).await,
        None => TcpStream::connect(target).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_http_urls_with_a_port() {
        let proxy = HttpProxy::parse("http://proxy.dmz.example:3128").unwrap();
        assert_eq!(proxy.to_string(), "http://proxy.dmz.example:3128");
        assert_eq!(
            HttpProxy::parse("10.0.0.1:8080").unwrap().to_string(),
            "http://10.0.0.1:8080"
        );
        assert_eq!(
            HttpProxy::parse("http://[::1]:3128").unwrap().to_string(),
            "http://[::1]:3128"
        );
        for (bad, why) in [
            ("https://proxy:3128", "only http://"),
            ("http://user:secret@proxy:3128", "credentials"),
            ("http://proxy", "no port"),
        ] {
            let said = HttpProxy::parse(bad).unwrap_err();
            assert!(said.contains(why), "{bad}: {said}");
        }
    }
}
