//! What probing saw, recorded without judgement: the input for the analysis.

use std::net::IpAddr;
use std::path::PathBuf;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{AlertDescription, InvalidMessage, PeerIncompatible};

use crate::target::{Host, Protocol};

/// Where a chain came from.
#[derive(Debug, Clone)]
pub enum Origin {
    Endpoint {
        host: Host,
        port: u16,
        address: Option<IpAddr>,
        sni: Option<String>,
        protocol: Protocol,
        /// What runs there and how much a refused connection matters, from a profile.
        service: Option<String>,
        if_refused: Option<crate::status::Severity>,
    },
    File {
        path: PathBuf,
    },
}

/// The negotiated TLS parameters of a completed handshake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsParameters {
    pub version: String,
    pub cipher: String,
    pub group: Option<String>,
    pub alpn: Option<String>,
}

/// What checking the server's handshake signature gave: the signature over the handshake (TLS
/// 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange) is the proof that the server holds the
/// private key of the certificate it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No signature was seen (the handshake stopped before it, or the suite has none).
    NotSeen,
    Verified {
        scheme: String,
    },
    /// The signature does not verify with the leaf's public key.
    Failed {
        scheme: String,
        error: String,
    },
    /// The signature could not be checked: a scheme or key type the crypto provider lacks, or a
    /// leaf it cannot read.
    Unchecked {
        scheme: String,
        error: String,
    },
}

/// The server's request for a client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificateRequest {
    /// The CA names the server said it accepts client certificates from (may be empty).
    pub acceptable_issuers: Vec<String>,
}

/// How a server ended a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEnd {
    /// With a fatal alert (e.g. `certificate_required`).
    Alert(AlertDescription),
    /// By closing or resetting it without an alert.
    Closed,
}

/// Facts of the handshake itself, recorded whether it completed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeFacts {
    pub signature: SignatureCheck,
    /// Set when the server asked for a client certificate.
    pub client_certificate_request: Option<ClientCertificateRequest>,
    /// certscan presented the client certificate it was given (`--client-cert`) when asked.
    pub client_certificate_sent: bool,
    /// With TLS 1.3 the server judges the (empty) client certificate after the client's last
    /// handshake message: how it then ended the connection, if it did before answering.
    pub ended_after_handshake: Option<ConnectionEnd>,
    /// The OCSP response the server stapled to the handshake, as sent (bounded by the TLS
    /// record limits); `None` when it stapled nothing.
    pub stapled_ocsp: Option<Vec<u8>>,
    /// With a compliance policy's minimum TLS version: the highest version offered in a second
    /// ClientHello (below that minimum) and what the server answered it.
    pub below_minimum: Option<(u16, LegacyHello)>,
    /// What the server also accepts, asked on connections of their own after the handshake;
    /// `None` when not asked (`--quick`).
    pub also_accepted: Option<AlsoAccepted>,
}

/// What a server that completed a current handshake answered certscan's own ClientHellos,
/// each on a connection of its own; `None` where no answer came in time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlsoAccepted {
    /// Offering TLS 1.0 and 1.1 only.
    pub old_versions: Option<LegacyHello>,
    /// Offering TLS 1.0 only: asked when the server chose TLS 1.1 above.
    pub tls10: Option<LegacyHello>,
    /// Offering TLS 1.2 with only broken suites: RC4, 3DES, DES, NULL, export and anonymous.
    pub broken_suites: Option<LegacyHello>,
    /// The further broken suites the server chose, each asked for again without the kinds it
    /// chose before (RC4, then 3DES, ...).
    pub more_broken_suites: Vec<u16>,
    /// Offering TLS 1.2 with only static RSA key exchange.
    pub rsa_key_exchange: Option<LegacyHello>,
    /// Offering TLS 1.2 with only finite-field DHE suites (the group's size is in the answer).
    pub dhe: Option<LegacyHello>,
    /// Offering TLS 1.2 with only RSA-authenticated suites and RSA signatures: the chain a
    /// server with an RSA and an ECDSA certificate sends to RSA-only clients.
    pub rsa_certificate: Option<LegacyHello>,
    /// Offering TLS 1.2 with only ECDSA-authenticated suites and ECDSA signatures.
    pub ecdsa_certificate: Option<LegacyHello>,
}

impl Default for HandshakeFacts {
    fn default() -> Self {
        HandshakeFacts {
            signature: SignatureCheck::NotSeen,
            client_certificate_request: None,
            client_certificate_sent: false,
            ended_after_handshake: None,
            stapled_ocsp: None,
            below_minimum: None,
            also_accepted: None,
        }
    }
}

/// Which step a network exchange was in when it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Resolve,
    Connect,
    /// The plain-text opening of a STARTTLS protocol, before the handshake.
    StartTls,
    Handshake,
}

impl Phase {
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Resolve => "resolving the name",
            Phase::Connect => "connecting",
            Phase::StartTls => "the STARTTLS negotiation",
            Phase::Handshake => "the TLS handshake",
        }
    }
}

/// Why a TCP connection could not be made, beyond a refusal or a timeout: whose problem it is
/// decides the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// No route to the host (EHOSTUNREACH): the host is down, or a router or firewall on the way
    /// rejects the connection.
    HostUnreachable,
    /// This machine cannot send to that address at all (ENETUNREACH, EADDRNOTAVAIL,
    /// EAFNOSUPPORT): for example an IPv6 address on a machine with only IPv4.
    NoLocalRoute,
    /// A firewall on this machine forbids the connection (EPERM, EACCES).
    BlockedLocally,
    /// certscan ran out of a resource of its own (EMFILE, ENFILE, ENOBUFS, ENOMEM).
    OutOfResources,
    /// Anything else (EINVAL, ...).
    Other,
}

/// How a TLS handshake failed, as the TLS library and the socket reported it: the library's own
/// error values, so that checks decide on variants, never on text.
#[derive(Debug, Clone, PartialEq)]
pub enum HandshakeError {
    /// The server sent a fatal alert.
    AlertReceived(AlertDescription),
    /// The server chose something the client cannot speak, e.g. a TLS 1.0 ServerHello.
    PeerIncompatible(PeerIncompatible),
    /// The server's bytes were not valid TLS.
    InvalidMessage(InvalidMessage),
    Reset,
    /// The server closed the connection before the handshake completed.
    Closed,
    Other(String),
}

// rustls derives only `PartialEq` for `PeerIncompatible` and `InvalidMessage`; their derived
// equality compares plain enum values, which makes it an equivalence.
impl Eq for HandshakeError {}

/// Why an exchange read no answer: what to say, and how the server ended the connection when
/// the TLS library saw it end (an alert, a close or a reset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAnswer {
    pub message: String,
    pub end: Option<ConnectionEnd>,
}

impl From<String> for NoAnswer {
    fn from(message: String) -> NoAnswer {
        NoAnswer { message, end: None }
    }
}

impl From<&str> for NoAnswer {
    fn from(message: &str) -> NoAnswer {
        NoAnswer::from(message.to_string())
    }
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An HTTP or SIP answer: its status line and headers, as received (bounded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// `HTTP/1.1`, `HTTP/2`, `SIP/2.0`, or whatever the first word of the answer was.
    pub version: String,
    pub status: Option<u16>,
    /// The first line as received (for HTTP/2, made up from the status).
    pub first_line: String,
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// Whether the answer is SIP 2.0: RFC 3261 (section 7.1) compares the version
    /// case-insensitively.
    pub fn is_sip(&self) -> bool {
        self.version.eq_ignore_ascii_case("SIP/2.0")
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The application-protocol exchange made after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// `GET path` (HTTP/2 when the server chose it through ALPN, else HTTP/1.1).
    Http {
        path: String,
        answer: Result<Answer, NoAnswer>,
    },
    /// An RFC 6455 upgrade request with this `Sec-WebSocket-Key`.
    WebSocket {
        path: String,
        key: String,
        answer: Result<Answer, NoAnswer>,
    },
    /// A SIP `OPTIONS` request.
    Sip { answer: Result<Answer, NoAnswer> },
}

impl Exchange {
    /// Why no answer was read, when none was.
    pub fn error(&self) -> Option<&NoAnswer> {
        match self {
            Exchange::Http { answer, .. } | Exchange::WebSocket { answer, .. } | Exchange::Sip { answer } => {
                answer.as_ref().err()
            }
        }
    }
}

/// What a server answered to certscan's own ClientHello, which offers TLS 1.0 to 1.2 with the
/// older cipher suites, groups and signature schemes that current clients no longer offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyHello {
    /// A ServerHello with this version (0x0301 TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS 1.2) and
    /// cipher suite; the group from its ServerKeyExchange, when it named one; and the
    /// certificates of its Certificate message (sent in clear text up to TLS 1.2).
    Accepted {
        version: u16,
        cipher_suite: u16,
        group: Option<u16>,
        /// With a DHE suite: the size in bits of the DH prime in its ServerKeyExchange.
        dh_bits: Option<u32>,
        certificates: Vec<CertificateDer<'static>>,
    },
    /// A TLS alert (its description code).
    Alert { description: u8 },
    /// Anything else: no answer, a closed connection, bytes that are not TLS.
    Nothing { note: String },
    /// The ClientHello never reached the server: no new connection, a failed STARTTLS opening,
    /// or a failed write. Nothing is known of what the server would have answered.
    NotSent { why: String },
}

/// What happened when certscan tried to get a chain from a source.
#[derive(Debug, Clone)]
pub enum Observation {
    /// A chain was obtained, leaf first, exactly as served (or as stored in the file), and what
    /// the protocol exchange after the handshake saw.
    Chain {
        tls: Option<TlsParameters>,
        certificates: Vec<CertificateDer<'static>>,
        exchange: Option<Exchange>,
        /// For endpoints: the handshake's signature and client-certificate request.
        handshake: Option<HandshakeFacts>,
    },
    /// No address could be found for the host.
    Unresolved {
        error: String,
    },
    /// The DNS says the service is offered nowhere (a SIP domain whose SRV records all say ".").
    NoServer {
        reason: String,
    },
    Refused,
    /// The TCP connection could not be made, for a reason other than a refusal or a timeout.
    ConnectFailed {
        failure: ConnectFailure,
        error: String,
    },
    TimedOut {
        phase: Phase,
        seconds: f64,
    },
    /// The run's deadline came before the endpoint was probed to the end: `phase` is where it
    /// stopped (`None` when it had not started), `seconds` the time it had been given.
    DeadlineReached {
        phase: Option<Phase>,
        seconds: f64,
    },
    /// The server would not go over to TLS in its protocol's STARTTLS negotiation.
    StartTlsFailed {
        protocol: crate::target::Protocol,
        failure: StartTlsFailure,
    },
    /// The handshake failed; `first_bytes` is what the server sent first (bounded), and
    /// `legacy` what it said to certscan's own older ClientHello, when one was sent. The
    /// certificates the server sent before the failure are kept, leaf first.
    HandshakeFailed {
        error: HandshakeError,
        first_bytes: Vec<u8>,
        legacy: Option<LegacyHello>,
        certificates: Vec<CertificateDer<'static>>,
        handshake: HandshakeFacts,
    },
    FileUnreadable {
        error: String,
    },
    /// The file was read but held no certificate; `note` says what it held instead, if anything.
    NoCertificate {
        note: String,
    },
    /// A PKCS#12 file that the password given does not open.
    Pkcs12BadPassword {
        error: String,
    },
    /// certscan itself failed on this source (a panic, which is a bug): the message it gave.
    InternalError {
        message: String,
    },
    /// A configuration sends clients to a plain-HTTP URL (Kazoo's UI API URL).
    PlainHttpUrl {
        url: String,
    },
}

impl Observation {
    /// The certificates the source served, leaf first: a chain, or what a server sent before its
    /// handshake failed (to the TLS library, or in clear text to certscan's own ClientHello).
    pub fn served_certificates(&self) -> &[CertificateDer<'static>] {
        match self {
            Observation::Chain { certificates, .. } => certificates,
            Observation::HandshakeFailed {
                certificates,
                legacy: Some(LegacyHello::Accepted {
                    certificates: clear, ..
                }),
                ..
            } if certificates.is_empty() => clear,
            Observation::HandshakeFailed { certificates, .. } => certificates,
            _ => &[],
        }
    }
}

/// How a STARTTLS negotiation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartTlsFailure {
    /// The server speaks the protocol and does not offer STARTTLS: what it offers instead.
    NotOffered { said: String },
    /// The server refused the session or the STARTTLS command: its answer.
    Refused { said: String },
    /// The server's answer is not the protocol: what it said.
    NotTheProtocol { said: String },
    /// The connection ended or broke before the upgrade: how.
    Ended { error: String },
}

impl StartTlsFailure {
    /// What the server said or did, as recorded.
    pub fn said(&self) -> &str {
        match self {
            StartTlsFailure::NotOffered { said }
            | StartTlsFailure::Refused { said }
            | StartTlsFailure::NotTheProtocol { said } => said,
            StartTlsFailure::Ended { error } => error,
        }
    }
}

/// One CAA resource record as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaaRecord {
    pub flags: u8,
    /// The property tag exactly as served (tags compare case-insensitively).
    pub tag: String,
    pub value: Vec<u8>,
}

/// What the RFC 8659 tree climb found for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaaOutcome {
    /// The relevant RRset, at the name where it was found (no trailing dot).
    Found { at: String, records: Vec<CaaRecord> },
    /// No CAA RRset at the name or any parent.
    NotFound,
    /// A lookup failed (SERVFAIL, timeout, refused): nothing can be concluded.
    Failed { error: String },
}

/// The CAA lookup for one certificate name (`*.example.com` is looked up at `example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaaLookup {
    pub name: String,
    pub outcome: CaaOutcome,
}

/// How one name resolves, three ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameResolution {
    pub name: String,
    /// What the hosts file alone says (empty when it does not list the name).
    pub hosts_file: Vec<IpAddr>,
    /// The line of the hosts file that gives each of `hosts_file` (from 1).
    pub hosts_lines: Vec<usize>,
    /// What the system resolver (getaddrinfo: hosts file, then DNS) gives; `None` when not asked.
    pub system: Option<Result<Vec<IpAddr>, String>>,
    /// What DNS alone gives; `None` when not asked (--no-dns).
    pub dns: Option<Result<Vec<IpAddr>, String>>,
}

/// A private key as found in a file.
#[derive(Debug)]
pub enum KeyFound {
    Plain(PrivateKeyDer<'static>),
    /// Encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy `Proc-Type: 4,ENCRYPTED` PEM).
    Encrypted,
}

impl Clone for KeyFound {
    fn clone(&self) -> Self {
        match self {
            KeyFound::Plain(key) => KeyFound::Plain(key.clone_key()),
            KeyFound::Encrypted => KeyFound::Encrypted,
        }
    }
}

/// Owner, group and mode of one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits (e.g. 0o640).
    pub mode: u32,
}

/// A file's ownership and that of every folder above it, nearest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    pub path: PathBuf,
    /// What the file holds: "certificate" or "private key".
    pub role: &'static str,
    pub file: Ownership,
    pub parents: Vec<(PathBuf, Ownership)>,
}

/// What is on disk around a chain: its private key, file ownership, and the certificate an
/// endpoint should be serving (`--compare`).
#[derive(Debug, Clone, Default)]
pub struct DeployEvidence {
    /// Where the key came from (the --key file or the chain file itself), and what was found.
    pub key: Option<(PathBuf, Result<Option<KeyFound>, String>)>,
    /// Ownership of the chain file, the key file, and the folders above them.
    pub files: Vec<FileFacts>,
    /// The `--compare` file and the leaf it holds.
    pub expected_leaf: Option<(PathBuf, Result<CertificateDer<'static>, String>)>,
    /// This machine's listening TCP sockets, when a reverse proxy's backends are to be judged.
    pub listening: Option<Result<Vec<std::net::SocketAddr>, String>>,
    /// Files the endpoint may serve instead, and their leaves.
    pub alternative_leaves: Vec<(PathBuf, Result<CertificateDer<'static>, String>)>,
    /// Copies of the certificate that services use (`--copy`), and the leaf each holds.
    pub copies: Vec<(PathBuf, Result<CertificateDer<'static>, String>)>,
    /// CA files named by Wazo's `verify_certificate`, and the certificates each holds.
    pub verify_files: Vec<(PathBuf, Result<Vec<CertificateDer<'static>>, String>)>,
}

/// One source's evidence.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The target or file as the user gave it.
    pub input: String,
    pub origin: Origin,
    pub observation: Observation,
    pub deploy: DeployEvidence,
    /// What was asked of this source beyond the defaults.
    pub extra: crate::target::Extra,
}

/// What was looked up and fetched for a source once its chain was known, as that chain asked:
/// CAA and name resolution for its names, the `--revocation` and `--fetch-issuer` answers.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    /// CAA lookups for the leaf's names; empty when none were made.
    pub caa: Vec<CaaLookup>,
    /// Resolution of the target's name and the leaf's names.
    pub names: Vec<NameResolution>,
    /// What `--revocation` asked about the leaf, one entry per method.
    pub revocation: Vec<RevocationFetch>,
    /// What `--fetch-issuer` fetched, one entry per level climbed.
    pub issuer_fetches: Vec<IssuerFetch>,
    /// Limits reached while looking up: what was left out.
    pub caps: Vec<Cap>,
}

/// One fetch of a CA Issuers URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerFetch {
    /// The URL fetched; `None` when the certificate names none.
    pub url: Option<String>,
    /// The certificates the answer held (DER, leaf-most first), or why there are none.
    pub answer: Result<Vec<Vec<u8>>, String>,
}

/// How revocation is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationMethod {
    /// Ask the OCSP responder the leaf names.
    Ocsp,
    /// Fetch the CRL the leaf names.
    Crl,
}

impl RevocationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationMethod::Ocsp => "ocsp",
            RevocationMethod::Crl => "crl",
        }
    }
}

/// One live revocation question and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationFetch {
    pub method: RevocationMethod,
    /// The URL asked, when the leaf names one.
    pub url: Option<String>,
    /// The answer's body (a DER OCSP response or CRL), or why there is none.
    pub answer: Result<Vec<u8>, String>,
}

/// A limit reached: of `total` items of a kind, only the first `kept` were used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    /// What was limited, as a plural noun phrase ("certificate names looked up for CAA").
    pub what: &'static str,
    pub kept: usize,
    pub total: usize,
}
