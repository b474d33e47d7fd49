//! Bounded in time and work: the whole-run deadline (and -t as the Nagios plugin's timeout), DNS
//! failures that are failed lookups and never verdicts, and caps on what one source can cost.

mod common;

use std::time::{Duration, Instant};

use common::dns::{Zone, start, start_silent};
use common::*;
use rustls::pki_types::CertificateDer;

/// A name CAA is looked up for (not a special-use domain).
const NAME: &str = "pbx.zone.test-caa.com";

fn serve_leaf(pki: &Pki, servers: &Servers, leaf: &Issued) -> u16 {
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    servers.tls(chain, leaf.key_der())
}

fn timed(args: &[String]) -> (RunOutput, Duration) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let out = certscan(&args);
    (out, started.elapsed())
}

#[test]
fn a_nagios_check_with_a_dead_dns_server_ends_within_its_timeout() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve_leaf(&pki, &servers, &leaf);
    let dns = start_silent(&servers);
    let mut args = pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port);
    args.extend(["--dns-server".into(), dns.to_string(), "--at".into(), AT.into()]);
    let mut nagios = args.clone();
    nagios.extend(["--format", "nagios", "-t", "2"].map(String::from));
    let (out, took) = timed(&nagios);
    assert!(took < Duration::from_millis(2_900), "took {took:?}");
    assert!(out.stdout.starts_with("CERTSCAN UNKNOWN"), "{}", out.stdout);
    assert!(out.stdout.contains("caa.lookup_failed"), "{}", out.stdout);
    assert_eq!(out.code, 3);

    // The same with --deadline in JSON: the chain is judged, the lookups fail, nothing waits longer.
    let mut json = args.clone();
    json.extend(["--format", "json", "--deadline", "1.5", "-t", "10"].map(String::from));
    let (out, took) = timed(&json);
    assert!(took < Duration::from_millis(2_500), "took {took:?}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
    assert_eq!(ids(&doc, 0), ["caa.lookup_failed"], "{doc:#}");
    assert!(detail(&doc, 0, "caa.lookup_failed").contains("deadline"));
}

#[test]
fn a_name_resolution_that_never_ends_is_cut_by_the_run_deadline() {
    let servers = Servers::new();
    let dns = start_silent(&servers).to_string();
    let target = format!("{NAME}:443");
    let args: Vec<String> = [
        target.as_str(),
        "--dns-server",
        &dns,
        "--timeout",
        "10",
        "--deadline",
        "1.5",
        "--format",
        "json",
        "--at",
        AT,
    ]
    .map(String::from)
    .to_vec();
    let (out, took) = timed(&args);
    assert!(took < Duration::from_millis(2_500), "took {took:?}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(ids(&doc, 0), ["certscan.deadline"], "{doc:#}");
    assert!(detail(&doc, 0, "certscan.deadline").contains("resolv"), "{doc:#}");
    assert_eq!(out.code, 3);
}

#[test]
fn endpoints_the_deadline_leaves_no_time_for_are_unknown_and_the_others_reported() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let good = NAME;
    let leaf = pki.leaf(&LeafSpec::new(&[good]));
    // The good server on an address of its own: the per-address limit below binds the silent
    // endpoints' address only.
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let good_port = servers
        .tls_with_config(
            common::servers::server_config(chain, leaf.key_der(), vec![]),
            "127.0.0.2:0",
        )
        .port();
    let silent_port = servers.raw(Raw::Silent);
    let mut args = vec![
        format!("{good}:{good_port}"),
        "--resolve".into(),
        format!("{good}:{good_port}:127.0.0.2"),
    ];
    args.extend(pki.trust_args());
    for i in 0..6 {
        let name = format!("silent{i}.example.test");
        args.extend([
            format!("{name}:{silent_port}"),
            "--resolve".into(),
            format!("{name}:{silent_port}:127.0.0.1"),
        ]);
    }
    // Two connections to the silent endpoints' address at once: two hold both slots, and the
    // others wait for a slot the deadline never gives them.
    args.extend(["--per-host", "2", "--timeout", "5", "--deadline", "1.5", "--no-dns"].map(String::from));
    let started = Instant::now();
    let doc = scan_json_with(&args, &[]);
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "took {:?}",
        started.elapsed()
    );
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 7);
    assert_eq!(targets[0]["verification"]["valid"], true, "{doc:#}");
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    for (i, target) in targets.iter().enumerate().skip(1) {
        assert_eq!(ids(&doc, i), ["certscan.deadline"], "{target:#}");
        assert_eq!(target["status"], "unknown");
    }
    let waited = targets
        .iter()
        .filter(|t| {
            t["findings"][0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("waiting for a free slot"))
        })
        .count();
    assert!(
        waited >= 1,
        "with two slots per address, some endpoints never started: {doc:#}"
    );
}

#[test]
fn a_cname_loop_on_the_caa_path_is_a_failed_lookup_not_a_missing_record() {
    let servers = Servers::new();
    let zone = Zone::default()
        .cname("loop.zone.test-caa.com", "loop2.zone.test-caa.com")
        .cname("loop2.zone.test-caa.com", "loop.zone.test-caa.com");
    let dns = start(&servers, zone);
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["loop.zone.test-caa.com"]));
    let file = pki.chain_file("leaf.pem", &[&leaf, &pki.intermediate.cert]);
    let root = pki.root_file();
    let dns = dns.to_string();
    let doc = scan_json(&[
        "--file",
        &file,
        "--name",
        "loop.zone.test-caa.com",
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--dns-server",
        &dns,
        "--caa-issuer",
        "letsencrypt.org",
    ]);
    assert_eq!(ids(&doc, 0), ["caa.lookup_failed"], "{doc:#}");
    assert!(detail(&doc, 0, "caa.lookup_failed").contains("loops"), "{doc:#}");
}

#[test]
fn a_leaf_with_thousands_of_names_costs_a_bounded_number_of_lookups() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let names: Vec<String> = (0..3_000).map(|i| format!("n{i}.zone.test-caa.com")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let leaf = pki.leaf(&LeafSpec::new(&refs));
    let file = pki.chain_file("many.pem", &[&leaf, &pki.intermediate.cert]);
    let dns = start_silent(&servers).to_string();
    let root = pki.root_file();
    let started = Instant::now();
    let doc = scan_json(&[
        "--file",
        &file,
        "--name",
        "n1.zone.test-caa.com",
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--dns-server",
        &dns,
        "--timeout",
        "1",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let capped: Vec<&str> = details(&doc, 0, "certscan.capped");
    assert!(capped.iter().any(|d| d.contains("32 of 3000")), "{capped:?}");
    assert_eq!(doc["targets"][0]["caa"].as_array().unwrap().len(), 32);
}

#[test]
fn a_failure_inside_one_target_is_that_targets_unknown_and_the_others_are_reported() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["*.example.test"]));
    let port = serve_leaf(&pki, &servers, &leaf);
    let target = |name: &str| format!("{name}.example.test:{port}");
    let mut args = pki.trust_args();
    for name in ["a", "b", "c"] {
        args.extend([
            target(name),
            "--resolve".into(),
            format!("{name}.example.test:{port}:127.0.0.1"),
        ]);
    }
    args.extend(["--format", "json", "--at", AT].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for stage in ["probe", "analysis"] {
        let fault = format!("{stage}:{}", target("b"));
        let out = certscan_with_env(&args, &[("CERTSCAN_FAULT_PANIC", Some(&fault))]);
        assert_eq!(out.code, 3, "{stage}: {}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(doc["targets"].as_array().unwrap().len(), 3);
        assert_eq!(doc["targets"][0]["status"], "ok");
        assert_eq!(doc["targets"][2]["status"], "ok");
        assert_eq!(ids(&doc, 1), ["certscan.internal_error"], "{stage}: {doc:#}");
        assert!(detail(&doc, 1, "certscan.internal_error").contains("fault injected"));
    }
}

/// A FIFO called `name` in the folder of `file` (nothing will ever write to it: opening it for
/// reading blocks); its path.
fn fifo_beside(file: &str, name: &str) -> String {
    let path = std::path::Path::new(file).with_file_name(name);
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    path.display().to_string()
}

#[test]
fn a_fifo_that_nothing_writes_to_is_unreadable_within_the_timeout_and_the_other_files_reported() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["pbx.example.test"]));
    let good = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let stalled = fifo_beside(&good, "stalled.pem");
    let stalled_key = fifo_beside(&good, "stalled.key");
    let root = pki.root_file();
    let args = [
        "--file",
        &good,
        "--key",
        &stalled_key,
        "--file",
        &stalled,
        "--trust",
        "none",
        "--ca-file",
        &root,
        "-t",
        "1",
        "--at",
        AT,
        "--format",
        "json",
    ];
    let out = certscan_within(&args, Duration::from_secs(30));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let target = |file: &str| {
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["file"] == file)
            .unwrap_or_else(|| panic!("{file} in {doc}"))
            .clone()
    };
    let fifo_result = target(&stalled);
    assert_eq!(fifo_result["findings"][0]["id"], "file.read_error", "{fifo_result}");
    assert!(
        fifo_result["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("not read within")
    );
    // The chain file beside it is judged, its key said to be unread in time.
    let good_result = target(&good);
    assert_eq!(good_result["verification"]["valid"], true, "{good_result}");
    let details: Vec<&str> = good_result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["detail"].as_str())
        .collect();
    assert!(details.iter().any(|d| d.contains("not read within")), "{details:?}");
}

#[test]
fn a_file_and_its_lookups_share_one_timeout() {
    // The key beside the chain never opens and the DNS server never answers: reading the key
    // takes the whole of -t, and the CAA lookups get what is left of it, not a -t of their own.
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let chain = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let stalled_key = fifo_beside(&chain, "stalled.key");
    let servers = Servers::new();
    let dns = start_silent(&servers).to_string();
    let root = pki.root_file();
    let args = [
        "--file",
        &chain,
        "--key",
        &stalled_key,
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--dns-server",
        &dns,
        "-t",
        "2",
        "--at",
        AT,
        "--format",
        "json",
    ]
    .map(String::from);
    let (out, took) = timed(&args);
    assert!(
        took < Duration::from_millis(3_300),
        "took {took:?}: the lookups got a -t of their own"
    );
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let found = ids(&doc, 0);
    assert!(found.contains(&"file.read_error".to_string()), "{found:?}");
    assert!(found.contains(&"caa.lookup_failed".to_string()), "{found:?}");
}

#[test]
fn a_targets_fifo_that_nothing_writes_to_is_cut_by_the_deadline() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["pbx.example.test"]));
    let good = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let (list, root) = (fifo_beside(&good, "targets.fifo"), pki.root_file());
    let args = [
        "-f",
        &list,
        "--file",
        &good,
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--deadline",
        "1",
        "--at",
        AT,
        "--format",
        "json",
    ];
    let out = certscan_within(&args, Duration::from_secs(30));
    let doc: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {} {}", out.stdout, out.stderr));
    let targets = doc["targets"].as_array().unwrap();
    let file = targets
        .iter()
        .find(|t| t["file"] == good.as_str())
        .expect("the file's result");
    assert_eq!(file["verification"]["valid"], true, "{doc:#}");
    // The list is said to have been cut, not silently dropped.
    let cut = targets.iter().find(|t| t["input"] == "-").expect("the list's result");
    assert_eq!(cut["findings"][0]["id"], "target.invalid", "{doc:#}");
}
