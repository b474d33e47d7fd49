//! Runs of many targets: NDJSON lines as results come, the per-address limit, and dead
//! endpoints that do not hold up live ones.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// A list of good, refused and silent endpoints plus one line that is not a target, written
/// to a targets file; returns the file and the arguments that trust the good ones.
fn mixed_list(pki: &Pki, servers: &Servers) -> (String, Vec<String>) {
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let good: Vec<u16> = (0..4).map(|_| servers.tls(chain.clone(), leaf.key_der())).collect();
    let closed = servers.closed_port();
    let silent = servers.raw(Raw::Silent);
    let mut text = format!("127.0.0.1:{},{}\n", good[0], good[1]);
    text.push_str(&format!("127.0.0.1:{}  127.0.0.1:{}\n", good[2], good[3]));
    text.push_str(&format!("127.0.0.1:{closed}\n127.0.0.1:{silent}\nnot_a:target\n"));
    let list = pki.write("targets.txt", &text);
    let mut args = vec![
        "-f".to_string(),
        list.clone(),
        "--timeout".into(),
        "1".into(),
        "--at".into(),
        AT.into(),
    ];
    args.extend(pki.trust_args());
    (list, args)
}

fn run(args: &[String], format: &str) -> RunOutput {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--format", format]);
    certscan(&all)
}

#[test]
fn ndjson_gives_one_schema_valid_line_per_target_then_the_summary() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (_, args) = mixed_list(&pki, &servers);
    let out = run(&args, "ndjson");
    let lines = ndjson_lines(&out.stdout);
    let (summary, targets) = lines.split_last().expect("a summary line");
    assert_eq!(summary["record"], "summary");
    assert!(summary.get("targets").is_none());
    assert!(targets.iter().all(|t| t["record"] == "target"), "{lines:#?}");
    assert_eq!(summary["exit_code"], out.code);
    assert_eq!(out.code, 2, "the refused and silent endpoints are CRITICAL");

    // The same run as one JSON document: the same results, in whatever order they came.
    let doc: Value = serde_json::from_str(&run(&args, "json").stdout).unwrap();
    let key = |t: &Value| format!("{} {} {}", t["input"], t["status"], t["findings"][0]["id"]);
    let mut streamed: Vec<String> = targets.iter().map(key).collect();
    let mut whole: Vec<String> = doc["targets"].as_array().unwrap().iter().map(key).collect();
    streamed.sort();
    whole.sort();
    assert_eq!(streamed, whole);
    assert_eq!(streamed.len(), 7);
    for field in ["summary", "status", "exit_code", "gate", "thresholds"] {
        assert_eq!(summary[field], doc[field], "{field}");
    }
    assert_eq!(doc["summary"]["ok"], 4);
    // Each endpoint's input is what the user wrote for it, not the whole line.
    let inputs: Vec<&str> = targets.iter().filter_map(|t| t["input"].as_str()).collect();
    assert!(
        inputs.iter().all(|i| !i.contains(',') && !i.contains(' ')),
        "{inputs:?}"
    );
    let invalid = targets.iter().find(|t| t["input"] == "not_a:target").unwrap();
    assert_eq!(invalid["findings"][0]["id"], "target.invalid");
    assert_eq!(invalid["status"], "unknown");
    assert!(
        invalid["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("targets.txt, line 5"),
        "{invalid:#}"
    );
}

#[test]
fn without_the_invalid_line_the_same_list_is_not_a_target_invalid() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let list = pki.write("targets.txt", &format!("# fleet\n127.0.0.1:{port}\n"));
    let mut args = vec!["-f".to_string(), list, "--at".into(), AT.into()];
    args.extend(pki.trust_args());
    let out = run(&args, "ndjson");
    let lines = ndjson_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["findings"], Value::Array(vec![]));
    assert_eq!((lines[1]["status"].as_str(), out.code), (Some("ok"), 0));

    // Written to a file, the same lines, and nothing on standard output.
    let report = pki.path("report.ndjson");
    let mut to_file = args.clone();
    to_file.extend(["-o".to_string(), report.clone()]);
    let out = run(&to_file, "ndjson");
    assert!(out.stdout.is_empty());
    let written = ndjson_lines(&std::fs::read_to_string(&report).unwrap());
    assert_eq!(written.len(), 2);
    assert_eq!(written[0]["input"], lines[0]["input"]);
}

/// certscan reading its targets from standard input, which the caller holds open.
fn reading_standard_input(pki: &Pki, args: &[&str]) -> (std::process::Child, std::process::ChildStdin) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_certscan"))
        .args(["-f", "-", "--no-dns", "--hosts-file", "/dev/null", "--at", AT])
        .args(args)
        .args(pki.trust_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

#[test]
fn ndjson_lines_come_as_results_are_known_not_at_the_end() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let good = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let silent = servers.raw(Raw::Silent);
    let (mut child, mut stdin) = reading_standard_input(&pki, &["--format", "ndjson", "--timeout", "20"]);
    writeln!(stdin, "127.0.0.1:{silent}\n127.0.0.1:{good}").unwrap();
    stdin.flush().unwrap();
    // Standard input stays open: the list is not over, yet the good endpoint is reported.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let line: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(line["input"], format!("127.0.0.1:{good}"), "{line:#}");
    assert_eq!(line["status"], "ok");
    assert!(
        child.try_wait().unwrap().is_none(),
        "still scanning the silent endpoint"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Eight names of one loopback address, all on `port`.
fn eight_names_on(port: u16, extra: &[&str]) -> Value {
    let mut args: Vec<String> = vec![];
    for i in 0..8 {
        let name = format!("edge{i}.example.test");
        args.extend([
            format!("{name}:{port}"),
            "--resolve".into(),
            format!("{name}:{port}:127.0.0.1"),
        ]);
    }
    args.extend(["--timeout", "0.5"].map(String::from));
    args.extend(extra.iter().map(|a| a.to_string()));
    scan_json_with(&args, &[])
}

#[test]
fn per_host_bounds_the_connections_one_address_sees() {
    let servers = Servers::new();
    let (port, connections) = servers.counting_silent();
    let doc = eight_names_on(port, &["--per-host", "2"]);
    assert_eq!(doc["summary"]["critical"], 8, "{doc:#}");
    assert_eq!(connections.total(), 8);
    assert_eq!(connections.most(), 2, "two connections to the address at most");

    // Loopback is not limited unless asked: the machine's own services do not ban it.
    let (port, connections) = servers.counting_silent();
    let doc = eight_names_on(port, &[]);
    assert_eq!(doc["summary"]["critical"], 8, "{doc:#}");
    assert_eq!(connections.most(), 8, "all at once without --per-host on loopback");
}

#[test]
fn dead_endpoints_do_not_hold_up_live_ones() {
    // One active slot: 30 silent endpoints first, then a good one. Without the quiet pool the
    // good endpoint would wait 30 timeouts (60 s), past the deadline; with it, it is probed
    // once the silent ones have stepped aside (50 ms each), and every silent one times out.
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let good = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let silent = servers.raw(Raw::Silent);
    let mut text: String = (0..30).map(|i| format!("https://127.0.0.1:{silent}/{i}\n")).collect();
    text.push_str(&format!("127.0.0.1:{good}\n"));
    let list = pki.write("targets.txt", &text);
    let mut args = vec!["-f", &list, "--concurrency", "1", "--timeout", "2", "--deadline", "20"];
    let trust = pki.trust_args();
    args.extend(trust.iter().map(String::as_str));
    let doc = scan_json(&args);
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 31);
    assert_eq!(targets[30]["status"], "ok", "{:#}", targets[30]);
    for target in &targets[..30] {
        assert_eq!(target["findings"][0]["id"], "connection.timeout", "{target:#}");
    }
}

#[test]
fn a_list_that_never_ends_stops_at_the_deadline_and_says_so() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let good = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let (child, mut stdin) = reading_standard_input(&pki, &["--format", "json", "--deadline", "1"]);
    // One target, and standard input left open: the list never ends.
    writeln!(stdin, "127.0.0.1:{good}").unwrap();
    stdin.flush().unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{doc:#}");
    assert_eq!(targets[0]["status"], "ok");
    assert_eq!(targets[1]["findings"][0]["id"], "target.invalid");
    assert!(
        targets[1]["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("deadline came before the targets list ended")
    );
    assert_eq!(output.status.code(), Some(3));
}
