//! In-process servers on loopback, run on a background runtime for the length of a test:
//! TLS servers with any chain, and misbehaving ones (silent, plaintext, resetting, legacy TLS).

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Connections open at once on a counting server, and the most seen.
#[derive(Debug, Default)]
pub struct OpenConnections {
    most: std::sync::atomic::AtomicUsize,
    total: std::sync::atomic::AtomicUsize,
}

impl OpenConnections {
    fn seen(&self, open: usize) {
        use std::sync::atomic::Ordering::SeqCst;
        self.most.fetch_max(open, SeqCst);
        self.total.fetch_add(1, SeqCst);
    }

    /// The most connections that were open at once.
    pub fn most(&self) -> usize {
        self.most.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Connections accepted in all.
    pub fn total(&self) -> usize {
        self.total.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Whether the client has not closed the connection: reads what it sent without waiting.
fn still_open(tcp: &TcpStream) -> bool {
    let mut buffer = [0u8; 4096];
    loop {
        match tcp.try_read(&mut buffer) {
            Ok(0) => return false,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

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
    /// Answers with bytes that are neither TLS nor text.
    BinaryGarbage,
    /// Sends the start of a TLS record one byte every 50 ms, forever.
    Drip,
    /// Sends handshake records that announce an endless handshake message, as fast as it can.
    EndlessHandshake,
}

/// What a TLS server does after the handshake.
#[derive(Clone, Debug)]
pub enum App {
    /// Reads the request head and answers with this text verbatim.
    Reply(String),
    /// Answers a WebSocket upgrade, with the right accept hash or a wrong one.
    WebSocket { correct_accept: bool },
    /// Speaks HTTP/2 (the server must offer h2 through ALPN) and answers with this status and headers.
    Http2 {
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// Reads the request and never answers.
    Silent,
    /// Reads the request head, answers with this head, then sends an endless chunked body.
    EndlessBody(String),
    /// Speaks raw HTTP/2 (ALPN h2): answers the request with a HEADERS frame that never ends,
    /// followed by CONTINUATION frames for as long as the client reads.
    ContinuationFlood,
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

    /// A TLS server that serves `chain` with `key` without checking either: the chain may hold
    /// certificates rustls refuses to load, and the key may belong to another certificate.
    pub fn tls_unchecked(&self, chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> u16 {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let signing_key = provider.key_provider.load_private_key(key).unwrap();
        let certified = Arc::new(rustls::sign::CertifiedKey::new(chain, signing_key));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(certified)));
        self.tls_with_config(config, "127.0.0.1:0").port()
    }

    /// A TLS server with a given configuration on a given local address.
    pub fn tls_with_config(&self, config: rustls::ServerConfig, bind: &str) -> SocketAddr {
        let listener = self.runtime.block_on(TcpListener::bind(bind)).unwrap();
        let address = listener.local_addr().unwrap();
        self.serve_tls(listener, config);
        address
    }

    fn serve_tls(&self, listener: TcpListener, config: rustls::ServerConfig) {
        let acceptor = TlsAcceptor::from(Arc::new(config));
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
    }

    /// A TLS server that runs `app` on each connection.
    pub fn tls_app(&self, config: rustls::ServerConfig, app: App) -> u16 {
        self.tls_app_on(config, app, "127.0.0.1:0").port()
    }

    /// [`Servers::tls_app`] on a given local address.
    pub fn tls_app_on(&self, config: rustls::ServerConfig, app: App, bind: &str) -> SocketAddr {
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = self.runtime.block_on(TcpListener::bind(bind)).unwrap();
        let address = listener.local_addr().unwrap();
        self.runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve_app(tls, app).await;
                    }
                });
            }
        });
        address
    }

    /// Two TLS servers on one port, at 127.0.0.1 and 127.0.0.2 (as two backends behind one name);
    /// retries when the port is taken on the second address.
    pub fn tls_pair(&self, first: rustls::ServerConfig, second: rustls::ServerConfig) -> u16 {
        for _ in 0..20 {
            let listener = self.runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
            let port = listener.local_addr().unwrap().port();
            let Ok(other) = self.runtime.block_on(TcpListener::bind(("127.0.0.2", port))) else {
                continue;
            };
            self.serve_tls(listener, first);
            self.serve_tls(other, second);
            return port;
        }
        panic!("no port free on both 127.0.0.1 and 127.0.0.2");
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

    /// A silent server that counts its connections: each is held, unanswered, until the client
    /// closes it; the counter says how many were open at once at most. Closed connections are
    /// found when the next one is accepted (a client's close reaches a loopback socket before
    /// its next connection does), so the count is exact.
    pub fn counting_silent(&self) -> (u16, Arc<OpenConnections>) {
        let listener = self.runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let counter = Arc::new(OpenConnections::default());
        let counted = counter.clone();
        self.runtime.spawn(async move {
            let mut held: Vec<TcpStream> = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                held.retain(still_open);
                held.push(tcp);
                counted.seen(held.len());
            }
        });
        (port, counter)
    }

    /// A server that speaks only what current clients dropped: to a ClientHello that offers
    /// `suite` it answers, in clear text, a ServerHello with `version` and that suite, its
    /// Certificate message with `chain`, and ServerHelloDone (then waits); any other ClientHello
    /// gets a handshake_failure alert, as OpenSSL does when no suite is shared.
    pub fn hand_made_tls(&self, version: u16, suite: u16, chain: Vec<CertificateDer<'static>>) -> u16 {
        let listener = self.runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        self.runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(hand_made_answer(tcp, version, suite, chain.clone()));
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
        Raw::BinaryGarbage => vec![0x00, 0xff, 0x13, 0x37, 0x80, 0x01, 0xfe, 0x7f, 0x00, 0x00, 0x9c, 0x42],
        Raw::Drip => {
            let start = [0x16u8, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3f, 0xfc];
            for byte in start.iter().chain(std::iter::repeat(&0u8)) {
                if tcp.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            return;
        }
        Raw::EndlessHandshake => {
            // A ServerHello that claims 16 MiB, then records of filler for as long as it is read.
            let mut first = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0xff, 0xff, 0xff];
            first.resize(5 + 0x4000, 0x41);
            if tcp.write_all(&first).await.is_err() {
                return;
            }
            let mut record = vec![0x16, 0x03, 0x03, 0x40, 0x00];
            record.resize(5 + 0x4000, 0x41);
            while tcp.write_all(&record).await.is_ok() {}
            return;
        }
    };
    let _ = tcp.write_all(&reply).await;
    let _ = tcp.shutdown().await;
}

async fn read_request_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn serve_app(mut tls: tokio_rustls::server::TlsStream<TcpStream>, app: App) {
    match app {
        App::Reply(text) => {
            let _ = read_request_head(&mut tls).await;
            let _ = tls.write_all(text.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
        App::Silent => {
            let _ = read_request_head(&mut tls).await;
            std::future::pending::<()>().await;
        }
        App::EndlessBody(head) => {
            let _ = read_request_head(&mut tls).await;
            if tls.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
            while tls.write_all(chunk.as_bytes()).await.is_ok() {}
        }
        App::ContinuationFlood => {
            // The client's preface and first frames, then our SETTINGS and the endless header block.
            let mut preface = [0u8; 1024];
            let _ = tls.read(&mut preface).await;
            let frame = |kind: u8, flags: u8, stream: u32, payload: &[u8]| {
                let mut out = (payload.len() as u32).to_be_bytes()[1..].to_vec();
                out.extend([kind, flags]);
                out.extend(stream.to_be_bytes());
                out.extend(payload);
                out
            };
            let mut start = frame(4, 0, 0, &[]);
            start.extend(frame(4, 1, 0, &[]));
            start.extend(frame(1, 0, 1, &[0x88]));
            if tls.write_all(&start).await.is_err() {
                return;
            }
            // Literal header fields without indexing: "x-flood: aaaa...".
            let mut block = Vec::new();
            while block.len() < 0x3f00 {
                block.extend([0x00, 7]);
                block.extend(b"x-flood");
                block.extend([100]);
                block.extend([b'a'; 100]);
            }
            let continuation = frame(9, 0, 1, &block);
            while tls.write_all(&continuation).await.is_ok() {}
        }
        App::WebSocket { correct_accept } => {
            let head = read_request_head(&mut tls).await;
            let key = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("sec-websocket-key"))
                })
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default();
            let accept = if correct_accept {
                certscan_checks::protocol::websocket_accept(&key)
            } else {
                "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()
            };
            let reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            let _ = tls.write_all(reply.as_bytes()).await;
            // Wait for the client's close frame (or the end of the connection).
            let mut frame = [0u8; 64];
            let _ = tls.read(&mut frame).await;
        }
        App::Http2 { status, headers } => {
            let Ok(mut connection) = h2::server::handshake(tls).await else {
                return;
            };
            while let Some(Ok((_request, mut respond))) = connection.accept().await {
                let mut response = http::Response::builder().status(status);
                for (name, value) in &headers {
                    response = response.header(name, value);
                }
                let _ = respond.send_response(response.body(()).unwrap(), true);
            }
        }
    }
}

/// Serves one certified key to every client, unchecked.
#[derive(Debug)]
struct Fixed(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The cipher suites a ClientHello offers (empty when it is not one).
fn offered_suites(hello: &[u8]) -> Vec<u16> {
    let parse = || -> Option<Vec<u16>> {
        let body = hello.get(9..)?;
        let session = *body.get(34)? as usize;
        let at = 35 + session;
        let length = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]) as usize;
        let list = body.get(at + 2..at + 2 + length)?;
        Some(list.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect())
    };
    parse().unwrap_or_default()
}

fn handshake_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend(body);
    out
}

pub async fn hand_made_answer(mut tcp: TcpStream, version: u16, suite: u16, chain: Vec<CertificateDer<'static>>) {
    let mut hello = vec![0u8; 16 * 1024];
    let Ok(n) = tcp.read(&mut hello).await else {
        return;
    };
    if !offered_suites(&hello[..n]).contains(&suite) {
        let _ = tcp.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40]).await;
        return;
    }
    let mut server_hello = version.to_be_bytes().to_vec();
    server_hello.extend([0x5a; 32]);
    server_hello.push(0);
    server_hello.extend(suite.to_be_bytes());
    server_hello.push(0);
    let mut list: Vec<u8> = Vec::new();
    for der in &chain {
        list.extend(&(der.len() as u32).to_be_bytes()[1..]);
        list.extend(der.as_ref());
    }
    let mut certificate = (list.len() as u32).to_be_bytes()[1..].to_vec();
    certificate.extend(list);
    let mut flight = handshake_message(2, &server_hello);
    flight.extend(handshake_message(11, &certificate));
    flight.extend(handshake_message(14, &[]));
    // As records of at most 2^14 bytes.
    let mut records = Vec::new();
    for fragment in flight.chunks(16 * 1024) {
        records.extend([0x16, (version >> 8) as u8, version as u8]);
        records.extend((fragment.len() as u16).to_be_bytes());
        records.extend(fragment);
    }
    let _ = tcp.write_all(&records).await;
    // Wait for the client to go away.
    let mut rest = [0u8; 1024];
    while let Ok(n) = tcp.read(&mut rest).await {
        if n == 0 {
            break;
        }
    }
}

/// A server configuration that asks clients for a certificate issued by `client_ca`:
/// required, or optional; TLS 1.2 only when `tls12_only`.
pub fn client_auth_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_ca: CertificateDer<'static>,
    required: bool,
    tls12_only: bool,
) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca).unwrap();
    let builder = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let verifier = if required {
        builder.build().unwrap()
    } else {
        builder.allow_unauthenticated().build().unwrap()
    };
    let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
        &[&rustls::version::TLS12]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap()
}
