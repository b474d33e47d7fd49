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

    let untrusted = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&untrusted, 0), ["cert.self_signed"]);
    assert_eq!(untrusted["status"], "critical");

    let anchor = pki.write("server.crt", &leaf.pem);
    let doc = scan_json_with(&args_for(&pki, port), &["--ca-file", &anchor]);
    assert_eq!(ids(&doc, 0), ["cert.self_signed"], "{doc:#}");
    let fact = finding(&doc, 0, "cert.self_signed");
    assert_eq!(fact["severity"], "info");
    let text = fact["detail"].as_str().unwrap();
    assert!(
        text.contains("OpenSSL-based clients") && text.contains("rustls-based clients refuse"),
        "{text}"
    );
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
    assert_eq!(doc["status"], "ok");
    assert_eq!(doc["exit_code"], 0);

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
    assert_eq!(ids(&doc, 0), ["cert.expired", "cert.self_signed"], "{doc:#}");
    assert_eq!(doc["status"], "critical");
}

#[test]
fn a_chain_that_loops_says_so() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let chain = common::pki::looping_chain(NAME);
    let port = serve(&servers, &[&chain[0], &chain[1], &chain[2]], &chain[0]);
    let doc = scan_json_with(&args_for(&pki, port), &[]);
    assert_eq!(ids(&doc, 0), ["chain.loop"], "{doc:#}");
    let text = detail(&doc, 0, "chain.loop");
    assert!(text.contains("Loop CA A") && text.contains("Loop CA B"), "{text}");
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
