//! What the user asked to scan: parsing of target strings (`host:443,9497`, URLs, `sips:`),
//! targets files, `--resolve` pins, and the protocol each endpoint is scanned with.

use std::fmt;
use std::net::IpAddr;

use rustls::pki_types::ServerName;
use serde::Serialize;

/// The application protocol spoken on an endpoint after the TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Https,
    Wss,
    Sips,
    Tls,
    /// SMTP with STARTTLS (RFC 3207).
    Smtp,
    /// IMAP with STARTTLS (RFC 9051).
    Imap,
    /// XMPP client-to-server with STARTTLS (RFC 6120).
    Xmpp,
    /// XMPP server-to-server with STARTTLS.
    #[serde(rename = "xmpp-server")]
    XmppServer,
    /// LDAP with the StartTLS operation (RFC 4511).
    Ldap,
    /// PostgreSQL with its SSLRequest.
    Postgres,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Https => "https",
            Protocol::Wss => "wss",
            Protocol::Sips => "sips",
            Protocol::Tls => "tls",
            Protocol::Smtp => "smtp",
            Protocol::Imap => "imap",
            Protocol::Xmpp => "xmpp",
            Protocol::XmppServer => "xmpp-server",
            Protocol::Ldap => "ldap",
            Protocol::Postgres => "postgres",
        }
    }

    /// Whether the protocol opens in plain text and asks for TLS (STARTTLS).
    pub fn is_starttls(self) -> bool {
        matches!(
            self,
            Protocol::Smtp
                | Protocol::Imap
                | Protocol::Xmpp
                | Protocol::XmppServer
                | Protocol::Ldap
                | Protocol::Postgres
        )
    }

    /// The port the protocol is served on when none is given.
    pub(crate) fn default_port(self) -> u16 {
        match self {
            Protocol::Https | Protocol::Wss | Protocol::Tls => 443,
            Protocol::Sips => 5061,
            Protocol::Smtp => 25,
            Protocol::Imap => 143,
            Protocol::Xmpp => 5222,
            Protocol::XmppServer => 5269,
            Protocol::Ldap => 389,
            Protocol::Postgres => 5432,
        }
    }

    /// The protocol conventionally served on a port, for targets given without a scheme.
    pub(crate) fn for_port(port: u16) -> Protocol {
        match port {
            5061 => Protocol::Sips,
            8433 => Protocol::Wss,
            443 | 8443 | 9443 | 9486 | 9489 | 9497 | 9500 | 9502 => Protocol::Https,
            25 | 587 => Protocol::Smtp,
            143 => Protocol::Imap,
            5222 => Protocol::Xmpp,
            5269 => Protocol::XmppServer,
            389 => Protocol::Ldap,
            5432 => Protocol::Postgres,
            _ => Protocol::Tls,
        }
    }
}

/// A host as given: a DNS name (lower-cased, without a trailing dot) or an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    Dns(String),
    Ip(IpAddr),
}

impl Host {
    /// Parses a host name or an IP address (no brackets, no port).
    pub fn parse(text: &str) -> Result<Host, String> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        let name = text.trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            return Err("the host name is empty".into());
        }
        // An internationalised name is looked up and matched in its ASCII (IDNA) form, as
        // clients send it (UTS 46, the processing browsers and curl apply).
        let name = if name.is_ascii() {
            name
        } else {
            idna::domain_to_ascii(&name).map_err(|_| format!("{text:?} is not a valid internationalised host name"))?
        };
        match ServerName::try_from(name.as_str()) {
            Ok(ServerName::DnsName(_)) => Ok(Host::Dns(name)),
            _ => Err(format!("{text:?} is neither a valid host name nor an IP address")),
        }
    }
}

/// A name as DNS and certificates write it: an internationalised name in its ASCII (IDNA)
/// form, any other text as it is.
pub fn ascii_name(text: &str) -> String {
    match text.is_ascii() {
        true => text.to_string(),
        false => idna::domain_to_ascii(text).unwrap_or_else(|_| text.to_string()),
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Dns(name) => f.write_str(name),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// One endpoint to scan: a host, one port, and how to talk to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The target text the user gave (before port lists were expanded).
    pub input: String,
    pub host: Host,
    pub port: u16,
    pub protocol: Protocol,
    /// Request path for HTTPS and WSS.
    pub path: String,
    /// Whether the protocol came from a scheme (`https://`, `wss://`, `sips:`).
    pub scheme_given: bool,
    /// Whether the port was written out.
    pub port_given: bool,
    /// What runs there, from a platform profile.
    pub service: Option<String>,
    /// How much a refused connection matters, from a platform profile.
    pub if_refused: Option<crate::status::Severity>,
    /// What else the user asked of this target.
    pub extra: Extra,
}

/// Per-target requests beyond the defaults: set by `--compare`, or by configurations read
/// (nginx server blocks, certbot lineages).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Extra {
    /// Names to check instead of the target's host (or the global `--name`s).
    pub names: Option<Vec<String>>,
    /// The private key that goes with a chain file.
    pub key: Option<std::path::PathBuf>,
    /// The certificate file an endpoint should be serving.
    pub compare: Option<std::path::PathBuf>,
    /// Other files it may serve instead (nginx's RSA and ECDSA certificates side by side).
    pub compare_alternatives: Vec<std::path::PathBuf>,
    /// Backends on this machine that a reverse proxy sends this site's requests to: (the
    /// `proxy_pass` as written, port). They must listen on loopback only.
    pub proxy_backends: Vec<(String, u16)>,
    /// Where the target came from, e.g. `nginx /etc/nginx/sites-enabled/default:12`.
    pub source: Option<String>,
    /// The certbot lineage a chain file belongs to.
    pub lineage: Option<crate::configured::Lineage>,
    /// Files that services use as copies of this certificate (`--copy`).
    pub copies: Vec<std::path::PathBuf>,
    /// Wazo services' client settings that must fit this certificate.
    pub wazo: Vec<crate::configured::ClientSetting>,
    /// How the endpoint was found from a SIP domain (RFC 3263), when it was.
    pub located: Option<crate::sip::SipLocation>,
}

/// A chain file to analyse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTarget {
    pub path: std::path::PathBuf,
    pub extra: Extra,
}

impl Target {
    /// Whether the target is a SIP domain whose servers are found as a SIP client finds them
    /// (RFC 3263): `sips:` with a host name and no port.
    pub fn is_sip_domain(&self) -> bool {
        self.protocol == Protocol::Sips && self.scheme_given && !self.port_given && matches!(self.host, Host::Dns(_))
    }

    /// `host:port`, with brackets around IPv6 addresses.
    pub(crate) fn host_port(&self) -> String {
        host_port(&self.host, self.port)
    }
}

pub fn host_port(host: &Host, port: u16) -> String {
    match host {
        Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
        other => format!("{other}:{port}"),
    }
}

/// Parses one target; a port list (`host:443,9497`) gives one target per port.
pub fn parse_target(input: &str) -> Result<Vec<Target>, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("empty target".into());
    }
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = if let Some(i) = lower.find("://") {
        (Some(&lower[..i]), &text[i + 3..])
    } else if lower.starts_with("sips:") {
        (Some("sips"), &text[5..])
    } else {
        (None, text)
    };
    let scheme_protocol = scheme.map(|scheme| scheme_protocol(scheme, text)).transpose()?;
    let (authority, path) = authority_and_path(rest, scheme_protocol);
    let (host_text, ports_text) = split_host_ports(authority).map_err(|e| format!("target {text:?}: {e}"))?;
    let host = Host::parse(host_text).map_err(|e| format!("target {text:?}: {e}"))?;
    let ports = match ports_text {
        None => vec![default_port(scheme, scheme_protocol)],
        Some(list) => parse_ports(list).map_err(|e| format!("target {text:?}: {e}"))?,
    };
    // Each endpoint of a port list keeps the target as the user wrote it, with its own port:
    // `host:443,9497` gives `host:443` and `host:9497`, not the whole line twice.
    let input_for = |port: u16| match ports_text {
        Some(list) if list.contains(',') => {
            let start = list.as_ptr() as usize - text.as_ptr() as usize;
            format!("{}{port}{}", &text[..start], &text[start + list.len()..])
        }
        _ => text.to_string(),
    };
    Ok(ports
        .into_iter()
        .map(|port| Target {
            input: input_for(port),
            host: host.clone(),
            port,
            protocol: scheme_protocol.unwrap_or_else(|| Protocol::for_port(port)),
            path: path.clone(),
            scheme_given: scheme_protocol.is_some(),
            port_given: ports_text.is_some(),
            service: None,
            if_refused: None,
            extra: Extra::default(),
        })
        .collect())
}

/// The protocol a scheme names (implicit-TLS schemes are plain TLS); plain-text and unknown
/// schemes are errors that say what to write instead.
fn scheme_protocol(scheme: &str, text: &str) -> Result<Protocol, String> {
    match scheme {
        "https" => Ok(Protocol::Https),
        "wss" => Ok(Protocol::Wss),
        "sips" => Ok(Protocol::Sips),
        "tls" | "smtps" | "imaps" | "ldaps" | "xmpps" => Ok(Protocol::Tls),
        "smtp" | "submission" => Ok(Protocol::Smtp),
        "imap" => Ok(Protocol::Imap),
        "xmpp" => Ok(Protocol::Xmpp),
        "xmpp-server" => Ok(Protocol::XmppServer),
        "ldap" => Ok(Protocol::Ldap),
        "postgres" | "postgresql" => Ok(Protocol::Postgres),
        "http" | "ws" | "sip" => Err(format!(
            "target {text:?}: {scheme} is not encrypted; certscan checks TLS endpoints (use https://, wss:// or sips:)"
        )),
        other => Err(format!(
            "target {text:?}: unknown scheme {other:?} (use https://, wss://, sips:, tls://, or smtp://, imap://, xmpp://, xmpp-server://, ldap://, postgres:// for STARTTLS)"
        )),
    }
}

/// The port when none is given: the implicit-TLS schemes' own, submission's, the protocol's.
fn default_port(scheme: Option<&str>, protocol: Option<Protocol>) -> u16 {
    match (scheme, protocol) {
        (Some("submission"), _) => 587,
        (Some("smtps"), _) => 465,
        (Some("imaps"), _) => 993,
        (Some("ldaps"), _) => 636,
        (Some("xmpps"), _) => 5223,
        (_, Some(protocol)) => protocol.default_port(),
        (_, None) => 443,
    }
}

/// The host-and-ports part and the path (`/` when none; SIP URIs have none, and their
/// `user@` and `;params` are dropped).
fn authority_and_path(rest: &str, protocol: Option<Protocol>) -> (&str, String) {
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if protocol != Some(Protocol::Sips) => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], String::new()),
        None => (rest, String::new()),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let authority = authority.split(';').next().unwrap_or(authority);
    let path = if path.is_empty() || path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    (authority, path)
}

/// Splits `host`, `host:ports`, `[v6]`, `[v6]:ports` or a bare IPv6 address.
fn split_host_ports(authority: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(rest) = authority.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or("an IPv6 address opened with '[' is not closed with ']'")?;
        let host = &rest[..end];
        return match &rest[end + 1..] {
            "" => Ok((host, None)),
            after => match after.strip_prefix(':') {
                Some(ports) => Ok((host, Some(ports))),
                None => Err(format!("unexpected {after:?} after the IPv6 address")),
            },
        };
    }
    match authority.matches(':').count() {
        0 => Ok((authority, None)),
        1 => {
            let (host, ports) = authority.split_once(':').unwrap_or((authority, ""));
            Ok((host, Some(ports)))
        }
        _ if authority.parse::<IpAddr>().is_ok() => match ambiguous_ipv6_port(authority) {
            Some((address, port)) => Err(format!(
                "{authority} is ambiguous: write [{address}]:{port} for port {port} of {address}, or [{authority}] for the address itself"
            )),
            None => Ok((authority, None)),
        },
        _ => Err("an IPv6 address with a port must be written in brackets, e.g. [2001:db8::1]:443".into()),
    }
}

/// An IPv6 address without brackets that also reads as an address and a port: its last group is
/// a port number and what comes before is an address of its own (`2001:db8::1:443`).
fn ambiguous_ipv6_port(text: &str) -> Option<(&str, &str)> {
    let (address, last) = text.rsplit_once(':')?;
    let is_port = !last.is_empty() && last.len() <= 5 && last.bytes().all(|b| b.is_ascii_digit());
    let stands_alone = !address.ends_with(':') && address.parse::<std::net::Ipv6Addr>().is_ok();
    (is_port && stands_alone && last.parse::<u16>().is_ok_and(|p| p > 0)).then_some((address, last))
}

fn parse_ports(list: &str) -> Result<Vec<u16>, String> {
    let mut ports = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        match part.parse::<u16>() {
            Ok(port) if port > 0 => {
                if !ports.contains(&port) {
                    ports.push(port)
                }
            }
            _ => return Err(format!("{part:?} is not a port number (1-65535)")),
        }
    }
    Ok(ports)
}

/// `--shard K/N`: the K-th (from 1) of N slices of a target list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("--shard {text:?}: expected K/N, such as 2/8"))?;
        let (k, n): (u64, u64) = match (k.trim().parse(), n.trim().parse()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => {
                return Err(format!(
                    "--shard {text:?}: expected K/N with whole numbers, such as 2/8"
                ));
            }
        };
        if n == 0 || k == 0 || k > n {
            return Err(format!("--shard {text:?}: K must be between 1 and N"));
        }
        Ok(Shard { index: k - 1, count: n })
    }

    /// Whether the item with this stable key falls in the shard. The key's hash decides, so an
    /// item stays in its shard whatever else the list holds, on every machine.
    pub fn holds(&self, key: &str) -> bool {
        let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_ref()[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

impl Target {
    /// What identifies the endpoint for sharding and deduplication.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.host_port(), self.protocol.as_str(), self.path)
    }
}

/// A `--resolve HOST:PORT:ADDR[,ADDR...]` pin, as curl takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvePin {
    pub host: String,
    pub port: u16,
    pub addresses: Vec<IpAddr>,
}

impl ResolvePin {
    pub fn parse(text: &str) -> Result<ResolvePin, String> {
        let bad = || format!("--resolve {text:?}: expected HOST:PORT:ADDRESS, e.g. example.com:443:127.0.0.1");
        let mut parts = text.splitn(3, ':');
        let (host, port, addrs) = match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(a)) if !h.is_empty() => (h, p, a),
            _ => return Err(bad()),
        };
        let port = port.parse::<u16>().map_err(|_| bad())?;
        let addresses = addrs
            .split(',')
            .map(|a| a.trim().trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| bad())?;
        Ok(ResolvePin {
            host: ascii_name(&host.trim_end_matches('.').to_lowercase()),
            port,
            addresses,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Target {
        let mut all = parse_target(text).unwrap();
        assert_eq!(all.len(), 1, "{text}");
        all.remove(0)
    }

    #[test]
    fn plain_host_defaults_to_https_on_443() {
        let t = one("Wazo.Example.com");
        assert_eq!(
            (t.host, t.port, t.protocol),
            (Host::Dns("wazo.example.com".into()), 443, Protocol::Https)
        );
    }

    #[test]
    fn port_list_expands_and_picks_protocols_by_port() {
        let all = parse_target("wazo.example.com:443,5061,8433,9999").unwrap();
        let got: Vec<(u16, Protocol)> = all.iter().map(|t| (t.port, t.protocol)).collect();
        assert_eq!(
            got,
            [
                (443, Protocol::Https),
                (5061, Protocol::Sips),
                (8433, Protocol::Wss),
                (9999, Protocol::Tls)
            ]
        );
        let inputs: Vec<&str> = all.iter().map(|t| t.input.as_str()).collect();
        assert_eq!(
            inputs,
            [
                "wazo.example.com:443",
                "wazo.example.com:5061",
                "wazo.example.com:8433",
                "wazo.example.com:9999"
            ]
        );
        let wss = parse_target("wss://[::1]:8433,9443/kurento").unwrap();
        assert_eq!(wss[1].input, "wss://[::1]:9443/kurento");
    }

    #[test]
    fn shards_partition_any_list() {
        assert!(Shard::parse("0/3").is_err() && Shard::parse("4/3").is_err() && Shard::parse("x").is_err());
        let shards: Vec<Shard> = (1..=3).map(|k| Shard::parse(&format!("{k}/3")).unwrap()).collect();
        for i in 0..500 {
            let key = format!("host{i}.example.com:443");
            assert_eq!(shards.iter().filter(|s| s.holds(&key)).count(), 1, "{key}");
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| (0..3000).filter(|i| s.holds(&format!("h{i}"))).count())
            .collect();
        assert!(sizes.iter().all(|n| (800..1200).contains(n)), "{sizes:?}");
    }

    #[test]
    fn ip_literals_with_and_without_brackets() {
        assert_eq!(one("[2001:db8::1]:8443").host, Host::Ip("2001:db8::1".parse().unwrap()));
        assert_eq!(one("[2001:db8::1]:8443").port, 8443);
        assert_eq!(one("2001:db8::1").port, 443);
        assert_eq!(one("192.0.2.10:443").host, Host::Ip("192.0.2.10".parse().unwrap()));
        assert_eq!(one("[::1]:443").host_port(), "[::1]:443");
        // Addresses that cannot also be read as an address and a port.
        for address in [
            "fe80::1",
            "::1",
            "2001:db8:0:0:0:0:1:443",
            "2001:db8::",
            "::ffff:192.0.2.1",
        ] {
            assert_eq!(one(address).host, Host::Ip(address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn an_ipv6_address_that_reads_as_address_and_port_is_a_usage_error() {
        let error = parse_target("2001:db8::1:443").unwrap_err();
        assert!(
            error.contains("ambiguous") && error.contains("[2001:db8::1]:443") && error.contains("[2001:db8::1:443]"),
            "{error}"
        );
        assert_eq!(one("[2001:db8::1:443]").port, 443);
        assert_eq!(one("[2001:db8::1]:443").host, Host::Ip("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn internationalised_names_are_scanned_in_their_ascii_form() {
        let target = one("bücher.example:443");
        assert_eq!(target.host, Host::Dns("xn--bcher-kva.example".into()));
        assert_eq!(
            target.input, "bücher.example:443",
            "the name as given stays in the report"
        );
        assert_eq!(one("BÜCHER.example").host, Host::Dns("xn--bcher-kva.example".into()));
        assert!(parse_target("bü cher.example").is_err());
    }

    #[test]
    fn urls_carry_scheme_port_and_path() {
        let t = one("wss://media.example.com:8433/kurento");
        assert_eq!((t.protocol, t.port, t.path.as_str()), (Protocol::Wss, 8433, "/kurento"));
        let t = one("https://api.example.com");
        assert_eq!((t.protocol, t.port, t.path.as_str()), (Protocol::Https, 443, "/"));
        let t = one("sips:pbx.example.com");
        assert_eq!((t.protocol, t.port), (Protocol::Sips, 5061));
        let t = one("sips:alice@pbx.example.com:5062;transport=tls");
        assert_eq!((t.host, t.port), (Host::Dns("pbx.example.com".into()), 5062));
    }

    #[test]
    fn starttls_and_implicit_tls_schemes_and_ports() {
        for (text, protocol, port) in [
            ("smtp://mx.example.com", Protocol::Smtp, 25),
            ("submission://mx.example.com", Protocol::Smtp, 587),
            ("imap://mail.example.com", Protocol::Imap, 143),
            ("xmpp://chat.example.com", Protocol::Xmpp, 5222),
            ("xmpp-server://chat.example.com", Protocol::XmppServer, 5269),
            ("ldap://dir.example.com", Protocol::Ldap, 389),
            ("postgresql://db.example.com/cdr", Protocol::Postgres, 5432),
            ("smtps://mx.example.com", Protocol::Tls, 465),
            ("imaps://mail.example.com", Protocol::Tls, 993),
            ("ldaps://dir.example.com", Protocol::Tls, 636),
            ("mx.example.com:25", Protocol::Smtp, 25),
            ("mx.example.com:587", Protocol::Smtp, 587),
            ("mail.example.com:143", Protocol::Imap, 143),
            ("dir.example.com:389", Protocol::Ldap, 389),
            ("db.example.com:5432", Protocol::Postgres, 5432),
            ("mx.example.com:465", Protocol::Tls, 465),
            ("mail.example.com:993", Protocol::Tls, 993),
        ] {
            let t = one(text);
            assert_eq!((t.protocol, t.port), (protocol, port), "{text}");
            assert_eq!(t.protocol.is_starttls(), !matches!(protocol, Protocol::Tls), "{text}");
        }
    }

    #[test]
    fn malformed_targets_name_the_problem() {
        for (text, expect) in [
            ("", "empty"),
            ("host:0", "not a port"),
            ("host:70000", "not a port"),
            ("host:https", "not a port"),
            ("http://host", "not encrypted"),
            ("gopher://host", "unknown scheme"),
            ("[::1", "not closed"),
            ("2001:db8::1:443:x", "brackets"),
            ("bad name!:443", "neither a valid host name"),
        ] {
            let err = parse_target(text).unwrap_err();
            assert!(err.contains(expect), "{text:?}: {err}");
        }
    }

    #[test]
    fn resolve_pins_follow_curl_syntax() {
        let pin = ResolvePin::parse("Example.com:443:127.0.0.1,[::1]").unwrap();
        assert_eq!(pin.host, "example.com");
        assert_eq!(
            pin.addresses,
            vec!["127.0.0.1".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]
        );
        assert!(ResolvePin::parse("example.com:443").is_err());
        assert!(ResolvePin::parse("example.com:x:127.0.0.1").is_err());
    }
}
