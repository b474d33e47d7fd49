//! The TLS handshake: a client that accepts and records whatever chain the server sends (it is
//! verified afterwards, separately, so an invalid chain can still be shown and explained), the
//! result of checking the server's handshake signature, whether the server asked for a client
//! certificate (and presents the one given with `--client-cert`), the negotiated parameters and
//! the first bytes of the server's answer. What was recorded is kept when the handshake fails
//! later.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use certscan_model::evidence::{
    ClientCertificateRequest, ConnectionEnd, HandshakeError, HandshakeFacts, SignatureCheck, TlsParameters,
};

/// How many of the server's first bytes are kept, to recognise a plaintext answer.
pub(crate) const FIRST_BYTES: usize = 256;

/// What the server presented during the handshake, recorded as it happened (so it survives a
/// handshake that fails later).
#[derive(Debug, Default)]
struct Presented {
    chain: Vec<CertificateDer<'static>>,
    signature: Option<SignatureCheck>,
    client_certificate_request: Option<ClientCertificateRequest>,
    client_certificate_sent: bool,
    stapled_ocsp: Option<Vec<u8>>,
}

type Shared = Arc<Mutex<Presented>>;

tokio::task_local! {
    /// What the handshake being made by this task has been presented: the connection's
    /// configuration is shared by every probe, its record is the task's own.
    static PRESENTED: Shared;
}

/// Records into the current handshake's [`Presented`].
fn record(update: impl FnOnce(&mut Presented)) {
    let _ = PRESENTED.try_with(|presented| {
        if let Ok(mut presented) = presented.lock() {
            update(&mut presented);
        }
    });
}

/// Accepts every certificate and records it; checks the handshake signature against the leaf's
/// key and records the result instead of failing, so a broken server is still described whole.
/// Diagnostics only: nothing is ever sent over a connection made with it but the probe's own
/// fixed requests.
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
}

impl RecordingVerifier {
    fn record_signature(&self, signed: SignedHandshake<'_>, outcome: Result<HandshakeSignatureValid, rustls::Error>) {
        let scheme = signed.scheme;
        let check = match outcome {
            Ok(_) => SignatureCheck::Verified {
                scheme: format!("{scheme:?}"),
            },
            Err(_) => recheck(&signed),
        };
        record(|presented| presented.signature = Some(check));
    }
}

/// A handshake signature and what it is over.
struct SignedHandshake<'a> {
    message: &'a [u8],
    cert: &'a CertificateDer<'a>,
    scheme: SignatureScheme,
    signature: &'a [u8],
}

impl<'a> SignedHandshake<'a> {
    fn new(message: &'a [u8], cert: &'a CertificateDer<'a>, dss: &'a DigitallySignedStruct) -> SignedHandshake<'a> {
        SignedHandshake {
            message,
            cert,
            scheme: dss.scheme,
            signature: dss.signature(),
        }
    }
}

/// The leaf's subjectPublicKey bits, and the size of its modulus when the key is RSA.
fn leaf_public_key(cert: &CertificateDer<'_>) -> Option<(Vec<u8>, Option<usize>)> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let spki = parsed.public_key();
    let bits = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
        _ => None,
    };
    Some((spki.subject_public_key.data.to_vec(), bits))
}

/// The RSA key sizes ring verifies for every scheme (its `*_2048_8192_*` algorithms).
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The RSA key sizes ring's legacy PKCS#1 v1.5 verifiers take (SHA-1, SHA-256, SHA-512).
const LEGACY_RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=8192;

/// The ring algorithm that verifies `scheme` with a key of `rsa_bits` (`None`: not RSA), or why
/// none does.
fn ring_algorithm(
    scheme: SignatureScheme,
    rsa_bits: Option<usize>,
) -> Result<&'static dyn ring::signature::VerificationAlgorithm, String> {
    use ring::signature as ring_sig;
    let rsa = |standard: Option<&'static ring_sig::RsaParameters>,
               legacy: Option<&'static ring_sig::RsaParameters>|
     -> Result<&'static dyn ring_sig::VerificationAlgorithm, String> {
        let bits = rsa_bits.ok_or_else(|| format!("a {scheme:?} signature by a key that is not RSA"))?;
        let chosen = match bits {
            bits if RSA_BITS.contains(&bits) => standard.or(legacy),
            bits if LEGACY_RSA_BITS.contains(&bits) => legacy,
            _ => None,
        };
        chosen.map(|p| p as &'static dyn ring_sig::VerificationAlgorithm).ok_or_else(|| {
            format!(
                "certscan's crypto provider verifies RSA signatures from 2048 to 8192 bits (PKCS#1 v1.5 from 1024 bits), so this {scheme:?} signature by a {bits}-bit key is not checked"
            )
        })
    };
    match scheme {
        SignatureScheme::RSA_PKCS1_SHA1 => rsa(None, Some(&ring_sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY)),
        SignatureScheme::RSA_PKCS1_SHA256 => rsa(
            Some(&ring_sig::RSA_PKCS1_2048_8192_SHA256),
            Some(&ring_sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
        ),
        SignatureScheme::RSA_PKCS1_SHA384 => rsa(Some(&ring_sig::RSA_PKCS1_2048_8192_SHA384), None),
        SignatureScheme::RSA_PKCS1_SHA512 => rsa(
            Some(&ring_sig::RSA_PKCS1_2048_8192_SHA512),
            Some(&ring_sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
        ),
        SignatureScheme::RSA_PSS_SHA256 => rsa(Some(&ring_sig::RSA_PSS_2048_8192_SHA256), None),
        SignatureScheme::RSA_PSS_SHA384 => rsa(Some(&ring_sig::RSA_PSS_2048_8192_SHA384), None),
        SignatureScheme::RSA_PSS_SHA512 => rsa(Some(&ring_sig::RSA_PSS_2048_8192_SHA512), None),
        SignatureScheme::ECDSA_NISTP256_SHA256 => Ok(&ring_sig::ECDSA_P256_SHA256_ASN1),
        SignatureScheme::ECDSA_NISTP384_SHA384 => Ok(&ring_sig::ECDSA_P384_SHA384_ASN1),
        SignatureScheme::ED25519 => Ok(&ring_sig::ED25519),
        other => Err(format!(
            "certscan's crypto provider does not verify {other:?} signatures"
        )),
    }
}

/// A signature the provider did not accept, checked again against the leaf's public key alone
/// with ring: a key size the provider's algorithms refuse (RSA PKCS#1 v1.5 from 1024 bits has
/// ring's legacy verifiers) or a leaf it cannot read (an unknown critical extension) is no
/// reason to call a signature bad. What no verifier here supports is unchecked, with the reason:
/// never a forged signature, since OpenSSL, Java and GnuTLS complete such handshakes (RSA-1024
/// at OpenSSL's security level 1).
fn recheck(signed: &SignedHandshake<'_>) -> SignatureCheck {
    let scheme = format!("{:?}", signed.scheme);
    let Some((key, rsa_bits)) = leaf_public_key(signed.cert) else {
        return SignatureCheck::Unchecked {
            scheme,
            error: "the leaf's public key cannot be read".into(),
        };
    };
    match ring_algorithm(signed.scheme, rsa_bits) {
        Ok(algorithm) => {
            match ring::signature::UnparsedPublicKey::new(algorithm, key).verify(signed.message, signed.signature) {
                Ok(()) => SignatureCheck::Verified { scheme },
                Err(_) => SignatureCheck::Failed {
                    scheme,
                    error: "the signature does not verify with the certificate's public key".into(),
                },
            }
        }
        Err(error) => SignatureCheck::Unchecked { scheme, error },
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        let stapled = (!ocsp_response.is_empty()).then(|| ocsp_response.to_vec());
        record(|presented| {
            presented.chain = chain;
            presented.stapled_ocsp = stapled;
        });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let outcome = rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.record_signature(SignedHandshake::new(message, cert, dss), outcome);
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let outcome = rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        );
        self.record_signature(SignedHandshake::new(message, cert, dss), outcome);
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Sends the client certificate given (`--client-cert`), or none, and records that the server
/// asked for one.
#[derive(Debug)]
struct RecordingClientAuth {
    identity: Option<Arc<CertifiedKey>>,
}

impl ResolvesClientCert for RecordingClientAuth {
    fn resolve(&self, root_hint_subjects: &[&[u8]], _sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        let acceptable_issuers = root_hint_subjects
            .iter()
            .take(MAX_ISSUER_HINTS)
            .map(|der| certscan_x509::der::name_text(der).unwrap_or_else(|| "(unreadable name)".into()))
            .collect();
        let sent = self.identity.is_some();
        record(|presented| {
            presented.client_certificate_request = Some(ClientCertificateRequest { acceptable_issuers });
            presented.client_certificate_sent = sent;
        });
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

/// The client certificate and key a run presents when a server asks for one; the key is never
/// shown (its `Debug` says only that there is one).
#[derive(Clone)]
pub struct ClientIdentity(pub Arc<CertifiedKey>);

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientIdentity({} certificate(s), key withheld)", self.0.cert.len())
    }
}

impl ClientIdentity {
    /// The identity of a certificate chain (leaf first) and its private key, checked to match.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> Result<ClientIdentity, String> {
        if chain.is_empty() {
            return Err("the client certificate file holds no certificate".into());
        }
        let signing = crypto_provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| format!("the client key cannot be used: {e}"))?;
        let certified = CertifiedKey::new(chain, signing);
        match certified.keys_match() {
            Ok(()) => Ok(ClientIdentity(Arc::new(certified))),
            Err(_) => Err("the client key does not belong to the client certificate".into()),
        }
    }
}

/// Client-certificate CA hints kept from one request.
const MAX_ISSUER_HINTS: usize = 20;

/// A TCP stream that keeps a copy of the first bytes read from it.
pub(crate) struct RecordingStream {
    inner: TcpStream,
    first_bytes: Arc<Mutex<Vec<u8>>>,
}

impl RecordingStream {
    /// The local end of the connection (for SIP's Via header).
    pub(crate) fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.inner.local_addr()
    }
}

/// An established TLS connection to a server.
pub(crate) type Stream = tokio_rustls::client::TlsStream<RecordingStream>;

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
    // rustls hands its records over as several buffers (ChangeCipherSpec and Finished, say):
    // one system call and one segment for them all, as on a bare TcpStream.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// What one handshake gave.
pub(crate) enum HandshakeOutcome {
    Completed(Handshaken),
    Failed {
        error: HandshakeError,
        first_bytes: Vec<u8>,
        /// What the server sent before the failure.
        chain: Vec<CertificateDer<'static>>,
        facts: HandshakeFacts,
    },
}

/// A handshake that completed: what was negotiated and sent, and the connection, open.
pub(crate) struct Handshaken {
    pub parameters: TlsParameters,
    pub chain: Vec<CertificateDer<'static>>,
    pub facts: HandshakeFacts,
    pub stream: Box<Stream>,
}

/// The run's crypto provider (ring), made once and shared by every connection.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<rustls::crypto::CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The client configuration for an ALPN offer, made once and shared by every probe that makes
/// that offer (what each handshake is presented is recorded per task).
fn client_config(alpn: &[&[u8]], identity: Option<&ClientIdentity>) -> Result<Arc<rustls::ClientConfig>, String> {
    type Configs = Mutex<Vec<((Vec<Vec<u8>>, bool), Arc<rustls::ClientConfig>)>>;
    static CONFIGS: std::sync::OnceLock<Configs> = std::sync::OnceLock::new();
    // A run has one client identity at most: whether it is used is part of the key.
    let key = (alpn.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), identity.is_some());
    let mut configs = CONFIGS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, config)) = configs.iter().find(|(offer, _)| *offer == key) {
        return Ok(config.clone());
    }
    let provider = crypto_provider();
    let verifier = Arc::new(RecordingVerifier {
        provider: provider.clone(),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(RecordingClientAuth {
            identity: identity.map(|i| i.0.clone()),
        }));
    config.alpn_protocols = key.0.clone();
    // Every probe wants a full handshake.
    config.resumption = rustls::client::Resumption::disabled();
    let config = Arc::new(config);
    configs.push((key, config.clone()));
    Ok(config)
}

/// Runs one TLS 1.2/1.3 handshake over `tcp`. `server_name` decides the SNI: a DNS name is
/// sent, an IP address is not. The caller bounds the time.
pub(crate) async fn handshake(
    tcp: TcpStream,
    server_name: ServerName<'static>,
    alpn: &[&[u8]],
    identity: Option<&ClientIdentity>,
) -> HandshakeOutcome {
    let config = match client_config(alpn, identity) {
        Ok(config) => config,
        Err(error) => {
            return HandshakeOutcome::Failed {
                error: HandshakeError::Other(error),
                first_bytes: vec![],
                chain: vec![],
                facts: HandshakeFacts::default(),
            };
        }
    };
    let presented: Shared = Arc::new(Mutex::new(Presented::default()));
    let first_bytes = Arc::new(Mutex::new(Vec::new()));
    let stream = RecordingStream {
        inner: tcp,
        first_bytes: first_bytes.clone(),
    };
    let connect = TlsConnector::from(config).connect(server_name, stream);
    let result = PRESENTED.scope(presented.clone(), connect).await;
    let seen_bytes = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
    let (recorded_chain, facts) = match presented.lock() {
        Ok(mut presented) => (
            std::mem::take(&mut presented.chain),
            HandshakeFacts {
                signature: presented.signature.take().unwrap_or(SignatureCheck::NotSeen),
                client_certificate_request: presented.client_certificate_request.take(),
                client_certificate_sent: presented.client_certificate_sent,
                ended_after_handshake: None,
                stapled_ocsp: presented.stapled_ocsp.take(),
                ..HandshakeFacts::default()
            },
        ),
        Err(_) => (vec![], HandshakeFacts::default()),
    };
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
            let chain = if recorded_chain.is_empty() {
                connection
                    .peer_certificates()
                    .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
                    .unwrap_or_default()
            } else {
                recorded_chain
            };
            HandshakeOutcome::Completed(Handshaken {
                parameters,
                chain,
                facts,
                stream: Box::new(tls),
            })
        }
        Err(e) => HandshakeOutcome::Failed {
            error: classify_io_error(&e),
            first_bytes: seen_bytes,
            chain: recorded_chain,
            facts,
        },
    }
}

/// With TLS 1.3 a server that requires a client certificate says so only after the client's
/// last handshake message: waits up to `limit` for it to end the connection when nothing else
/// will be read. Returns how it ended it, if it did.
pub(crate) async fn end_after_handshake(stream: &mut Stream, limit: std::time::Duration) -> Option<ConnectionEnd> {
    use tokio::io::AsyncReadExt;
    let mut byte = [0u8; 1];
    match tokio::time::timeout(limit, stream.read(&mut byte)).await {
        Ok(Ok(0)) => Some(ConnectionEnd::Closed),
        Ok(Err(e)) => connection_end_of(&e),
        _ => None,
    }
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

/// How the server ended the connection, when an I/O error on it says so: a fatal alert, or a
/// close or reset.
pub(crate) fn connection_end_of(e: &std::io::Error) -> Option<ConnectionEnd> {
    match classify_io_error(e) {
        HandshakeError::AlertReceived(alert) => Some(ConnectionEnd::Alert(alert)),
        HandshakeError::Reset | HandshakeError::Closed => Some(ConnectionEnd::Closed),
        _ => None,
    }
}

pub(crate) fn classify_io_error(e: &std::io::Error) -> HandshakeError {
    if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::AlertReceived(alert) => HandshakeError::AlertReceived(*alert),
            rustls::Error::PeerIncompatible(why) => HandshakeError::PeerIncompatible(why.clone()),
            rustls::Error::InvalidMessage(why) => HandshakeError::InvalidMessage(*why),
            other => HandshakeError::Other(other.to_string()),
        };
    }
    match e.kind() {
        std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => HandshakeError::Reset,
        std::io::ErrorKind::UnexpectedEof => HandshakeError::Closed,
        _ => HandshakeError::Other(e.to_string()),
    }
}

#[cfg(test)]
mod signature_tests {
    use super::*;

    /// A committed RSA-2048 certificate.
    fn leaf() -> CertificateDer<'static> {
        let pem = include_str!("../../../fixtures/legacy/sha1leaf.pem");
        rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes()).unwrap()
    }

    #[test]
    fn a_signature_that_does_not_verify_with_the_leafs_key_fails() {
        let cert = leaf();
        for scheme in [SignatureScheme::RSA_PKCS1_SHA256, SignatureScheme::RSA_PSS_SHA256] {
            let signed = SignedHandshake {
                message: b"handshake",
                cert: &cert,
                scheme,
                signature: &[0x5a; 256],
            };
            assert!(matches!(recheck(&signed), SignatureCheck::Failed { .. }), "{scheme:?}");
        }
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let unreadable = SignedHandshake {
            message: b"handshake",
            cert: &garbage,
            scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
            signature: &[0x5a; 64],
        };
        assert!(matches!(recheck(&unreadable), SignatureCheck::Unchecked { .. }));
    }

    #[test]
    fn each_scheme_and_key_size_gets_the_verifier_that_takes_it() {
        let verifies = |scheme, bits| ring_algorithm(scheme, bits).is_ok();
        // The provider's range, and PKCS#1 v1.5 from 1024 bits with ring's legacy verifiers.
        assert!(verifies(SignatureScheme::RSA_PSS_SHA256, Some(2048)));
        assert!(verifies(SignatureScheme::RSA_PKCS1_SHA256, Some(1024)));
        assert!(verifies(SignatureScheme::RSA_PKCS1_SHA1, Some(2048)));
        assert!(verifies(SignatureScheme::ECDSA_NISTP256_SHA256, None));
        assert!(verifies(SignatureScheme::ED25519, None));
        for (scheme, bits) in [
            (SignatureScheme::RSA_PKCS1_SHA256, 512),
            (SignatureScheme::RSA_PSS_SHA256, 1024),
            (SignatureScheme::RSA_PKCS1_SHA384, 1024),
            (SignatureScheme::RSA_PSS_SHA512, 16384),
        ] {
            let reason = ring_algorithm(scheme, Some(bits)).err().unwrap();
            assert!(reason.contains(&format!("{bits}-bit")), "{reason}");
        }
        assert!(ring_algorithm(SignatureScheme::ECDSA_NISTP521_SHA512, None).is_err());
        assert!(
            ring_algorithm(SignatureScheme::RSA_PSS_SHA256, None).is_err(),
            "not an RSA key"
        );
    }
}
