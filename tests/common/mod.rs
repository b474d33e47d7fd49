//! Helpers shared by the integration tests: the test PKI, loopback servers, and running the
//! real binary with its JSON checked against the published schema.

#![allow(dead_code, unused_imports)]

pub mod clients;
pub mod dns;
pub mod ocsp;
pub mod openssl;
pub mod openssl_pki;
pub mod pki;
pub mod servers;
pub mod starttls;

use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

pub use pki::{AT, Ca, Issued, LeafSpec, Pki, self_signed};
pub use servers::{OpenConnections, Raw, Servers};

/// What one run of the binary gave.
pub struct RunOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the certscan binary with these arguments. Tests never query the machine's DNS servers:
/// `--no-dns` is added unless the test points certscan at its own with `--dns-server`, and an
/// empty hosts file is used unless the test gives one (which also keeps the system resolver out).
pub fn certscan(args: &[&str]) -> RunOutput {
    certscan_with_env(args, &[])
}

/// [`certscan`] with environment variables set (`None` removes one).
pub fn certscan_with_env(args: &[&str], env: &[(&str, Option<&str>)]) -> RunOutput {
    // The flags added go before a `--`, after which every word is a target.
    let end = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    let mut added = vec![];
    if !args.contains(&"--dns-server") && !args.contains(&"--no-dns") {
        added.push("--no-dns");
    }
    // The machine's own /etc/hosts must not change what a test sees.
    if !args.contains(&"--hosts-file") {
        added.extend(["--hosts-file", "/dev/null"]);
    }
    let all: Vec<&str> = args[..end].iter().chain(&added).chain(&args[end..]).copied().collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_certscan"));
    command.args(&all).env("NO_COLOR", "1");
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().unwrap();
    RunOutput {
        code: output.status.code().expect("certscan exited by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// [`certscan`] that must end within `limit`: a run still going then is killed and the test
/// fails, instead of hanging the suite.
pub fn certscan_within(args: &[&str], limit: std::time::Duration) -> RunOutput {
    let mut all = args.to_vec();
    all.extend(["--no-dns", "--hosts-file", "/dev/null"]);
    let child = Command::new(env!("CARGO_BIN_EXE_certscan"))
        .args(&all)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match ended.recv_timeout(limit) {
        Ok(output) => {
            let output = output.unwrap();
            RunOutput {
                code: output.status.code().expect("certscan exited by a signal"),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }
        }
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("certscan {args:?} was still running after {limit:?}");
        }
    }
}

/// One run of the binary, timed, with its peak resident size when GNU time is installed.
pub struct Measured {
    pub output: std::process::Output,
    pub took: std::time::Duration,
    pub peak_kib: Option<u64>,
}

/// Runs the binary with these arguments (and NO_COLOR), under /usr/bin/time when it exists.
pub fn certscan_measured<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Measured {
    let gnu_time = std::path::Path::new("/usr/bin/time").exists();
    let mut command = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "peak_kib=%M", env!("CARGO_BIN_EXE_certscan")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_certscan"))
    };
    let started = std::time::Instant::now();
    let output = command.args(args).env("NO_COLOR", "1").output().expect("run certscan");
    let took = started.elapsed();
    let peak_kib = String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib="))
        .and_then(|v| v.trim().parse().ok());
    Measured { output, took, peak_kib }
}

fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

fn ndjson_schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");
        let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        // The same schema, whose root is one NDJSON line.
        let root = schema.as_object_mut().unwrap();
        root.retain(|key, _| key.starts_with('$'));
        root.insert("$ref".into(), Value::from("#/$defs/ndjson_line"));
        jsonschema::validator_for(&schema).unwrap()
    })
}

/// Checks `value` against one definition of the schema (`usage_error`, `check`, ...).
pub fn assert_matches_schema(definition: &str, value: &Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let root = schema.as_object_mut().unwrap();
    root.retain(|key, _| key.starts_with('$'));
    root.insert("$ref".into(), Value::from(format!("#/$defs/{definition}")));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "not a {definition}: {errors:#?}\n{value:#}");
}

/// The lines of an NDJSON report, each checked against the schema's `ndjson_line`.
pub fn ndjson_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let errors: Vec<String> = ndjson_schema()
                .iter_errors(&value)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(errors.is_empty(), "the line breaks the schema: {errors:#?}\n{value:#}");
            value
        })
        .collect()
}

/// A TLS server on 127.0.0.1 serving `leaf` with the PKI's intermediate; its port.
pub fn serve_leaf_and_intermediate(servers: &Servers, pki: &Pki, leaf: &Issued) -> u16 {
    servers.tls(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
    )
}

/// Runs with `--format json --at AT`, checks the document against the schema and that its
/// `exit_code` is the process's, and returns it.
pub fn scan_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--at", AT]);
    let out = certscan(&all);
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", out.stdout, out.stderr));
    let errors: Vec<String> = schema()
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "the report breaks the schema: {errors:#?}\n{doc:#}");
    assert_eq!(doc["exit_code"], out.code, "exit_code field vs process exit status");
    doc
}

/// The finding ids of target `index`, sorted.
pub fn ids(doc: &Value, index: usize) -> Vec<String> {
    let mut ids: Vec<String> = doc["targets"][index]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The finding with this id on target `index`.
pub fn finding<'a>(doc: &'a Value, index: usize, id: &str) -> &'a Value {
    doc["targets"][index]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {:#}", doc["targets"][index]["findings"]))
}

/// The detail text of the finding with this id on target `index`.
pub fn detail<'a>(doc: &'a Value, index: usize, id: &str) -> &'a str {
    finding(doc, index, id)["detail"].as_str().unwrap()
}

/// The detail texts of every finding with this id on target `index` (none when there is none).
pub fn details<'a>(doc: &'a Value, index: usize, id: &str) -> Vec<&'a str> {
    doc["targets"][index]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["id"] == id)
        .map(|f| f["detail"].as_str().unwrap())
        .collect()
}

/// Arguments that scan `target` (any target form) at `name:port` pinned to 127.0.0.1, trusting
/// only `pki`'s root.
pub fn pinned_scan_args(pki: &Pki, target: &str, name: &str, port: u16) -> Vec<String> {
    let mut args = vec![
        target.to_string(),
        "--resolve".into(),
        format!("{name}:{port}:127.0.0.1"),
    ];
    args.extend(pki.trust_args());
    args
}

/// [`scan_json`] with owned arguments, then more.
pub fn scan_json_with(args: &[String], extra: &[&str]) -> Value {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(extra);
    scan_json(&all)
}
