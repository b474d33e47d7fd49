//! Chain-file benchmark: certscan on chain files of 5,000 and 50,000 certificates (a leaf, its
//! intermediate, and thousands of unrelated certificates, as a hostile or mistaken file holds),
//! printing wall time, peak memory and the size of the JSON report. Run with `cargo bench
//! --bench chain_files` (or `bench/run`); it asserts nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{AT, LeafSpec, Pki};

/// Writes a PEM file: the leaf, its intermediate, then `extra` distinct other certificates.
fn chain_file(pki: &Pki, extra: usize) -> String {
    let leaf = pki.leaf(&LeafSpec::new(&["bench.example.test"]));
    let mut text = leaf.pem.clone();
    text.push_str(&pki.intermediate.cert.pem);
    // Distinct certificates, cheap to make: one key, many names.
    let key = rcgen::KeyPair::generate().unwrap();
    for i in 0..extra {
        let params = rcgen::CertificateParams::new(vec![format!("stray{i}.example.test")]).unwrap();
        text.push_str(&params.self_signed(&key).unwrap().pem());
    }
    pki.write(&format!("chain-{extra}.pem"), &text)
}

fn measure(name: &str, file: &str, root: &str) {
    let args = [
        "--file",
        file,
        "--name",
        "bench.example.test",
        "--trust",
        "none",
        "--ca-file",
        root,
        "--at",
        AT,
        "--format",
        "json",
        "--no-dns",
        "--hosts-file",
        "/dev/null",
    ];
    let common::Measured { output, took, peak_kib } = common::certscan_measured(&args);
    let seconds = took.as_secs_f64();
    let peak = peak_kib.map_or("n/a".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let findings = doc["targets"][0]["findings"].as_array().map_or(0, |f| f.len());
    let first = doc["targets"][0]["findings"][0]["id"]
        .as_str()
        .unwrap_or("-")
        .to_string();
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "{name:<34} file={:>6.1} MiB  wall={seconds:>6.3}s  peak={peak:<10} report={:>7} bytes  findings={findings} (first: {first})  exit={}",
        size as f64 / 1024.0 / 1024.0,
        output.stdout.len(),
        output.status.code().unwrap_or(-1)
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("certscan chain-file benchmark (certificates per chain checked: at most 100; file bound: 16 MiB)");
    let pki = Pki::new();
    let root = pki.root_file();
    for extra in [0, 5_000, 50_000] {
        let file = chain_file(&pki, extra);
        measure(&format!("leaf + intermediate + {extra} others"), &file, &root);
    }
}
