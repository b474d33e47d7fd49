//! Plain-text servers that speak just enough SMTP, IMAP, XMPP, LDAP or PostgreSQL to offer
//! STARTTLS (or not), then go over to TLS on the same connection, on 127.0.0.1.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::servers::Servers;

/// Which protocol the server speaks before TLS.
#[derive(Clone, Copy, Debug)]
pub enum Dialect {
    Smtp,
    Imap,
    Xmpp,
    Ldap,
    Postgres,
}

/// Reads until `marker` has come (or the client leaves).
async fn read_until(tcp: &mut TcpStream, marker: &[u8]) -> bool {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 1024];
    while !seen.windows(marker.len()).any(|w| w == marker) {
        match tcp.read(&mut buffer).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
    }
    true
}

/// Speaks `dialect` up to the upgrade; whether the client asked for TLS and was told to go on.
async fn opening(tcp: &mut TcpStream, dialect: Dialect, offer: bool) -> bool {
    match dialect {
        Dialect::Smtp => {
            let _ = tcp.write_all(b"220 mail.example.test ESMTP ready\r\n").await;
            if !read_until(tcp, b"\r\n").await {
                return false;
            }
            let extensions: &[u8] = match offer {
                true => b"250-mail.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                false => b"250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            };
            let _ = tcp.write_all(extensions).await;
            offer
                && read_until(tcp, b"STARTTLS\r\n").await
                && tcp.write_all(b"220 2.0.0 Ready to start TLS\r\n").await.is_ok()
        }
        Dialect::Imap => {
            let _ = tcp.write_all(b"* OK IMAP4rev1 ready\r\n").await;
            if !read_until(tcp, b"CAPABILITY\r\n").await {
                return false;
            }
            let capabilities: &[u8] = match offer {
                true => b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nc1 OK done\r\n",
                false => b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nc1 OK done\r\n",
            };
            let _ = tcp.write_all(capabilities).await;
            offer && read_until(tcp, b"STARTTLS\r\n").await && tcp.write_all(b"c2 OK Begin TLS\r\n").await.is_ok()
        }
        Dialect::Xmpp => {
            if !read_until(tcp, b"streams'>").await {
                return false;
            }
            let features = match offer {
                true => "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>",
                false => {
                    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
                }
            };
            let head = format!(
                "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'><stream:features>{features}</stream:features>"
            );
            let _ = tcp.write_all(head.as_bytes()).await;
            offer
                && read_until(tcp, b"/>").await
                && tcp
                    .write_all(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                    .await
                    .is_ok()
        }
        Dialect::Ldap => {
            if !read_until(tcp, b"1.3.6.1.4.1.1466.20037").await {
                return false;
            }
            let code = if offer { 0 } else { 2 };
            let answer = [
                0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07, 0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00,
            ];
            tcp.write_all(&answer).await.is_ok() && offer
        }
        Dialect::Postgres => {
            let mut request = [0u8; 8];
            if tcp.read_exact(&mut request).await.is_err() {
                return false;
            }
            tcp.write_all(if offer { b"S" } else { b"N" }).await.is_ok() && offer
        }
    }
}

/// What the server does once the client asked for TLS.
#[derive(Clone)]
pub enum Upgrade {
    /// A rustls handshake with this configuration.
    Rustls(Arc<rustls::ServerConfig>),
    /// Only an old TLS version: a hand-made ServerHello with this version and cipher suite, and
    /// the chain in clear text (see [`super::servers::Servers::hand_made_tls`]).
    HandMade {
        version: u16,
        suite: u16,
        chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    },
}

/// A server on 127.0.0.1 that speaks `dialect`, offers STARTTLS when `offer` is set, and then
/// shakes hands with `config`; its port.
pub fn starttls_server(servers: &Servers, dialect: Dialect, offer: bool, config: rustls::ServerConfig) -> u16 {
    starttls_server_with(servers, dialect, offer, Upgrade::Rustls(Arc::new(config)))
}

/// [`starttls_server`] with any upgrade.
pub fn starttls_server_with(servers: &Servers, dialect: Dialect, offer: bool, upgrade: Upgrade) -> u16 {
    let listener = servers.runtime().block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    servers.runtime().spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let upgrade = upgrade.clone();
            tokio::spawn(async move {
                if !opening(&mut tcp, dialect, offer).await {
                    // Hold the connection until the client leaves.
                    let mut rest = Vec::new();
                    let _ = tcp.read_to_end(&mut rest).await;
                    return;
                }
                match upgrade {
                    Upgrade::Rustls(config) => {
                        if let Ok(mut tls) = TlsAcceptor::from(config).accept(tcp).await {
                            let mut rest = Vec::new();
                            let _ = tls.read_to_end(&mut rest).await;
                        }
                    }
                    Upgrade::HandMade { version, suite, chain } => {
                        super::servers::hand_made_answer(tcp, version, suite, chain).await
                    }
                }
            });
        }
    });
    port
}
