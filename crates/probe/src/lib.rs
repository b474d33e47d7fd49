//! Network and file I/O: resolves targets, connects to every address concurrently (directly or
//! through an HTTP proxy), performs the TLS handshake and the protocol's exchange, asks what else
//! each endpoint accepts with ClientHellos of its own, and records what each endpoint served;
//! reads certificate, key and hosts files, profile and policy files, the system's trust store,
//! and DNS. Nothing here judges what it saw: that is `certscan-checks`' work.

pub mod builtin;
pub mod disk;
pub mod dns;
pub mod dns_wire;
pub mod exchange;
pub mod fetch;
pub mod file;
pub mod hosts;
pub mod legacy;
pub mod names;
pub mod proxy;
pub mod sip_locate;
pub mod slots;
pub(crate) mod sockets;
pub mod starttls;
pub(crate) mod tls;
pub use tls::ClientIdentity;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, InvalidMessage};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use slots::Slots;

use certscan_model::evidence::{
    AlsoAccepted, ConnectFailure, Evidence, Exchange, HandshakeError, LegacyHello, NoAnswer, Observation, Origin,
    Phase, SignatureCheck,
};
use certscan_model::target::{Host, Protocol, ResolvePin, Target};

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Bounds each step of a target: its name resolution, then each address's connection
    /// (connect, handshake and protocol exchange together); see [`Budget`].
    pub timeout: Duration,
    /// Endpoints probed at once, the quiet pool and the per-address limit.
    pub slots: slots::SlotSizes,
    pub resolve_pins: Vec<ResolvePin>,
    /// SNI to send instead of the target's host name.
    pub sni: Option<String>,
    /// How target names become addresses.
    pub name_source: NameSource,
    /// Told once per endpoint probed (for a progress display).
    pub progress: Option<Progress>,
    /// Told once per target read from the list.
    pub queued: Option<Progress>,
    /// The whole run's deadline: no endpoint is probed past it.
    pub deadline: Option<Instant>,
    /// A compliance policy's minimum TLS version (0x0303 TLS 1.2, 0x0304 TLS 1.3): each TLS
    /// endpoint also gets a ClientHello that offers only versions below it.
    pub minimum_version: Option<u16>,
    /// The client certificate and key presented when a server asks (`--client-cert`).
    pub client_identity: Option<tls::ClientIdentity>,
    /// `--proxy`: every connection to an endpoint goes through this HTTP proxy's `CONNECT`.
    pub proxy: Option<proxy::HttpProxy>,
    /// `-4`/`-6`: only addresses of this family are probed.
    pub address_family: Option<AddressFamily>,
    /// Ask each endpoint that completed a handshake what else it accepts (old versions, broken
    /// suites, RSA key exchange, DHE) and which certificate it sends to RSA-only and ECDSA-only
    /// clients: six short connections of its own (off with `--quick`).
    pub also_accepted: bool,
}

impl ProbeOptions {
    /// The time a step started now may take: `-t`, cut short by the run's deadline.
    pub fn budget(&self) -> Budget {
        Budget::starting_now(self.timeout, self.deadline)
    }
}

/// The time one step may take: its own timeout (`-t`), or less when the run's deadline
/// (`--deadline`) comes first. One type, so that every step (name resolution, connect,
/// handshake, exchange) is bounded the same way.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    started: Instant,
    /// When the step's own timeout ends.
    own: Instant,
    /// When the step must end: its own timeout or the run's deadline, whichever is first.
    pub ends: Instant,
    timeout: Duration,
}

impl Budget {
    pub(crate) fn starting_now(timeout: Duration, deadline: Option<Instant>) -> Budget {
        let started = Instant::now();
        let own = started + timeout;
        Budget {
            started,
            own,
            ends: deadline.map_or(own, |run| run.min(own)),
            timeout,
        }
    }

    /// Whether the run's deadline leaves the step no time at all.
    pub(crate) fn is_spent(&self) -> bool {
        self.ends <= self.started
    }

    /// How long the step is given.
    pub(crate) fn given(&self) -> Duration {
        self.ends.saturating_duration_since(self.started)
    }

    /// What a step that ran out of time in `phase` observed: a timeout, or the run's deadline
    /// when that cut the step noticeably short (not the server's fault).
    pub(crate) fn ran_out(&self, phase: Phase) -> Observation {
        let seconds = self.given().as_secs_f64();
        if self.own.saturating_duration_since(self.ends) > self.timeout / 10 {
            Observation::DeadlineReached {
                phase: Some(phase),
                seconds,
            }
        } else {
            Observation::TimedOut { phase, seconds }
        }
    }
}

/// A callback run after each endpoint is probed.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

/// Where target addresses come from (after `--resolve` pins and IP targets).
#[derive(Debug, Clone)]
pub enum NameSource {
    /// The system resolver (getaddrinfo: /etc/hosts, then DNS, per nsswitch).
    System,
    /// As the system would with other settings: this hosts file first, then DNS through these
    /// options (none with --no-dns). Used with --hosts-file or --dns-server.
    Emulated {
        hosts: hosts::HostsFile,
        dns: Option<dns::DnsOptions>,
    },
}

/// A target with the addresses its name resolved to: the first stage of a probe.
#[derive(Debug)]
pub struct Resolved {
    pub target: Target,
    /// The addresses to probe, or what the resolution observed instead (a name that resolves
    /// nowhere, a lookup that timed out, a deadline that left no time).
    pub addresses: Result<Vec<IpAddr>, Observation>,
}

/// Resolves a target's name (`--resolve` pins, the hosts file, the system or DNS), within `-t`
/// and the run's deadline.
pub async fn resolve_target(target: Target, options: &ProbeOptions, slots: &Slots) -> Resolved {
    // Boxed: the resolution's state is gone once the addresses are known.
    let resolution = Box::pin(slots.run(None, options.deadline, || Box::pin(resolve(&target, options))));
    let addresses = match resolution.await {
        None => Err(not_started(options)),
        Some(resolved) => resolved,
    };
    Resolved { target, addresses }
}

/// Probes every address of a resolved target at once, each in its slot. The result has one
/// entry per address, in the resolver's order (a failure inside one, a panic, is that
/// endpoint's), or one when the target did not resolve.
pub async fn observe(resolved: Resolved, options: &ProbeOptions, slots: &Slots) -> Vec<Evidence> {
    let Resolved { target, addresses } = resolved;
    let addresses = match addresses {
        Ok(addresses) => addresses,
        Err(observation) => {
            if let Some(Progress(done)) = &options.progress {
                done();
            }
            return vec![unresolved_evidence(&target, observation, options.sni.clone())];
        }
    };
    let probes = addresses.into_iter().map(|address| {
        let target = &target;
        async move {
            let sni = sni_for(target, options.sni.clone());
            // The evidence comes boxed: an endpoint waiting for its slot does not reserve room for it.
            let start = || Box::pin(probe_endpoint(target, address, options).map(Box::new));
            let probe = slots.run(Some(address), options.deadline, start);
            let evidence = match std::panic::AssertUnwindSafe(probe).catch_unwind().await {
                Ok(Some(evidence)) => *evidence,
                Ok(None) => endpoint_evidence(target, Some(address), sni, target.protocol, not_started(options)),
                Err(panic) => endpoint_evidence(target, Some(address), sni, target.protocol, panicked(panic)),
            };
            if let Some(Progress(done)) = &options.progress {
                done();
            }
            evidence
        }
    });
    futures_util::future::join_all(probes).await
}

/// The evidence of a target whose probe failed as a whole (a panic): what it said.
pub fn failed_target_evidence(target: &Target, panic: Box<dyn std::any::Any + Send>, sni: Option<String>) -> Evidence {
    unresolved_evidence(target, panicked(panic), sni)
}

/// The observation for work that panicked (a bug): what it said.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Observation {
    Observation::InternalError {
        message: certscan_model::fault::panic_message(panic.as_ref()),
    }
}

/// What an endpoint that the deadline left no time for observed: nothing.
fn not_started(options: &ProbeOptions) -> Observation {
    Observation::DeadlineReached {
        phase: None,
        seconds: options.timeout.as_secs_f64(),
    }
}

fn sni_for(target: &Target, sni: Option<String>) -> Option<String> {
    match (&target.host, sni, &target.extra.located) {
        (_, Some(sni), _) => Some(sni),
        // A SIP client names the domain it calls, not the host an SRV record gave: pjsip sets
        // the TLS server name from the request's destination name (sip_transport_tls.c,
        // `ssock_param.server_name = remote_name`), and RFC 5922 section 4 checks that domain.
        (_, None, Some(located)) => Some(located.lookup.domain.clone()),
        (Host::Dns(name), None, None) => Some(name.clone()),
        (Host::Ip(_), None, None) => None,
    }
}

/// The evidence of a SIP domain whose DNS offers no server: nothing to connect to.
pub fn no_server_evidence(target: &Target, reason: String, sni: Option<String>) -> Evidence {
    unresolved_evidence(target, Observation::NoServer { reason }, sni)
}

fn unresolved_evidence(target: &Target, observation: Observation, sni: Option<String>) -> Evidence {
    endpoint_evidence(target, None, sni_for(target, sni), target.protocol, observation)
}

/// Evidence for one endpoint of a target.
fn endpoint_evidence(
    target: &Target,
    address: Option<IpAddr>,
    sni: Option<String>,
    protocol: Protocol,
    observation: Observation,
) -> Evidence {
    Evidence {
        input: target.input.clone(),
        origin: Origin::Endpoint {
            host: target.host.clone(),
            port: target.port,
            address,
            sni,
            protocol,
            service: target.service.clone(),
            if_refused: target.if_refused,
        },
        observation,
        deploy: Default::default(),
        extra: target.extra.clone(),
    }
}

/// An IP version (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressFamily {
    V4,
    V6,
}

impl AddressFamily {
    fn holds(self, address: &IpAddr) -> bool {
        match self {
            AddressFamily::V4 => address.is_ipv4(),
            AddressFamily::V6 => address.is_ipv6(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            AddressFamily::V4 => "IPv4",
            AddressFamily::V6 => "IPv6",
        }
    }
}

/// The addresses to probe, of the family `-4`/`-6` asks for: a name with none of that family
/// is unresolved for this run, saying which addresses it has.
async fn resolve(target: &Target, options: &ProbeOptions) -> Result<Vec<IpAddr>, Observation> {
    let addresses = resolve_any(target, options).await?;
    let Some(family) = options.address_family else {
        return Ok(addresses);
    };
    let (kept, left): (Vec<IpAddr>, Vec<IpAddr>) = addresses.into_iter().partition(|a| family.holds(a));
    if kept.is_empty() {
        let left: Vec<String> = left.iter().map(IpAddr::to_string).collect();
        return Err(Observation::Unresolved {
            error: format!(
                "no {} address, which {} asks for (it has {})",
                family.name(),
                if family == AddressFamily::V4 { "-4" } else { "-6" },
                left.join(", ")
            ),
        });
    }
    Ok(kept)
}

/// The addresses to probe for a target: an IP target itself, a `--resolve` pin, or what the
/// system resolver (getaddrinfo: /etc/hosts, then DNS) returns, without duplicates.
async fn resolve_any(target: &Target, options: &ProbeOptions) -> Result<Vec<IpAddr>, Observation> {
    let name = match &target.host {
        Host::Ip(ip) => return Ok(vec![*ip]),
        Host::Dns(name) => name,
    };
    let budget = options.budget();
    if budget.is_spent() {
        return Err(not_started(options));
    }
    if let Some(pin) = options
        .resolve_pins
        .iter()
        .find(|p| p.host == *name && p.port == target.port)
    {
        return Ok(pin.addresses.clone());
    }
    if let NameSource::Emulated { hosts, dns } = &options.name_source {
        let pinned = hosts.lookup(name);
        if !pinned.is_empty() {
            return Ok(pinned);
        }
        let Some(dns) = dns else {
            return Err(Observation::Unresolved {
                error: "not in the hosts file (DNS not asked: --no-dns)".into(),
            });
        };
        let resolver = dns::Resolvers::new(dns)
            .and_then(|resolvers| resolvers.resolver())
            .map_err(|error| Observation::Unresolved { error })?;
        return match timeout_at(budget.ends, resolver.lookup_ip(format!("{name}."))).await {
            Err(_) => Err(budget.ran_out(Phase::Resolve)),
            Ok(Err(e)) if e.is_no_records_found() => Err(Observation::Unresolved {
                error: "no address in the hosts file or DNS".into(),
            }),
            Ok(Err(e)) => Err(Observation::Unresolved { error: e.to_string() }),
            Ok(Ok(found)) => Ok(found.iter().collect()),
        };
    }
    let lookup = tokio::net::lookup_host((name.as_str(), target.port));
    match timeout_at(budget.ends, lookup).await {
        Err(_) => Err(budget.ran_out(Phase::Resolve)),
        Ok(Err(e)) => Err(Observation::Unresolved { error: e.to_string() }),
        Ok(Ok(addresses)) => {
            let mut unique: Vec<IpAddr> = Vec::new();
            for address in addresses.map(|a| a.ip()) {
                if !unique.contains(&address) {
                    unique.push(address);
                }
            }
            if unique.is_empty() {
                Err(Observation::Unresolved {
                    error: "no address".into(),
                })
            } else {
                Ok(unique)
            }
        }
    }
}

/// ALPN offered per protocol: HTTP/2 and HTTP/1.1 for HTTPS and for plain TLS (a server that
/// picks one speaks HTTP), only HTTP/1.1 for WebSocket (an h2 answer would need RFC 8441), nothing
/// for SIP.
fn alpn_for(protocol: Protocol) -> &'static [&'static [u8]] {
    match protocol {
        Protocol::Https | Protocol::Tls => &[b"h2", b"http/1.1"],
        Protocol::Wss => &[b"http/1.1"],
        Protocol::Sips => &[],
        // Nothing on a STARTTLS port: the protocol is settled already.
        _ => &[],
    }
}

/// Probes one address of a target.
async fn probe_endpoint(target: &Target, address: IpAddr, options: &ProbeOptions) -> Evidence {
    certscan_model::fault::injected_fault("probe", &target.input);
    let sni = sni_for(target, options.sni.clone());
    let budget = options.budget();
    if budget.is_spent() {
        return endpoint_evidence(target, Some(address), sni, target.protocol, not_started(options));
    }
    let (observation, protocol) =
        connect_and_exchange(target, address, sni.as_deref(), budget.ends, budget.given(), options).await;
    let observation = match observation {
        Observation::TimedOut { phase, .. } => budget.ran_out(phase),
        other => other,
    };
    endpoint_evidence(target, Some(address), sni, protocol, observation)
}

/// What a failed `connect` means, by its errno: a refusal, or whose problem it is.
pub(crate) fn connect_failure(error: &std::io::Error) -> Observation {
    use rustix::io::Errno;
    let errno = Errno::from_io_error(error);
    let failure = match errno {
        Some(Errno::CONNREFUSED) => return Observation::Refused,
        Some(Errno::HOSTUNREACH) => ConnectFailure::HostUnreachable,
        Some(Errno::NETUNREACH | Errno::ADDRNOTAVAIL | Errno::AFNOSUPPORT) => ConnectFailure::NoLocalRoute,
        Some(Errno::PERM | Errno::ACCESS) => ConnectFailure::BlockedLocally,
        Some(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM) => ConnectFailure::OutOfResources,
        _ => match error.kind() {
            std::io::ErrorKind::ConnectionRefused => return Observation::Refused,
            std::io::ErrorKind::HostUnreachable => ConnectFailure::HostUnreachable,
            std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::AddrNotAvailable => {
                ConnectFailure::NoLocalRoute
            }
            std::io::ErrorKind::PermissionDenied => ConnectFailure::BlockedLocally,
            std::io::ErrorKind::OutOfMemory => ConnectFailure::OutOfResources,
            _ => ConnectFailure::Other,
        },
    };
    Observation::ConnectFailed {
        failure,
        error: error.to_string(),
    }
}

/// How long a plain TLS port is given to refuse a connection without a client certificate.
const CLIENT_AUTH_ALERT_WAIT: Duration = Duration::from_millis(500);

/// Whether a failed handshake is worth a second try with a TLS 1.0/1.1 ClientHello.
fn may_be_legacy(error: &HandshakeError) -> bool {
    match error {
        HandshakeError::AlertReceived(alert) => {
            matches!(
                alert,
                AlertDescription::ProtocolVersion
                    | AlertDescription::HandshakeFailure
                    | AlertDescription::InsufficientSecurity
                    | AlertDescription::IllegalParameter
            )
        }
        HandshakeError::PeerIncompatible(_) => true,
        // A chain too large for the TLS library can still be read in clear text up to TLS 1.2.
        HandshakeError::InvalidMessage(why) => *why == InvalidMessage::HandshakePayloadTooLarge,
        _ => false,
    }
}

/// What the server also accepts: certscan's own ClientHellos offering only TLS 1.0 and 1.1,
/// only broken suites, only RSA key exchange, only DHE, and only the suites of RSA and of
/// ECDSA certificates (a server with both sends each its own), at once, each on its own connection
/// and bounded by `deadline` (no answer in time is `None`); then TLS 1.0 alone when the server
/// chose TLS 1.1.
async fn also_accepted(
    target: &Target,
    socket: SocketAddr,
    sni: Option<&str>,
    deadline: Instant,
    shown: Option<KeyType>,
    via: Option<&proxy::HttpProxy>,
) -> AlsoAccepted {
    let ask = |offer| async move {
        timeout_at(deadline, legacy_hello(target, socket, sni, offer, via))
            .await
            .ok()
    };
    // The key type of the certificate the handshake showed needs no second look.
    let ask_for = |key_type: KeyType, offer| async move {
        match shown == Some(key_type) {
            true => Some(LegacyHello::Nothing {
                note: "not asked: the handshake showed a certificate of this key type".into(),
            }),
            false => ask(offer).await,
        }
    };
    let (old_versions, broken_suites, rsa_key_exchange, dhe, rsa_certificate, ecdsa_certificate) = tokio::join!(
        ask(legacy::Offer::UpTo(0x0302)),
        ask(legacy::Offer::Only(legacy::broken_suites_but(&[]))),
        ask(legacy::Offer::Only(legacy::RSA_KEY_EXCHANGE_SUITES.to_vec())),
        ask(legacy::Offer::Only(legacy::DHE_SUITES.to_vec())),
        ask_for(KeyType::Rsa, legacy::Offer::RsaCertificate),
        ask_for(KeyType::Ecdsa, legacy::Offer::EcdsaCertificate),
    );
    // Each kind of broken suite the server accepts is named: asked again without the kinds it
    // chose, until it refuses (six kinds at most).
    let mut more_broken_suites = vec![];
    if let Some(LegacyHello::Accepted { cipher_suite, .. }) = &broken_suites {
        let mut left_out: Vec<usize> = legacy::broken_kind(*cipher_suite).into_iter().collect();
        while left_out.len() < legacy::BROKEN_KINDS.len() {
            match ask(legacy::Offer::Only(legacy::broken_suites_but(&left_out))).await {
                Some(LegacyHello::Accepted { cipher_suite, .. }) => match legacy::broken_kind(cipher_suite) {
                    Some(kind) if !left_out.contains(&kind) => {
                        more_broken_suites.push(cipher_suite);
                        left_out.push(kind);
                    }
                    _ => break,
                },
                _ => break,
            }
        }
    }
    let tls11 = matches!(old_versions, Some(LegacyHello::Accepted { version: 0x0302, .. }));
    let tls10 = match tls11 {
        true => ask(legacy::Offer::UpTo(0x0301)).await,
        false => None,
    };
    AlsoAccepted {
        old_versions,
        tls10,
        broken_suites,
        more_broken_suites,
        rsa_key_exchange,
        dhe,
        rsa_certificate,
        ecdsa_certificate,
    }
}

/// The key types a server may hold a certificate of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Rsa,
    Ecdsa,
}

/// The key type of the certificate the handshake showed, from the scheme of its signature
/// (`ECDSA_NISTP256_SHA256`, `RSA_PSS_SHA256`); `None` when no signature was seen.
fn shown_key_type(signature: &SignatureCheck) -> Option<KeyType> {
    let scheme = match signature {
        SignatureCheck::Verified { scheme }
        | SignatureCheck::Failed { scheme, .. }
        | SignatureCheck::Unchecked { scheme, .. } => scheme,
        SignatureCheck::NotSeen => return None,
    };
    match scheme {
        s if s.starts_with("ECDSA") => Some(KeyType::Ecdsa),
        s if s.starts_with("RSA") => Some(KeyType::Rsa),
        _ => None,
    }
}

/// certscan's own ClientHello making `offer` on a new connection, after the protocol's
/// STARTTLS opening when it has one. The caller bounds the time.
async fn legacy_hello(
    target: &Target,
    socket: SocketAddr,
    sni: Option<&str>,
    offer: legacy::Offer,
    via: Option<&proxy::HttpProxy>,
) -> LegacyHello {
    let mut tcp = match proxy::connect(socket, via).await {
        Ok(tcp) => tcp,
        Err(e) => {
            return LegacyHello::NotSent {
                why: format!("could not reconnect: {e}"),
            };
        }
    };
    if target.protocol.is_starttls() {
        let domain = sni.map(str::to_string).unwrap_or_else(|| socket.ip().to_string());
        let client = ehlo_name(&tcp);
        if let Err(failure) = starttls::negotiate(&mut tcp, target.protocol, &domain, &client).await {
            return LegacyHello::NotSent {
                why: format!("STARTTLS failed on the second connection: {}", failure.said()),
            };
        }
    }
    legacy::hello_on(tcp, sni, &offer).await
}

/// How certscan names itself in SMTP's EHLO: its address, as RFC 5321 allows.
fn ehlo_name(tcp: &TcpStream) -> String {
    match tcp.local_addr().map(|a| a.ip()) {
        Ok(IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
        Ok(ip) => format!("[{ip}]"),
        Err(_) => "[127.0.0.1]".to_string(),
    }
}

/// Connects, shakes hands, and speaks the endpoint's protocol, all before one deadline; returns
/// what was seen and the protocol spoken (a plain TLS port whose server picks HTTP through ALPN
/// is spoken to as HTTPS).
async fn connect_and_exchange(
    target: &Target,
    address: IpAddr,
    sni: Option<&str>,
    deadline: Instant,
    limit: Duration,
    options: &ProbeOptions,
) -> (Observation, Protocol) {
    let socket = SocketAddr::new(address, target.port);
    let tcp = match open(target, socket, sni, deadline, limit, options.proxy.as_ref()).await {
        Ok(tcp) => tcp,
        Err(observation) => return (observation, target.protocol),
    };
    let server_name = match sni.map(|name| ServerName::try_from(name.to_string())) {
        Some(Ok(name)) => name,
        // No SNI for IP targets: rustls sends none for an IP address.
        Some(Err(_)) | None => ServerName::IpAddress(address.into()),
    };
    let (identity, via) = (options.client_identity.as_ref(), options.proxy.as_ref());
    match shake_hands(target, socket, tcp, server_name, deadline, identity, via).await {
        None => (timed_out(Phase::Handshake, limit), target.protocol),
        // Boxed: what follows the handshake is only allocated once it is done, not reserved by
        // every probe that waits for an answer.
        Some(tls::HandshakeOutcome::Completed(handshaken)) => {
            let after = after_handshake(target, socket, sni, deadline, limit, options, handshaken);
            let (mut observation, protocol) = Box::pin(after).await;
            // Asked once the first connection is closed: a server that serves one connection
            // at a time answers them too. Not when the endpoint's time is already spent.
            if options.also_accepted
                && Instant::now() < deadline
                && let Observation::Chain {
                    handshake: Some(facts), ..
                } = &mut observation
            {
                let shown = shown_key_type(&facts.signature);
                let asked = also_accepted(target, socket, sni, deadline, shown, options.proxy.as_ref());
                facts.also_accepted = Some(Box::pin(asked).await);
            }
            (observation, protocol)
        }
        Some(tls::HandshakeOutcome::Failed {
            error,
            first_bytes,
            chain,
            facts,
        }) => {
            // certscan's own ClientHello goes straight to the port: not for STARTTLS.
            let legacy = if may_be_legacy(&error) {
                // Boxed: its buffers are only allocated when it runs.
                let offer = legacy::Offer::UpTo(legacy::TLS12);
                let hello = legacy_hello(target, socket, sni, offer, options.proxy.as_ref());
                timeout_at(deadline, Box::pin(hello)).await.ok()
            } else {
                None
            };
            let observation = Observation::HandshakeFailed {
                error,
                first_bytes,
                legacy,
                certificates: chain,
                handshake: facts,
            };
            (observation, target.protocol)
        }
    }
}

fn timed_out(phase: Phase, limit: Duration) -> Observation {
    Observation::TimedOut {
        phase,
        seconds: limit.as_secs_f64(),
    }
}

/// The TCP connection, over which the protocol's STARTTLS negotiation has been made when it
/// has one; what went wrong otherwise.
async fn open(
    target: &Target,
    socket: SocketAddr,
    sni: Option<&str>,
    deadline: Instant,
    limit: Duration,
    via: Option<&proxy::HttpProxy>,
) -> Result<TcpStream, Observation> {
    let mut tcp = match timeout_at(deadline, proxy::connect(socket, via)).await {
        Err(_) => return Err(timed_out(Phase::Connect, limit)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Err(Observation::Refused),
        Ok(Err(e)) => return Err(connect_failure(&e)),
        Ok(Ok(tcp)) => tcp,
    };
    if target.protocol.is_starttls() {
        let domain = sni.map(str::to_string).unwrap_or_else(|| socket.ip().to_string());
        let client = ehlo_name(&tcp);
        // Boxed: the conversation's buffer is only allocated on a STARTTLS port, not reserved
        // by every probe.
        let negotiation = Box::pin(starttls::negotiate(&mut tcp, target.protocol, &domain, &client));
        match timeout_at(deadline, negotiation).await {
            Err(_) => return Err(timed_out(Phase::StartTls, limit)),
            Ok(Err(failure)) => {
                return Err(Observation::StartTlsFailed {
                    protocol: target.protocol,
                    failure,
                });
            }
            Ok(Ok(())) => {}
        }
    }
    Ok(tcp)
}

/// The handshake, before `deadline` (`None` when it came first). On a plain TLS port the HTTP
/// ALPN offer is only a probe: a server that insists on another application protocol gets a
/// second handshake without it.
async fn shake_hands(
    target: &Target,
    socket: SocketAddr,
    tcp: TcpStream,
    server_name: ServerName<'static>,
    deadline: Instant,
    identity: Option<&tls::ClientIdentity>,
    via: Option<&proxy::HttpProxy>,
) -> Option<tls::HandshakeOutcome> {
    let outcome = timeout_at(
        deadline,
        tls::handshake(tcp, server_name.clone(), alpn_for(target.protocol), identity),
    )
    .await
    .ok()?;
    let refused_alpn = matches!(
        &outcome,
        tls::HandshakeOutcome::Failed {
            error: HandshakeError::AlertReceived(AlertDescription::NoApplicationProtocol),
            ..
        }
    );
    if target.protocol == Protocol::Tls
        && refused_alpn
        && let Ok(Ok(tcp)) = timeout_at(deadline, proxy::connect(socket, via)).await
    {
        return timeout_at(deadline, tls::handshake(tcp, server_name, &[], identity))
            .await
            .ok();
    }
    Some(outcome)
}

/// Speaks the endpoint's protocol over a completed handshake, before `deadline`.
async fn after_handshake(
    target: &Target,
    socket: SocketAddr,
    sni: Option<&str>,
    deadline: Instant,
    limit: Duration,
    options: &ProbeOptions,
    handshaken: tls::Handshaken,
) -> (Observation, Protocol) {
    let tls::Handshaken {
        parameters,
        chain,
        mut facts,
        mut stream,
    } = handshaken;
    let host = sni.map(str::to_string).unwrap_or_else(|| socket.ip().to_string());
    let speaks_http = matches!(parameters.alpn.as_deref(), Some("h2" | "http/1.1"));
    let protocol = match target.protocol {
        Protocol::Tls if speaks_http => Protocol::Https,
        other => other,
    };
    let exchange = if matches!(protocol, Protocol::Https | Protocol::Wss | Protocol::Sips) {
        Some(speak(protocol, stream, &host, target, deadline, limit).await)
    } else {
        // No request follows on a plain TLS port: a TLS 1.3 server that requires a client
        // certificate would refuse it unseen, so give its alert one short moment to come.
        if facts.client_certificate_request.is_some() && parameters.version == "TLSv1.3" {
            let remaining = deadline.saturating_duration_since(Instant::now());
            facts.ended_after_handshake =
                tls::end_after_handshake(&mut stream, remaining.min(CLIENT_AUTH_ALERT_WAIT)).await;
        }
        None
    };
    // Whether the server also accepts versions below a policy's minimum.
    if let Some(minimum) = options.minimum_version {
        let highest = minimum - 1;
        let hello = legacy_hello(
            target,
            socket,
            sni,
            legacy::Offer::UpTo(highest),
            options.proxy.as_ref(),
        );
        if let Ok(answer) = timeout_at(deadline, Box::pin(hello)).await {
            facts.below_minimum = Some((highest, answer));
        }
    }
    // With TLS 1.3 a server that requires a client certificate refuses it with an alert (or by
    // closing the connection) that the exchange meets first.
    if facts.client_certificate_request.is_some() && facts.ended_after_handshake.is_none() {
        facts.ended_after_handshake = exchange.as_ref().and_then(Exchange::error).and_then(|e| e.end.clone());
    }
    let observation = Observation::Chain {
        tls: Some(parameters),
        certificates: chain,
        exchange,
        handshake: Some(facts),
    };
    (observation, protocol)
}

/// What HTTPS, WebSocket and SIP clients send after the handshake, and the answer, before
/// `deadline`.
async fn speak(
    protocol: Protocol,
    stream: Box<tls::Stream>,
    host: &str,
    target: &Target,
    deadline: Instant,
    limit: Duration,
) -> Exchange {
    let silent = || Err(NoAnswer::from(format!("no answer within {} s", limit.as_secs_f64())));
    let path = target.path.clone();
    match protocol {
        Protocol::Wss => timeout_at(
            deadline,
            Box::pin(exchange::websocket(*stream, host, target.port, &path)),
        )
        .await
        .unwrap_or(Exchange::WebSocket {
            path,
            key: String::new(),
            answer: silent(),
        }),
        Protocol::Sips => timeout_at(deadline, Box::pin(exchange::sip_options(*stream, host, target.port)))
            .await
            .unwrap_or(Exchange::Sip { answer: silent() }),
        _ => timeout_at(deadline, Box::pin(exchange::http(*stream, host, target.port, &path)))
            .await
            .unwrap_or(Exchange::Http { path, answer: silent() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure_of(errno: rustix::io::Errno) -> Option<ConnectFailure> {
        match connect_failure(&std::io::Error::from_raw_os_error(errno.raw_os_error())) {
            Observation::ConnectFailed { failure, .. } => Some(failure),
            Observation::Refused => None,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_key_type_shown_is_read_from_the_handshake_signature_scheme() {
        let verified = |scheme: &str| SignatureCheck::Verified { scheme: scheme.into() };
        assert_eq!(shown_key_type(&verified("ECDSA_NISTP256_SHA256")), Some(KeyType::Ecdsa));
        assert_eq!(shown_key_type(&verified("RSA_PSS_SHA256")), Some(KeyType::Rsa));
        assert_eq!(shown_key_type(&verified("ED25519")), None);
        assert_eq!(shown_key_type(&SignatureCheck::NotSeen), None);
    }

    #[test]
    fn connect_errors_say_whose_problem_it_is() {
        use rustix::io::Errno;
        assert_eq!(failure_of(Errno::CONNREFUSED), None);
        assert_eq!(failure_of(Errno::HOSTUNREACH), Some(ConnectFailure::HostUnreachable));
        assert_eq!(failure_of(Errno::NETUNREACH), Some(ConnectFailure::NoLocalRoute));
        assert_eq!(failure_of(Errno::ADDRNOTAVAIL), Some(ConnectFailure::NoLocalRoute));
        assert_eq!(failure_of(Errno::PERM), Some(ConnectFailure::BlockedLocally));
        assert_eq!(failure_of(Errno::MFILE), Some(ConnectFailure::OutOfResources));
        assert_eq!(failure_of(Errno::NFILE), Some(ConnectFailure::OutOfResources));
        assert_eq!(failure_of(Errno::INVAL), Some(ConnectFailure::Other));
    }

    #[test]
    fn the_connection_end_is_read_from_the_io_error_not_its_text() {
        use certscan_model::evidence::ConnectionEnd;
        use std::io::{Error, ErrorKind};
        let alert = Error::new(
            ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
        );
        assert_eq!(
            tls::connection_end_of(&alert),
            Some(ConnectionEnd::Alert(AlertDescription::CertificateRequired))
        );
        for closed in [
            ErrorKind::UnexpectedEof,
            ErrorKind::ConnectionReset,
            ErrorKind::BrokenPipe,
        ] {
            assert_eq!(
                tls::connection_end_of(&Error::from(closed)),
                Some(ConnectionEnd::Closed)
            );
        }
        // A message that merely reads like an alert is not one.
        let text = Error::other("received fatal alert: CertificateRequired");
        assert_eq!(tls::connection_end_of(&text), None);
        assert_eq!(tls::connection_end_of(&Error::from(ErrorKind::TimedOut)), None);
    }
}
