//! `certscan serve` end to end: the exporter started on 127.0.0.1 answers `/probe` for the
//! targets its allow-list names and refuses the others, keeps to its cap on probes at once and
//! to the scrape's timeout, counts on `/metrics`, and is scraped by a real Prometheus (Debian's
//! `prometheus`) through the usual relabelled `/probe` job, whose HTTP API then has the expiry
//! series.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A running exporter, stopped when dropped.
struct Exporter {
    child: Child,
    address: SocketAddr,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `certscan serve` on a port of the system's choosing with this configuration, and
/// reads the address it says it serves on.
fn exporter(pki: &Pki, config: &str) -> Exporter {
    let path = pki.write("exporter.toml", config);
    let mut child = Command::new(env!("CARGO_BIN_EXE_certscan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config", &path])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .rsplit_once("http://")
        .unwrap_or_else(|| panic!("the exporter said {line:?}"))
        .1
        .parse()
        .unwrap();
    Exporter { child, address }
}

/// GET `path` with these headers; (status, body). Bounded in time.
fn get(address: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).unwrap_or("0").parse().unwrap();
    (status, body.to_string())
}

/// The value of the first sample of `name` in a metrics text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .and_then(|l| l.rsplit_once(' '))
        .and_then(|(_, v)| v.parse().ok())
}

fn config(pki: &Pki, extra: &str) -> String {
    format!(
        "allow = [\"127.0.0.1:*\"]\n{extra}\n[modules.default]\nargs = [\"--trust\", \"none\", \"--ca-file\", \"{}\", \"--at\", \"{AT}\", \"--no-dns\"]\n",
        pki.root_file()
    )
}

#[test]
fn probe_answers_for_allowed_targets_and_refuses_the_others() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let exporter = exporter(&pki, &config(&pki, ""));

    let (status, body) = get(exporter.address, &format!("/probe?target=127.0.0.1:{port}"), &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, "certscan_probe_success"), Some(1.0), "{body}");
    assert_eq!(sample(&body, "certscan_endpoint_status"), Some(0.0), "{body}");
    assert!(sample(&body, "certscan_endpoint_expiry_timestamp_seconds").is_some());
    assert!(body.contains("certscan_tls_version_info{"), "{body}");

    // A closed port is scanned and down, not an error of the exporter.
    let closed = servers.closed_port();
    let (status, body) = get(exporter.address, &format!("/probe?target=127.0.0.1:{closed}"), &[]);
    assert_eq!(
        (status, sample(&body, "certscan_probe_success")),
        (200, Some(0.0)),
        "{body}"
    );

    // Outside the allow-list: refused before anything is connected to.
    for (target, status) in [
        ("[::1]:443", 403),
        ("127.0.0.2:443", 403),
        ("sips:example.test", 403),
        ("--write-chain=/tmp/x", 400),
        ("", 400),
    ] {
        let (got, body) = get(exporter.address, &format!("/probe?target={target}"), &[]);
        assert_eq!(got, status, "{target}: {body}");
    }
    let (status, body) = get(
        exporter.address,
        &format!("/probe?target=127.0.0.1:{port}&module=nope"),
        &[],
    );
    assert_eq!(status, 400);
    assert!(body.contains("unknown module \"nope\" (known: default)"), "{body}");
    assert_eq!(get(exporter.address, "/nowhere", &[]).0, 404);

    let (status, own) = get(exporter.address, "/metrics", &[]);
    assert_eq!(status, 200);
    assert_eq!(sample(&own, "certscan_exporter_probes_total"), Some(1.0), "{own}");
    assert!(
        own.contains("certscan_exporter_probes_total{result=\"failure\"} 1"),
        "{own}"
    );
    assert!(
        own.contains("certscan_exporter_requests_refused_total{reason=\"not_allowed\"} 3"),
        "{own}"
    );
    assert!(own.contains("certscan_exporter_probes_in_flight 0"), "{own}");
}

#[test]
fn probes_keep_to_the_cap_and_to_the_scrape_timeout() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (silent, connections) = servers.counting_silent();
    let exporter = exporter(&pki, &config(&pki, "max_concurrent_probes = 1\ntimeout_seconds = 30"));
    let address = exporter.address;
    let started = Instant::now();
    let first = std::thread::spawn(move || {
        get(
            address,
            &format!("/probe?target=127.0.0.1:{silent}"),
            &[("X-Prometheus-Scrape-Timeout-Seconds", "3")],
        )
    });
    // The first probe holds the only place once it has connected.
    while connections.total() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the first probe never connected"
        );
        std::thread::yield_now();
    }
    let (status, body) = get(
        address,
        &format!("/probe?target=127.0.0.1:{silent}"),
        &[("X-Prometheus-Scrape-Timeout-Seconds", "1")],
    );
    assert_eq!(status, 503, "{body}");
    let (status, body) = first.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(sample(&body, "certscan_probe_success"), Some(0.0));
    // The scrape said 3 s: the probe ended within it, not at the configured 30 s.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let (_, own) = get(address, "/metrics", &[]);
    assert!(
        own.contains("certscan_exporter_requests_refused_total{reason=\"busy\"} 1"),
        "{own}"
    );
}

#[test]
fn a_configuration_that_allows_nothing_or_writes_files_is_refused_at_start() {
    let pki = Pki::new();
    for (config, said) in [
        ("[modules.default]\nargs = []\n", "allows no target"),
        ("allow = [\"example.com\"]\n", "no port"),
        (
            "allow = [\"*:*\"]\n[modules.x]\nargs = [\"--write-chain\", \"/tmp/x\"]\n",
            "--write-chain",
        ),
        (
            "allow = [\"*:*\"]\n[modules.x]\nargs = [\"--no-such-flag\"]\n",
            "--no-such-flag",
        ),
        ("allow = [\"*:*\"]\nmystery = 1\n", "mystery"),
    ] {
        let path = pki.write("bad.toml", config);
        let out = Command::new(env!("CARGO_BIN_EXE_certscan"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config", &path])
            .output()
            .unwrap();
        let said_all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(3), "{config}: {said_all}");
        assert!(said_all.contains(said), "{config}: {said_all}");
    }
}

/// A free loopback port (bound, then released for the process that needs it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn prometheus_scrapes_the_exporter_through_a_relabelled_probe_job() {
    let prometheus = std::path::Path::new("/usr/bin/prometheus");
    if !prometheus.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs Debian's prometheus for this test"
        );
        eprintln!("skipped: prometheus is not installed (Debian package prometheus)");
        return;
    }
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let exporter = exporter(&pki, &config(&pki, ""));
    let web = free_port();
    let prometheus_config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: certscan\n    metrics_path: /probe\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - target_label: __address__\n        replacement: '{}'\n",
        exporter.address
    );
    let config_path = pki.write("prometheus.yml", &prometheus_config);
    let data = pki.path("tsdb");
    let mut server = Command::new(prometheus)
        .args([
            &format!("--config.file={config_path}"),
            &format!("--storage.tsdb.path={data}"),
            &format!("--web.listen-address=127.0.0.1:{web}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Stop<'a>(&'a mut Child);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _stop = Stop(&mut server);
    let api: SocketAddr = format!("127.0.0.1:{web}").parse().unwrap();
    let query = "/api/v1/query?query=certscan_endpoint_expiry_timestamp_seconds";
    let started = Instant::now();
    let answer = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "Prometheus never had the series"
        );
        if TcpStream::connect_timeout(&api, Duration::from_secs(1)).is_ok() {
            let (status, body) = get(api, query, &[]);
            let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status == 200 && doc["data"]["result"].as_array().is_some_and(|r| !r.is_empty()) {
                break doc;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let series = &answer["data"]["result"][0];
    assert_eq!(series["metric"]["instance"], format!("127.0.0.1:{port}"), "{series}");
    assert_eq!(series["metric"]["job"], "certscan");
    let value: f64 = series["value"][1].as_str().unwrap().parse().unwrap();
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf.der).unwrap();
    assert_eq!(value as i64, parsed.validity().not_after.timestamp(), "{series}");
}

#[test]
fn the_contrib_prometheus_files_are_what_promtool_and_the_exporter_accept() {
    let contrib = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/prometheus");
    let exporter_config = std::fs::read_to_string(contrib.join("exporter.toml")).unwrap();
    let pki = Pki::new();
    // The example configuration starts (and says where it serves).
    let started = exporter(&pki, &exporter_config);
    assert_eq!(get(started.address, "/", &[]).0, 200);
    drop(started);
    let Some(promtool) = ["/usr/bin/promtool"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs Debian's prometheus for this test"
        );
        eprintln!("skipped: promtool is not installed (Debian package prometheus)");
        return;
    };
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prometheus");
    for (dir, args) in [
        (&contrib, vec!["check", "config", "prometheus.yml"]),
        (&contrib, vec!["check", "rules", "certscan.rules.yml"]),
        (&tests, vec!["test", "rules", "certscan.rules.test.yml"]),
    ] {
        let out = Command::new(promtool).args(&args).current_dir(dir).output().unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
