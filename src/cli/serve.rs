//! `certscan serve`: certscan as a Prometheus exporter, scraped as blackbox_exporter and
//! ssl_exporter are. `GET /probe?target=...&module=...` scans one target with the module's flags
//! and answers with its metrics, `certscan_probe_success` and `certscan_probe_duration_seconds`;
//! `GET /metrics` answers with the exporter's own counters. Bounded: only targets the
//! configuration's allow-list names are scanned (an open prober lets anyone who reaches it probe
//! the inside of the network), a cap on probes at once, each probe's deadline from the scrape's
//! `X-Prometheus-Scrape-Timeout-Seconds`, and a time and size bound on every request read.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::args::{Args, ServeArgs};
use super::{plan, usage_error};
use crate::scan::{self, Order};
use certscan_checks::TargetResult;
use certscan_model::target::{Host, parse_target};
use certscan_report::{self as report, Format};

/// The most bytes of a request head read.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// What is taken off the scrape's timeout, so the answer reaches Prometheus before it gives up.
const SCRAPE_MARGIN_SECONDS: f64 = 0.5;
/// The shortest probe deadline.
const MIN_PROBE_SECONDS: f64 = 0.5;
/// Flags a module may not set: the exporter decides the format, and a probe writes no file.
const FORBIDDEN_MODULE_FLAGS: &[&str] = &[
    "--format",
    "-o",
    "--output",
    "--write-chain",
    "--targets-file",
    "-f",
    "--deadline",
    "--file",
];

/// The configuration file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    allow_any_target: bool,
    #[serde(default = "default_max_concurrent")]
    max_concurrent_probes: usize,
    #[serde(default = "default_timeout")]
    timeout_seconds: f64,
    #[serde(default)]
    modules: BTreeMap<String, ModuleFile>,
}

fn default_max_concurrent() -> usize {
    8
}

fn default_timeout() -> f64 {
    10.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleFile {
    #[serde(default)]
    args: Vec<String>,
}

/// A target pattern of the allow-list: `HOST:PORT`, where HOST is a name, `*.example.com` (any
/// name below example.com), an IP address (IPv6 in brackets) or `*`, and PORT a number or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    host: HostPattern,
    /// `None`: any port.
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// Names ending with this (with its leading dot).
    Below(String),
    Exact(Host),
}

impl Allowed {
    fn parse(text: &str) -> Result<Allowed, String> {
        let bad = |why: &str| {
            format!("allow {text:?}: {why} (write HOST:PORT, e.g. \"*.example.com:443\" or \"pbx.example.com:*\")")
        };
        let (host, port) = text.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        let port = match port {
            "*" => None,
            number => Some(
                number
                    .parse::<u16>()
                    .map_err(|_| bad("the port is not a number or *"))?,
            ),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = match host {
            "*" => HostPattern::Any,
            below if below.starts_with("*.") => {
                let rest = &below[2..];
                Host::parse(rest).map_err(|e| bad(&e))?;
                HostPattern::Below(format!(".{}", rest.to_ascii_lowercase()))
            }
            exact => HostPattern::Exact(Host::parse(exact).map_err(|e| bad(&e))?),
        };
        Ok(Allowed { host, port })
    }

    fn allows(&self, host: &Host, port: u16) -> bool {
        let host_fits = match (&self.host, host) {
            (HostPattern::Any, _) => true,
            (HostPattern::Below(suffix), Host::Dns(name)) => name.ends_with(suffix.as_str()),
            (HostPattern::Below(_), Host::Ip(_)) => false,
            (HostPattern::Exact(allowed), host) => allowed == host,
        };
        host_fits && self.port.is_none_or(|p| p == port)
    }
}

/// The exporter's configuration, checked.
#[derive(Debug)]
struct Config {
    allow: Vec<Allowed>,
    allow_any_target: bool,
    max_concurrent_probes: usize,
    timeout_seconds: f64,
    /// Each module's certscan flags; `default` is used when a scrape names none.
    modules: BTreeMap<String, Vec<String>>,
}

impl Config {
    fn read(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let allow = file
            .allow
            .iter()
            .map(|pattern| Allowed::parse(pattern))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if allow.is_empty() && !file.allow_any_target {
            return Err(format!(
                "{}: allows no target: list the HOST:PORT patterns /probe may scan in allow = [...] (allow_any_target = true lets anyone who reaches the exporter probe any address: only behind an authenticating proxy)",
                path.display()
            ));
        }
        if file.max_concurrent_probes == 0 || file.timeout_seconds.is_nan() || file.timeout_seconds < MIN_PROBE_SECONDS
        {
            return Err(format!(
                "{}: max_concurrent_probes must be at least 1 and timeout_seconds at least {MIN_PROBE_SECONDS}",
                path.display()
            ));
        }
        let mut modules: BTreeMap<String, Vec<String>> = file
            .modules
            .into_iter()
            .map(|(name, module)| (name, module.args))
            .collect();
        modules.entry("default".into()).or_default();
        for (name, args) in &modules {
            if let Some(flag) = args.iter().find(|a| {
                FORBIDDEN_MODULE_FLAGS
                    .iter()
                    .any(|f| a.as_str() == *f || a.starts_with(&format!("{f}=")))
            }) {
                return Err(format!(
                    "{}: module {name:?} sets {flag}, which the exporter decides (modules choose protocol, trust, profile, policy and timeouts)",
                    path.display()
                ));
            }
            // Every module's flags are checked now, not at the first scrape.
            let probe = ProbeRequest {
                target: "certscan-config-check.invalid:443".into(),
                seconds: file.timeout_seconds,
            };
            let args = probe
                .args(args)
                .map_err(|e| format!("{}: module {name:?}: {e}", path.display()))?;
            plan::build(args).map_err(|e| format!("{}: module {name:?}: {e}", path.display()))?;
        }
        Ok(Config {
            allow,
            allow_any_target: file.allow_any_target,
            max_concurrent_probes: file.max_concurrent_probes,
            timeout_seconds: file.timeout_seconds,
            modules,
        })
    }

    /// Why the target may not be scanned, if it may not.
    fn refuses(&self, target: &str) -> Option<(u16, String)> {
        if target.starts_with('-') {
            return Some((400, format!("target {target:?} is not a target")));
        }
        let endpoints = match parse_target(target) {
            Ok(endpoints) => endpoints,
            Err(e) => return Some((400, e)),
        };
        if self.allow_any_target {
            return None;
        }
        // The servers of a SIP domain are named by its DNS records, not by the allow-list.
        if endpoints.iter().any(|t| t.is_sip_domain()) {
            return Some((
                403,
                format!(
                    "{target}: a SIP domain leads to whatever servers its DNS names; give the server with its port (sips:HOST:5061), or set allow_any_target"
                ),
            ));
        }
        endpoints
            .iter()
            .find(|t| !self.allow.iter().any(|a| a.allows(&t.host, t.port)))
            .map(|t| {
                (
                    403,
                    format!(
                        "{}:{} is not in the exporter's allow-list: add a pattern for it to allow = [...]",
                        t.host, t.port
                    ),
                )
            })
    }
}

/// The exporter's own counters.
#[derive(Default)]
struct Counters {
    succeeded: AtomicU64,
    failed: AtomicU64,
    not_allowed: AtomicU64,
    busy: AtomicU64,
    bad_request: AtomicU64,
    in_flight: AtomicU64,
}

struct State {
    config: Config,
    permits: tokio::sync::Semaphore,
    counters: Counters,
}

/// One `/probe` request.
struct ProbeRequest {
    target: String,
    /// The probe's deadline, in seconds.
    seconds: f64,
}

impl ProbeRequest {
    /// The scan's flags: the module's, the exporter's, then the target after `--`, so a target
    /// can never be read as a flag.
    fn args(&self, module_args: &[String]) -> Result<Args, String> {
        let seconds = format!("{:.3}", self.seconds);
        let argv = ["certscan"]
            .into_iter()
            .map(String::from)
            .chain(module_args.iter().cloned())
            .chain(["--format", "prometheus", "--deadline", &seconds, "--"].map(String::from))
            .chain([self.target.clone()]);
        Args::try_parse_from(argv).map_err(|e| {
            e.to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string()
        })
    }
}

/// Runs the exporter until it is stopped; an exit code only when it cannot start.
pub(crate) fn run(args: ServeArgs) -> ExitCode {
    let config = match Config::read(&args.config) {
        Ok(config) => config,
        Err(e) => return usage_error(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&format!("cannot start the async runtime: {e}")),
    };
    let state = Arc::new(State {
        permits: tokio::sync::Semaphore::new(config.max_concurrent_probes),
        config,
        counters: Counters::default(),
    });
    runtime.block_on(async {
        let listener = match TcpListener::bind(args.listen).await {
            Ok(listener) => listener,
            Err(e) => return usage_error(&format!("cannot listen on {}: {e}", args.listen)),
        };
        eprintln!(
            "certscan: serving /probe and /metrics on http://{}",
            listener.local_addr().unwrap_or(args.listen)
        );
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move { serve_connection(stream, &state).await });
        }
    })
}

/// A response: status, content type, body.
struct Response {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Response {
    fn text(status: u16, body: impl Into<String>) -> Response {
        let mut body = body.into();
        body.push('\n');
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
        }
    }

    fn metrics(body: String) -> Response {
        Response {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// Reads one request, answers it and closes the connection.
async fn serve_connection(mut stream: TcpStream, state: &State) {
    let response = match tokio::time::timeout(REQUEST_READ_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => Response::text(408, "the request head did not arrive in time"),
        Ok(Err(response)) => response,
        Ok(Ok(head)) => answer(&head, state).await,
    };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(response.body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request head, up to its blank line, at most [`MAX_REQUEST_HEAD`] bytes.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Response> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| Response::text(400, format!("cannot read the request: {e}")))?;
        if n == 0 {
            return Err(Response::text(400, "the connection closed before the request ended"));
        }
        head.extend_from_slice(&chunk[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(head);
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(Response::text(431, "the request head is too large"));
        }
    }
}

/// The answer to a request head.
async fn answer(head: &[u8], state: &State) -> Response {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(head), Ok(httparse::Status::Complete(_))) {
        state.counters.bad_request.fetch_add(1, Ordering::Relaxed);
        return Response::text(400, "not an HTTP request");
    }
    if request.method != Some("GET") {
        return Response::text(405, "only GET is answered");
    }
    let path = request.path.unwrap_or("/");
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    match path {
        "/probe" => {
            let scrape_timeout = request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("X-Prometheus-Scrape-Timeout-Seconds"))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite());
            probe(query, scrape_timeout, state).await
        }
        "/metrics" => Response::metrics(own_metrics(state)),
        "/" => Response::text(
            200,
            "certscan exporter: /probe?target=HOST:PORT[&module=NAME] scans a target of the allow-list; /metrics gives the exporter's own metrics",
        ),
        _ => Response::text(404, "not found: /probe or /metrics"),
    }
}

/// `/probe`: checks the request, waits for a place, scans, and renders the metrics.
async fn probe(query: &str, scrape_timeout: Option<f64>, state: &State) -> Response {
    let counters = &state.counters;
    let mut target = None;
    let mut module = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "target" => target = Some(value.into_owned()),
            "module" => module = Some(value.into_owned()),
            _ => {}
        }
    }
    let Some(target) = target.filter(|t| !t.is_empty()) else {
        counters.bad_request.fetch_add(1, Ordering::Relaxed);
        return Response::text(400, "the target parameter is missing: /probe?target=HOST:PORT");
    };
    let module = module.unwrap_or_else(|| "default".into());
    let Some(module_args) = state.config.modules.get(&module) else {
        counters.bad_request.fetch_add(1, Ordering::Relaxed);
        let known: Vec<&str> = state.config.modules.keys().map(String::as_str).collect();
        return Response::text(400, format!("unknown module {module:?} (known: {})", known.join(", ")));
    };
    if let Some((status, why)) = state.config.refuses(&target) {
        let counter = if status == 403 {
            &counters.not_allowed
        } else {
            &counters.bad_request
        };
        counter.fetch_add(1, Ordering::Relaxed);
        return Response::text(status, why);
    }
    let seconds = scrape_timeout
        .map(|t| t - SCRAPE_MARGIN_SECONDS)
        .unwrap_or(state.config.timeout_seconds)
        .min(state.config.timeout_seconds)
        .max(MIN_PROBE_SECONDS);
    let waited = tokio::time::timeout(Duration::from_secs_f64(seconds), state.permits.acquire()).await;
    let Ok(Ok(_permit)) = waited else {
        counters.busy.fetch_add(1, Ordering::Relaxed);
        return Response::text(
            503,
            format!(
                "{} probes are running (max_concurrent_probes) and none finished in time",
                state.config.max_concurrent_probes
            ),
        );
    };
    counters.in_flight.fetch_add(1, Ordering::Relaxed);
    let request = ProbeRequest { target, seconds };
    let answer = scan_once(&request, module_args).await;
    counters.in_flight.fetch_sub(1, Ordering::Relaxed);
    match answer {
        Ok((text, true)) => {
            counters.succeeded.fetch_add(1, Ordering::Relaxed);
            Response::metrics(text)
        }
        Ok((text, false)) => {
            counters.failed.fetch_add(1, Ordering::Relaxed);
            Response::metrics(text)
        }
        Err(why) => {
            counters.bad_request.fetch_add(1, Ordering::Relaxed);
            Response::text(400, why)
        }
    }
}

/// Scans the request's target; the metrics, and whether every endpoint gave a chain.
async fn scan_once(request: &ProbeRequest, module_args: &[String]) -> Result<(String, bool), String> {
    let args = request.args(module_args)?;
    let started = std::time::Instant::now();
    let (mut plan, output) = tokio::task::spawn_blocking(move || plan::build(args))
        .await
        .map_err(|_| "the probe's setup failed".to_string())??;
    let source = std::mem::take(&mut plan.targets);
    let plan = Arc::new(plan);
    let mut kept: Vec<(Order, Vec<TargetResult>)> = vec![];
    scan::scan(
        plan.clone(),
        source,
        |results| results,
        |order, results, _| kept.push((order, results)),
    )
    .await;
    kept.sort_by_key(|(order, _)| *order);
    let mut run = output.empty_run(plan.policy.thresholds);
    for result in kept.into_iter().flat_map(|(_, results)| results) {
        run.add(result, true);
    }
    let seconds = started.elapsed().as_secs_f64();
    run.duration_seconds = Some(seconds);
    let success = !run.targets.is_empty() && run.targets.iter().all(|t| !t.chain.is_empty());
    let mut text = report::render(&run, Format::Prometheus, output.layout());
    text.push_str(&format!(
        "# HELP certscan_probe_success 1 when every endpoint of the target gave a certificate chain, else 0.\n# TYPE certscan_probe_success gauge\ncertscan_probe_success {}\n# HELP certscan_probe_duration_seconds How long the probe took.\n# TYPE certscan_probe_duration_seconds gauge\ncertscan_probe_duration_seconds {seconds:.3}\n",
        u8::from(success)
    ));
    Ok((text, success))
}

/// `/metrics`: the exporter's own counters.
fn own_metrics(state: &State) -> String {
    let c = &state.counters;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    format!(
        "# HELP certscan_exporter_probes_total Probes scanned, by whether every endpoint gave a certificate chain.\n\
         # TYPE certscan_exporter_probes_total counter\n\
         certscan_exporter_probes_total{{result=\"success\"}} {}\n\
         certscan_exporter_probes_total{{result=\"failure\"}} {}\n\
         # HELP certscan_exporter_requests_refused_total Requests answered without a scan, by reason.\n\
         # TYPE certscan_exporter_requests_refused_total counter\n\
         certscan_exporter_requests_refused_total{{reason=\"not_allowed\"}} {}\n\
         certscan_exporter_requests_refused_total{{reason=\"busy\"}} {}\n\
         certscan_exporter_requests_refused_total{{reason=\"bad_request\"}} {}\n\
         # HELP certscan_exporter_probes_in_flight Probes running now.\n\
         # TYPE certscan_exporter_probes_in_flight gauge\n\
         certscan_exporter_probes_in_flight {}\n\
         # HELP certscan_exporter_max_concurrent_probes Probes that may run at once (max_concurrent_probes).\n\
         # TYPE certscan_exporter_max_concurrent_probes gauge\n\
         certscan_exporter_max_concurrent_probes {}\n\
         # HELP certscan_build_info certscan's version; the value is 1.\n\
         # TYPE certscan_build_info gauge\n\
         certscan_build_info{{version=\"{}\"}} 1\n",
        load(&c.succeeded),
        load(&c.failed),
        load(&c.not_allowed),
        load(&c.busy),
        load(&c.bad_request),
        load(&c.in_flight),
        state.config.max_concurrent_probes,
        env!("CARGO_PKG_VERSION"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(pattern: &str, target: &str) -> bool {
        let allowed = Allowed::parse(pattern).unwrap();
        let t = &parse_target(target).unwrap()[0];
        allowed.allows(&t.host, t.port)
    }

    #[test]
    fn allow_patterns_match_names_below_a_domain_exact_hosts_and_ports() {
        assert!(allowed("*.example.com:443", "pbx.example.com:443"));
        assert!(allowed("*.example.com:443", "a.b.example.com"));
        assert!(!allowed("*.example.com:443", "example.com:443"));
        assert!(!allowed("*.example.com:443", "pbx.example.com:8443"));
        assert!(!allowed("*.example.com:443", "evil-example.com:443"));
        assert!(allowed("pbx.example.com:*", "sips:pbx.example.com:5061"));
        assert!(!allowed("pbx.example.com:*", "10.0.0.1:5061"));
        assert!(allowed("[::1]:443", "[::1]:443"));
        assert!(allowed("127.0.0.1:*", "127.0.0.1:9443"));
        assert!(!allowed("127.0.0.1:*", "127.0.0.2:9443"));
        assert!(allowed("*:*", "169.254.169.254:80"));
        for bad in ["example.com", "*.:443", "example.com:http", "exa mple.com:443"] {
            assert!(Allowed::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_target_is_never_read_as_a_flag() {
        let request = ProbeRequest {
            target: "--write-chain=/tmp/x".into(),
            seconds: 5.0,
        };
        // After `--`, clap reads it as a target, and the target parser refuses it.
        let args = request.args(&[]).unwrap();
        assert_eq!(args.targets, ["--write-chain=/tmp/x"]);
        assert!(args.write_chain.is_none());
    }
}
