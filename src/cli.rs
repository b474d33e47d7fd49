//! The command line: flags, their validation into a scan plan, and the run from targets to exit
//! code. Usage errors are reported before anything is probed and exit with 3 (UNKNOWN).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{CommandFactory, Parser, ValueEnum};
use rustls::pki_types::ServerName;

use crate::scan::{self, Order, Plan};
use crate::target_source::{Completion, TargetSource};
use certscan_checks::Policy;
use certscan_checks::deploy::Account;
use certscan_checks::validity::{DEFAULT_CRITICAL_SHARE, DEFAULT_WARNING_SHARE, Limit, Thresholds};
use certscan_model::catalog;
use certscan_model::finding::CheckId;
use certscan_model::status::Status;
use certscan_model::target::{self, Extra, FileTarget, Protocol, ResolvePin, Target};
use certscan_platforms::profile;
use certscan_probe::dns::DnsOptions;
use certscan_probe::hosts::HostsFile;
use certscan_probe::names::ResolutionOptions;
use certscan_probe::slots::{self, PerAddressSize, SlotSizes};
use certscan_probe::{self as probe, NameSource, ProbeOptions};
use certscan_report::{self as report, FailOn, Format, Run};
use certscan_x509::trust::{TrustBase, TrustStore};

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
pub enum TrustArg {
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
    version,
    about = "TLS certificate diagnostics: chains, names, expiry and connection problems, for endpoints and files",
    after_help = EXAMPLES
)]
pub struct Args {
    /// Endpoints: HOST, HOST:PORT, HOST:PORT1,PORT2, [IPv6]:PORT, https://HOST[:PORT][/PATH],
    /// wss://HOST[:PORT][/PATH], sips:HOST[:PORT]. Default port 443 (5061 for sips).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

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

    /// Connect to ADDR for HOST:PORT, as curl does. Repeatable.
    #[arg(help_heading = "Targets", long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,

    /// Send NAME as SNI instead of the target's host name (IP targets send none).
    #[arg(help_heading = "Targets", long, value_name = "NAME")]
    pub sni: Option<String>,

    /// Endpoints being connected to at once. One that has not finished within a fortieth of
    /// --timeout (longer when live servers answer slowly) steps aside to wait, with up to 5120
    /// others within the open-file limit, so dead endpoints do not hold up live ones.
    #[arg(help_heading = "Targets", long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// At most N connections to one address at once, so a SIP edge or a shared backend does not
    /// ban the scanner (0: no limit). Default 16, not applied to loopback addresses unless given.
    #[arg(help_heading = "Targets", long, value_name = "N")]
    pub per_host: Option<u32>,

    /// Seconds allowed per endpoint: connect, TLS handshake and protocol exchange together.
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
    pub revocation: Vec<certscan_model::evidence::RevocationMethod>,

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
    #[arg(help_heading = "Output", long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The least severity that makes the exit status non-zero (a CI gate): critical, warning
    /// (the Nagios codes as they are), or info. UNKNOWN always fails.
    #[arg(help_heading = "Output", long, value_enum, default_value_t = FailOn::Warning, value_name = "SEVERITY")]
    pub fail_on: FailOn,

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
    #[arg(help_heading = "Targets", long, value_name = "NAME|FILE")]
    pub profile: Option<String>,

    /// Speak this protocol on targets given without a scheme, instead of choosing by port.
    #[arg(help_heading = "Targets", long, value_enum)]
    pub protocol: Option<Protocol>,

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

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn rfc3339(unix: i64) -> String {
    certscan_x509::certificate::rfc3339(unix)
}

/// What to say when the command line names nothing to scan, or the lists it names are empty.
const NOTHING_TO_SCAN: &str = "nothing to scan: give at least one TARGET, --targets-file or --file (see --help)";

impl Args {
    /// Validates the flags into a scan plan; errors name the bad input.
    pub fn into_plan(self) -> Result<Plan, String> {
        let args = self;
        // The policy first: a mistake in it is said before anything is scanned.
        let compliance = args
            .policy
            .as_deref()
            .map(certscan_checks::compliance::load)
            .transpose()?;
        let mut given = Vec::new();
        for text in &args.targets {
            given.extend(target::parse_target(text)?);
        }
        // Targets files are read as the scan goes; one that cannot be opened is said now.
        for path in args.targets_files.iter().filter(|p| p.as_os_str() != "-") {
            std::fs::File::open(path).map_err(|e| format!("cannot read targets file {}: {e}", path.display()))?;
        }
        let completion = Completion {
            protocol: args.starttls.map(Protocol::from).or(args.protocol),
            profile: args.profile.as_deref().map(profile::load).transpose()?,
            compare: args.compare.clone(),
        };
        let given = completion.complete(given);
        // Targets found in configurations.
        let mut targets: Vec<Target> = Vec::new();
        let mut kazoo_insecure: Vec<(PathBuf, String)> = Vec::new();
        let mut files: Vec<FileTarget> = args
            .files
            .iter()
            .enumerate()
            .map(|(i, path)| FileTarget {
                path: path.clone(),
                extra: Extra {
                    key: args.keys.get(i).cloned(),
                    ..Extra::default()
                },
            })
            .collect();
        let mut resolve_pins = args
            .resolve
            .iter()
            .map(|r| ResolvePin::parse(r))
            .collect::<Result<Vec<_>, _>>()?;
        // Ports of this machine that the reverse proxy forwards to, as (proxy_pass, port).
        let mut proxied_backends: Vec<(String, u16)> = Vec::new();
        let nginx = match (&args.nginx_conf, args.local) {
            (Some(path), _) => Some(path.clone()),
            (None, true) => Some(PathBuf::from("/etc/nginx/sites-enabled")).filter(|p| p.is_dir()),
            (None, false) => None,
        };
        if let Some(path) = nginx {
            let configured = certscan_platforms::nginx::targets(&path).map_err(|e| format!("--nginx-conf: {e}"))?;
            for file in &configured.files {
                proxied_backends.extend(file.extra.proxy_backends.iter().cloned());
            }
            files.extend(configured.files);
            targets.extend(configured.targets);
            for pin in configured.pins {
                if !resolve_pins.iter().any(|r| r.host == pin.host && r.port == pin.port) {
                    resolve_pins.push(pin);
                }
            }
        }
        let letsencrypt = match (&args.letsencrypt_dir, args.local) {
            (Some(dir), _) => Some(dir.clone()),
            (None, true) => Some(PathBuf::from("/etc/letsencrypt")).filter(|p| p.join("live").is_dir()),
            (None, false) => None,
        };
        if let Some(dir) = letsencrypt {
            for lineage in certscan_platforms::certbot::lineages(&dir).map_err(|e| format!("--letsencrypt-dir: {e}"))? {
                files.push(FileTarget {
                    path: lineage.fullchain.clone(),
                    extra: Extra {
                        key: Some(lineage.key.clone()),
                        source: Some(format!("certbot lineage {}", lineage.name)),
                        copies: args.copies.clone(),
                        lineage: Some(lineage),
                        ..Extra::default()
                    },
                });
            }
        } else if !args.copies.is_empty() {
            return Err("--copy compares files with certbot lineages: give --letsencrypt-dir too".into());
        }
        let config_root = args
            .config_root
            .clone()
            .or_else(|| args.local.then(|| PathBuf::from("/")));
        match (args.profile.as_deref(), &config_root) {
            (Some("wazo"), Some(root)) => {
                let config = certscan_platforms::wazo::settings(root).map_err(|e| format!("--config-root: {e}"))?;
                // The certificate the services serve: the one the merged configuration names,
                // else Wazo's default; with the key beside it.
                let (certificate, key) = match (&config.certificate, &config.private_key) {
                    (Some(certificate), key) => (certificate.value.clone(), key.as_ref().map(|k| k.value.clone())),
                    (None, _) => (
                        root.join(certscan_platforms::wazo::DEFAULT_CERTIFICATE),
                        Some(root.join(certscan_platforms::wazo::DEFAULT_KEY)),
                    ),
                };
                let key = key.filter(|k| k.exists());
                match files.first_mut() {
                    Some(first) => first.extra.wazo = config.clients,
                    None if certificate.exists() => files.push(FileTarget {
                        path: certificate,
                        extra: Extra {
                            wazo: config.clients,
                            key,
                            source: Some("wazo".into()),
                            ..Extra::default()
                        },
                    }),
                    None => {}
                }
            }
            (Some("kazoo"), Some(root)) => {
                for candidate in [
                    "var/www/html/monster-ui/js/config.js",
                    "var/www/monster-ui/js/config.js",
                ] {
                    let path = root.join(candidate);
                    let Ok(bytes) = probe::file::read_bounded(&path) else {
                        continue;
                    };
                    let urls = certscan_platforms::kazoo::api_urls(&String::from_utf8_lossy(&bytes))
                        .map_err(|e| format!("--config-root: {}: {e}", path.display()))?;
                    for url in urls {
                        let source = Some(format!("kazoo {}", path.display()));
                        match target::parse_target(&url) {
                            Ok(mut parsed) => {
                                for t in &mut parsed {
                                    t.extra = Extra {
                                        source: source.clone(),
                                        ..Extra::default()
                                    };
                                }
                                targets.extend(parsed);
                            }
                            Err(_) => kazoo_insecure.push((path.clone(), url)),
                        }
                    }
                }
            }
            _ => {}
        }
        let shard = args.shard.as_deref().map(target::Shard::parse).transpose()?;
        let unsharded_sources = files.len() + kazoo_insecure.len();
        if let Some(shard) = &shard {
            files.retain(|f| shard.holds(&f.path.display().to_string()));
            kazoo_insecure.retain(|(path, url)| shard.holds(&format!("{}|{url}", path.display())));
        }
        let targets = TargetSource {
            given,
            files: args.targets_files.clone(),
            configured: targets,
            completion,
            shard,
        };
        if !targets.may_hold_targets() && unsharded_sources == 0 {
            return Err(NOTHING_TO_SCAN.into());
        }
        // A name no client could look up (".example.com") is judged, as a client would judge
        // it: no certificate is valid for it. Only what cannot be a name at all is refused.
        for name in &args.names {
            if name.trim().is_empty() || name.contains(char::is_whitespace) || name.contains(char::is_control) {
                return Err(format!("--name {name:?} is neither a DNS name nor an IP address"));
            }
        }
        if let Some(sni) = &args.sni
            && !matches!(ServerName::try_from(sni.as_str()), Ok(ServerName::DnsName(_)))
        {
            return Err(format!("--sni {sni:?} is not a valid DNS name"));
        }
        if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
            return Err(format!(
                "--timeout {} must be a number of seconds between 0 and 3600",
                args.timeout
            ));
        }
        if let Some(deadline) = args.deadline
            && !(deadline.is_finite() && deadline > 0.0 && deadline <= 86_400.0)
        {
            return Err(format!(
                "--deadline {deadline} must be a number of seconds between 0 and 86400"
            ));
        }
        // The Nagios plugin guidelines: -t is the whole plugin's timeout.
        let run_budget = args
            .deadline
            .or((args.format == Format::Nagios).then_some(args.timeout))
            .map(Duration::from_secs_f64);
        // Work stops a little before the budget ends, to leave time to write the report.
        let work_budget = run_budget.map(|budget| budget.saturating_sub((budget / 10).min(Duration::from_millis(500))));
        // Without --deadline, a Nagios -t is also what one endpoint may take; with it, -t keeps
        // its per-endpoint meaning and an endpoint the deadline cuts short is UNKNOWN.
        let endpoint_timeout = match (args.deadline, work_budget) {
            (None, Some(work)) => work,
            _ => Duration::from_secs_f64(args.timeout),
        };
        let thresholds = expiry_thresholds(args.warning.as_deref(), args.critical.as_deref())?;
        let at_unix = match &args.at {
            None => now_unix(),
            Some(text) => time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|e| format!("--at {text:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z ({e})"))?
                .unix_timestamp(),
        };
        let base = match args.trust {
            TrustArg::Mozilla => TrustBase::Mozilla,
            TrustArg::System => TrustBase::System,
            TrustArg::None => TrustBase::None,
        };
        let mut trust = TrustStore::new(base)?;
        for path in &args.ca_files {
            let certificates = probe::file::read_certificates(path, None).map_err(|e| format!("--ca-file: {e}"))?;
            trust
                .add_certificates(certificates)
                .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        }
        let dns = if args.no_dns {
            None
        } else {
            let server = args.dns_server.as_deref().map(parse_dns_server).transpose()?;
            Some(DnsOptions {
                server,
                timeout: Duration::from_secs_f64(args.timeout),
                concurrency: args.concurrency as usize,
            })
        };
        let hosts = match &args.hosts_file {
            Some(path) => HostsFile::read(path).map_err(|e| format!("--hosts-file: {e}"))?,
            None => HostsFile::read(std::path::Path::new("/etc/hosts")).unwrap_or_default(),
        };
        // The system resolver answers for this machine as configured; any override (another hosts
        // file, another DNS server, no DNS) asks for a different view, in which it has no place.
        let resolution = ResolutionOptions {
            hosts,
            system: args.hosts_file.is_none() && args.dns_server.is_none() && !args.no_dns,
            dns: dns.clone(),
            timeout: Duration::from_secs_f64(args.timeout),
        };
        let local_addresses = if_addrs::get_if_addrs()
            .map(|all| all.iter().map(|i| i.ip()).collect())
            .unwrap_or_default();
        if args.keys.len() > args.files.len() {
            return Err(format!(
                "{} --key given for {} --file: each --key goes with the --file of the same position",
                args.keys.len(),
                args.files.len()
            ));
        }
        let mut readable_by = if args.readable_by.is_empty() {
            vec![]
        } else {
            args.readable_by
                .iter()
                .map(|name| account(name))
                .collect::<Result<Vec<_>, _>>()?
        };
        // Wazo's web services run as www-data and must read the certificate and key.
        if args.profile.as_deref() == Some("wazo") && !args.readable_by.iter().any(|a| a == "www-data") {
            readable_by.extend(account("www-data").ok());
        }
        let reload_command = match args.profile.as_deref() {
            Some("wazo") => "wazo-service restart all (xivo-service restart all on older releases)",
            Some("kazoo") => {
                "sup kapps_controller restart_app crossbar (Kazoo 4; on Kazoo 3: sup whapps_controller restart_app crossbar)"
            }
            Some("kurento") => "systemctl restart kurento-media-server",
            _ => "systemctl reload nginx (or restart the service that serves this port)",
        }
        .to_string();
        let mut ignore = Vec::new();
        for rule in &args.ignore {
            let (id, host) = match rule.split_once('@') {
                Some((id, host)) => (id, Some(host.trim_end_matches('.').to_string())),
                None => (rule.as_str(), None),
            };
            let id = CheckId::from_id(id).ok_or_else(|| {
                format!("--ignore {rule:?}: no check is called {id:?} (certscan --list-checks lists them)")
            })?;
            ignore.push((id, host));
        }
        let mut caa_issuers = Vec::new();
        for issuer in &args.caa_issuers {
            let domain = issuer.trim().trim_end_matches('.').to_ascii_lowercase();
            if certscan_checks::caa::parse_issue_value(domain.as_bytes()) != Ok(Some(domain.clone())) {
                return Err(format!(
                    "--caa-issuer {issuer:?} is not a CAA issuer domain such as letsencrypt.org"
                ));
            }
            caa_issuers.push(domain);
        }
        let pkcs12_password = match &args.password_env {
            None => None,
            Some(var) => Some(std::env::var(var).map_err(|_| {
                format!("--password-env {var}: the environment variable {var} is not set (or not UTF-8)")
            })?),
        };
        let given_anchors = trust
            .given_certificates()
            .map(|c| certscan_x509::certificate::CertInfo::from_der(c.as_ref(), at_unix))
            .collect();
        Ok(Plan {
            targets,
            kazoo_insecure,
            files,
            pkcs12_password,
            run_budget: work_budget,
            shard,
            unsharded_sources,
            color: args.color,
            verbose: args.verbose,
            gate: certscan_report::Gate {
                fail_on: args.fail_on,
                ignore: args.ignore.clone(),
            },
            machine_root: config_root.clone(),
            probe: ProbeOptions {
                deadline: None,
                minimum_version: compliance
                    .as_ref()
                    .and_then(|policy| policy.min_version.as_ref())
                    .map(|rule| rule.value)
                    // TLS 1.0 is the lowest certscan can offer: nothing below it to try.
                    .filter(|version| *version > 0x0301),
                timeout: endpoint_timeout,
                slots: SlotSizes {
                    active: args.concurrency as usize,
                    quiet: slots::DEFAULT_QUIET,
                    quiet_limited_by_open_files: false,
                    patience: slots::patience_for(endpoint_timeout),
                    timeout: endpoint_timeout,
                    per_address: match args.per_host {
                        None => Some(PerAddressSize {
                            limit: slots::DEFAULT_PER_HOST,
                            loopback_too: false,
                        }),
                        Some(0) => None,
                        Some(limit) => Some(PerAddressSize {
                            limit: limit as usize,
                            loopback_too: true,
                        }),
                    },
                },
                resolve_pins,
                sni: args.sni,
                progress: None,
                queued: None,
                name_source: if args.hosts_file.is_some() || args.dns_server.is_some() {
                    NameSource::Emulated {
                        hosts: resolution.hosts.clone(),
                        dns: dns.clone(),
                    }
                } else {
                    NameSource::System
                },
            },
            dns,
            resolution,
            fetch_issuer: args.fetch_issuer,
            revocation: {
                let mut methods = args.revocation.clone();
                methods.dedup();
                methods
            },
            policy: Policy {
                trust,
                at_unix,
                thresholds,
                names: args.names,
                caa_issuers,
                local_addresses,
                assume_local: args.local,
                ignore,
                proxied_backends,
                platform: match args.profile.as_deref() {
                    Some("wazo") => Some(certscan_checks::platform::Platform::Wazo),
                    Some("kazoo") => Some(certscan_checks::platform::Platform::Kazoo),
                    Some("kurento") => Some(certscan_checks::platform::Platform::Kurento),
                    _ => None,
                },
                readable_by,
                reload_command,
                write_chain: args.write_chain.clone(),
                compliance: compliance.clone().map(std::sync::Arc::new),
                given_anchors: std::sync::Arc::new(given_anchors),
                parsed: Default::default(),
            },
            format: args.format,
            output: args.output,
            started_at: rfc3339(now_unix()),
            evaluated_at: rfc3339(at_unix),
        })
    }
}

/// The protocols `--starttls` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartTlsProtocol {
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

/// `-w` and `-c`: each days or a share of the lifetime; the one not given takes its default
/// of the same kind; neither given keeps the defaults, which switch by lifetime.
fn expiry_thresholds(warning: Option<&str>, critical: Option<&str>) -> Result<Thresholds, String> {
    let parse = |flag: &str, text: Option<&str>| {
        text.map(|t| Limit::parse(t).map_err(|e| format!("{flag}: {e}")))
            .transpose()
    };
    let (warning, critical) = (parse("--warning", warning)?, parse("--critical", critical)?);
    let default_of_kind = |other: Option<Limit>, days: i64, share: f64| match other {
        Some(Limit::Percent(_)) => Limit::Percent(share),
        _ => Limit::Days(days),
    };
    let thresholds = Thresholds {
        by_lifetime: warning.is_none() && critical.is_none(),
        warning: warning.unwrap_or_else(|| default_of_kind(critical, 30, DEFAULT_WARNING_SHARE)),
        critical: critical.unwrap_or_else(|| default_of_kind(warning, 14, DEFAULT_CRITICAL_SHARE)),
    };
    let out_of_order = match (thresholds.warning, thresholds.critical) {
        (Limit::Days(w), Limit::Days(c)) => w < c,
        (Limit::Percent(w), Limit::Percent(c)) => w < c,
        _ => false,
    };
    if out_of_order {
        return Err(format!(
            "--warning ({}) must be at least --critical ({})",
            thresholds.warning.as_text(),
            thresholds.critical.as_text()
        ));
    }
    Ok(thresholds)
}

/// `ADDR`, `ADDR:PORT`, `[IPv6]:PORT`; port 53 by default.
fn parse_dns_server(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(address) = text.parse::<std::net::SocketAddr>() {
        return Ok(address);
    }
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .map_err(|_| format!("--dns-server {text:?} is not an IP address with an optional port, e.g. 127.0.0.1:5353"))
}

/// An account named on the command line: `UID[:GID]`, a user (with its groups), or a group,
/// looked up through the system's name service.
fn account(name: &str) -> Result<Account, String> {
    let numeric = |text: &str| text.parse::<u32>().ok();
    if let Some(uid) = numeric(name.split(':').next().unwrap_or("")) {
        let gids = match name.split_once(':') {
            Some((_, gid)) => vec![numeric(gid).ok_or_else(|| format!("--readable-by {name:?}: expected UID[:GID]"))?],
            None => vec![],
        };
        return Ok(Account {
            label: name.to_string(),
            uid: Some(uid),
            gids,
        });
    }
    match certscan_probe::disk::lookup_account(name) {
        Some((Some(uid), gids)) => {
            return Ok(Account {
                label: format!("user {name}"),
                uid: Some(uid),
                gids,
            });
        }
        Some((None, gids)) => {
            return Ok(Account {
                label: format!("group {name}"),
                uid: None,
                gids,
            });
        }
        None => {}
    }
    Err(format!(
        "--readable-by {name:?} is neither a local user nor a group (nor UID[:GID])"
    ))
}

/// Colour only for a table written to a terminal, and never when NO_COLOR is set.
/// `--color`: when the table is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// Colour only for tables: always or never when asked, else on a terminal without NO_COLOR.
fn use_color(choice: ColorChoice, format: Format, to_file: bool, stdout_is_terminal: bool, no_color: bool) -> bool {
    format == Format::Table
        && match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !to_file && stdout_is_terminal && !no_color,
        }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("certscan: {message}");
    // A monitoring system shows a plugin's standard output only, and a CI job parses it: say it
    // there too, in the format asked for.
    let said = match requested_format(std::env::args()) {
        Some(Format::Nagios) => format!("CERTSCAN UNKNOWN - {}\n", message.replace('|', "/")),
        Some(Format::Json) => report::json::usage_error(message, false),
        Some(Format::Ndjson) => report::json::usage_error(message, true),
        Some(Format::Junit) => report::junit::usage_error(message),
        Some(Format::Table | Format::Prometheus) | None => String::new(),
    };
    if !said.is_empty() {
        let _ = write_stdout(&said);
    }
    ExitCode::from(Status::Unknown.exit_code())
}

/// The format the command line asks for (looked at before, or without, parsing it).
fn requested_format(args: impl IntoIterator<Item = String>) -> Option<Format> {
    let args: Vec<String> = args.into_iter().collect();
    let value = args
        .windows(2)
        .rev()
        .find(|w| w[0] == "--format")
        .map(|w| w[1].clone())
        .or_else(|| {
            args.iter()
                .rev()
                .find_map(|a| a.strip_prefix("--format=").map(str::to_string))
        })?;
    Format::from_str(&value, false).ok()
}

/// Writes to standard output; a closed pipe (`certscan ... | head`) is not an error.
fn write_stdout(text: &str) -> std::io::Result<()> {
    write_stdout_bytes(text.as_bytes())
}

fn write_stdout_bytes(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A report file written under a temporary name beside its path, then renamed over it: a
/// reader never sees half a report, and a symbolic link at the path is replaced, not followed.
/// Dropped without [`ReportFile::commit`], the temporary file is removed.
struct ReportFile {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl ReportFile {
    fn create(path: &std::path::Path) -> std::io::Result<ReportFile> {
        let name = path
            .file_name()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".certscan-{}.tmp", std::process::id()));
        let temporary = path.with_file_name(temporary_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        Ok(ReportFile {
            path: path.to_path_buf(),
            temporary,
            file: Some(std::io::BufWriter::new(file)),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.file {
            Some(file) => file.write_all(bytes),
            None => Ok(()),
        }
    }

    fn commit(mut self) -> std::io::Result<()> {
        let Some(file) = self.file.take() else { return Ok(()) };
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.temporary, &self.path)
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// `--write-chain`: writes the first corrected chain of the run (atomically, as the report);
/// another endpoint that needs a different chain is said, not written over it.
struct ChainWriter {
    path: PathBuf,
    written: Option<(String, String)>,
    notes: Vec<String>,
    failed: bool,
}

impl ChainWriter {
    fn new(path: PathBuf) -> ChainWriter {
        ChainWriter {
            path,
            written: None,
            notes: vec![],
            failed: false,
        }
    }

    fn offer(&mut self, result: &certscan_checks::TargetResult) {
        let Some(pem) = &result.corrected_chain else { return };
        match &self.written {
            Some((_, same)) if same == pem => {}
            Some((first, _)) => self.notes.push(format!(
                "{} needs another chain than {first}; {} holds {first}'s",
                result.label(),
                self.path.display()
            )),
            None => {
                let written = ReportFile::create(&self.path).and_then(|mut file| {
                    file.write(pem.as_bytes())?;
                    file.commit()
                });
                match written {
                    Ok(()) => self.written = Some((result.label(), pem.clone())),
                    Err(e) => {
                        self.failed = true;
                        self.notes.push(format!(
                            "cannot write the corrected chain to {}: {e}",
                            self.path.display()
                        ));
                    }
                }
            }
        }
    }

    /// Says what happened on standard error; whether the run must end UNKNOWN.
    fn finish(self) -> bool {
        if self.written.is_none() && !self.failed {
            eprintln!(
                "certscan: --write-chain: no chain was corrected (none lacked an intermediate that --fetch-issuer could fetch), so {} was not written",
                self.path.display()
            );
        }
        for note in &self.notes {
            eprintln!("certscan: --write-chain: {note}");
        }
        self.failed
    }
}

/// One target's results as the report needs them: NDJSON lines already rendered, with their
/// counts, or the results themselves.
enum Prepared {
    Lines { ndjson: Vec<u8>, tally: report::Tally },
    Results(Vec<certscan_checks::TargetResult>),
}

/// Where the report goes: standard output (what is written waits in `pending` until a flush)
/// or a file, renamed into place when the run ends.
enum ReportOutput {
    Stdout { pending: Vec<u8> },
    File(ReportFile),
}

/// Standard output is written once this much is pending, even while more results are ready, so
/// a burst of results (thousands of endpoints timing out together) is not held in memory.
const STDOUT_BATCH: usize = 64 * 1024;

impl ReportOutput {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            ReportOutput::Stdout { .. } if bytes.len() >= STDOUT_BATCH => {
                // A whole report: written as it is, not copied.
                self.flush()?;
                write_stdout_bytes(bytes)
            }
            ReportOutput::Stdout { pending } => {
                pending.extend_from_slice(bytes);
                if pending.len() >= STDOUT_BATCH {
                    return self.flush();
                }
                Ok(())
            }
            ReportOutput::File(file) => file.write(bytes),
        }
    }

    /// Hands what is pending to standard output (a file is only read once renamed into place).
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ReportOutput::Stdout { pending } if !pending.is_empty() => {
                let written = write_stdout_bytes(pending);
                pending.clear();
                written
            }
            ReportOutput::Stdout { .. } | ReportOutput::File(_) => Ok(()),
        }
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.flush()?;
        match self {
            ReportOutput::Stdout { .. } => Ok(()),
            ReportOutput::File(file) => file.commit(),
        }
    }
}

/// The whole program: parse, scan, report, exit code.
pub fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::SUCCESS;
            }
            let first = e
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string();
            let said = match requested_format(std::env::args()) {
                Some(Format::Nagios) => format!("CERTSCAN UNKNOWN - {first}\n"),
                Some(Format::Json) => report::json::usage_error(&first, false),
                Some(Format::Ndjson) => report::json::usage_error(&first, true),
                Some(Format::Junit) => report::junit::usage_error(&first),
                Some(Format::Table | Format::Prometheus) | None => String::new(),
            };
            if !said.is_empty() {
                let _ = write_stdout(&said);
            }
            return ExitCode::from(Status::Unknown.exit_code());
        }
    };
    if let Some(id) = &args.explain {
        return match catalog::lookup(id) {
            Some(entry) => {
                let _ = write_stdout(&catalog::explain(entry));
                ExitCode::SUCCESS
            }
            None => usage_error(&format!(
                "no check is called {id:?} (certscan --list-checks lists them)"
            )),
        };
    }
    if args.man {
        let mut page = Vec::new();
        return match clap_mangen::Man::new(Args::command()).render(&mut page) {
            Ok(()) => {
                let _ = write_stdout(&String::from_utf8_lossy(&page));
                ExitCode::SUCCESS
            }
            Err(e) => usage_error(&format!("cannot write the manual page: {e}")),
        };
    }
    if let Some(shell) = args.completions {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Args::command(), "certscan", &mut script);
        let _ = write_stdout(&String::from_utf8_lossy(&script));
        return ExitCode::SUCCESS;
    }
    if args.list_profiles {
        let _ = write_stdout(&profile::list());
        return ExitCode::SUCCESS;
    }
    if args.list_policies {
        let _ = write_stdout(&certscan_checks::compliance::list());
        return ExitCode::SUCCESS;
    }
    if args.list_checks {
        let text = match args.format {
            Format::Json | Format::Ndjson => catalog::as_json(args.format == Format::Ndjson),
            Format::Table | Format::Nagios | Format::Prometheus | Format::Junit => catalog::entries()
                .iter()
                .map(|e| format!("{:<24} {:<9} {}\n", e.id, e.severity.as_str(), e.title))
                .collect(),
        };
        let _ = write_stdout(&text);
        return ExitCode::SUCCESS;
    }
    let mut plan = match args.into_plan() {
        Ok(plan) => plan,
        Err(message) => return usage_error(&message),
    };
    let sizes = &mut plan.probe.slots;
    let budget = crate::limits::open_files_for(sizes.active, sizes.quiet);
    if let Some(warning) = &budget.warning {
        eprintln!("certscan: warning: {warning}");
    }
    sizes.quiet = budget.quiet;
    sizes.quiet_limited_by_open_files = budget.quiet_limited;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&format!("cannot start the async runtime: {e}")),
    };
    // A progress bar on standard error, for tables on a terminal; it grows as targets are read.
    let bar = (plan.format == Format::Table && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} probing {pos}/{len} endpoints {wide_bar} {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    });
    if let Some(bar) = &bar {
        let (queued, done) = (bar.clone(), bar.clone());
        plan.probe.queued = Some(probe::Progress(Arc::new(move || queued.inc_length(1))));
        plan.probe.progress = Some(probe::Progress(Arc::new(move || {
            // A name can resolve to several addresses: grow the total rather than overflow it.
            if done.position() + 1 > done.length().unwrap_or(0) {
                done.inc_length(1);
            }
            done.inc(1)
        })));
    }
    let source = std::mem::take(&mut plan.targets);
    let plan = Arc::new(plan);
    let mut output = match &plan.output {
        None => ReportOutput::Stdout { pending: Vec::new() },
        Some(path) => match ReportFile::create(path) {
            Ok(file) => ReportOutput::File(file),
            Err(e) => return usage_error(&format!("cannot write {}: {e}", path.display())),
        },
    };
    let mut run = Run {
        started_at: plan.started_at.clone(),
        evaluated_at: plan.evaluated_at.clone(),
        thresholds: plan.policy.thresholds,
        targets: vec![],
        tally: Default::default(),
        empty_shard: false,
        gate: plan.gate.clone(),
        duration_seconds: None,
    };
    let started = std::time::Instant::now();
    // NDJSON prints each result as it comes and keeps none; the other formats keep them all,
    // to print them in the order of the input.
    let streaming = plan.format == Format::Ndjson;
    let mut kept: Vec<(Order, Vec<certscan_checks::TargetResult>)> = Vec::new();
    let mut write_error: Option<std::io::Error> = None;
    let mut chain_writer = plan.policy.write_chain.clone().map(ChainWriter::new);
    // NDJSON lines are rendered by the task that made the results, unless --write-chain needs
    // the results themselves here.
    let render_lines = streaming && chain_writer.is_none();
    let prepare = move |results: Vec<certscan_checks::TargetResult>| {
        if !render_lines {
            return Prepared::Results(results);
        }
        let mut ndjson = Vec::with_capacity(4096);
        let mut tally = report::Tally::default();
        for result in &results {
            report::json::write_ndjson_target_line(&mut ndjson, result);
            tally.add(result);
        }
        // Thousands of endpoints that time out together wait with their lines to be written.
        ndjson.shrink_to_fit();
        Prepared::Lines { ndjson, tally }
    };
    let end = runtime.block_on(scan::scan(plan.clone(), source, prepare, |order, prepared, more| {
        match prepared {
            Prepared::Lines { ndjson, tally } => {
                if write_error.is_none()
                    && let Err(e) = output.write(&ndjson)
                {
                    write_error = Some(e);
                }
                run.tally.absorb(tally);
            }
            Prepared::Results(results) => {
                if let Some(writer) = &mut chain_writer {
                    results.iter().for_each(|result| writer.offer(result));
                }
                if !streaming {
                    kept.push((order, results));
                    return;
                }
                let mut ndjson = Vec::new();
                for result in results {
                    report::json::write_ndjson_target_line(&mut ndjson, &result);
                    run.add(result, false);
                }
                if write_error.is_none()
                    && let Err(e) = output.write(&ndjson)
                {
                    write_error = Some(e);
                }
            }
        }
        // Lines that came together leave in one write; none waits for a later result.
        if more == scan::MoreWaiting(false)
            && write_error.is_none()
            && let Err(e) = output.flush()
        {
            write_error = Some(e);
        }
    }));
    // A system lookup still running in a blocking thread past its deadline must not hold the
    // process: the run is over.
    runtime.shutdown_background();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    run.duration_seconds = Some(started.elapsed().as_secs_f64());
    kept.sort_by_key(|(order, _)| *order);
    for result in kept.into_iter().flat_map(|(_, results)| results) {
        run.add(result, true);
    }
    if let Some(note) = &end.open_files_note {
        eprintln!("certscan: warning: {note}");
    }
    if run.tally.total() == 0 {
        // One job's empty slice of a list that is not empty is fine; an empty list is not.
        if plan.shard.is_some() && (end.targets.read > 0 || plan.unsharded_sources > 0) {
            run.empty_shard = true;
        } else {
            return usage_error(NOTHING_TO_SCAN);
        }
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = use_color(
        plan.color,
        plan.format,
        plan.output.is_some(),
        std::io::stdout().is_terminal(),
        no_color,
    );
    let terminal_columns = std::io::stdout()
        .is_terminal()
        .then(|| rustix::termios::tcgetwinsize(std::io::stdout()).ok())
        .flatten()
        .map(|size| size.ws_col);
    let layout = report::table::Layout {
        color,
        width: report::table::width_for(
            terminal_columns.filter(|_| plan.output.is_none()),
            std::env::var("COLUMNS").ok().as_deref(),
        ),
        verbose: plan.verbose,
    };
    let text = report::render(&run, plan.format, layout);
    let written = match write_error {
        Some(e) => Err(e),
        None => output.write(text.as_bytes()).and_then(|()| output.finish()),
    };
    if let Err(e) = written {
        return usage_error(&match &plan.output {
            Some(path) => format!("cannot write {}: {e}", path.display()),
            None => format!("cannot write the report: {e}"),
        });
    }
    // Nagios reads the status from the exit code: --fail-on is for CI gates.
    let code = if plan.format == Format::Nagios {
        run.status().exit_code()
    } else {
        run.exit_code()
    };
    // A corrected chain that could not be written leaves the run's outcome unknown.
    let chain_write_failed = chain_writer.is_some_and(ChainWriter::finish);
    ExitCode::from(if chain_write_failed { code.max(3) } else { code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_recognised_before_parsing() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let format = |list: &[&str]| requested_format(args(list));
        assert_eq!(
            format(&["certscan", "--format", "nagios", "x:99999"]),
            Some(Format::Nagios)
        );
        assert_eq!(format(&["certscan", "--format=ndjson"]), Some(Format::Ndjson));
        assert_eq!(
            format(&["certscan", "--format", "json", "--format", "nagios"]),
            Some(Format::Nagios)
        );
        assert_eq!(format(&["certscan", "--format", "yaml"]), None);
        assert_eq!(format(&["certscan", "x:1"]), None);
    }

    #[test]
    fn colour_only_for_tables_on_a_terminal_without_no_color() {
        let auto = ColorChoice::Auto;
        assert!(use_color(auto, Format::Table, false, true, false));
        assert!(!use_color(auto, Format::Table, false, true, true));
        assert!(!use_color(auto, Format::Table, false, false, false));
        assert!(!use_color(auto, Format::Table, true, true, false));
        assert!(!use_color(auto, Format::Json, false, true, false));
        assert!(use_color(ColorChoice::Always, Format::Table, true, false, true));
        assert!(!use_color(ColorChoice::Never, Format::Table, false, true, false));
        assert!(!use_color(ColorChoice::Always, Format::Nagios, false, true, false));
    }
}
