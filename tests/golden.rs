//! Golden output: certscan's reports for the committed fixtures, for every file-mode case of the
//! conformance corpus beside the project (`../shared/corpora`), and for in-process servers
//! covering each protocol and finding family, compared with what `tests/golden/` recorded.
//! What changes from run to run is masked: the start time, temporary folders, ports, and the
//! values that follow from keys generated at test time (serials, fingerprints, key ids).
//!
//! A change that moves a report on purpose records anew with
//! `CERTSCAN_GOLDEN=record cargo test --test golden` and shows the difference in its diff.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::dns::{Zone, caa};
use common::servers::{App, Raw, client_auth_config, server_config};
use common::starttls::{Dialect, starttls_server};
use common::*;
use rustls::pki_types::CertificateDer;
use serde_json::Value;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn recording() -> bool {
    std::env::var("CERTSCAN_GOLDEN").is_ok_and(|v| v == "record")
}

/// Runs the binary from the project root with a fixed terminal width and no colour.
fn run(args: &[String]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_certscan"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .env("GOLDEN_P12_PASSWORD", "certscan")
        .output()
        .expect("run certscan");
    let code = output.status.code().expect("certscan exited by a signal");
    (code, String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What varies between runs of the same scan, replaced by stable words.
#[derive(Default)]
struct Mask {
    /// Text replaced everywhere (a temporary folder, a port), longest first.
    literals: Vec<(String, String)>,
    /// Whether values that follow from keys generated at test time are masked.
    generated_keys: bool,
}

impl Mask {
    fn literal(mut self, from: &str, to: &str) -> Mask {
        self.literals.push((from.to_string(), to.to_string()));
        self.literals.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        self
    }

    fn port(self, port: u16) -> Mask {
        self.literal(&format!(":{port}"), ":PORT")
            .literal(&format!("={port}"), "=PORT")
            .literal(&format!("port {port}"), "port PORT")
            .literal(&format!("\"{port}\""), "\"PORT\"")
            // The by-hand commands: `nc -vz HOST PORT`, Python's `(ADDRESS, PORT)`.
            .literal(&format!(" {port}"), " PORT")
    }

    fn text(&self, text: &str, seen: &mut BTreeMap<String, String>) -> String {
        let mut text = text.to_string();
        for (from, to) in &self.literals {
            text = text.replace(from, to);
        }
        if self.generated_keys {
            mask_generated(&text, seen)
        } else {
            text
        }
    }

    fn json(&self, value: &mut Value, seen: &mut BTreeMap<String, String>) {
        match value {
            Value::String(s) => *s = self.text(s, seen),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v, seen)),
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match key.as_str() {
                        "started_at" => *v = Value::String("STARTED".into()),
                        "port" if v.is_number() => *v = Value::String("PORT".into()),
                        // Answers the random Sec-WebSocket-Key of each run.
                        "sec-websocket-accept" => *v = Value::String("ACCEPT".into()),
                        _ => self.json(v, seen),
                    }
                }
            }
            _ => {}
        }
    }

    /// The report in `stdout`, masked: a JSON document is re-serialized, NDJSON lines too (in
    /// sorted order, as they come in the order endpoints finish), any other text is masked.
    fn report(&self, stdout: &str) -> String {
        let mut seen = BTreeMap::new();
        if let Ok(mut doc) = serde_json::from_str::<Value>(stdout) {
            self.json(&mut doc, &mut seen);
            return serde_json::to_string_pretty(&doc).unwrap() + "\n";
        }
        let lines: Option<Vec<Value>> = stdout.lines().map(|l| serde_json::from_str(l).ok()).collect();
        if let Some(mut lines) = lines.filter(|l| l.len() > 1) {
            lines.iter_mut().for_each(|line| self.json(line, &mut seen));
            let mut lines: Vec<String> = lines.iter().map(|l| serde_json::to_string(l).unwrap()).collect();
            lines.sort();
            return lines.join("\n") + "\n";
        }
        self.text(stdout, &mut seen)
    }
}

/// Replaces hexadecimal runs (colon-separated pairs, or 16 digits and more) and base64 runs (24
/// characters and more with padding, or 40 and more with a digit) by `HEX1`, `HEX2`, ... in
/// order of first appearance, so that two runs that differ only in their generated keys read
/// alike.
fn mask_generated(text: &str, seen: &mut BTreeMap<String, String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let run_end = token_end(bytes, i);
        if run_end > i {
            let token = &text[i..run_end];
            if is_generated(token) {
                let next = seen.len() + 1;
                let name = seen.entry(token.to_string()).or_insert_with(|| format!("HEX{next}"));
                out.push_str(name);
            } else {
                out.push_str(token);
            }
            i = run_end;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || b":+/=".contains(&bytes[end])) {
        end += 1;
    }
    end
}

fn is_generated(token: &str) -> bool {
    let token = token.trim_end_matches(':');
    let pairs: Vec<&str> = token.split(':').collect();
    let hex_pairs = pairs.len() >= 4
        && pairs
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    let hex_run = token.len() >= 16 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let padded = token.len() >= 24 && token.ends_with('=');
    let long = token.len() >= 40 && token.bytes().any(|b| b.is_ascii_digit());
    let base64 = (padded || long) && token.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    hex_pairs || hex_run || base64
}

/// Compares `actual` with the recorded file (or records it); returns a line for each difference.
fn compare(name: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join(name);
    if recording() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or(expected.lines().count().min(actual.lines().count()));
    let around = |text: &str| {
        text.lines()
            .skip(first.saturating_sub(3))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    Some(format!(
        "{name}: differs from line {}\n--- recorded\n{}\n--- now\n{}",
        first + 1,
        around(&expected),
        around(actual)
    ))
}

fn assert_all_same(differences: Vec<String>) {
    assert!(
        differences.is_empty(),
        "{} report(s) moved (record anew with CERTSCAN_GOLDEN=record only if the change is meant):\n\n{}",
        differences.len(),
        differences.join("\n\n")
    );
}

const AT_ARGS: [&str; 6] = ["--at", AT, "--no-dns", "--hosts-file", "/dev/null", "-v"];

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Every committed certificate, key, keystore and configuration tree, in every format.
#[test]
fn fixtures_report_as_recorded() {
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "sha1leaf",
            vec!["--file", "fixtures/legacy/sha1leaf.pem", "--name", "localhost"],
        ),
        (
            "sha1leaf-with-ca",
            vec![
                "--file",
                "fixtures/legacy/sha1leaf.pem",
                "--name",
                "localhost",
                "--trust",
                "none",
                "--ca-file",
                "fixtures/legacy/rsaca.pem",
            ],
        ),
        (
            "sha1leaf-with-key",
            vec![
                "--file",
                "fixtures/legacy/sha1leaf.pem",
                "--key",
                "fixtures/legacy/sha1leaf.key",
            ],
        ),
        (
            "sha1leaf-wrong-key",
            vec![
                "--file",
                "fixtures/legacy/sha1leaf.pem",
                "--key",
                "fixtures/legacy/rsa1024.key",
            ],
        ),
        (
            "sha1leaf-encrypted-key",
            vec![
                "--file",
                "fixtures/legacy/sha1leaf.pem",
                "--key",
                "fixtures/legacy/encrypted.key",
            ],
        ),
        (
            "rsaca",
            vec![
                "--file",
                "fixtures/legacy/rsaca.pem",
                "--name",
                "certscan Legacy RSA Test CA",
            ],
        ),
        (
            "ocsp-leaf",
            vec!["--file", "fixtures/ocsp/leaf.pem", "--name", "localhost"],
        ),
        (
            "ocsp-leaf-and-ca",
            vec![
                "--file",
                "fixtures/ocsp/leaf.pem",
                "--trust",
                "none",
                "--ca-file",
                "fixtures/ocsp/ca.pem",
                "-w",
                "40%",
                "-c",
                "5%",
            ],
        ),
        ("ocsp-responder", vec!["--file", "fixtures/ocsp/responder.pem"]),
        (
            "fuzz-ca-der",
            vec!["--file", "fixtures/fuzz/ca.der", "--name", "example.com"],
        ),
        (
            "fuzz-keystore-no-password",
            vec!["--file", "fixtures/fuzz/keystore.p12"],
        ),
        (
            "fuzz-keystore",
            vec![
                "--file",
                "fixtures/fuzz/keystore.p12",
                "--password-env",
                "GOLDEN_P12_PASSWORD",
            ],
        ),
        ("not-a-certificate", vec!["--file", "fixtures/fuzz/http-answer.txt"]),
        ("missing-file", vec!["--file", "fixtures/no-such-file.pem"]),
        (
            "wazo-root",
            vec![
                "--profile",
                "wazo",
                "--config-root",
                "fixtures/wazo-root",
                "--file",
                "fixtures/legacy/sha1leaf.pem",
                "--no-dns",
            ],
        ),
        (
            "policy-strict-internal",
            vec![
                "--policy",
                "strict-internal",
                "--file",
                "fixtures/legacy/sha1leaf.pem",
                "--key",
                "fixtures/legacy/sha1leaf.key",
            ],
        ),
        (
            "two-files",
            vec![
                "--file",
                "fixtures/ocsp/leaf.pem",
                "--file",
                "fixtures/legacy/sha1leaf.pem",
            ],
        ),
    ];
    let mut differences = Vec::new();
    for (name, case) in &cases {
        for (format, extension) in [
            ("json", "json"),
            ("table", "txt"),
            ("nagios", "nagios"),
            ("junit", "xml"),
            ("prometheus", "prom"),
        ] {
            let mut all = args(case);
            all.extend(args(&AT_ARGS));
            all.extend(args(&["--format", format]));
            let (code, stdout) = run(&all);
            let report = mask_duration(&Mask::default().report(&stdout));
            let text = format!("exit {code}\n{report}");
            differences.extend(compare(&format!("files/{name}.{extension}"), &text));
        }
    }
    assert_all_same(differences);
}

/// The run's own duration, the one time the text formats carry besides the start.
fn mask_duration(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("certscan_run_duration_seconds ") {
                "certscan_run_duration_seconds DURATION".to_string()
            } else if let Some(at) = line.find("time=\"") {
                let rest = &line[at + 6..];
                let end = rest.find('"').map_or(line.len(), |e| at + 6 + e);
                format!("{}time=\"TIME\"{}", &line[..at], &line[end + 1..])
            } else if let Some(at) = line.find("timestamp=\"") {
                let rest = &line[at + 11..];
                let end = rest.find('"').map_or(line.len(), |e| at + 11 + e);
                format!("{}timestamp=\"TIME\"{}", &line[..at], &line[end + 1..])
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The conformance corpus beside the project, when it is there.
fn corpora() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    dir.join("manifest.json").is_file().then_some(dir)
}

/// One file-mode case of the corpus, as the conformance runner calls certscan, with a fixed
/// evaluation time where the case has none; the digest of its masked JSON and exit status.
fn conformance_case(case: &Value, pems: &Value, dir: &Path) -> String {
    let write = |name: &str, keys: &Value| -> PathBuf {
        let text: String = keys
            .as_array()
            .unwrap()
            .iter()
            .map(|k| pems[k.as_str().unwrap()].as_str().unwrap().to_string())
            .collect();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let chain = write("chain.pem", &case["chain"]);
    let mut all = vec![
        "--file".to_string(),
        chain.display().to_string(),
        "--name".into(),
        case["name"]["value"].as_str().unwrap().to_string(),
        "--trust".into(),
        case["trust"].as_str().unwrap().to_string(),
    ];
    if case["ca"].as_array().is_some_and(|ca| !ca.is_empty()) {
        all.extend(["--ca-file".into(), write("ca.pem", &case["ca"]).display().to_string()]);
    }
    all.extend([
        "--at".into(),
        case["at"].as_str().unwrap_or("2026-01-01T00:00:00Z").to_string(),
    ]);
    all.extend(args(&["--no-dns", "--hosts-file", "/dev/null", "--format", "json"]));
    let (code, stdout) = run(&all);
    let masked = Mask::default()
        .literal(&dir.display().to_string(), "CASE")
        .report(&stdout);
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("exit {code}\n{masked}").as_bytes());
    digest.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file-mode case of the limbo, real and hostname suites: one digest per case.
#[test]
fn conformance_cases_report_as_recorded() {
    let Some(corpora) = corpora() else {
        eprintln!("golden: ../shared/corpora is not beside the project; the conformance cases were not compared");
        return;
    };
    let mut cases = Vec::new();
    let mut pems = BTreeMap::new();
    for suite in ["limbo", "real", "hostname"] {
        let text = std::fs::read_to_string(corpora.join(format!("{suite}/{suite}-public.json"))).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            if case["mode"] == "file" {
                cases.push((suite, case.clone()));
            }
        }
        pems.insert(suite, doc["pems"].clone());
    }
    let next = AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let dir = tempfile::tempdir().unwrap();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some((suite, case)) = cases.get(index) else { break };
                    let digest = conformance_case(case, &pems[suite], dir.path());
                    let id = format!("{suite} {}", case["id"].as_str().unwrap());
                    results.lock().unwrap().insert(id, digest);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let actual: String = results.iter().map(|(id, digest)| format!("{id}\t{digest}\n")).collect();
    let path = golden_dir().join("conformance.tsv");
    if recording() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    let moved: Vec<&str> = actual
        .lines()
        .filter(|line| !expected.lines().any(|e| e == *line))
        .map(|line| line.split('\t').next().unwrap())
        .collect();
    assert!(
        moved.is_empty() && expected.lines().count() == results.len(),
        "{} of {} conformance case report(s) moved or are new, e.g. {:?} (rerun one with the runner's --case ID --verbose)",
        moved.len(),
        results.len(),
        &moved[..moved.len().min(10)]
    );
}

const NAME: &str = "www.example.test";

/// One scan of the servers' test: its name in `tests/golden/servers/`, its targets, the ports
/// to pin to 127.0.0.1 and mask, and further arguments.
struct Scenario {
    name: String,
    targets: Vec<String>,
    ports: Vec<u16>,
    extra: Vec<String>,
}

/// A scan of `target` pinned to 127.0.0.1 (for every port in `ports`), trusting `pki`'s root,
/// as JSON with the ports, the PKI's folder and the generated keys masked.
fn scan_masked(pki: &Pki, scenario: &Scenario) -> String {
    let (targets, ports) = (&scenario.targets, &scenario.ports);
    let extra: Vec<&str> = scenario.extra.iter().map(String::as_str).collect();
    let mut all: Vec<String> = targets.to_vec();
    for port in ports {
        all.extend(["--resolve".into(), format!("{NAME}:{port}:127.0.0.1")]);
    }
    all.extend(pki.trust_args());
    all.extend(args(&["--at", AT, "--hosts-file", "/dev/null"]));
    if !extra.contains(&"-t") {
        all.extend(args(&["-t", "2"]));
    }
    if !extra.contains(&"--format") {
        all.extend(args(&["--format", "json"]));
    }
    all.extend(args(&extra));
    if !extra.contains(&"--dns-server") {
        all.push("--no-dns".into());
    }
    let (code, stdout) = run(&all);
    let mut mask = Mask {
        generated_keys: true,
        ..Mask::default()
    }
    .literal(&pki.dir.path().display().to_string(), "PKI");
    for port in ports {
        mask = mask.port(*port);
    }
    format!("exit {code}\n{}", mask.report(&stdout))
}

fn chain_of(certificates: &[&Issued]) -> Vec<CertificateDer<'static>> {
    certificates.iter().map(|c| c.der.clone()).collect()
}

/// One in-process server per protocol and finding family, each scanned on its own.
#[test]
fn servers_report_as_recorded() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let good = pki.leaf(&LeafSpec::new(&[NAME]));
    let full = chain_of(&[&good, &pki.intermediate.cert]);
    let tls = |chain: Vec<CertificateDer<'static>>, key: &Issued| servers.tls(chain, key.key_der());
    let reply = |head: &str| App::Reply(format!("{head}\r\nContent-Length: 0\r\n\r\n"));
    let app = |app: App, alpn: &[&[u8]]| {
        let config = server_config(full.clone(), good.key_der(), alpn.iter().map(|p| p.to_vec()).collect());
        servers.tls_app(config, app)
    };

    let expired = pki.leaf(&LeafSpec::new(&[NAME]).validity(-100, -2));
    let soon = pki.leaf(&LeafSpec::new(&[NAME]).validity(-80, 10));
    let wrong = pki.leaf(&LeafSpec::new(&["other.example.test"]));
    let mut cn_only_spec = LeafSpec::new(&[]);
    cn_only_spec.cn = NAME.into();
    let cn_only = pki.leaf(&cn_only_spec);
    let self_signed = common::pki::self_signed(&LeafSpec::new(&[NAME]));
    let client_ca = Ca::root("golden client CA").cert.der;
    let configured = |config: rustls::ServerConfig| servers.tls_with_config(config, "127.0.0.1:0").port();

    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut single = |name: &str, port: u16, scheme: &str, path: &str, extra: Vec<&str>| {
        scenarios.push(Scenario {
            name: name.into(),
            targets: vec![format!("{scheme}{NAME}:{port}{path}")],
            ports: vec![port],
            extra: args(&extra),
        });
    };
    single("good-tls", tls(full.clone(), &good), "", "", vec![]);
    single("leaf-alone", tls(chain_of(&[&good]), &good), "", "", vec![]);
    single(
        "expired",
        tls(chain_of(&[&expired, &pki.intermediate.cert]), &expired),
        "",
        "",
        vec![],
    );
    single(
        "expires-soon",
        tls(chain_of(&[&soon, &pki.intermediate.cert]), &soon),
        "",
        "",
        vec![],
    );
    single(
        "wrong-name",
        tls(chain_of(&[&wrong, &pki.intermediate.cert]), &wrong),
        "",
        "",
        vec![],
    );
    single(
        "cn-only",
        tls(chain_of(&[&cn_only, &pki.intermediate.cert]), &cn_only),
        "",
        "",
        vec![],
    );
    single(
        "self-signed",
        tls(chain_of(&[&self_signed]), &self_signed),
        "",
        "",
        vec![],
    );
    single(
        "root-included-out-of-order",
        tls(chain_of(&[&good, &pki.root.cert, &pki.intermediate.cert]), &good),
        "",
        "",
        vec![],
    );
    single(
        "client-cert-required",
        configured(client_auth_config(
            full.clone(),
            good.key_der(),
            client_ca.clone(),
            true,
            false,
        )),
        "",
        "",
        vec![],
    );
    single(
        "client-cert-optional",
        configured(client_auth_config(full.clone(), good.key_der(), client_ca, false, true)),
        "",
        "",
        vec![],
    );
    single(
        "obsolete-only",
        servers.hand_made_tls(0x0303, 0x002f, full.clone()),
        "",
        "",
        vec![],
    );
    single(
        "legacy-only",
        servers.hand_made_tls(0x0301, 0x002f, full.clone()),
        "",
        "",
        vec![],
    );
    single(
        "https-hsts",
        app(
            reply("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nServer: nginx"),
            &[b"http/1.1"],
        ),
        "https://",
        "/status",
        vec![],
    );
    single(
        "https-no-hsts",
        app(reply("HTTP/1.1 404 Not Found"), &[b"http/1.1"]),
        "https://",
        "/",
        vec![],
    );
    single(
        "https-silent",
        app(App::Silent, &[b"http/1.1"]),
        "https://",
        "/",
        vec![],
    );
    single(
        "https-h2",
        app(
            App::Http2 {
                status: 200,
                headers: vec![("strict-transport-security".into(), "max-age=100".into())],
            },
            &[b"h2", b"http/1.1"],
        ),
        "https://",
        "/",
        vec![],
    );
    single(
        "wss-good",
        app(App::WebSocket { correct_accept: true }, &[]),
        "wss://",
        "/ws",
        vec![],
    );
    single(
        "wss-bad-accept",
        app(App::WebSocket { correct_accept: false }, &[]),
        "wss://",
        "/ws",
        vec![],
    );
    single(
        "wss-refused",
        app(reply("HTTP/1.1 403 Forbidden"), &[]),
        "wss://",
        "/ws",
        vec![],
    );
    single(
        "sips-options",
        app(reply("SIP/2.0 200 OK\r\nServer: Asterisk"), &[]),
        "sips:",
        "",
        vec![],
    );
    single("sips-not-sip", app(reply("HTTP/1.1 200 OK"), &[]), "sips:", "", vec![]);
    let smtp = starttls_server(
        &servers,
        Dialect::Smtp,
        true,
        server_config(full.clone(), good.key_der(), vec![]),
    );
    single("smtp-starttls", smtp, "smtp://", "", vec![]);
    let no_starttls = starttls_server(
        &servers,
        Dialect::Imap,
        false,
        server_config(full.clone(), good.key_der(), vec![]),
    );
    single("imap-not-offered", no_starttls, "imap://", "", vec![]);
    single("plain-http", servers.raw(Raw::PlainHttp), "", "", vec![]);
    single("plain-sip", servers.raw(Raw::PlainSip), "", "", vec![]);
    single("reset", servers.raw(Raw::Reset), "", "", vec![]);
    single("closed", servers.raw(Raw::Close), "", "", vec![]);
    single("garbage", servers.raw(Raw::BinaryGarbage), "", "", vec![]);
    single("refused", servers.closed_port(), "", "", vec![]);
    single("silent", servers.raw(Raw::Silent), "", "", vec!["-t", "1"]);
    single(
        "policy",
        tls(full.clone(), &good),
        "",
        "",
        vec!["--policy", "mozilla-intermediate"],
    );
    let tls12_only = rustls::ServerConfig::builder_with_protocol_versions(&[&rustls::version::TLS12])
        .with_no_client_auth()
        .with_single_cert(full.clone(), good.key_der())
        .unwrap();
    single("tls12-only", configured(tls12_only), "", "", vec![]);
    let revoked_staple = common::ocsp::response(
        &pki.intermediate,
        &common::ocsp::OcspSpec {
            status: common::ocsp::Status::Revoked,
            ..common::ocsp::OcspSpec::good(&good)
        },
    );
    let stapled = common::ocsp::stapling_config(full.clone(), good.key_der(), revoked_staple);
    single("ocsp-revoked-staple", configured(stapled), "", "", vec![]);

    // Several endpoints of one host in one run, in every format.
    let many = [
        tls(full.clone(), &good),
        tls(chain_of(&[&good]), &good),
        servers.closed_port(),
    ];
    let list = format!("{NAME}:{},{},{}", many[0], many[1], many[2]);
    for format in ["json", "ndjson", "nagios", "table", "junit", "prometheus"] {
        scenarios.push(Scenario {
            name: format!("several-ports.{format}"),
            targets: vec![list.clone()],
            ports: many.to_vec(),
            extra: args(&["--format", format]),
        });
    }

    // CAA through the test's own DNS server, for a file whose names are not special-use.
    let zone = Zone::default()
        .caa("golden-caa.com", vec![caa(0, "issue", "digicert.com")])
        .caa("bad.golden-caa.com", vec![caa(0, "issue", "<bad>")])
        .caa("critical.golden-caa.com", vec![caa(128, "future", "x")])
        .address("www.golden-caa.com", "192.0.2.1");
    let dns = common::dns::start(&servers, zone).to_string();

    let caa_leaf = common::pki::self_signed(&LeafSpec::new(&[
        "www.golden-caa.com",
        "bad.golden-caa.com",
        "critical.golden-caa.com",
        "*.golden-caa.com",
    ]));
    let caa_file = pki.write("caa-leaf.pem", &caa_leaf.pem);
    scenarios.push(Scenario {
        name: "caa".into(),
        targets: vec![],
        ports: vec![],
        extra: args(&[
            "--file",
            &caa_file,
            "--dns-server",
            &dns,
            "--caa-issuer",
            "letsencrypt.org",
        ]),
    });

    let mut differences = Vec::new();
    for scenario in &scenarios {
        let name = &scenario.name;
        let mut text = scan_masked(&pki, scenario);
        if name.ends_with(".prometheus") {
            // Endpoints' series come in the order the endpoints finish.
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            text = lines.join("\n");
        }
        let text = mask_duration(&text);
        let file = if name.contains('.') {
            format!("servers/{name}")
        } else {
            format!("servers/{name}.json")
        };
        differences.extend(compare(&file, &text));
    }
    assert_all_same(differences);
}
