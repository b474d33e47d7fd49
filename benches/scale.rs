//! Scale benchmark: scans hundreds of loopback endpoints (good TLS servers plus silent ones that
//! never answer) with the release binary, and prints wall time, the ratio to the timeout, and
//! peak memory. Run with `cargo bench` (or `bench/run`); it asserts nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{AT, LeafSpec, Pki, Raw, Servers};

const TIMEOUT_SECONDS: f64 = 2.0;

struct Measure {
    seconds: f64,
    peak_kib: Option<u64>,
    exit: i32,
    endpoints: usize,
}

/// Runs the binary under /usr/bin/time when it exists, to read the peak resident size.
fn run(args: &[String]) -> Measure {
    let common::Measured { output, took, peak_kib } = common::certscan_measured(args);
    let seconds = took.as_secs_f64();
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    Measure {
        seconds,
        peak_kib,
        exit: output.status.code().unwrap_or(-1),
        endpoints: doc["targets"].as_array().map_or(0, |t| t.len()),
    }
}

fn scenario(name: &str, good: usize, silent: usize, concurrency: usize) {
    let pki = Pki::new();
    let servers = Servers::new();
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let mut ports: Vec<u16> = (0..good).map(|_| servers.tls(chain.clone(), leaf.key_der())).collect();
    ports.extend((0..silent).map(|_| servers.raw(Raw::Silent)));
    let list = pki.write(
        "targets.txt",
        &ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect::<String>(),
    );
    let root = pki.root_file();
    let args: Vec<String> = [
        "-f",
        &list,
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--at",
        AT,
        "--format",
        "json",
        "--timeout",
        &TIMEOUT_SECONDS.to_string(),
        "--concurrency",
        &concurrency.to_string(),
        "--no-dns",
        "--hosts-file",
        "/dev/null",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let m = run(&args);
    println!(
        "{name:<44} endpoints={:<4} wall={:>6.2}s  wall/timeout={:>5.2}  per-endpoint={:>6.2}ms  peak={}  exit={}",
        m.endpoints,
        m.seconds,
        m.seconds / TIMEOUT_SECONDS,
        m.seconds * 1000.0 / m.endpoints.max(1) as f64,
        m.peak_kib
            .map_or("n/a".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
        m.exit
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("certscan scale benchmark (timeout {TIMEOUT_SECONDS} s, loopback servers in-process)");
    scenario("200 good endpoints", 200, 0, 100);
    scenario("180 good + 20 silent (default concurrency)", 180, 20, 100);
    scenario("150 good + 50 silent (default concurrency)", 150, 50, 100);
    scenario("500 good endpoints", 500, 0, 100);
    scenario("200 good endpoints, concurrency 10", 200, 0, 10);
}
