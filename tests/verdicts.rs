//! Verdicts that must hold on real servers: no false alarms on setups that work (a self-signed
//! certificate the user trusts, private chains, CN-only names said once), precise causes where
//! the validator's error would mislead (loops, unsupported critical extensions), one rounding
//! rule for days, and output that a hostile certificate or server cannot abuse.

mod common;

use common::*;
use rustls::pki_types::CertificateDer;

const NAME: &str = "wazo.example.test";

fn serve(servers: &Servers, chain: &[&Issued], key_of: &Issued) -> u16 {
    let ders: Vec<CertificateDer<'static>> = chain.iter().map(|c| c.der.clone()).collect();
    servers.tls(ders, key_of.key_der())
}

fn args_for(pki: &Pki, port: u16) -> Vec<String> {
    pinned_scan_args(pki, &format!("{NAME}:{port}"), NAME, port)
}

#[test]
fn a_trusted_self_signed_ca_certificate_is_accepted_as_openssl_clients_do() {
    // What `openssl req -x509` makes, and what Wazo ships: self-signed, CA:TRUE, no EKU.
    let (pki, servers) = (Pki::new(), Servers::new());
    let mut spec = LeafSpec::new(&[NAME]);
    spec.is_ca = true;
    spec.extended_key_usage = false;
    spec.key_usage = false;
    let leaf = common::pki::self_signed(&spec);
    let port = serve(&servers, &[&leaf], &leaf);

    // Without an extendedKeyUsage, Apple platforms refuse it whoever trusts it.
    let untrusted = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&untrusted, 0), ["cert.no_extended_key_usage", "cert.self_signed"]);
    assert_eq!(untrusted["status"], "critical");

    let anchor = pki.write("server.crt", &leaf.pem);
    let all = scan_json_with(&args_for(&pki, port), &["--ca-file", &anchor]);
    assert_eq!(
        ids(&all, 0),
        ["cert.no_extended_key_usage", "cert.self_signed"],
        "{all:#}"
    );
    let safari = finding(&all, 0, "cert.no_extended_key_usage");
    assert_eq!(safari["severity"], "critical");
    assert!(safari["detail"].as_str().unwrap().contains("Safari fail"), "{safari:#}");
    // For the OpenSSL clients that call it (Wazo's services), it is a trusted anchor.
    let doc = scan_json_with(
        &args_for(&pki, port),
        &["--ca-file", &anchor, "--clients", "openssl-based"],
    );
    assert_eq!(
        ids(&doc, 0),
        ["cert.no_extended_key_usage", "cert.self_signed"],
        "{doc:#}"
    );
    let fact = finding(&doc, 0, "cert.self_signed");
    assert_eq!(fact["severity"], "info");
    let text = fact["detail"].as_str().unwrap();
    assert!(
        text.contains("OpenSSL-based clients") && text.contains("rustls-based clients refuse"),
        "{text}"
    );
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
    // Safari, not deciding here, still fails: a warning.
    assert_eq!(doc["status"], "warning");
    assert_eq!(doc["exit_code"], 1);

    // Trusting it does not make it valid for another name, nor once expired.
    let doc = scan_json_with(
        &args_for(&pki, port),
        &["--ca-file", &anchor, "--name", "other.example.test"],
    );
    assert!(ids(&doc, 0).contains(&"name.mismatch".to_string()), "{doc:#}");
    spec.valid_until_days = -2;
    let expired = common::pki::self_signed(&spec);
    let port = serve(&servers, &[&expired], &expired);
    let anchor = pki.write("expired.crt", &expired.pem);
    let doc = scan_json_with(&args_for(&pki, port), &["--ca-file", &anchor]);
    assert_eq!(
        ids(&doc, 0),
        ["cert.expired", "cert.no_extended_key_usage", "cert.self_signed"],
        "{doc:#}"
    );
    assert_eq!(doc["status"], "critical");
}

#[test]
fn a_chain_that_loops_says_so() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let chain = common::pki::looping_chain(NAME);
    let port = serve(&servers, &[&chain[0], &chain[1], &chain[2]], &chain[0]);
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&doc, 0), ["chain.untrusted"], "{doc:#}");
    let text = detail(&doc, 0, "chain.untrusted");
    assert!(
        text.contains("the chain loops") && text.contains("Loop CA A") && text.contains("Loop CA B"),
        "{text}"
    );
    assert!(!text.contains("neither sent nor trusted"), "{text}");
    assert_eq!(doc["status"], "critical");
    // The same CAs without the certificate that points back are an ordinary unknown issuer.
    let port = serve(&servers, &[&chain[0], &chain[1]], &chain[0]);
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&doc, 0), ["chain.unknown_root"], "{doc:#}");
}

#[test]
fn an_unsupported_critical_extension_is_not_a_name_mismatch() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let mut spec = LeafSpec::new(&[NAME]);
    spec.unknown_critical_extension = true;
    let leaf = pki.leaf(&spec);
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let port = servers.tls_unchecked(chain, leaf.key_der());
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    let found = ids(&doc, 0);
    assert!(!found.contains(&"name.mismatch".to_string()), "{doc:#}");
    assert!(found.contains(&"chain.untrusted".to_string()), "{doc:#}");
    assert!(detail(&doc, 0, "chain.untrusted").contains("critical extension"));
    // A real mismatch on the same certificate is still one.
    let doc = scan_json_with(&args_for(&pki, port), &["--name", "other.example.test"]);
    assert!(ids(&doc, 0).contains(&"name.mismatch".to_string()), "{doc:#}");
}

#[test]
fn days_are_counted_one_way_in_the_column_the_finding_and_perfdata() {
    let pki = Pki::new();
    // Expired ten and a half days before the evaluation time.
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).validity(-400, -10));
    let file = pki.chain_file("expired.pem", &[&leaf, &pki.intermediate.cert]);
    // --at half a day later than AT: 10.5 days after notAfter.
    let at = "2030-06-01T12:00:00Z";
    let base = ["--file", file.as_str(), "--name", NAME, "--trust", "none", "--ca-file"];
    let root = pki.root_file();
    let mut json_args: Vec<&str> = base.to_vec();
    json_args.extend([root.as_str(), "--format", "json", "--at", at]);
    let doc: serde_json::Value = serde_json::from_str(&certscan(&json_args).stdout).unwrap();
    assert_eq!(doc["targets"][0]["days_left"], -10);
    assert_eq!(doc["targets"][0]["chain"][0]["days_left"], -10);
    assert!(detail(&doc, 0, "cert.expired").contains("(10 days ago)"));

    let mut table_args: Vec<&str> = base.to_vec();
    table_args.extend([root.as_str(), "--at", at]);
    let table = certscan(&table_args).stdout;
    assert!(table.contains(" -10 ") && !table.contains("-11"), "{table}");
    let mut nagios_args: Vec<&str> = base.to_vec();
    nagios_args.extend([root.as_str(), "--format", "nagios", "--at", at]);
    let nagios = certscan(&nagios_args).stdout;
    assert!(nagios.contains("=-10;"), "{nagios}");
}

#[test]
fn control_characters_from_certificates_never_reach_the_terminal() {
    let pki = Pki::new();
    let hostile = "evil\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nCERTSCAN OK - forged\u{202e}";
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).cn(hostile));
    let file = pki.chain_file("hostile.pem", &[&leaf]);
    let root = pki.root_file();
    for format in ["table", "nagios"] {
        let out = certscan(&[
            "--file",
            &file,
            "--name",
            NAME,
            "--trust",
            "none",
            "--ca-file",
            &root,
            "--format",
            format,
            "--at",
            AT,
        ]);
        let text = out.stdout;
        assert!(
            !text.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{format}: {text:?}"
        );
        if format == "table" {
            assert!(text.contains("evil\\u{1b}[2J"), "{format}: {text}");
        }
        assert!(
            !text.lines().any(|l| l.starts_with("CERTSCAN OK - forged")),
            "{format}: a forged line: {text}"
        );
    }
    // JSON keeps the exact text, escaped by the JSON encoding.
    let doc = scan_json(&["--file", &file, "--name", NAME, "--trust", "none", "--ca-file", &root]);
    assert!(
        doc["targets"][0]["chain"][0]["subject"]
            .as_str()
            .unwrap()
            .contains('\u{1b}')
    );
}

fn full_chain(pki: &Pki, leaf: &Issued) -> Vec<CertificateDer<'static>> {
    vec![leaf.der.clone(), pki.intermediate.cert.der.clone()]
}

const OK_ANSWER: &str = "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: 0\r\n\r\n";

#[test]
fn a_required_client_certificate_keeps_the_chain_and_its_checks() {
    use common::servers::{App, client_auth_config};
    let (pki, servers) = (Pki::new(), Servers::new());
    // Expiring in 20 days: the chain's own findings must survive the refused connection.
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).validity(-200, 20));
    let client_ca = pki.root.cert.der.clone();
    for tls12_only in [true, false] {
        let config = client_auth_config(
            full_chain(&pki, &leaf),
            leaf.key_der(),
            client_ca.clone(),
            true,
            tls12_only,
        );
        let port = servers.tls_app(config, App::Reply(OK_ANSWER.into()));
        let doc = scan_json_with(
            &pinned_scan_args(&pki, &format!("https://{NAME}:{port}/"), NAME, port),
            &[],
        );
        let found = ids(&doc, 0);
        assert!(
            ["cert.expires_soon", "tls.client_cert_required"]
                .iter()
                .all(|id| found.contains(&id.to_string()))
                && !found.iter().any(|id| id.starts_with("http.") || id == "tls.alert"),
            "TLS 1.2 only: {tls12_only}: {doc:#}"
        );
        let target = &doc["targets"][0];
        assert_eq!(target["chain"].as_array().unwrap().len(), 2, "{doc:#}");
        assert_eq!(target["days_left"], 20);
        assert_eq!(target["verification"]["valid"], true);
        assert!(detail(&doc, 0, "tls.client_cert_required").contains("CN=certscan Test Root CA"));
        assert_eq!(doc["status"], "warning");
    }

    // A plain TLS port: TLS 1.3 servers refuse the missing certificate after the handshake.
    let config = client_auth_config(full_chain(&pki, &leaf), leaf.key_der(), client_ca.clone(), true, false);
    let port = servers.tls_with_config(config, "127.0.0.1:0").port();
    let doc = scan_json_with(&pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port), &[]);
    assert_eq!(
        ids(&doc, 0),
        ["cert.expires_soon", "tls.client_cert_required"],
        "{doc:#}"
    );

    // nginx with ssl_verify_client on: the handshake completes without a client certificate,
    // and every request gets its 400 page. Required all the same.
    const NGINX_NO_CERT: &str = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 59\r\nConnection: close\r\n\r\n<html><head><title>400 No required SSL certificate was sent";
    let config = client_auth_config(full_chain(&pki, &leaf), leaf.key_der(), client_ca.clone(), false, false);
    let port = servers.tls_app(config, App::Reply(NGINX_NO_CERT.into()));
    let doc = scan_json_with(
        &pinned_scan_args(&pki, &format!("https://{NAME}:{port}/"), NAME, port),
        &[],
    );
    assert_eq!(
        ids(&doc, 0),
        ["cert.expires_soon", "tls.client_cert_required"],
        "{doc:#}"
    );
    assert!(detail(&doc, 0, "tls.client_cert_required").contains("HTTP 400"));

    // Asked for but not required: information.
    let config = client_auth_config(full_chain(&pki, &leaf), leaf.key_der(), client_ca, false, false);
    let port = servers.tls_app(config, App::Reply(OK_ANSWER.into()));
    let doc = scan_json_with(
        &pinned_scan_args(&pki, &format!("https://{NAME}:{port}/"), NAME, port),
        &[],
    );
    assert_eq!(
        ids(&doc, 0),
        ["cert.expires_soon", "tls.client_cert_optional"],
        "{doc:#}"
    );
    assert_eq!(finding(&doc, 0, "tls.client_cert_optional")["severity"], "info");
}

#[test]
fn a_server_without_the_key_of_its_certificate_fails_the_signature_check() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let renewed = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = servers.tls_unchecked(full_chain(&pki, &leaf), renewed.key_der());
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&doc, 0), ["tls.signature_invalid"], "{doc:#}");
    assert_eq!(doc["targets"][0]["verification"]["valid"], false);
    assert_eq!(doc["status"], "critical");
    // With its own key the same server is fine.
    let port = servers.tls_unchecked(full_chain(&pki, &leaf), leaf.key_der());
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
}

#[test]
fn a_server_with_only_obsolete_suites_is_named_and_its_chain_checked() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).validity(-200, 10));
    // TLS 1.2 with TLS_RSA_WITH_AES_128_CBC_SHA only: not a legacy-version server.
    let port = servers.hand_made_tls(0x0303, 0x002f, full_chain(&pki, &leaf));
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&doc, 0), ["cert.expires_soon", "tls.obsolete_only"], "{doc:#}");
    let text = detail(&doc, 0, "tls.obsolete_only");
    assert!(text.contains("TLS_RSA_WITH_AES_128_CBC_SHA"), "{text}");
    let target = &doc["targets"][0];
    assert_eq!(target["chain"].as_array().unwrap().len(), 2);
    assert_eq!(target["days_left"], 10);
    // What the server chose for certscan's own hello is in the JSON, though rustls failed.
    assert_eq!(target["tls"]["version"], "TLSv1.2", "{doc:#}");
    assert_eq!(target["tls"]["cipher"], "TLS_RSA_WITH_AES_128_CBC_SHA");
    assert_eq!(finding(&doc, 0, "cert.expires_soon")["severity"], "critical");

    // A TLS 1.0 server: legacy-only, and its chain is checked too (here: a name mismatch).
    let port = servers.hand_made_tls(0x0301, 0x002f, full_chain(&pki, &leaf));
    let doc = scan_json_with(&args_for(&pki, port), &["--name", "other.example.test"]);
    assert_eq!(
        ids(&doc, 0),
        ["cert.expires_soon", "name.mismatch", "tls.legacy_only"],
        "{doc:#}"
    );
}

#[test]
fn running_out_of_file_descriptors_is_unknown_never_a_verdict_on_the_server() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["*.example.test"]));
    let port = serve(&servers, &[&leaf, &pki.intermediate.cert], &leaf);
    let mut args: Vec<String> = vec![];
    for i in 0..80 {
        let name = format!("host{i}.example.test");
        args.extend([
            format!("{name}:{port}"),
            "--resolve".into(),
            format!("{name}:{port}:127.0.0.1"),
        ]);
    }
    args.extend(pki.trust_args());
    args.extend(
        [
            "--concurrency",
            "80",
            "--no-dns",
            "--hosts-file",
            "/dev/null",
            "--format",
            "json",
            "--at",
            AT,
        ]
        .map(String::from),
    );
    let with_limit = |ulimit: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit {ulimit} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_certscan"))
            .args(&args)
            .output()
            .unwrap()
    };
    // A low soft limit is raised to what 80 endpoints need: every endpoint is tested.
    let output = with_limit("-Sn 40");
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["summary"]["ok"], 80, "{doc:#}");
    // A hard limit of 40 descriptors: certscan cannot raise it to what 80 endpoints need.
    let output = with_limit("-n 40");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("open-file limit is 40"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 80);
    let starved: Vec<&serde_json::Value> = targets
        .iter()
        .filter(|t| t["findings"][0]["id"] == "certscan.resource_limit")
        .collect();
    assert!(!starved.is_empty(), "no endpoint ran out of descriptors: {doc:#}");
    for target in &starved {
        assert_eq!(target["status"], "unknown");
        assert!(
            target["findings"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("lower --concurrency")
        );
    }
    // Every endpoint is either tested (and fine) or UNKNOWN: never a refusal or a critical.
    for target in targets {
        assert!(target["status"] == "ok" || target["status"] == "unknown", "{target:#}");
    }
    assert_eq!(doc["status"], "unknown");
    assert_eq!(output.status.code(), Some(3));
}
