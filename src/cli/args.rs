//! The flags, as clap parses them: what each means is said in `--help`, and checked in
//! [`super::plan`].

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use certscan_model::evidence::RevocationMethod;
use certscan_model::target::Protocol;
use certscan_report::{FailOn, Format};

const EXAMPLES: &str = "\
Examples:
  certscan wazo.example.com:443,9497
  certscan --format json -f targets.txt > report.json
  certscan --format nagios -w 30 -c 14 kazoo.example.com:8443
  certscan --file /usr/share/xivo-certs/server.crt --name wazo.example.com
  certscan --explain chain.incomplete

Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the worst over all endpoints; 3 also for
usage errors).";

/// Which trust anchors to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TrustArg {
    /// The Mozilla root program (built in).
    Mozilla,
    /// The operating system's CA bundle.
    System,
    /// No anchors: only those given with --ca-file.
    None,
}

#[derive(Debug, Parser)]
#[command(
    name = "certscan",
    args_conflicts_with_subcommands = true,
    version,
    about = "TLS certificate diagnostics: chains, names, expiry and connection problems, for endpoints and files",
    after_help = EXAMPLES
)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Endpoints: HOST, HOST:PORT, HOST:PORT1,PORT2, [IPv6]:PORT, https://HOST[:PORT][/PATH],
    /// wss://HOST[:PORT][/PATH], sips:HOST[:PORT]. Default port 443. sips:DOMAIN without a port
    /// is a SIP domain: its servers are found as SIP clients find them (see --sip-domain).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// A SIP domain: its TLS servers are found as SIP clients find them (NAPTR SIPS+D2T, then SRV
    /// _sips._tcp, then the domain itself on 5061; RFC 3263), every one is scanned, and each
    /// certificate is checked against the domain (RFC 5922). The same as the target sips:DOMAIN.
    /// Repeatable.
    #[arg(help_heading = "Targets", long, value_name = "DOMAIN")]
    pub sip_domain: Vec<String>,

    /// Read targets from FILE (one or more per line, '#' starts a comment; '-' for stdin).
    #[arg(help_heading = "Targets", short = 'f', long = "targets-file", value_name = "FILE")]
    pub targets_files: Vec<PathBuf>,

    /// Analyse a certificate chain file (PEM or DER, leaf first) as if a server had sent it.
    #[arg(help_heading = "Targets", long = "file", value_name = "PEM")]
    pub files: Vec<PathBuf>,

    /// A name (DNS name or IP address) the certificate must be valid for; replaces the target's
    /// host name. Repeatable.
    #[arg(help_heading = "Targets", long = "name", value_name = "NAME")]
    pub names: Vec<String>,

    /// Reach every endpoint through this HTTP proxy (http://HOST:PORT), with CONNECT to the
    /// address certscan resolved, as DMZ pollers must; DNS, CAA and OCSP lookups do not use it.
    #[arg(help_heading = "Targets", long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Probe IPv4 addresses only (a dual-stack name polled from an IPv4-only monitor).
    #[arg(help_heading = "Targets", short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Probe IPv6 addresses only.
    #[arg(help_heading = "Targets", short = '6', long = "ipv6")]
    pub ipv6: bool,

    /// Connect to ADDR for HOST:PORT, as curl does. Repeatable.
    #[arg(help_heading = "Targets", long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// Send NAME as SNI instead of the target's host name (IP targets send none).
    #[arg(help_heading = "Targets", long, value_name = "NAME")]
    pub sni: Option<String>,

    /// Skip asking each endpoint what else it accepts (TLS 1.0/1.1, broken suites, RSA key
    /// exchange, the DHE group's size) and which certificate it sends to clients of the other
    /// key type: five short connections per endpoint that completed a handshake, after its own.
    #[arg(help_heading = "Targets", long)]
    pub quick: bool,

    /// Endpoints being connected to at once. One that has not finished within a fortieth of
    /// --timeout (longer when live servers answer slowly) steps aside to wait, with up to 5120
    /// others within the open-file limit, so dead endpoints do not hold up live ones.
    #[arg(help_heading = "Targets", long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// At most N connections to one address at once, so a SIP edge or a shared backend does not
    /// ban the scanner (0: no limit). Default 16, not applied to loopback addresses unless given.
    #[arg(help_heading = "Targets", long, value_name = "N")]
    pub per_host: Option<u32>,

    /// Seconds allowed for a target's name resolution, then per endpoint for the rest together:
    /// connect, TLS handshake, protocol exchange, and its name and CAA lookups.
    #[arg(
        help_heading = "Targets",
        short = 't',
        long,
        default_value_t = 5.0,
        value_name = "SECONDS"
    )]
    pub timeout: f64,

    /// Scan only the K-th of N slices of the targets (K from 1), chosen by a hash of each target,
    /// so that N jobs (a CI matrix, a Kubernetes indexed Job, GNU parallel) split a fleet with
    /// no overlap and their outputs concatenate.
    #[arg(help_heading = "Targets", long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Seconds for the whole run: endpoints not probed by then are UNKNOWN, lookups not
    /// answered by then fail, and the report is written. In --format nagios, -t is the whole
    /// plugin's timeout (as the Nagios plugin guidelines define it) unless --deadline is given.
    #[arg(help_heading = "Targets", long, value_name = "SECONDS")]
    pub deadline: Option<f64>,

    /// Trust anchors to start from.
    #[arg(help_heading = "Trust and time", long, value_enum, default_value_t = TrustArg::Mozilla)]
    pub trust: TrustArg,

    /// Also trust the certificates in this PEM file (e.g. a private CA or a self-signed server
    /// certificate). Repeatable.
    #[arg(help_heading = "Trust and time", long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,

    /// Also ask whether the leaf is revoked: `ocsp` asks the OCSP responder it names, `crl`
    /// fetches the CRL it names (plain HTTP, bounded in time and size). When no source gives an
    /// answer that can be trusted, the result is UNKNOWN (revocation.unchecked), never OK. The
    /// stapled OCSP response is always checked. Comma-separated or repeated.
    #[arg(
        help_heading = "Trust and time",
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "METHOD"
    )]
    pub revocation: Vec<RevocationArg>,

    /// When the chain lacks an intermediate, fetch it from the CA Issuers URL the certificates
    /// name (plain HTTP, bounded in time and size) and say whether the chain then validates.
    #[arg(help_heading = "Trust and time", long)]
    pub fetch_issuer: bool,

    /// Judge every endpoint and file against a compliance policy: a built-in one
    /// (mozilla-intermediate, strict-internal) or a TOML file; each rule broken is a policy.*
    /// finding with the rule's own text. See --list-policies.
    #[arg(help_heading = "Trust and time", long, value_name = "NAME|FILE")]
    pub policy: Option<String>,

    /// List the built-in compliance policies, then exit.
    #[arg(help_heading = "Trust and time", long)]
    pub list_policies: bool,

    /// With --fetch-issuer: write the corrected chain (leaf, then the intermediates that make it
    /// validate) as PEM to this file, ready to serve as fullchain.pem.
    #[arg(
        help_heading = "Trust and time",
        long,
        value_name = "PATH",
        requires = "fetch_issuer"
    )]
    pub write_chain: Option<PathBuf>,

    /// Evaluate every time-dependent check as of this RFC 3339 instant instead of now
    /// (e.g. 2027-01-31T00:00:00Z).
    #[arg(help_heading = "Trust and time", long, value_name = "RFC3339")]
    pub at: Option<String>,

    /// WARNING when a certificate has fewer than DAYS days left, or less than PERCENT% of its
    /// lifetime (e.g. 33%). Without -w and -c: 30 days, and a third of the lifetime for
    /// certificates that live fewer than 90 days.
    #[arg(
        help_heading = "Trust and time",
        short = 'w',
        long = "warning",
        value_name = "DAYS|PERCENT%"
    )]
    pub warning: Option<String>,

    /// CRITICAL when a certificate has fewer than DAYS days left, or less than PERCENT% of its
    /// lifetime (e.g. 10%). Without -w and -c: 14 days, and a tenth of the lifetime for
    /// certificates that live fewer than 90 days.
    #[arg(
        help_heading = "Trust and time",
        short = 'c',
        long = "critical",
        value_name = "DAYS|PERCENT%"
    )]
    pub critical: Option<String>,

    /// Report format.
    #[arg(help_heading = "Output", long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// The least severity that makes the exit status non-zero (a CI gate): critical, warning
    /// (the Nagios codes as they are), or info. UNKNOWN always fails.
    #[arg(help_heading = "Output", long, value_enum, default_value_t = FailOnArg::Warning, value_name = "SEVERITY")]
    pub fail_on: FailOnArg,

    /// The client families whose failure makes a finding CRITICAL, comma-separated: chrome,
    /// firefox, safari, openssl (curl, PHP, Ruby, the distribution's Python), python (python.org
    /// builds), python-strict (3.13+), urllib3 (requests), java, go, rustls, gnutls, legacy (old
    /// phones and appliances); the groups browsers and openssl-based (every OpenSSL family); or all. Default: browsers and OpenSSL
    /// clients, plus those the profile's callers use. A failure of another family is a WARNING.
    #[arg(help_heading = "Output", long, value_delimiter = ',', value_name = "LIST")]
    pub clients: Vec<String>,

    /// Accept a known finding: a check id (chain.order) for every endpoint, or ID@HOST for one
    /// host. Repeatable; the summary line says how many findings were ignored.
    #[arg(help_heading = "Output", long, value_name = "ID[@HOST]")]
    pub ignore: Vec<String>,

    /// In the table, show the details of every endpoint (not only of those that are not OK)
    /// and the INFO findings.
    #[arg(help_heading = "Output", short = 'v', long)]
    pub verbose: bool,

    /// Colour in the table: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(help_heading = "Output", long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Write the report to FILE instead of standard output.
    #[arg(help_heading = "Output", short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Make no DNS queries of certscan's own, CAA included (names are still resolved by the
    /// system resolver, /etc/hosts first). For air-gapped hosts.
    #[arg(help_heading = "Names, DNS and CAA", long, conflicts_with = "dns_server")]
    pub no_dns: bool,

    /// Send certscan's own DNS queries (CAA) to this server instead of the system's.
    #[arg(help_heading = "Names, DNS and CAA", long, value_name = "ADDR[:PORT]")]
    pub dns_server: Option<String>,

    /// Check CAA for this CA's issuer domain (e.g. letsencrypt.org) instead of the CA that
    /// issued the certificate: the pre-flight check before a renewal or a change of CA. Repeatable.
    #[arg(help_heading = "Names, DNS and CAA", long = "caa-issuer", value_name = "DOMAIN")]
    pub caa_issuers: Vec<String>,

    /// Read this hosts file instead of /etc/hosts (e.g. one copied from the server). The system
    /// resolver, which reads /etc/hosts, is then not consulted for certificate names.
    #[arg(help_heading = "Names, DNS and CAA", long, value_name = "PATH")]
    pub hosts_file: Option<PathBuf>,

    /// The scanned services run on this machine: every certificate name must resolve to
    /// 127.0.0.1 through the hosts file (as Wazo's services require). Inferred for loopback and
    /// local addresses, where only a name mapped elsewhere is reported.
    #[arg(help_heading = "Names, DNS and CAA", long)]
    pub local: bool,

    /// The private key for the --file of the same position (PEM); checked against its leaf. A
    /// key inside the chain file itself is found without it. Repeatable.
    #[arg(help_heading = "Deployment", long = "key", value_name = "PEM")]
    pub keys: Vec<PathBuf>,

    /// A user or group (name, or UID[:GID]) that must be able to read the certificate and key
    /// files, e.g. www-data. Repeatable.
    #[arg(help_heading = "Deployment", long = "readable-by", value_name = "USER|GROUP")]
    pub readable_by: Vec<String>,

    /// The certificate file the scanned endpoints should be serving: a different served
    /// certificate is reported as deploy.stale.
    #[arg(help_heading = "Deployment", long, value_name = "PEM")]
    pub compare: Option<PathBuf>,

    /// nginx configuration (a file or a folder such as /etc/nginx/sites-enabled, with its
    /// includes): every TLS server block's certificate and key are checked, and each TLS port on
    /// this machine is compared with the certificate it is configured with. With --local,
    /// /etc/nginx/sites-enabled is read when it exists.
    #[arg(help_heading = "Deployment", long, value_name = "PATH")]
    pub nginx_conf: Option<PathBuf>,

    /// A client certificate to present when a server asks for one (mutual TLS: SIP trunks,
    /// Teams Direct Routing, mTLS APIs): a PEM chain, leaf first (with the key in it, or in
    /// --client-key), or a PKCS#12 file (.p12, .pfx) opened with --password-env. The key never
    /// appears in any output.
    #[arg(help_heading = "Trust and time", long, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,

    /// The certificates checked are also presented as client certificates (a SIP trunk's, which
    /// the server shows when it calls out; a --file before it is deployed on a trunk): they must
    /// allow clientAuth, and a public CA's will not at its next renewal. SIPS servers that ask
    /// their peers for a certificate are checked so without it.
    #[arg(help_heading = "Trust and time", long)]
    pub mutual_tls: bool,

    /// The client certificate's private key (PEM), when it is not in the --client-cert file.
    #[arg(help_heading = "Trust and time", long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// The environment variable that holds the password of PKCS#12 (.p12, .pfx) files; the
    /// empty password is tried without it. Never give a password on the command line.
    #[arg(help_heading = "Deployment", long, value_name = "VAR")]
    pub password_env: Option<String>,

    /// certbot's folder: each lineage's chain and key are checked, and a lineage without a hook
    /// that reloads or copies after renewal is reported. With --local, /etc/letsencrypt is read
    /// when it exists.
    #[arg(help_heading = "Deployment", long, value_name = "DIR")]
    pub letsencrypt_dir: Option<PathBuf>,

    /// A file a service uses as a copy of a certbot certificate (e.g. Kazoo's crossbar.crt): it
    /// must match the lineage's current certificate. Repeatable.
    #[arg(help_heading = "Deployment", long = "copy", value_name = "PEM")]
    pub copies: Vec<PathBuf>,

    /// Where the platform's configuration lives (default /, with --local): with --profile wazo,
    /// the services' YAML (etc/wazo-*/conf.d, etc/xivo/custom) is checked against the
    /// certificate (usr/share/xivo-certs/server.crt, or the first --file); with --profile kazoo,
    /// Monster UI's js/config.js API URLs are checked and scanned.
    #[arg(help_heading = "Deployment", long, value_name = "DIR")]
    pub config_root: Option<PathBuf>,

    /// Expand each bare host into a platform's TLS ports (wazo, kazoo, kurento, or a profile
    /// file); see --list-profiles.
    #[arg(help_heading = "Targets", long, value_name = "NAME|FILE", value_parser = ProfileName)]
    pub profile: Option<String>,

    /// Speak this protocol on targets given without a scheme, instead of choosing by port.
    #[arg(help_heading = "Targets", long, value_enum)]
    pub protocol: Option<ProtocolArg>,

    /// Open targets given without a scheme with this protocol's STARTTLS, as `openssl s_client
    /// -starttls` does (the same as --protocol with that protocol). The schemes smtp://, imap://,
    /// xmpp://, xmpp-server://, ldap:// and postgres:// do it per target, and ports 25, 587, 143,
    /// 5222, 5269, 389 and 5432 do it by default.
    #[arg(
        help_heading = "Targets",
        long,
        value_enum,
        value_name = "PROTO",
        conflicts_with = "protocol"
    )]
    pub starttls: Option<StartTlsProtocol>,

    /// Describe client families of your own in a TOML file, in the format of
    /// checks/data/clients.toml (a [[family]] table each, with an id, a name and the settings
    /// you know: min_tls = "1.0", cn_fallback = true, sha1 = "accepted", ...); --clients can
    /// then name them. A setting left out makes what depends on it "not known".
    #[arg(help_heading = "Output", long, value_name = "FILE")]
    pub clients_file: Option<PathBuf>,

    /// List the client families that --clients names, with the settings that decide what each
    /// does and where each setting comes from, then exit.
    #[arg(help_heading = "Output", long)]
    pub list_clients: bool,

    /// List the built-in platform profiles and their ports, then exit.
    #[arg(help_heading = "Targets", long)]
    pub list_profiles: bool,

    /// Print what a check id means, why it matters and how to fix it, then exit.
    #[arg(help_heading = "Output", long, value_name = "ID")]
    pub explain: Option<String>,

    /// List every check id with its default severity and title, then exit (with --format json,
    /// the whole catalog as JSON).
    #[arg(help_heading = "Output", long)]
    pub list_checks: bool,

    /// Print the manual page (roff), then exit:
    /// certscan --man > /usr/local/share/man/man1/certscan.1
    #[arg(help_heading = "Install", long)]
    pub man: bool,

    /// Print the completion script for SHELL (bash, zsh, fish, elvish, powershell), then exit:
    /// certscan --completions bash > /etc/bash_completion.d/certscan
    #[arg(help_heading = "Install", long, value_name = "SHELL")]
    pub completions: Option<clap_complete::Shell>,
}

/// The protocols `--starttls` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StartTlsProtocol {
    Smtp,
    Imap,
    Xmpp,
    XmppServer,
    Ldap,
    Postgres,
}

impl From<StartTlsProtocol> for Protocol {
    fn from(protocol: StartTlsProtocol) -> Protocol {
        match protocol {
            StartTlsProtocol::Smtp => Protocol::Smtp,
            StartTlsProtocol::Imap => Protocol::Imap,
            StartTlsProtocol::Xmpp => Protocol::Xmpp,
            StartTlsProtocol::XmppServer => Protocol::XmppServer,
            StartTlsProtocol::Ldap => Protocol::Ldap,
            StartTlsProtocol::Postgres => Protocol::Postgres,
        }
    }
}

/// `--color`: when the table is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// The protocols `--protocol` takes: every protocol certscan speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProtocolArg {
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
    XmppServer,
    /// LDAP with the StartTLS operation (RFC 4511).
    Ldap,
    /// PostgreSQL with its SSLRequest.
    Postgres,
}

impl From<ProtocolArg> for Protocol {
    fn from(protocol: ProtocolArg) -> Protocol {
        match protocol {
            ProtocolArg::Https => Protocol::Https,
            ProtocolArg::Wss => Protocol::Wss,
            ProtocolArg::Sips => Protocol::Sips,
            ProtocolArg::Tls => Protocol::Tls,
            ProtocolArg::Smtp => Protocol::Smtp,
            ProtocolArg::Imap => Protocol::Imap,
            ProtocolArg::Xmpp => Protocol::Xmpp,
            ProtocolArg::XmppServer => Protocol::XmppServer,
            ProtocolArg::Ldap => Protocol::Ldap,
            ProtocolArg::Postgres => Protocol::Postgres,
        }
    }
}

/// The methods `--revocation` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RevocationArg {
    /// Ask the OCSP responder the leaf names.
    Ocsp,
    /// Fetch the CRL the leaf names.
    Crl,
}

impl From<RevocationArg> for RevocationMethod {
    fn from(method: RevocationArg) -> RevocationMethod {
        match method {
            RevocationArg::Ocsp => RevocationMethod::Ocsp,
            RevocationArg::Crl => RevocationMethod::Crl,
        }
    }
}

impl Args {
    /// The report format asked for.
    pub(crate) fn format(&self) -> Format {
        self.format.into()
    }
}

/// The formats `--format` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Table,
    Json,
    /// One JSON object per line: each target's result as soon as it is known, then a summary.
    Ndjson,
    Nagios,
    /// Prometheus text exposition format, for node_exporter's textfile collector.
    Prometheus,
    /// JUnit XML, for the test views of GitLab, Jenkins and Azure DevOps.
    Junit,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Nagios => Format::Nagios,
            FormatArg::Prometheus => Format::Prometheus,
            FormatArg::Junit => Format::Junit,
        }
    }
}

/// The severities `--fail-on` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOnArg {
    Critical,
    /// The Nagios exit codes as they are: WARNING and worse (the default).
    Warning,
    Info,
}

impl From<FailOnArg> for FailOn {
    fn from(fail_on: FailOnArg) -> FailOn {
        match fail_on {
            FailOnArg::Critical => FailOn::Critical,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Info => FailOn::Info,
        }
    }
}

/// `--profile`: any text (a built-in name or a file's path, checked when loaded), whose built-in
/// names shell completion offers.
#[derive(Clone)]
struct ProfileName;

impl clap::builder::TypedValueParser for ProfileName {
    type Value = String;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            certscan_platforms::profile::builtin_names()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// What certscan does other than scan once.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Run as a Prometheus exporter: GET /probe?target=HOST:PORT[&module=NAME] scans that target
    /// with the module's flags and answers with its metrics and certscan_probe_success, as
    /// blackbox_exporter does; GET /metrics answers with the exporter's own. Only targets the
    /// configuration allows are scanned.
    Serve(ServeArgs),
}

/// The exporter's flags.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Where to listen for scrapes (ADDRESS:PORT, e.g. 127.0.0.1:9784 or [::]:9784).
    #[arg(long, value_name = "ADDRESS:PORT")]
    pub listen: std::net::SocketAddr,

    /// The exporter's configuration (TOML): `allow` (the HOST:PORT patterns /probe may scan),
    /// `[modules.NAME] args = [...]` (certscan flags per module), `max_concurrent_probes`,
    /// `timeout_seconds`. See README, "Prometheus exporter".
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}
