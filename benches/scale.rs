//! Scale benchmark: certscan against many loopback endpoints served by a separate process, side
//! by side with a bare baseline that makes the same rustls handshakes at the same concurrency
//! and nothing else. Prints wall time, CPU time and peak resident size of both, and the ratios,
//! for 200, 1,000 and 10,000 endpoints that answer (good) and that never answer (silent).
//! certscan writes its NDJSON report to a file, as a fleet job does. Run with `cargo bench
//! --bench scale` (or `bench/run`); it asserts nothing.
//!
//! Each row runs baseline and certscan in pairs, each pair in the other order from the last
//! (`CERTSCAN_BENCH_RUNS` pairs; by default 25 at 200 good endpoints, 11 at 1,000, 5 at 10,000,
//! and 5 for silent ones, 3 at 10,000), and prints the medians, with the lowest and highest wall
//! ratio of a pair: one run of either moves by 10% or more on a loaded machine.
//!
//! Each good endpoint serves its own leaf certificate and key under one intermediate, as the
//! hosts of a fleet under one CA do; one row has every endpoint serve the same certificate, as
//! the ports of one host or a wildcard's names do. (certscan verifies each distinct signature
//! once per run: the intermediate's once in a fleet, the leaf's too when it is shared.)
//!
//! A last row scans 100,000 endpoints (names pinned by a hosts file to 10,000 listeners) once,
//! for its peak memory.
//!
//! `CERTSCAN_BENCH_ONLY=instructions` runs only the instruction count (under callgrind),
//! `CERTSCAN_BENCH_ONLY=100000` only the 100,000-endpoint row, and
//! `CERTSCAN_BENCH_COMPARE=PATH` counts another certscan binary's instructions beside this
//! build's on the same endpoints (e.g. a release build of an earlier commit), so that a change
//! is measured by the one figure that load does not move.
//!
//! The binary plays three parts: without arguments it leads the benchmark; `serve KIND N DIR`
//! serves N endpoints on 127.0.0.2-127.0.0.5 until its standard input closes (endpoint i
//! serves the i-th leaf of `DIR/leaves.pem` with its key in `DIR/keys.pem`, cycling, and
//! `DIR/intermediate.pem`); `baseline LIST CONCURRENCY TIMEOUT ROOT` makes the bare
//! handshakes.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{AT, LeafSpec, Pki, Servers};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

const TIMEOUT_SECONDS: f64 = 2.0;
/// The loopback addresses the endpoints are spread over (one address's port range would not
/// hold 10,000 listeners beside the clients' own ports).
const ADDRESSES: [&str; 4] = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];
/// certscan's defaults: active slots, and the quiet pool beside them.
const ACTIVE: usize = 256;
const QUIET: usize = 5120;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => serve(&args[2], args[3].parse().unwrap(), Path::new(&args[4])),
        Some("baseline") => baseline(
            Path::new(&args[2]),
            args[3].parse().unwrap(),
            args[4].parse().unwrap(),
            Path::new(&args[5]),
        ),
        // `cargo test --benches` runs this with --bench absent; only measure under `cargo bench`.
        _ if args.iter().any(|a| a == "--bench") => lead(),
        _ => {}
    }
}

/// What /usr/bin/time saw of one process.
struct Usage {
    wall: f64,
    cpu: f64,
    peak_mib: f64,
    stdout: String,
}

/// Runs a program under GNU time (for CPU time and peak RSS), its standard output kept.
fn measured(program: &Path, args: &[String]) -> Usage {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "usage user=%U sys=%S peak_kib=%M"])
        .arg(program)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("GNU time (/usr/bin/time) runs the program");
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let usage = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("usage "))
        .unwrap_or_else(|| panic!("no usage line: {stderr}"));
    let field = |name: &str| -> f64 {
        usage
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Usage {
        wall,
        cpu: field("user=") + field("sys="),
        peak_mib: field("peak_kib=") / 1024.0,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

/// Leads the benchmark: for each size and kind, starts the servers, runs the baseline and
/// certscan against them, and prints one row.
fn lead() {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "the benchmark needs GNU time (/usr/bin/time)"
    );
    // The intermediate's key decides much of what a handshake costs: a P-256 chain is measured
    // at every size, a P-384 one (as Let's Encrypt's ECDSA intermediates are) at 1,000.
    let p256 = Pki::with_intermediate("certscan Bench", &rcgen::PKCS_ECDSA_P256_SHA256);
    let p384 = Pki::with_intermediate("certscan Bench", &rcgen::PKCS_ECDSA_P384_SHA384);
    println!(
        "certscan scale benchmark: {} cores, --timeout {TIMEOUT_SECONDS}, endpoints on {} loopback addresses served by another process",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        ADDRESSES.len()
    );
    println!(
        "{:<18} {:>27} | {:>27} | {:>6} {:>6} | {:>26} |",
        "", "bare rustls baseline", "certscan (ndjson)", "wall", "cpu", "certscan cpu per endpoint"
    );
    println!("medians of alternating runs; the range is the lowest and highest wall ratio of one pair");
    println!(
        "{:<18} {:>8} {:>8} {:>9} | {:>8} {:>8} {:>9} | {:>6} {:>6} | {:>12} {:>13} | wall ratio range",
        "endpoints",
        "wall s",
        "cpu s",
        "peak MiB",
        "wall s",
        "cpu s",
        "peak MiB",
        "ratio",
        "ratio",
        "all",
        "over baseline"
    );
    use Leaves::{OnePerEndpoint, Shared};
    let only_instructions = std::env::var("CERTSCAN_BENCH_ONLY").is_ok_and(|only| only == "instructions");
    let only_hundred_thousand = std::env::var("CERTSCAN_BENCH_ONLY").is_ok_and(|only| only == "100000");
    // `--quick` rows: without the four questions of what each endpoint also accepts.
    let quick: &[&str] = &["--quick"];
    for (kind, size, pki, leaves, label, extra) in [
        ("good", 200, &p256, OnePerEndpoint, "", &[][..]),
        ("good", 1_000, &p256, OnePerEndpoint, "", &[]),
        ("good", 1_000, &p256, OnePerEndpoint, ", --quick", quick),
        ("good", 10_000, &p256, OnePerEndpoint, "", &[]),
        ("good", 10_000, &p256, OnePerEndpoint, ", --quick", quick),
        ("good", 1_000, &p384, OnePerEndpoint, " P-384", &[]),
        ("good", 1_000, &p256, Shared, ", 1 cert", &[]),
        ("silent", 200, &p256, Shared, "", &[]),
        ("silent", 1_000, &p256, Shared, "", &[]),
        ("silent", 10_000, &p256, Shared, "", &[]),
    ] {
        if !only_instructions && !only_hundred_thousand {
            scenario(kind, size, pki, leaves, label, extra);
        }
    }
    if !only_instructions {
        hundred_thousand(&p256);
    }
    if !only_hundred_thousand {
        instructions(&p256, 300);
    }
}

/// The instructions of the process run under callgrind (valgrind), which counts them exactly:
/// unlike time, the count does not move with the machine's load. `None` without valgrind.
fn counted_instructions(program: &Path, args: &[String]) -> Option<u64> {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(program)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().find(|l| l.contains("I   refs:"))?;
    line.rsplit(':').next()?.trim().replace(',', "").parse().ok()
}

/// The same good endpoints handshaken by the baseline and scanned by certscan under callgrind:
/// the ratio of instructions, the figure that noise does not blur.
fn instructions(pki: &Pki, size: usize) {
    let (mut server, list, root) = endpoints("good", size, pki, Leaves::OnePerEndpoint);
    let me = std::env::current_exe().unwrap();
    let certscan = Path::new(env!("CARGO_BIN_EXE_certscan"));
    // A long timeout: everything runs tens of times slower under callgrind.
    let base = counted_instructions(
        &me,
        &[
            "baseline".into(),
            list.display().to_string(),
            ACTIVE.to_string(),
            "60".into(),
            root.clone(),
        ],
    );
    let full = counted_instructions(certscan, &certscan_args(&list, &root, "60"));
    let mut quick_args = certscan_args(&list, &root, "60");
    quick_args.push("--quick".into());
    let quick = counted_instructions(certscan, &quick_args);
    let other = std::env::var_os("CERTSCAN_BENCH_COMPARE").map(|path| {
        (
            path.clone(),
            counted_instructions(Path::new(&path), &certscan_args(&list, &root, "60")),
        )
    });
    drop(server.stdin.take());
    let _ = server.wait();
    if let (Some((path, Some(other))), Some(full)) = (other, full) {
        println!(
            "{:<18} instructions (callgrind): this build {:.0} M, {} {:.0} M, ratio {:.4}",
            format!("{size} good"),
            full as f64 / 1e6,
            path.to_string_lossy(),
            other as f64 / 1e6,
            full as f64 / other as f64
        );
    }
    match (base, full) {
        (Some(base), Some(full)) => println!(
            "{:<18} instructions (callgrind): baseline {:.0} M, certscan {:.0} M, ratio {:.3}; {:.0} k per endpoint over baseline",
            format!("{size} good"),
            base as f64 / 1e6,
            full as f64 / 1e6,
            full as f64 / base as f64,
            (full as f64 - base as f64) / 1e3 / size as f64
        ),
        _ => println!("instructions: not counted (valgrind is not installed)"),
    }
    if let (Some(base), Some(quick)) = (base, quick) {
        println!(
            "{:<18} instructions (callgrind): baseline {:.0} M, certscan --quick {:.0} M, ratio {:.3}",
            format!("{size} good"),
            base as f64 / 1e6,
            quick as f64 / 1e6,
            quick as f64 / base as f64
        );
    }
}

/// Starts `size` endpoints of `kind` serving leaves of `pki`, runs the baseline and certscan
/// against them, and prints one row.
fn scenario(kind: &str, size: usize, pki: &Pki, leaves: Leaves, label: &str, extra: &[&str]) {
    let (server, list, root) = endpoints(kind, size, pki, leaves);
    let mut full_args = certscan_args(&list, &root, &TIMEOUT_SECONDS.to_string());
    full_args.extend(extra.iter().map(|a| a.to_string()));
    let runs = runs_for(kind, size);
    measure_row(
        kind,
        size,
        label,
        server,
        &list,
        &root,
        &full_args,
        &report_path(&list),
        runs,
    );
}

/// 100,000 endpoints, as a fleet's names: 10,000 listeners, each behind ten names that a hosts
/// file pins to its address (one address's ports would not hold 100,000 listeners, nor the
/// open-file limit), every name under one wildcard certificate. The baseline handshakes the
/// same 100,000 connections by address. One pair of runs: the figure is the peak memory.
fn hundred_thousand(pki: &Pki) {
    const LISTENERS: usize = 10_000;
    const SIZE: usize = 100_000;
    let mut sans = vec!["*.bench.test"];
    sans.extend(ADDRESSES);
    let (server, listeners, root) = endpoints_named("good", LISTENERS, pki, Leaves::Shared, &sans);
    let addresses: Vec<String> = std::fs::read_to_string(&listeners)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let dir = listeners.parent().unwrap();
    let (mut by_address, mut names, mut hosts) = (String::new(), String::new(), String::new());
    for i in 0..SIZE {
        let endpoint: std::net::SocketAddr = addresses[i % LISTENERS].parse().unwrap();
        by_address.push_str(&format!("{endpoint}\n"));
        names.push_str(&format!("e{i}.bench.test:{}\n", endpoint.port()));
        hosts.push_str(&format!("{} e{i}.bench.test\n", endpoint.ip()));
    }
    let base_list = dir.join("good-100000-addresses.txt");
    let name_list = dir.join("good-100000.txt");
    let hosts_file = dir.join("hosts-100000");
    std::fs::write(&base_list, by_address).unwrap();
    std::fs::write(&name_list, names).unwrap();
    std::fs::write(&hosts_file, hosts).unwrap();
    let mut full_args = certscan_args(&name_list, &root, &TIMEOUT_SECONDS.to_string());
    let hosts_at = full_args.iter().position(|a| a == "/dev/null").unwrap();
    full_args[hosts_at] = hosts_file.display().to_string();
    let report = report_path(&name_list);
    measure_row(
        "good",
        SIZE,
        ", 10,000 listeners",
        server,
        &base_list,
        &root,
        &full_args,
        &report,
        1,
    );
}

/// Runs the baseline on `base_list` and certscan with `full_args` (its report in `report`),
/// `runs` pairs, stops the servers, and prints one row.
#[allow(clippy::too_many_arguments)]
fn measure_row(
    kind: &str,
    size: usize,
    label: &str,
    mut server: Child,
    base_list: &Path,
    root: &str,
    full_args: &[String],
    report: &Path,
    runs: usize,
) {
    let me = std::env::current_exe().unwrap();
    let certscan = Path::new(env!("CARGO_BIN_EXE_certscan"));
    // The baseline at certscan's concurrency: its active slots for endpoints that
    // answer; its active and quiet slots together for endpoints that never do.
    let concurrency = if kind == "good" { ACTIVE } else { ACTIVE + QUIET };
    let base_args = [
        "baseline".into(),
        base_list.display().to_string(),
        concurrency.to_string(),
        TIMEOUT_SECONDS.to_string(),
        root.to_string(),
    ];
    let pairs: Vec<(Usage, Usage)> = (0..runs)
        .map(|pair| {
            // Each in turn goes first, so neither always meets the servers just after the other.
            let (base, mut full) = if pair % 2 == 0 {
                let base = measured(&me, &base_args);
                (base, measured(certscan, full_args))
            } else {
                let full = measured(certscan, full_args);
                (measured(&me, &base_args), full)
            };
            // Only the summary line is read: the report of 100,000 endpoints is 160 MB.
            full.stdout = last_line(report);
            (base, full)
        })
        .collect();
    drop(server.stdin.take());
    let _ = server.wait();
    let wall_ratios: Vec<f64> = pairs.iter().map(|(b, f)| f.wall / b.wall).collect();
    let (lowest, highest) = wall_ratios
        .iter()
        .fold((f64::INFINITY, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    let (bases, fulls): (Vec<Usage>, Vec<Usage>) = pairs.into_iter().unzip();
    let base = median_usage(&bases);
    let full = median_usage(&fulls);
    // Every certscan run must have seen every endpoint as expected.
    let expected = if kind == "good" { "ok" } else { "critical" };
    let check: String = fulls
        .iter()
        .filter_map(|run| {
            let summary: serde_json::Value =
                serde_json::from_str(run.stdout.lines().last().unwrap_or("{}")).unwrap_or_default();
            let counted = summary["summary"][expected].as_u64().unwrap_or(0) as usize;
            (counted != size).then(|| format!("  (only {counted} of {size} {expected}: {})", summary["summary"]))
        })
        .collect();
    let handshakes_failed = bases
        .iter()
        .map(|run| run.stdout.trim().to_string())
        .find(|handshakes| kind == "good" && !handshakes.ends_with(" 0 failed"));
    println!(
        "{:<18} {:>8.2} {:>8.2} {:>9.1} | {:>8.2} {:>8.2} {:>9.1} | {:>6.2} {:>6.2} | {:>9.3} ms {:>10.3} ms | {lowest:.2}-{highest:.2}{check}",
        format!("{size} {kind}{label}"),
        base.wall,
        base.cpu,
        base.peak_mib,
        full.wall,
        full.cpu,
        full.peak_mib,
        full.wall / base.wall,
        full.cpu / base.cpu,
        full.cpu * 1000.0 / size as f64,
        (full.cpu - base.cpu) * 1000.0 / size as f64,
    );
    if kind == "silent" {
        println!(
            "{:<18} certscan wall / timeout = {:.2}",
            "",
            full.wall / TIMEOUT_SECONDS
        );
    }
    if let Some(handshakes) = handshakes_failed {
        println!("{:<18} baseline: {handshakes}", "");
    }
}

/// The last line of a file (its NDJSON summary), read from the end.
fn last_line(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(64 * 1024)));
    let mut tail = String::new();
    let _ = file.read_to_string(&mut tail);
    tail.lines().last().unwrap_or_default().to_string()
}

/// How many baseline/certscan pairs a row runs: more where a run is short and so moved most
/// by the machine's other work; silent runs last the timeout and move little.
fn runs_for(kind: &str, size: usize) -> usize {
    let default = match (kind, size) {
        ("good", ..=200) => 25,
        ("good", ..=1_000) => 11,
        ("good", _) => 5,
        (_, ..=1_000) => 5,
        _ => 3,
    };
    std::env::var("CERTSCAN_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .filter(|runs| *runs > 0)
        .unwrap_or(default)
}

/// The median of each figure over several runs.
fn median_usage(runs: &[Usage]) -> Usage {
    let median = |figure: fn(&Usage) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(figure).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Usage {
        wall: median(|u| u.wall),
        cpu: median(|u| u.cpu),
        peak_mib: median(|u| u.peak_mib),
        stdout: String::new(),
    }
}

/// Whether every endpoint serves a leaf of its own or all serve the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaves {
    OnePerEndpoint,
    Shared,
}

/// Starts `size` endpoints of `kind` serving fresh leaves of `pki` with its intermediate, and
/// writes their list; the server process, the list and the root to trust.
fn endpoints(kind: &str, size: usize, pki: &Pki, leaves: Leaves) -> (Child, std::path::PathBuf, String) {
    endpoints_named(kind, size, pki, leaves, &ADDRESSES)
}

/// [`endpoints`] whose leaves name `sans`.
fn endpoints_named(
    kind: &str,
    size: usize,
    pki: &Pki,
    leaves: Leaves,
    sans: &[&str],
) -> (Child, std::path::PathBuf, String) {
    let count = match leaves {
        Leaves::OnePerEndpoint if kind == "good" => size,
        _ => 1,
    };
    let spec = LeafSpec::new(sans);
    let (mut certificates, mut keys) = (String::new(), String::new());
    for _ in 0..count {
        let leaf = pki.leaf(&spec);
        certificates.push_str(&leaf.pem);
        keys.push_str(leaf.key.as_ref().unwrap());
    }
    let dir = pki.dir.path();
    std::fs::write(dir.join("leaves.pem"), certificates).unwrap();
    std::fs::write(dir.join("keys.pem"), keys).unwrap();
    std::fs::write(dir.join("intermediate.pem"), &pki.intermediate.cert.pem).unwrap();
    let me = std::env::current_exe().unwrap();
    let mut server = start_servers(&me, kind, size, dir);
    let endpoints = read_endpoints(&mut server, size);
    let list = dir.join(format!("{kind}-{size}.txt"));
    std::fs::write(&list, endpoints.join("\n") + "\n").unwrap();
    (server, list, pki.root_file())
}

/// Where certscan writes its report on `list`.
fn report_path(list: &Path) -> std::path::PathBuf {
    list.with_extension("ndjson")
}

/// certscan's arguments for scanning `list` as the benchmark does: the NDJSON report goes to
/// a file, as a fleet job's does (through a pipe, the 16 MB of 10,000 results would be read
/// by this process on the same cores while it measures).
fn certscan_args(list: &Path, root: &str, timeout: &str) -> Vec<String> {
    [
        "-o",
        &report_path(list).display().to_string(),
        "-f",
        &list.display().to_string(),
        "--trust",
        "none",
        "--ca-file",
        root,
        "--at",
        AT,
        "--format",
        "ndjson",
        "--timeout",
        timeout,
        "--no-dns",
        "--hosts-file",
        "/dev/null",
    ]
    .map(String::from)
    .to_vec()
}

fn start_servers(me: &Path, kind: &str, size: usize, dir: &Path) -> Child {
    Command::new(me)
        .args(["serve", kind, &size.to_string(), &dir.display().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server process")
}

/// The `ADDRESS:PORT` lines a server process prints, then its `ready`.
fn read_endpoints(server: &mut Child, size: usize) -> Vec<String> {
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let endpoints: Vec<String> = lines.by_ref().take(size).map(Result::unwrap).collect();
    assert_eq!(lines.next().map(Result::unwrap).as_deref(), Some("ready"));
    endpoints
}

/// Raises the soft open-file limit to the hard one.
fn raise_open_files() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    );
}

/// Serves `size` endpoints: TLS servers with the chain in `dir` ("good"), or listeners that
/// never accept ("silent": the kernel completes the TCP handshake, nothing answers).
fn serve(kind: &str, size: usize, dir: &Path) {
    raise_open_files();
    let servers = Servers::new();
    let mut silent_listeners = Vec::new();
    let mut out = std::io::stdout().lock();
    let configs: Vec<rustls::ServerConfig> = if kind == "good" {
        let intermediate = CertificateDer::from_pem_file(dir.join("intermediate.pem")).unwrap();
        let leaves = CertificateDer::pem_file_iter(dir.join("leaves.pem")).unwrap();
        let keys = PrivatePkcs8KeyDer::pem_file_iter(dir.join("keys.pem")).unwrap();
        leaves
            .zip(keys)
            .map(|(leaf, key)| {
                rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_no_client_auth()
                    .with_single_cert(
                        vec![leaf.unwrap(), intermediate.clone()],
                        PrivateKeyDer::Pkcs8(key.unwrap()),
                    )
                    .unwrap()
            })
            .collect()
    } else {
        vec![]
    };
    for i in 0..size {
        let address = ADDRESSES[i % ADDRESSES.len()];
        let bound = match configs.get(i % configs.len().max(1)) {
            Some(config) => servers.tls_with_config(config.clone(), &format!("{address}:0")),
            None => {
                let listener = std::net::TcpListener::bind(format!("{address}:0")).unwrap();
                let bound = listener.local_addr().unwrap();
                silent_listeners.push(listener);
                bound
            }
        };
        writeln!(out, "{bound}").unwrap();
    }
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    drop(out);
    // Serve until the leader closes standard input.
    let _ = std::io::stdin().read_line(&mut String::new());
}

/// The bare baseline: for every endpoint of the list, a TCP connection and a rustls handshake
/// verified against `root`, `concurrency` at once, each within `timeout` seconds; nothing else.
fn baseline(list: &Path, concurrency: usize, timeout: f64, root: &Path) {
    raise_open_files();
    let endpoints: Vec<std::net::SocketAddr> = std::fs::read_to_string(list)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(root).unwrap() {
        roots.add(certificate.unwrap()).unwrap();
    }
    // Verified at the instant certscan is given (--at), as the test certificates are dated.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_details(provider, Arc::new(AtTime))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (succeeded, failed) = runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for endpoint in endpoints {
            let (permits, connector) = (permits.clone(), connector.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let handshake = async {
                    let tcp = tokio::net::TcpStream::connect(endpoint).await.ok()?;
                    let name = ServerName::IpAddress(endpoint.ip().into());
                    connector.connect(name, tcp).await.ok()
                };
                tokio::time::timeout(Duration::from_secs_f64(timeout), handshake)
                    .await
                    .ok()
                    .flatten()
                    .is_some()
            });
        }
        let outcomes = tasks.join_all().await;
        let succeeded = outcomes.iter().filter(|ok| **ok).count();
        (succeeded, outcomes.len() - succeeded)
    });
    println!("{succeeded} succeeded, {failed} failed");
}

/// The clock of the baseline: the benchmark's `--at`.
#[derive(Debug)]
struct AtTime;

impl rustls::time_provider::TimeProvider for AtTime {
    fn current_time(&self) -> Option<rustls::pki_types::UnixTime> {
        let at = common::pki::at().unix_timestamp() as u64;
        Some(rustls::pki_types::UnixTime::since_unix_epoch(Duration::from_secs(at)))
    }
}
