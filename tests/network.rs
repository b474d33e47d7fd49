//! End to end over real TLS: servers started in-process on 127.0.0.1, the real binary scanning
//! them, exact finding ids, statuses and exit codes asserted in JSON, Nagios and table form.

mod common;

use common::*;
use rustls::pki_types::CertificateDer;

const NAME: &str = "www.example.test";

/// Arguments that scan `name` on `port`, pinned to 127.0.0.1, trusting the test root.
fn args_for(pki: &Pki, name: &str, port: u16) -> Vec<String> {
    pinned_scan_args(pki, &format!("{name}:{port}"), name, port)
}

/// Scans in all three formats and checks that each says the same thing.
fn expect(args: &[String], expected_ids: &[&str], status: &str) -> serde_json::Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let code = match status {
        "ok" => 0,
        "warning" => 1,
        "critical" => 2,
        _ => 3,
    };
    let doc = scan_json(&args);
    let mut expected: Vec<String> = expected_ids.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(ids(&doc, 0), expected, "{doc:#}");
    assert_eq!(doc["status"], status);
    assert_eq!(doc["exit_code"], code);

    let mut with_format = args.clone();
    with_format.extend(["--at", AT, "--format", "nagios"]);
    let nagios = certscan(&with_format);
    assert_eq!(nagios.code, code, "{}", nagios.stdout);
    assert!(
        nagios
            .stdout
            .starts_with(&format!("CERTSCAN {} - ", status.to_uppercase())),
        "{}",
        nagios.stdout
    );
    // The table in its verbose view, which shows INFO findings too.
    let mut with_format = args.clone();
    with_format.extend(["--at", AT, "--verbose"]);
    let table = certscan(&with_format);
    assert_eq!(table.code, code, "{}", table.stdout);
    assert!(
        table
            .stdout
            .trim_end()
            .rsplit("\n\n")
            .next()
            .unwrap()
            .starts_with(&format!("{}:", status.to_uppercase())),
        "{}",
        table.stdout
    );
    for id in expected_ids {
        assert!(
            nagios.stdout.contains(id),
            "nagios output lacks {id}: {}",
            nagios.stdout
        );
        assert!(table.stdout.contains(id), "table lacks {id}: {}", table.stdout);
    }
    doc
}

fn serve(servers: &Servers, chain: &[&Issued], key_of: &Issued) -> u16 {
    let ders: Vec<CertificateDer<'static>> = chain.iter().map(|c| c.der.clone()).collect();
    servers.tls(ders, key_of.key_der())
}

#[test]
fn good_full_chain_has_no_findings() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    let doc = expect(&args_for(&pki, NAME, port), &[], "ok");
    let target = &doc["targets"][0];
    assert_eq!(target["verification"]["valid"], true);
    assert_eq!(target["verification"]["anchor"], "CN=certscan Test Root CA");
    assert_eq!(target["address"], "127.0.0.1");
    assert_eq!(target["sni"], NAME);
    assert_eq!(target["tls"]["version"], "TLSv1.3");
    assert_eq!(target["chain"].as_array().unwrap().len(), 2);
    assert_eq!(target["chain"][0]["sans"][0], format!("DNS:{NAME}"));
    assert_eq!(target["chain"][0]["days_left"], 60);
    assert_eq!(target["days_left"], 60);
}

#[test]
fn leaf_without_its_intermediate_is_incomplete() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve(&servers, &[&leaf], &leaf);
    let doc = expect(&args_for(&pki, NAME, port), &["chain.incomplete"], "critical");
    let detail = detail(&doc, 0, "chain.incomplete").to_string();
    assert!(detail.contains("CN=certscan Test Intermediate"), "{detail}");
    assert_eq!(doc["targets"][0]["verification"]["valid"], false);
}

#[test]
fn self_signed_localhost_is_reported_as_self_signed() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = common::pki::self_signed(&LeafSpec::new(&["localhost"]).cn("localhost"));
    let port = serve(&servers, &[&leaf], &leaf);
    let doc = expect(&args_for(&pki, "localhost", port), &["cert.self_signed"], "critical");
    assert_eq!(doc["targets"][0]["chain"][0]["self_signed"], true);
    // Trusting that exact certificate makes it valid, as clients configured with it see it.
    // The self-signed fact stays in the report, as information.
    let file = pki.write("self.pem", &leaf.pem);
    let mut args = args_for(&pki, "localhost", port);
    args.extend(["--ca-file".to_string(), file]);
    let doc = expect(&args, &["cert.self_signed"], "ok");
    assert_eq!(finding(&doc, 0, "cert.self_signed")["severity"], "info");
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
}

#[test]
fn expired_leaf() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).validity(-400, -10));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    let doc = expect(&args_for(&pki, NAME, port), &["cert.expired"], "critical");
    assert!(detail(&doc, 0, "cert.expired").contains("10 days ago"));
    assert_eq!(doc["targets"][0]["days_left"], -10);
}

#[test]
fn not_yet_valid_leaf() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).validity(3, 90));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    expect(&args_for(&pki, NAME, port), &["cert.not_yet_valid"], "critical");
}

#[test]
fn expiring_in_5_days_is_critical_and_in_20_days_a_warning() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let soon = pki.leaf(&LeafSpec::new(&[NAME]).validity(-80, 5));
    let port = serve(&servers, &[&soon, &pki.intermediate.cert], &soon);
    let doc = expect(&args_for(&pki, NAME, port), &["cert.expires_soon"], "critical");
    assert_eq!(finding(&doc, 0, "cert.expires_soon")["severity"], "critical");
    let later = pki.leaf(&LeafSpec::new(&[NAME]).validity(-80, 20));
    let port = serve(&servers, &[&later, &pki.intermediate.cert], &later);
    let doc = expect(&args_for(&pki, NAME, port), &["cert.expires_soon"], "warning");
    assert_eq!(finding(&doc, 0, "cert.expires_soon")["severity"], "warning");
    // Thresholds are the user's: with -w 10 the 20-day certificate is fine.
    let mut args = args_for(&pki, NAME, port);
    args.extend(["-w".to_string(), "10".to_string(), "-c".to_string(), "5".to_string()]);
    expect(&args, &[], "ok");
}

#[test]
fn wrong_host_is_a_name_mismatch() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["other.example.test"]));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    let doc = expect(&args_for(&pki, NAME, port), &["name.mismatch"], "critical");
    let detail = detail(&doc, 0, "name.mismatch").to_string();
    assert!(
        detail.contains(NAME) && detail.contains("DNS:other.example.test"),
        "{detail}"
    );
}

#[test]
fn wildcard_covers_one_label_and_not_two() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["*.example.test"]));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    expect(&args_for(&pki, "www.example.test", port), &[], "ok");
    let doc = expect(
        &args_for(&pki, "a.b.example.test", port),
        &["name.mismatch"],
        "critical",
    );
    assert!(detail(&doc, 0, "name.mismatch").contains("exactly one label"));
}

#[test]
fn cn_only_certificate() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[]).cn(NAME));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    // The name is there, but only in the CN: the mismatch says so rather than "not covered".
    let doc = expect(
        &args_for(&pki, NAME, port),
        &["name.cn_only", "name.mismatch"],
        "critical",
    );
    assert_eq!(doc["targets"][0]["chain"][0]["sans"], serde_json::json!([]));
    let text = detail(&doc, 0, "name.mismatch");
    assert!(!text.contains("not covered"), "{text}");
    // Who reads the CN and who does not is the client families' judgement.
    let cn_only = detail(&doc, 0, "name.cn_only");
    assert!(
        cn_only.contains("Go, rustls fail") && cn_only.contains("OpenSSL") && cn_only.contains("Java"),
        "{cn_only}"
    );
    assert!(
        text.contains("only in the certificate's Common Name") && text.contains("OpenSSL"),
        "{text}"
    );
    assert_eq!(doc["targets"][0]["verification"]["valid"], false);
    // A CN-only certificate for another name is a mismatch as well.
    let other = pki.leaf(&LeafSpec::new(&[]).cn("other.example.test"));
    let port = serve(&servers, &[&other, &pki.intermediate.cert], &other);
    let doc = expect(
        &args_for(&pki, NAME, port),
        &["name.cn_only", "name.mismatch"],
        "critical",
    );
    assert!(detail(&doc, 0, "name.mismatch").contains("only the Common Name \"other.example.test\""));
    // Browsers and Go refuse a certificate without a subjectAltName, whatever the name.
    assert_eq!(finding(&doc, 0, "name.cn_only")["severity"], "critical");
    assert!(detail(&doc, 0, "name.mismatch").contains("is not covered"));
}

#[test]
fn ip_target_matches_its_ip_san_and_sends_no_sni() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    let target = format!("127.0.0.1:{port}");
    let root = pki.root_file();
    let args: Vec<String> = [target.as_str(), "--trust", "none", "--ca-file", &root]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let doc = expect(&args, &[], "ok");
    assert_eq!(doc["targets"][0]["sni"], serde_json::Value::Null);
    assert_eq!(doc["targets"][0]["names_checked"][0], "127.0.0.1");
}

#[test]
fn chain_in_wrong_order() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve(&servers, &[&leaf, &pki.root.cert, &pki.intermediate.cert], &leaf);
    // Said, as information: browsers, OpenSSL, Java, Go and rustls build their path from the
    // certificates sent in any order (tests/clients.rs serves such a chain to the real ones).
    let doc = expect(
        &args_for(&pki, NAME, port),
        &["chain.order", "chain.root_included"],
        "ok",
    );
    let found = finding(&doc, 0, "chain.order");
    assert_eq!(found["severity"], "info");
    assert!(
        found["detail"]
            .as_str()
            .unwrap()
            .contains("Java, Go, rustls, GnuTLS work"),
        "{found}"
    );
}

#[test]
fn chain_with_its_root_is_only_informational() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert, &pki.root.cert], &leaf);
    let doc = expect(&args_for(&pki, NAME, port), &["chain.root_included"], "ok");
    assert_eq!(finding(&doc, 0, "chain.root_included")["severity"], "info");
}

#[test]
fn sha1_signed_leaf() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (leaf, ca) = common::pki::legacy_sha1();
    let port = serve(&servers, &[&leaf], &leaf);
    let ca_file = pki.write("rsaca.pem", &ca.pem);
    let args: Vec<String> = [
        format!("localhost:{port}"),
        "--resolve".into(),
        format!("localhost:{port}:127.0.0.1"),
    ]
    .into_iter()
    .chain(["--trust", "none", "--ca-file"].map(String::from))
    .chain([ca_file])
    .collect();
    let doc = scan_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ids(&doc, 0).contains(&"signature.weak".to_string()), "{doc:#}");
    assert_eq!(doc["targets"][0]["verification"]["valid"], false);
    assert_eq!(doc["exit_code"], 2);
}

#[test]
fn nothing_listening_is_refused() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = servers.closed_port();
    let doc = expect(&args_for(&pki, NAME, port), &["connection.refused"], "critical");
    assert_eq!(doc["targets"][0]["tls"], serde_json::Value::Null);
    assert_eq!(doc["targets"][0]["verification"]["valid"], serde_json::Value::Null);
}

#[test]
fn silent_listener_ends_at_the_timeout() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = servers.raw(Raw::Silent);
    let mut args = args_for(&pki, NAME, port);
    args.extend(["--timeout".to_string(), "0.5".to_string()]);
    let doc = expect(&args, &["connection.timeout"], "critical");
    assert!(detail(&doc, 0, "connection.timeout").contains("TLS handshake"));
}

#[test]
fn plain_http_and_sip_on_a_tls_port() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = servers.raw(Raw::PlainHttp);
    let doc = expect(&args_for(&pki, NAME, port), &["tls.plaintext"], "critical");
    assert!(detail(&doc, 0, "tls.plaintext").contains("HTTP/1.1 400 Bad Request"));
    let port = servers.raw(Raw::PlainSip);
    let doc = expect(&args_for(&pki, NAME, port), &["tls.plaintext"], "critical");
    assert!(detail(&doc, 0, "tls.plaintext").contains("plain SIP"));
}

#[test]
fn broken_servers_get_the_finding_that_names_their_problem() {
    let (pki, servers) = (Pki::new(), Servers::new());
    for (behaviour, id) in [
        (Raw::Tls10ServerHello, "tls.legacy_only"),
        (Raw::Close, "connection.closed"),
        (Raw::GarbageHandshake, "tls.handshake_failed"),
    ] {
        let port = servers.raw(behaviour);
        expect(&args_for(&pki, NAME, port), &[id], "critical");
    }
    let port = servers.raw(Raw::Reset);
    let doc = scan_json(
        &args_for(&pki, NAME, port)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    // A reset right after the ClientHello may surface as a reset or as a close, depending on timing.
    let got = ids(&doc, 0);
    assert!(got == ["connection.reset"] || got == ["connection.closed"], "{got:?}");
}

#[test]
fn server_alert_is_named() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let config = common::servers::server_config(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
        vec![b"imap".to_vec()],
    );
    let port = servers.tls_with_config(config, "127.0.0.1:0").port();
    // An https:// target offers ALPN h2 and http/1.1, which this server does not speak.
    let mut args = args_for(&pki, NAME, port);
    args[0] = format!("https://{NAME}:{port}/");
    let doc = expect(&args, &["tls.alert"], "critical");
    assert_eq!(doc["targets"][0]["protocol"], "https");
    assert!(detail(&doc, 0, "tls.alert").contains("no_application_protocol"));
}

#[test]
fn addresses_serving_different_certificates_are_reported() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let old = pki.leaf(&LeafSpec::new(&[NAME]));
    let new = pki.leaf(&LeafSpec::new(&[NAME]));
    let config = |leaf: &Issued| {
        common::servers::server_config(
            vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
            leaf.key_der(),
            vec![],
        )
    };
    let port = servers.tls_pair(config(&old), config(&new));
    let root = pki.root_file();
    let target = format!("{NAME}:{port}");
    let pin = format!("{NAME}:{port}:127.0.0.1,127.0.0.2");
    let doc = scan_json(&[&target, "--resolve", &pin, "--trust", "none", "--ca-file", &root]);
    assert_eq!(doc["targets"].as_array().unwrap().len(), 2);
    for index in 0..2 {
        assert_eq!(ids(&doc, index), ["name.address_drift"]);
    }
    assert_eq!(doc["targets"][1]["address"], "127.0.0.2");
    // The same certificate on both addresses is not drift.
    let same = servers.tls_pair(config(&old), config(&old));
    let target = format!("{NAME}:{same}");
    let pin = format!("{NAME}:{same}:127.0.0.1,127.0.0.2");
    let doc = scan_json(&[&target, "--resolve", &pin, "--trust", "none", "--ca-file", &root]);
    assert_eq!((ids(&doc, 0), ids(&doc, 1)), (vec![], vec![]));
}

#[test]
fn mixed_run_reports_every_endpoint_and_exits_with_the_worst() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let good = pki.leaf(&LeafSpec::new(&[NAME]));
    let warn = pki.leaf(&LeafSpec::new(&[NAME]).validity(-80, 20));
    let good_port = serve(&servers, &[&good, &pki.intermediate.cert], &good);
    let warn_port = serve(&servers, &[&warn, &pki.intermediate.cert], &warn);
    let silent = servers.raw(Raw::Silent);
    let closed = servers.closed_port();
    let root = pki.root_file();
    let targets = format!("{NAME}:{good_port},{warn_port},{silent},{closed}");
    let pins: Vec<String> = [good_port, warn_port, silent, closed]
        .iter()
        .map(|p| format!("{NAME}:{p}:127.0.0.1"))
        .collect();
    let mut args = vec![
        targets.as_str(),
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--timeout",
        "2",
    ];
    for pin in &pins {
        args.extend(["--resolve", pin]);
    }
    let doc = scan_json(&args);
    let per_target: Vec<Vec<String>> = (0..4).map(|i| ids(&doc, i)).collect();
    assert_eq!(
        per_target,
        vec![
            vec![],
            vec!["cert.expires_soon".to_string()],
            vec!["connection.timeout".into()],
            vec!["connection.refused".into()]
        ]
    );
    assert_eq!(doc["status"], "critical");
    assert_eq!(
        doc["summary"],
        serde_json::json!({"ok": 1, "warning": 1, "critical": 2, "unknown": 0})
    );
    let nagios = certscan(&[args.as_slice(), &["--at", AT, "--format", "nagios"]].concat());
    assert_eq!(nagios.code, 2);
    let first = nagios.stdout.lines().next().unwrap();
    assert!(first.contains(&format!("'{NAME}:{good_port}'=60;30:;14:;;")), "{first}");
    assert!(first.contains(&format!("'{NAME}:{warn_port}'=20;30:;14:;;")), "{first}");
}

#[test]
fn sni_override_selects_the_certificate_the_server_serves_for_that_name() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let provider = rustls::crypto::ring::default_provider();
    let mut resolver = rustls::server::ResolvesServerCertUsingSni::new();
    for name in ["a.example.test", "b.example.test"] {
        let leaf = pki.leaf(&LeafSpec::new(&[name]));
        let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
        let key = rustls::sign::CertifiedKey::from_der(chain, leaf.key_der(), &provider).unwrap();
        resolver.add(name, key).unwrap();
    }
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(std::sync::Arc::new(resolver));
    let port = servers.tls_with_config(config, "127.0.0.1:0").port();
    let root = pki.root_file();
    let target = format!("127.0.0.1:{port}");
    let base = [
        target.as_str(),
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--name",
        "b.example.test",
    ];
    let doc = scan_json(&[base.as_slice(), &["--sni", "b.example.test"]].concat());
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(doc["targets"][0]["sni"], "b.example.test");
    let doc = scan_json(&[base.as_slice(), &["--sni", "a.example.test"]].concat());
    assert_eq!(ids(&doc, 0), ["name.mismatch"]);
    // An IP target sends no SNI, and this server has no certificate without one.
    let doc = scan_json(&base);
    assert_eq!(ids(&doc, 0), ["tls.alert"]);
}

#[test]
fn ipv6_loopback_target_in_brackets() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["::1"]));
    let config = common::servers::server_config(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
        vec![],
    );
    let port = servers.tls_with_config(config, "[::1]:0").port();
    let target = format!("[::1]:{port}");
    let args: Vec<String> = [target.as_str(), "--trust", "none", "--ca-file", &pki.root_file()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let doc = expect(&args, &[], "ok");
    assert_eq!(doc["targets"][0]["address"], "::1");
    assert_eq!(doc["targets"][0]["names_checked"][0], "::1");
}

#[test]
fn the_nagios_ok_line_names_the_soonest_expiry() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let long = pki.leaf(&LeafSpec::new(&[NAME]).validity(-30, 90));
    let soon = pki.leaf(&LeafSpec::new(&[NAME]).validity(-30, 45));
    let long_port = serve(&servers, &[&long, &pki.intermediate.cert], &long);
    let soon_port = serve(&servers, &[&soon, &pki.intermediate.cert], &soon);
    let mut args = args_for(&pki, NAME, long_port);
    args.extend(
        pinned_scan_args(&pki, &format!("{NAME}:{soon_port}"), NAME, soon_port)
            .into_iter()
            .take(3),
    );
    args.extend(["--at", AT, "--format", "nagios"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = certscan(&args);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "CERTSCAN OK - 2 endpoint(s) OK, first expiry in 45 days ({NAME}:{soon_port})"
        )),
        "{first}"
    );
}

#[test]
fn dash_4_and_dash_6_probe_one_address_family() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    // A dual-stack name whose server listens on IPv4 only.
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    let mut args = vec![
        format!("{NAME}:{port}"),
        "--resolve".into(),
        format!("{NAME}:{port}:::1,127.0.0.1"),
    ];
    args.extend(pki.trust_args());
    let both = scan_json_with(&args, &[]);
    assert_eq!(both["targets"].as_array().unwrap().len(), 2, "{both:#}");
    assert_eq!(both["status"], "critical", "::1 refuses: {both:#}");
    let v4 = scan_json_with(&args, &["-4"]);
    assert_eq!(v4["targets"].as_array().unwrap().len(), 1, "{v4:#}");
    assert_eq!(
        (v4["targets"][0]["address"].clone(), v4["status"].clone()),
        ("127.0.0.1".into(), "ok".into())
    );
    let v6 = scan_json_with(&args, &["--ipv6"]);
    assert_eq!(v6["targets"][0]["address"], "::1", "{v6:#}");
    // A name with no address of the family asked for says which it has.
    let v4_only = pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port);
    let doc = scan_json_with(&v4_only, &["-6"]);
    assert_eq!(ids(&doc, 0), ["name.unresolvable"], "{doc:#}");
    let said = detail(&doc, 0, "name.unresolvable");
    assert!(
        said.contains("no IPv6 address, which -6 asks for (it has 127.0.0.1)"),
        "{said}"
    );
    // -4 and -6 together are a usage error.
    assert_eq!(certscan(&["-4", "-6", "example.test"]).code, 3);
}
