//! In-process servers on loopback, run on a background runtime for the length of a test:
//! TLS servers with any chain, and misbehaving ones (silent, plaintext, resetting, legacy TLS).

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// How a raw (non-TLS-library) server answers a connection.
#[derive(Clone, Copy, Debug)]
pub enum Raw {
    /// Accepts and never sends anything.
    Silent,
    /// Answers whatever comes with a plain HTTP response.
    PlainHttp,
    /// Answers with a plain SIP response.
    PlainSip,
    /// Resets the connection after reading the ClientHello.
    Reset,
    /// Closes the connection cleanly after reading the ClientHello.
    Close,
    /// Answers with a TLS 1.0 ServerHello, as a server that only speaks TLS 1.0.
    Tls10ServerHello,
    /// Answers with a TLS handshake record holding garbage.
    GarbageHandshake,
}

pub struct Servers {
    runtime: tokio::runtime::Runtime,
}

impl Servers {
    pub fn new() -> Servers {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Servers { runtime }
    }

    /// A TLS server on 127.0.0.1 serving `chain` (sent exactly in this order).
    pub fn tls(&self, chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> u16 {
        let config = server_config(chain, key, vec![]);
        self.tls_with_config(config, "127.0.0.1:0").port()
    }

    /// A TLS server with a given configuration on a given local address.
    pub fn tls_with_config(&self, config: rustls::ServerConfig, bind: &str) -> SocketAddr {
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = self.runtime.block_on(TcpListener::bind(bind)).unwrap();
        let address = listener.local_addr().unwrap();
        self.runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 1024];
                        // Wait for the client to finish, bounded by what it sends.
                        while let Ok(n) = tls.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                        }
                    }
                });
            }
        });
        address
    }

    /// A server that misbehaves as told.
    pub fn raw(&self, behaviour: Raw) -> u16 {
        let listener = self.runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        self.runtime.spawn(async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                if let Raw::Silent = behaviour {
                    held.push(tcp);
                    continue;
                }
                tokio::spawn(answer(tcp, behaviour));
            }
        });
        port
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// A port on 127.0.0.1 where nothing listens.
    pub fn closed_port(&self) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }
}

pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: Vec<Vec<u8>>,
) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = alpn;
    config
}

async fn answer(mut tcp: TcpStream, behaviour: Raw) {
    let mut hello = [0u8; 4096];
    let _ = tcp.read(&mut hello).await;
    let reply: Vec<u8> = match behaviour {
        Raw::Silent => return,
        Raw::PlainHttp => b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        Raw::PlainSip => b"SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
        Raw::Reset => {
            let _ = tcp.set_zero_linger();
            drop(tcp);
            return;
        }
        Raw::Close => {
            let _ = tcp.shutdown().await;
            return;
        }
        Raw::Tls10ServerHello => {
            let mut body = vec![0x03, 0x01];
            body.extend([0x42u8; 32]);
            body.extend([0x00, 0x00, 0x2f, 0x00]);
            let mut handshake = vec![0x02, 0x00, 0x00, body.len() as u8];
            handshake.extend(body);
            let mut record = vec![0x16, 0x03, 0x01, 0x00, handshake.len() as u8];
            record.extend(handshake);
            record
        }
        Raw::GarbageHandshake => vec![0x16, 0x03, 0x03, 0x00, 0x04, 0xfe, 0xff, 0xff, 0xff],
    };
    let _ = tcp.write_all(&reply).await;
    let _ = tcp.shutdown().await;
}
