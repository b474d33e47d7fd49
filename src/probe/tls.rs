//! The TLS handshake: a client that accepts and records whatever chain the server sends (it is
//! verified afterwards, separately, so an invalid chain can still be shown and explained), plus
//! the negotiated parameters and the first bytes of the server's answer.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::evidence::{HandshakeError, TlsParameters};

/// How many of the server's first bytes are kept, to recognise a plaintext answer.
pub const FIRST_BYTES: usize = 256;

/// The chain the server presented, as recorded during the handshake.
#[derive(Debug, Default)]
struct Presented {
    chain: Vec<CertificateDer<'static>>,
}

/// Accepts every certificate and records it. Diagnostics only: nothing is ever sent over a
/// connection made with it but the probe's own fixed requests.
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    presented: Arc<Mutex<Presented>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut presented) = self.presented.lock() {
            presented.chain = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A TCP stream that keeps a copy of the first bytes read from it.
pub struct RecordingStream {
    inner: TcpStream,
    first_bytes: Arc<Mutex<Vec<u8>>>,
}

impl RecordingStream {
    /// The local end of the connection (for SIP's Via header).
    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.inner.local_addr()
    }
}

/// An established TLS connection to a server.
pub type Stream = tokio_rustls::client::TlsStream<RecordingStream>;

impl AsyncRead for RecordingStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Ok(mut seen) = this.first_bytes.lock() {
            let room = FIRST_BYTES.saturating_sub(seen.len());
            let new = &buf.filled()[before..];
            seen.extend_from_slice(&new[..new.len().min(room)]);
        }
        poll
    }
}

impl AsyncWrite for RecordingStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// What one handshake gave.
pub enum HandshakeOutcome {
    Completed {
        parameters: TlsParameters,
        chain: Vec<CertificateDer<'static>>,
        stream: Box<Stream>,
    },
    Failed {
        error: HandshakeError,
        first_bytes: Vec<u8>,
    },
}

/// Runs one TLS 1.2/1.3 handshake over `tcp`. `server_name` decides the SNI: a DNS name is
/// sent, an IP address is not. The caller bounds the time.
pub async fn handshake(tcp: TcpStream, server_name: ServerName<'static>, alpn: &[&[u8]]) -> HandshakeOutcome {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let presented = Arc::new(Mutex::new(Presented::default()));
    let verifier = Arc::new(RecordingVerifier {
        provider: provider.clone(),
        presented: presented.clone(),
    });
    let config = match rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
        Ok(builder) => builder,
        Err(e) => {
            return HandshakeOutcome::Failed {
                error: HandshakeError::Other(e.to_string()),
                first_bytes: vec![],
            };
        }
    };
    let mut config = config
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();

    let first_bytes = Arc::new(Mutex::new(Vec::new()));
    let stream = RecordingStream {
        inner: tcp,
        first_bytes: first_bytes.clone(),
    };
    let result = TlsConnector::from(Arc::new(config)).connect(server_name, stream).await;
    let seen_bytes = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
    match result {
        Ok(tls) => {
            let (_, connection) = tls.get_ref();
            let parameters = TlsParameters {
                version: connection.protocol_version().map(version_name).unwrap_or_default(),
                cipher: connection
                    .negotiated_cipher_suite()
                    .map(|s| {
                        s.suite()
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{:?}", s.suite()))
                    })
                    .unwrap_or_default(),
                group: connection
                    .negotiated_key_exchange_group()
                    .map(|g| format!("{:?}", g.name())),
                alpn: connection
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
            };
            let chain = presented.lock().map(|p| p.chain.clone()).unwrap_or_default();
            let chain = if chain.is_empty() {
                connection
                    .peer_certificates()
                    .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                    .unwrap_or_default()
            } else {
                chain
            };
            HandshakeOutcome::Completed {
                parameters,
                chain,
                stream: Box::new(tls),
            }
        }
        Err(e) => HandshakeOutcome::Failed {
            error: classify_io_error(&e),
            first_bytes: seen_bytes,
        },
    }
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

fn classify_io_error(e: &std::io::Error) -> HandshakeError {
    if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::AlertReceived(alert) => HandshakeError::AlertReceived(format!("{alert:?}")),
            rustls::Error::PeerIncompatible(why) => HandshakeError::PeerIncompatible(format!("{why:?}")),
            rustls::Error::InvalidMessage(why) => HandshakeError::InvalidMessage(format!("{why:?}")),
            other => HandshakeError::Other(other.to_string()),
        };
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => HandshakeError::Reset,
        std::io::ErrorKind::UnexpectedEof => HandshakeError::Closed,
        _ => HandshakeError::Other(e.to_string()),
    }
}
