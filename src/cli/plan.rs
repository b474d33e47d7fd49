//! From flags to a scan plan. Every flag is checked on its own first, with no I/O, so that a
//! mistake is said before anything is read; then what the plan needs is read: the policy and
//! profile, the configurations of nginx, certbot, Wazo and Kazoo, the CA files, the hosts file,
//! the accounts and this machine's addresses.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use super::args::{Args, TrustArg};
use super::output::Output;
use crate::scan::Plan;
use crate::target_source::{Completion, TargetSource};
use certscan_checks::Policy;
use certscan_checks::deploy::Account;
use certscan_checks::validity::{DEFAULT_CRITICAL_SHARE, DEFAULT_WARNING_SHARE, Limit, Thresholds};
use certscan_model::evidence::RevocationMethod;
use certscan_model::finding::CheckId;
use certscan_model::platform::Platform;
use certscan_model::target::{self, Extra, FileTarget, Protocol, ResolvePin, Shard, Target};
use certscan_platforms::profile;
use certscan_probe::dns::DnsOptions;
use certscan_probe::hosts::HostsFile;
use certscan_probe::names::ResolutionOptions;
use certscan_probe::slots::{self, PerAddressSize, SlotSizes};
use certscan_probe::{self as probe, NameSource, ProbeOptions};
use certscan_report::{Format, Gate};
use certscan_x509::certificate::{CertInfo, rfc3339};
use certscan_x509::trust::{TrustBase, TrustStore};

/// What to say when `--copy` has no certbot lineage to be compared with.
const COPY_WITHOUT_LINEAGES: &str = "--copy compares files with certbot lineages: give --letsencrypt-dir too";

/// What to say when the command line names nothing to scan, or the lists it names are empty.
pub(crate) const NOTHING_TO_SCAN: &str =
    "nothing to scan: give at least one TARGET, --targets-file or --file (see --help)";

/// Validates the flags, reads what they name, and gives the scan plan and what the report needs.
pub fn build(args: Args) -> Result<(Plan, Output), String> {
    let flags = CheckedFlags::from_args(&args)?;
    let sources = Sources::read(&args, &flags)?;
    let trust = trust_store(&args)?;
    let (dns, resolution) = name_resolution(&args, flags.dns_server, flags.timing.timeout)?;
    let readable_by = accounts(&args, flags.platform)?;
    let local_addresses = if_addrs::get_if_addrs()
        .map(|all| all.iter().map(|i| i.ip()).collect())
        .unwrap_or_default();
    let given_anchors = trust
        .given_certificates()
        .map(|c| CertInfo::from_der(c.as_ref(), flags.at_unix))
        .collect();
    let output = Output {
        format: args.format(),
        path: args.output.clone(),
        color: args.color,
        verbose: args.verbose,
        gate: Gate {
            fail_on: args.fail_on.into(),
            ignore: args.ignore.clone(),
        },
        started_at: rfc3339(now_unix()),
        evaluated_at: rfc3339(flags.at_unix),
    };
    let mut probe = probe_options(&args, &flags, &dns, &resolution, sources.resolve_pins);
    probe.minimum_version = sources
        .compliance
        .as_ref()
        .and_then(|policy| policy.min_version.as_ref())
        .map(|rule| rule.value)
        // TLS 1.0 is the lowest certscan can offer: nothing below it to try.
        .filter(|version| *version > 0x0301);
    let platforms = certscan_platforms::in_play(flags.platform);
    let policy = Policy {
        trust,
        at_unix: flags.at_unix,
        thresholds: flags.thresholds,
        names: args.names.iter().map(|name| target::ascii_name(name)).collect(),
        caa_issuers: flags.caa_issuers,
        local_addresses,
        assume_local: args.local,
        ignore: flags.ignore,
        proxied_backends: sources.proxied_backends,
        platforms: platforms
            .iter()
            .map(|&p| p as &'static dyn certscan_checks::PlatformRules)
            .collect(),
        readable_by,
        reload_command: certscan_platforms::reload_command(&platforms).to_string(),
        write_chain: args.write_chain,
        compliance: sources.compliance.map(Arc::new),
        given_anchors: Arc::new(given_anchors),
        parsed: Default::default(),
        deciding_clients: flags.deciding_clients.clone(),
        ca_files: args.ca_files.iter().map(|p| p.display().to_string()).collect(),
        mutual_tls: args.mutual_tls,
    };
    let mut revocation: Vec<RevocationMethod> = args.revocation.into_iter().map(RevocationMethod::from).collect();
    revocation.dedup();
    let plan = Plan {
        targets: sources.targets,
        insecure_urls: sources.insecure_urls,
        files: sources.files,
        pkcs12_password: sources.pkcs12_password,
        run_budget: flags.timing.work_budget,
        shard: flags.shard,
        unsharded_sources: sources.unsharded,
        machine_root: sources.config_root,
        probe,
        dns,
        resolution,
        fetch_issuer: args.fetch_issuer,
        revocation,
        policy,
    };
    Ok((plan, output))
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The flags checked on their own, before anything is read.
struct CheckedFlags {
    platform: Option<Platform>,
    timing: Timing,
    thresholds: Thresholds,
    at_unix: i64,
    ignore: Vec<(CheckId, Option<String>)>,
    caa_issuers: Vec<String>,
    resolve_pins: Vec<ResolvePin>,
    shard: Option<Shard>,
    dns_server: Option<std::net::SocketAddr>,
    given: Vec<Target>,
    deciding_clients: Vec<String>,
    client_identity: Option<certscan_probe::ClientIdentity>,
    proxy: Option<certscan_probe::proxy::HttpProxy>,
}

impl CheckedFlags {
    fn from_args(args: &Args) -> Result<CheckedFlags, String> {
        let mut given = Vec::new();
        for text in &args.targets {
            given.extend(target::parse_target(text)?);
        }
        for domain in &args.sip_domain {
            let located = target::parse_target(&format!("sips:{domain}"))
                .ok()
                .filter(|targets| targets.len() == 1 && targets[0].is_sip_domain());
            match located {
                Some(targets) => given.extend(targets),
                None => {
                    return Err(format!(
                        "--sip-domain {domain:?}: give a domain name, without a scheme or a port (e.g. --sip-domain example.com)"
                    ));
                }
            }
        }
        check_names(args)?;
        if args.keys.len() > args.files.len() {
            return Err(format!(
                "{} --key given for {} --file: each --key goes with the --file of the same position",
                args.keys.len(),
                args.files.len()
            ));
        }
        if !args.copies.is_empty() && args.letsencrypt_dir.is_none() && !args.local {
            return Err(COPY_WITHOUT_LINEAGES.into());
        }
        Ok(CheckedFlags {
            platform: Platform::from_profile(args.profile.as_deref()),
            timing: Timing::from_args(args)?,
            thresholds: expiry_thresholds(args.warning.as_deref(), args.critical.as_deref())?,
            at_unix: evaluation_time(args.at.as_deref())?,
            ignore: ignore_rules(&args.ignore)?,
            caa_issuers: caa_issuers(&args.caa_issuers)?,
            resolve_pins: args
                .resolve
                .iter()
                .map(|r| ResolvePin::parse(r))
                .collect::<Result<Vec<_>, _>>()?,
            shard: args.shard.as_deref().map(Shard::parse).transpose()?,
            dns_server: match (&args.dns_server, args.no_dns) {
                (Some(server), false) => Some(parse_dns_server(server)?),
                _ => None,
            },
            given,
            deciding_clients: deciding_clients(args)?,
            proxy: args
                .proxy
                .as_deref()
                .map(certscan_probe::proxy::HttpProxy::parse)
                .transpose()?,
            client_identity: match &args.client_cert {
                Some(cert) => Some(certscan_probe::file::load_client_identity(
                    cert,
                    args.client_key.as_deref(),
                    pkcs12_password(args.password_env.as_deref())?.as_deref(),
                )?),
                None => None,
            },
        })
    }
}

/// `--name` and `--sni`. A name no client could look up (".example.com") is judged, as a client
/// would judge it: no certificate is valid for it. Only what cannot be a name at all is refused.
fn check_names(args: &Args) -> Result<(), String> {
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
    Ok(())
}

/// How long an endpoint and the whole run may take.
struct Timing {
    /// `-t`: what one lookup may take.
    timeout: Duration,
    /// What one endpoint may take.
    endpoint: Duration,
    /// How long the run works, a little less than its budget, to leave time to write the report.
    work_budget: Option<Duration>,
}

impl Timing {
    fn from_args(args: &Args) -> Result<Timing, String> {
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
            .or((args.format() == Format::Nagios).then_some(args.timeout))
            .map(Duration::from_secs_f64);
        let work_budget = run_budget.map(|budget| budget.saturating_sub((budget / 10).min(Duration::from_millis(500))));
        // Without --deadline, a Nagios -t is also what one endpoint may take; with it, -t keeps
        // its per-endpoint meaning and an endpoint the deadline cuts short is UNKNOWN.
        let endpoint = match (args.deadline, work_budget) {
            (None, Some(work)) => work,
            _ => Duration::from_secs_f64(args.timeout),
        };
        Ok(Timing {
            timeout: Duration::from_secs_f64(args.timeout),
            endpoint,
            work_budget,
        })
    }
}

/// `--at`, else now.
fn evaluation_time(at: Option<&str>) -> Result<i64, String> {
    match at {
        None => Ok(now_unix()),
        Some(text) => Ok(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map_err(|e| format!("--at {text:?} is not an RFC 3339 time such as 2027-01-31T00:00:00Z ({e})"))?
                .unix_timestamp(),
        ),
    }
}

/// `--ignore ID[@HOST]`.
fn ignore_rules(rules: &[String]) -> Result<Vec<(CheckId, Option<String>)>, String> {
    let mut ignore = Vec::new();
    for rule in rules {
        let (id, host) = match rule.split_once('@') {
            Some((id, host)) => (id, Some(host.trim_end_matches('.').to_string())),
            None => (rule.as_str(), None),
        };
        let id = CheckId::from_id(id).ok_or_else(|| {
            format!("--ignore {rule:?}: no check is called {id:?} (certscan --list-checks lists them)")
        })?;
        ignore.push((id, host));
    }
    Ok(ignore)
}

/// `--caa-issuer DOMAIN`, as CAA compares them.
fn caa_issuers(given: &[String]) -> Result<Vec<String>, String> {
    let mut issuers = Vec::new();
    for issuer in given {
        let domain = issuer.trim().trim_end_matches('.').to_ascii_lowercase();
        if certscan_checks::caa::parse_issue_value(domain.as_bytes()) != Ok(Some(domain.clone())) {
            return Err(format!(
                "--caa-issuer {issuer:?} is not a CAA issuer domain such as letsencrypt.org"
            ));
        }
        issuers.push(domain);
    }
    Ok(issuers)
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

/// What the scan reads: the targets (given, from files, from configurations), the chain files,
/// and what configurations add to the checks.
struct Sources {
    compliance: Option<certscan_checks::compliance::CompliancePolicy>,
    targets: TargetSource,
    files: Vec<FileTarget>,
    insecure_urls: Vec<(PathBuf, String)>,
    resolve_pins: Vec<ResolvePin>,
    /// Ports of this machine that the reverse proxy forwards to, as (proxy_pass, port).
    proxied_backends: Vec<(String, u16)>,
    /// Files and configured URLs before `--shard` chose.
    unsharded: usize,
    config_root: Option<PathBuf>,
    pkcs12_password: Option<String>,
}

impl Sources {
    fn read(args: &Args, flags: &CheckedFlags) -> Result<Sources, String> {
        // The policy first: a mistake in it is said before anything is scanned.
        let compliance = args.policy.as_deref().map(load_policy).transpose()?;
        // Targets files are read as the scan goes; one that cannot be opened is said now.
        for path in args.targets_files.iter().filter(|p| p.as_os_str() != "-") {
            let cannot = |e: std::io::Error| format!("cannot read targets file {}: {e}", path.display());
            // A FIFO or a device is opened by the reader, under the run's deadline: opening one
            // that nothing writes to would block here, before any deadline applies.
            if std::fs::metadata(path).map_err(cannot)?.is_file() {
                std::fs::File::open(path).map_err(cannot)?;
            }
        }
        let completion = Completion {
            protocol: args.starttls.map(Protocol::from).or(args.protocol.map(Protocol::from)),
            profile: args.profile.as_deref().map(profile::load).transpose()?,
            compare: args.compare.clone(),
        };
        let given = completion.complete(flags.given.clone());
        let mut sources = Sources {
            compliance,
            targets: TargetSource::default(),
            files: given_files(args),
            insecure_urls: vec![],
            resolve_pins: flags.resolve_pins.clone(),
            proxied_backends: vec![],
            unsharded: 0,
            config_root: args
                .config_root
                .clone()
                .or_else(|| args.local.then(|| PathBuf::from("/"))),
            pkcs12_password: pkcs12_password(args.password_env.as_deref())?,
        };
        let mut configured = Vec::new();
        for (flag, platform, place) in platform_places(args, flags, sources.config_root.as_deref())? {
            let discovered = platform.discover(&place).map_err(|e| format!("{flag}: {e}"))?;
            sources.add(discovered, &mut configured);
        }
        for lineage_file in sources.files.iter_mut().filter(|f| f.extra.lineage.is_some()) {
            lineage_file.extra.copies = args.copies.clone();
        }
        sources.unsharded = sources.files.len() + sources.insecure_urls.len();
        if let Some(shard) = &flags.shard {
            sources.files.retain(|f| shard.holds(&f.path.display().to_string()));
            sources
                .insecure_urls
                .retain(|(path, url)| shard.holds(&format!("{}|{url}", path.display())));
        }
        sources.targets = TargetSource {
            given,
            files: args.targets_files.clone(),
            configured,
            completion,
            shard: flags.shard,
        };
        if !sources.targets.may_hold_targets() && sources.unsharded == 0 {
            return Err(NOTHING_TO_SCAN.into());
        }
        Ok(sources)
    }

    /// What a platform's configuration names: its files and targets join the scan, its pins
    /// the resolution, and its services' connections the first file given, when there is one.
    fn add(&mut self, discovered: certscan_platforms::Discovered, targets: &mut Vec<Target>) {
        let mut files = discovered.files;
        if !discovered.clients.is_empty()
            && let Some(first) = self.files.first_mut()
        {
            first.extra.wazo = discovered.clients;
            files.clear();
        }
        for file in &files {
            self.proxied_backends.extend(file.extra.proxy_backends.iter().cloned());
        }
        self.files.extend(files);
        targets.extend(discovered.targets);
        self.insecure_urls.extend(discovered.insecure_urls);
        for pin in discovered.pins {
            if !self
                .resolve_pins
                .iter()
                .any(|r| r.host == pin.host && r.port == pin.port)
            {
                self.resolve_pins.push(pin);
            }
        }
    }
}

/// The platforms whose configuration the run reads, each with the flag that names it and where
/// it is: `--nginx-conf` and `--letsencrypt-dir` (with `--local`, where they are on this
/// machine), and the profile's platform under `--config-root`.
fn platform_places(
    args: &Args,
    flags: &CheckedFlags,
    config_root: Option<&std::path::Path>,
) -> Result<Vec<(&'static str, &'static dyn certscan_platforms::Platform, PathBuf)>, String> {
    use certscan_platforms::{Platform as _, certbot::Certbot, nginx::Nginx};
    let given_or_local = |given: &Option<PathBuf>, local: &dyn Fn() -> Option<PathBuf>| {
        given.clone().or_else(|| if args.local { local() } else { None })
    };
    let mut places: Vec<(&'static str, &'static dyn certscan_platforms::Platform, PathBuf)> = Vec::new();
    if let Some(place) = given_or_local(&args.nginx_conf, &|| Nginx.local_place()) {
        places.push(("--nginx-conf", &Nginx, place));
    }
    match given_or_local(&args.letsencrypt_dir, &|| Certbot.local_place()) {
        Some(place) => places.push(("--letsencrypt-dir", &Certbot, place)),
        None if !args.copies.is_empty() => return Err(COPY_WITHOUT_LINEAGES.into()),
        None => {}
    }
    if let (Some(profile), Some(root)) = (flags.platform, config_root) {
        places.push((
            "--config-root",
            certscan_platforms::of_profile(profile),
            root.to_path_buf(),
        ));
    }
    Ok(places)
}

/// `--policy`: a built-in policy by name, or a policy file by path.
fn load_policy(name_or_path: &str) -> Result<certscan_checks::compliance::CompliancePolicy, String> {
    let builtins = certscan_checks::compliance::BUILTIN;
    let text = probe::builtin::text("--policy", "policy", builtins, name_or_path)?;
    certscan_checks::compliance::parse(&text, name_or_path)
}

/// `--file`, each with the `--key` of the same position.
fn given_files(args: &Args) -> Vec<FileTarget> {
    args.files
        .iter()
        .enumerate()
        .map(|(i, path)| FileTarget {
            path: path.clone(),
            extra: Extra {
                key: args.keys.get(i).cloned(),
                ..Extra::default()
            },
        })
        .collect()
}

/// `--password-env VAR`: the password of PKCS#12 files.
fn pkcs12_password(variable: Option<&str>) -> Result<Option<String>, String> {
    variable
        .map(|var| {
            std::env::var(var)
                .map_err(|_| format!("--password-env {var}: the environment variable {var} is not set (or not UTF-8)"))
        })
        .transpose()
}

/// `--trust` and `--ca-file`.
fn trust_store(args: &Args) -> Result<TrustStore, String> {
    let base = match args.trust {
        TrustArg::Mozilla => TrustBase::Mozilla,
        TrustArg::System => TrustBase::System(probe::file::system_trust_anchors()?),
        TrustArg::None => TrustBase::None,
    };
    let mut trust = TrustStore::new(base);
    for path in &args.ca_files {
        let certificates = probe::file::read_certificates(path, None).map_err(|e| format!("--ca-file: {e}"))?;
        trust
            .add_certificates(certificates)
            .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
    }
    Ok(trust)
}

/// Where certscan's own DNS queries go, and how names are resolved for the hosts and DNS checks.
fn name_resolution(
    args: &Args,
    server: Option<std::net::SocketAddr>,
    timeout: Duration,
) -> Result<(Option<DnsOptions>, ResolutionOptions), String> {
    let dns = (!args.no_dns).then_some(DnsOptions {
        server,
        timeout,
        concurrency: args.concurrency as usize,
    });
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
        timeout,
    };
    Ok((dns, resolution))
}

/// `--readable-by`; Wazo's web services run as www-data and must read the certificate and key.
fn accounts(args: &Args, platform: Option<Platform>) -> Result<Vec<Account>, String> {
    let mut readable_by = args
        .readable_by
        .iter()
        .map(|name| account(name))
        .collect::<Result<Vec<_>, _>>()?;
    if platform == Some(Platform::Wazo) && !args.readable_by.iter().any(|a| a == "www-data") {
        readable_by.extend(account("www-data").ok());
    }
    Ok(readable_by)
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
        Some((Some(uid), gids)) => Ok(Account {
            label: format!("user {name}"),
            uid: Some(uid),
            gids,
        }),
        Some((None, gids)) => Ok(Account {
            label: format!("group {name}"),
            uid: None,
            gids,
        }),
        None => Err(format!(
            "--readable-by {name:?} is neither a local user nor a group (nor UID[:GID])"
        )),
    }
}

/// How endpoints are probed: timeouts, slots, pins, SNI, the policy's lowest version.
fn probe_options(
    args: &Args,
    flags: &CheckedFlags,
    dns: &Option<DnsOptions>,
    resolution: &ResolutionOptions,
    resolve_pins: Vec<ResolvePin>,
) -> ProbeOptions {
    let endpoint_timeout = flags.timing.endpoint;
    ProbeOptions {
        deadline: None,
        minimum_version: None,
        also_accepted: !args.quick,
        client_identity: flags.client_identity.clone(),
        proxy: flags.proxy.clone(),
        address_family: match (args.ipv4, args.ipv6) {
            (true, _) => Some(certscan_probe::AddressFamily::V4),
            (_, true) => Some(certscan_probe::AddressFamily::V6),
            _ => None,
        },
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
        sni: args.sni.clone(),
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
    }
}

/// The client families whose failure is CRITICAL: `--clients`, else the mainstream families
/// and those the profile's callers use.
fn deciding_clients(args: &Args) -> Result<Vec<String>, String> {
    if let Some(path) = &args.clients_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--clients-file: cannot read {}: {e}", path.display()))?;
        certscan_checks::clients::add_user_families(&text, &format!("--clients-file {}", path.display()))?;
    }
    if !args.clients.is_empty() {
        return certscan_checks::clients::select(&args.clients).map_err(|e| format!("--clients: {e}"));
    }
    let mut deciding = certscan_checks::clients::mainstream();
    if let Some(profile) = args.profile.as_deref().map(profile::load).transpose()? {
        for family in certscan_checks::clients::select(&profile.clients)? {
            if !deciding.contains(&family) {
                deciding.push(family);
            }
        }
    }
    Ok(deciding)
}
