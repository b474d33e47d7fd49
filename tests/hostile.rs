//! Hostile and broken servers, in-process on loopback: each gets a precise finding within a
//! bounded time, and in one combined run a good endpoint among them is still reported valid.

mod common;

use std::time::{Duration, Instant};

use common::dns::{Zone, caa, start, start_truncating_then_dripping};
use common::servers::{App, server_config};
use common::*;
use rustls::pki_types::CertificateDer;
use serde_json::Value;

const NAME: &str = "edge.example.test";
/// Each hostile endpoint is given this much; a run must end soon after.
const TIMEOUT: &str = "2";

fn bound() -> Duration {
    Duration::from_secs(4)
}

/// Scans `target` pinned to 127.0.0.1 with the test PKI trusted, and times it.
fn scan_timed(pki: &Pki, target: &str, port: u16, extra: &[&str]) -> (Value, Duration) {
    let mut args = pinned_scan_args(pki, target, NAME, port);
    args.extend(["--timeout".to_string(), TIMEOUT.to_string()]);
    let started = Instant::now();
    let doc = scan_json_with(&args, extra);
    (doc, started.elapsed())
}

fn good_chain(pki: &Pki, spec: &LeafSpec) -> (Issued, Vec<CertificateDer<'static>>) {
    let leaf = pki.leaf(spec);
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    (leaf, chain)
}

#[test]
fn raw_hostile_servers_get_their_finding_in_bounded_time() {
    let (pki, servers) = (Pki::new(), Servers::new());
    for (behaviour, expected) in [
        (Raw::Silent, "connection.timeout"),
        (Raw::Drip, "connection.timeout"),
        (Raw::EndlessHandshake, "tls.handshake_failed"),
        (Raw::GarbageHandshake, "tls.handshake_failed"),
        (Raw::BinaryGarbage, "tls.plaintext"),
        (Raw::PlainHttp, "tls.plaintext"),
        (Raw::Reset, "connection.reset"),
    ] {
        let port = servers.raw(behaviour);
        let (doc, took) = scan_timed(&pki, &format!("{NAME}:{port}"), port, &[]);
        assert_eq!(ids(&doc, 0), [expected], "{behaviour:?}: {doc:#}");
        assert!(took < bound(), "{behaviour:?} took {took:?}");
    }
}

#[test]
fn hostile_chains_are_judged_without_flooding_the_report() {
    let (pki, servers) = (Pki::new(), Servers::new());
    // A leaf, its intermediate, and 98 stray certificates.
    let (leaf, mut chain) = good_chain(&pki, &LeafSpec::new(&[NAME]));
    for i in 0..98 {
        chain.push(common::pki::self_signed(&LeafSpec::new(&[&format!("stray{i}.example.test")])).der);
    }
    let port = servers.tls_unchecked(chain, leaf.key_der());
    let (doc, took) = scan_timed(&pki, &format!("{NAME}:{port}"), port, &[]);
    assert_eq!(ids(&doc, 0), ["chain.extra_cert"], "{doc:#}");
    let text = detail(&doc, 0, "chain.extra_cert");
    assert!(
        text.starts_with("98 findings of this kind") && text.ends_with("and 95 more"),
        "{text}"
    );
    assert_eq!(doc["targets"][0]["findings"].as_array().unwrap().len(), 1);
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
    assert!(took < bound(), "took {took:?}");

    // A leaf with 10,000 names that does not cover the one asked for: the detail stays short.
    let names: Vec<String> = (0..10_000).map(|i| format!("n{i}.example.test")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (leaf, chain) = good_chain(&pki, &LeafSpec::new(&refs));
    let port = servers.tls_unchecked(chain, leaf.key_der());
    let (doc, took) = scan_timed(&pki, &format!("{NAME}:{port}"), port, &[]);
    // Clients refuse a handshake message that large; certscan reads the chain in clear text.
    assert_eq!(
        ids(&doc, 0),
        [
            "certscan.capped",
            "chain.untrusted",
            "name.mismatch",
            "tls.handshake_failed"
        ],
        "{doc:#}"
    );
    assert!(
        detail(&doc, 0, "tls.handshake_failed").contains("larger than"),
        "{doc:#}"
    );
    assert!(
        detail(&doc, 0, "chain.untrusted").contains("bytes, larger than"),
        "{doc:#}"
    );
    let text = detail(&doc, 0, "name.mismatch");
    assert!(text.len() < 1_000 && text.contains("and 9990 more"), "{text}");
    assert!(took < bound(), "took {took:?}");

    // Junk and truncated DER in the Certificate message.
    let (leaf, chain) = good_chain(&pki, &LeafSpec::new(&[NAME]));
    for junk in [vec![0x30, 0x82, 0xff, 0xff, 0x01], chain[0].as_ref()[..100].to_vec()] {
        let port = servers.tls_unchecked(vec![CertificateDer::from(junk)], leaf.key_der());
        let (doc, took) = scan_timed(&pki, &format!("{NAME}:{port}"), port, &[]);
        assert!(ids(&doc, 0).contains(&"cert.unparsable".to_string()), "{doc:#}");
        assert_eq!(doc["targets"][0]["verification"]["valid"], false);
        assert!(took < bound(), "took {took:?}");
    }
}

#[test]
fn a_huge_critical_extension_is_named_not_mistaken_for_a_name_problem() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let mut spec = LeafSpec::new(&[NAME]);
    spec.unknown_critical_extension = true;
    spec.extension_size = 60_000;
    let (leaf, chain) = good_chain(&pki, &spec);
    let port = servers.tls_unchecked(chain, leaf.key_der());
    let (doc, took) = scan_timed(&pki, &format!("{NAME}:{port}"), port, &[]);
    assert_eq!(ids(&doc, 0), ["cert.nonconformant", "chain.untrusted"], "{doc:#}");
    assert!(detail(&doc, 0, "chain.untrusted").contains("critical extension"));
    assert!(took < bound(), "took {took:?}");
}

#[test]
fn hostile_application_answers_are_bounded() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (leaf, chain) = good_chain(&pki, &LeafSpec::new(&[NAME]));
    let config =
        |alpn: &[&[u8]]| server_config(chain.clone(), leaf.key_der(), alpn.iter().map(|p| p.to_vec()).collect());

    // An endless chunked body after a complete head: the head is all certscan reads.
    let head = "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nTransfer-Encoding: chunked\r\n\r\n";
    let port = servers.tls_app(config(&[b"http/1.1"]), App::EndlessBody(head.into()));
    let (doc, took) = scan_timed(&pki, &format!("https://{NAME}:{port}/"), port, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert!(took < bound(), "took {took:?}");

    // HTTP/2 CONTINUATION flood: the header block is cut off, not buffered.
    let port = servers.tls_app(config(&[b"h2"]), App::ContinuationFlood);
    let (doc, took) = scan_timed(&pki, &format!("https://{NAME}:{port}/"), port, &[]);
    assert_eq!(ids(&doc, 0), ["http.no_answer"], "{doc:#}");
    assert!(took < bound(), "took {took:?}");

    // SIP: binary garbage with a blank line, and garbage that never ends its line.
    let port = servers.tls_app(config(&[]), App::Reply("\u{0}\u{1}\u{7f}garbage\r\n\r\n".into()));
    let (doc, _) = scan_timed(&pki, &format!("sips:{NAME}:{port}"), port, &[]);
    assert_eq!(ids(&doc, 0), ["sip.not_sip"], "{doc:#}");
    let port = servers.tls_app(config(&[]), App::Reply("\u{0}\u{1}binary".into()));
    let (doc, took) = scan_timed(&pki, &format!("sips:{NAME}:{port}"), port, &[]);
    assert_eq!(ids(&doc, 0), ["sip.no_answer"], "{doc:#}");
    assert!(took < bound(), "took {took:?}");

    // WebSocket: a wrong accept hash, and silence after the upgrade request.
    let port = servers.tls_app(config(&[b"http/1.1"]), App::WebSocket { correct_accept: false });
    let (doc, _) = scan_timed(&pki, &format!("wss://{NAME}:{port}/"), port, &[]);
    assert_eq!(ids(&doc, 0), ["wss.bad_accept"], "{doc:#}");
    let port = servers.tls_app(config(&[b"http/1.1"]), App::Silent);
    let (doc, took) = scan_timed(&pki, &format!("wss://{NAME}:{port}/"), port, &[]);
    assert_eq!(ids(&doc, 0), ["wss.no_answer"], "{doc:#}");
    assert!(took < bound(), "took {took:?}");
}

#[test]
fn hostile_dns_answers_are_failed_lookups_or_verdicts_never_hangs() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let name = "big.zone.test-caa.com";
    let leaf = pki.leaf(&LeafSpec::new(&[name]));
    let file = pki.chain_file("leaf.pem", &[&leaf, &pki.intermediate.cert]);
    let root = pki.root_file();
    let run = |dns: String| {
        let started = Instant::now();
        let doc = scan_json(&[
            "--file",
            &file,
            "--name",
            name,
            "--trust",
            "none",
            "--ca-file",
            &root,
            "--dns-server",
            &dns,
            "--caa-issuer",
            "letsencrypt.org",
            "--timeout",
            TIMEOUT,
        ]);
        (doc, started.elapsed())
    };
    // Truncated over UDP, then an answer over TCP that never finishes.
    let (doc, took) = run(start_truncating_then_dripping(&servers).to_string());
    assert!(ids(&doc, 0).contains(&"caa.lookup_failed".to_string()), "{doc:#}");
    assert!(took < bound(), "took {took:?}");
    // A 55 KB answer over TCP: read whole and judged (here: the CA is not among 450 others).
    let records: Vec<_> = (0..450)
        .map(|i| caa(0, "issue", &format!("ca{i:03}.{}", "x".repeat(90))))
        .collect();
    let zone = Zone::default().caa(name, records).address(name, "192.0.2.1");
    let (doc, took) = run(start(&servers, zone).to_string());
    assert_eq!(ids(&doc, 0), ["caa.forbids_issuer"], "{doc:#}");
    assert_eq!(doc["targets"][0]["caa"][0]["records"].as_array().unwrap().len(), 450);
    assert!(took < bound(), "took {took:?}");
}

#[test]
fn a_good_endpoint_among_hostile_ones_is_still_reported_valid() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (leaf, chain) = good_chain(&pki, &LeafSpec::new(&["*.example.test"]));
    let good = servers.tls(chain.clone(), leaf.key_der());
    let mut ports = vec![good];
    for behaviour in [
        Raw::Silent,
        Raw::Drip,
        Raw::EndlessHandshake,
        Raw::BinaryGarbage,
        Raw::Reset,
    ] {
        ports.push(servers.raw(behaviour));
    }
    let flood = servers.tls_app(
        server_config(chain, leaf.key_der(), vec![b"h2".to_vec()]),
        App::ContinuationFlood,
    );
    let mut args: Vec<String> = pki.trust_args();
    for (i, port) in ports.iter().chain([&flood]).enumerate() {
        let name = format!("host{i}.example.test");
        let target = if *port == flood {
            format!("https://{name}:{port}/")
        } else {
            format!("{name}:{port}")
        };
        args.extend([target, "--resolve".into(), format!("{name}:{port}:127.0.0.1")]);
    }
    args.extend(
        [
            "--timeout",
            TIMEOUT,
            "--format",
            "json",
            "--at",
            AT,
            "--no-dns",
            "--hosts-file",
            "/dev/null",
        ]
        .map(String::from),
    );
    let Measured { output, took, peak_kib } = certscan_measured(&args);
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(took < bound(), "took {took:?}");
    assert_eq!(doc["targets"].as_array().unwrap().len(), 7);
    assert_eq!(doc["targets"][0]["status"], "ok", "{doc:#}");
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
    for i in 1..7 {
        assert_eq!(doc["targets"][i]["status"], "critical", "{:#}", doc["targets"][i]);
    }
    match peak_kib {
        Some(peak_kib) => assert!(peak_kib < 100 * 1024, "peak {peak_kib} KiB"),
        None => eprintln!("/usr/bin/time is not installed: peak memory not checked"),
    }
}

#[test]
fn one_hostile_dns_answer_does_not_delay_the_lookups_of_other_names() {
    let servers = Servers::new();
    let pki = Pki::new();
    let leaf = common::pki::self_signed(&LeafSpec::new(&["stuck.example.net", "fine.example.org"]));
    let file = pki.write("leaf.pem", &leaf.pem);
    // The answer about stuck.example.net never ends; fine.example.org answers at once, over TCP
    // as stuck.example.net's does (its answer is too large for UDP).
    let mut records = vec![caa(0, "issue", "letsencrypt.org")];
    records.extend((0..60).map(|i| caa(0, "issue", &format!("ca{i:03}.{}", "x".repeat(90)))));
    let zone = Zone::default()
        .dripping("stuck.example.net")
        .caa("fine.example.org", records);
    let dns = start(&servers, zone).to_string();
    let started = std::time::Instant::now();
    let doc = scan_json(&[
        "--file",
        &file,
        "--dns-server",
        &dns,
        "--caa-issuer",
        "letsencrypt.org",
        "--timeout",
        "4",
    ]);
    let caa_of = |name: &str| {
        doc["targets"][0]["caa"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no CAA entry for {name}: {doc:#}"))
            .clone()
    };
    assert_eq!(caa_of("fine.example.org")["permitted"], true, "{doc:#}");
    assert_eq!(
        caa_of("stuck.example.net")["permitted"],
        serde_json::Value::Null,
        "{doc:#}"
    );
    assert!(ids(&doc, 0).contains(&"caa.lookup_failed".to_string()), "{doc:#}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
