//! OCSP responses made at test time (RFC 6960 DER, signed with the test PKI's keys), and a
//! plain-HTTP server on loopback that answers OCSP requests and serves CRLs.

use std::sync::{Arc, Mutex};

use rcgen::{KeyPair, SigningKey};
use time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use x509_parser::prelude::FromDer;

use super::pki::{Ca, Issued, at};
use super::servers::Servers;

pub use certscan_x509::der::element as der;

fn generalized_time(days: i64) -> Vec<u8> {
    let when = at() + Duration::days(days);
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        when.year(),
        when.month() as u8,
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    );
    der(0x18, text.as_bytes())
}

/// What a response says of the certificate.
#[derive(Clone, Copy, Debug)]
pub enum Status {
    Good,
    Revoked,
    Unknown,
}

/// Who signs a response.
pub enum Signer<'a> {
    /// The issuing CA itself.
    Issuer,
    /// A delegated responder: its certificate is sent with the response.
    Delegated(&'a Issued, &'a KeyPair),
    /// A key that is not the issuer's, while the response names the issuer.
    Impostor,
}

/// A response about `leaf`, issued by `ca`.
pub struct OcspSpec<'a> {
    pub leaf: &'a Issued,
    pub status: Status,
    /// Days relative to [`super::pki::AT`].
    pub this_update_days: i64,
    pub next_update_days: Option<i64>,
    pub signer: Signer<'a>,
    /// The serial the response is about, when not the leaf's.
    pub serial: Option<Vec<u8>>,
}

impl<'a> OcspSpec<'a> {
    /// A good, current response signed by the issuer.
    pub fn good(leaf: &'a Issued) -> OcspSpec<'a> {
        OcspSpec {
            leaf,
            status: Status::Good,
            this_update_days: -1,
            next_update_days: Some(6),
            signer: Signer::Issuer,
            serial: None,
        }
    }
}

/// The AlgorithmIdentifier DER for the ECDSA key's signatures.
fn signature_algorithm(key: &KeyPair) -> Vec<u8> {
    let oid: &[u8] = if key.algorithm() == &rcgen::PKCS_ECDSA_P384_SHA384 {
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]
    } else if key.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]
    } else {
        panic!("test OCSP responses are signed with ECDSA keys")
    };
    der(0x30, &der(0x06, oid))
}

/// A signed, successful OCSP response (OCSPResponse DER).
pub fn response(ca: &Ca, spec: &OcspSpec) -> Vec<u8> {
    let (_, issuer) = x509_parser::certificate::X509Certificate::from_der(&ca.cert.der).unwrap();
    let (_, leaf) = x509_parser::certificate::X509Certificate::from_der(&spec.leaf.der).unwrap();
    let sha1 = |data: &[u8]| {
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
            .as_ref()
            .to_vec()
    };
    let serial = spec.serial.clone().unwrap_or_else(|| leaf.raw_serial().to_vec());
    let cert_id = der(
        0x30,
        &[
            der(
                0x30,
                &[der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), vec![0x05, 0x00]].concat(),
            ),
            der(0x04, &sha1(issuer.subject().as_raw())),
            der(0x04, &sha1(&issuer.public_key().subject_public_key.data)),
            der(0x02, &serial),
        ]
        .concat(),
    );
    let status = match spec.status {
        Status::Good => vec![0x80, 0x00],
        Status::Revoked => der(0xa1, &[generalized_time(-2), der(0xa0, &der(0x0a, &[1]))].concat()),
        Status::Unknown => vec![0x82, 0x00],
    };
    let mut single = [cert_id, status, generalized_time(spec.this_update_days)].concat();
    if let Some(next) = spec.next_update_days {
        single.extend(der(0xa0, &generalized_time(next)));
    }
    let impostor;
    let (signing_key, responder_subject, certs): (&KeyPair, Vec<u8>, Option<Vec<u8>>) = match &spec.signer {
        Signer::Issuer => (ca.key(), issuer.subject().as_raw().to_vec(), None),
        Signer::Delegated(cert, key) => {
            let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(&cert.der).unwrap();
            (key, parsed.subject().as_raw().to_vec(), Some(cert.der.to_vec()))
        }
        Signer::Impostor => {
            impostor = KeyPair::generate_for(ca.key().algorithm()).unwrap();
            (&impostor, issuer.subject().as_raw().to_vec(), None)
        }
    };
    let tbs = der(
        0x30,
        &[
            der(0xa1, &responder_subject),
            generalized_time(spec.this_update_days),
            der(0x30, &der(0x30, &single)),
        ]
        .concat(),
    );
    let signature = signing_key.sign(&tbs).unwrap();
    let mut basic = [
        tbs,
        signature_algorithm(signing_key),
        der(0x03, &[&[0u8][..], &signature].concat()),
    ]
    .concat();
    if let Some(cert) = certs {
        basic.extend(der(0xa0, &der(0x30, &cert)));
    }
    let basic = der(0x30, &basic);
    let bytes = der(
        0x30,
        &[
            der(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01]),
            der(0x04, &basic),
        ]
        .concat(),
    );
    der(0x30, &[vec![0x0a, 0x01, 0x00], der(0xa0, &bytes)].concat())
}

/// A TLS server configuration that staples `ocsp` (any bytes) to its handshakes.
pub fn stapling_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
    ocsp: Vec<u8>,
) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert_with_ocsp(chain, key, ocsp)
        .unwrap()
}

/// How the plain-HTTP server answers.
#[derive(Clone)]
pub enum HttpAnswer {
    /// `200 OK` with this body (an OCSP response, a CRL).
    Body(Vec<u8>),
    /// This status and no body.
    Status(u16),
    /// Reads the request and never answers.
    Silent,
    /// Announces and sends a body of this many bytes.
    Huge(usize),
}

/// A plain-HTTP server on 127.0.0.1 that answers every request as it is told (the answer can be
/// set after the server starts, once the certificate that names its URL exists).
pub struct HttpServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    answer: Arc<Mutex<HttpAnswer>>,
    /// The requests read, whole.
    pub requests: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl HttpServer {
    pub fn start(servers: &Servers, answer: HttpAnswer) -> HttpServer {
        let runtime = servers.runtime();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer {
            url: format!("http://127.0.0.1:{port}"),
            answer: Arc::new(Mutex::new(answer)),
            requests: Arc::default(),
        };
        let (answer, requests) = (server.answer.clone(), server.requests.clone());
        runtime.spawn(async move {
            let mut held = vec![];
            while let Ok((tcp, _)) = listener.accept().await {
                let answer = answer.lock().unwrap().clone();
                if let HttpAnswer::Silent = answer {
                    held.push(tcp);
                    continue;
                }
                tokio::spawn(serve(tcp, answer, requests.clone()));
            }
        });
        server
    }

    pub fn set(&self, answer: HttpAnswer) {
        *self.answer.lock().unwrap() = answer;
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

async fn serve(mut tcp: tokio::net::TcpStream, answer: HttpAnswer, requests: Arc<Mutex<Vec<Vec<u8>>>>) {
    // The head, then as many body bytes as Content-Length announces.
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let Ok(n) = tcp.read(&mut buffer).await else { return };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buffer[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    requests.lock().unwrap().push(request);
    let reply = match answer {
        HttpAnswer::Body(body) => [
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes(),
            body,
        ]
        .concat(),
        HttpAnswer::Status(code) => format!("HTTP/1.1 {code} Oops\r\nContent-Length: 0\r\n\r\n").into_bytes(),
        HttpAnswer::Huge(size) => {
            let _ = tcp
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").as_bytes())
                .await;
            let chunk = vec![0x5au8; 64 * 1024];
            let mut sent = 0;
            while sent < size {
                if tcp.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len();
            }
            return;
        }
        HttpAnswer::Silent => return,
    };
    let _ = tcp.write_all(&reply).await;
    let _ = tcp.shutdown().await;
}
