//! `--fetch-issuer` end to end: a server that sends only its leaf, the missing intermediate
//! served by an HTTP server started by the test (DER, PEM, PKCS#7), the proof in
//! `chain.incomplete`, the corrected chain written with `--write-chain` and then accepted, and
//! fetches that fail or bring the wrong certificate.

mod common;

use common::ocsp::{HttpAnswer, HttpServer, der};
use common::*;

const NAME: &str = "pbx.example.test";

/// A PKCS#7 certs-only bundle (what .p7c URLs serve) holding `certificate`.
fn pkcs7(certificate: &[u8]) -> Vec<u8> {
    let data_oid = der(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
    let signed_data = der(
        0x30,
        &[
            der(0x02, &[1]),
            der(0x31, &[]),
            der(0x30, &data_oid),
            der(0xa0, certificate),
            der(0x31, &[]),
        ]
        .concat(),
    );
    let signed_data_oid = der(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);
    der(0x30, &[signed_data_oid, der(0xa0, &signed_data)].concat())
}

/// A leaf naming `url` as its issuer's location, served alone; the scan's arguments.
fn leaf_only(servers: &Servers, pki: &Pki, url: &str) -> (Issued, Vec<String>) {
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).ca_issuers_url(url));
    let port = servers.tls(vec![leaf.der.clone()], leaf.key_der());
    (leaf, pinned_scan_args(pki, &format!("{NAME}:{port}"), NAME, port))
}

#[test]
fn a_fetched_intermediate_proves_the_fix_and_the_written_chain_validates() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let aia = HttpServer::start(&servers, HttpAnswer::Body(pki.intermediate.cert.der.to_vec()));
    let url = format!("{}/int.crt", aia.url);
    let (_, args) = leaf_only(&servers, &pki, &url);

    // Without the flag nothing is fetched.
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), ["chain.incomplete"], "{doc:#}");
    assert_eq!(aia.request_count(), 0);
    assert!(doc["targets"][0].get("corrected_chain").is_none());

    let out = pki.path("fullchain.pem");
    let doc = scan_json_with(&args, &["--fetch-issuer", "--write-chain", &out]);
    assert_eq!(ids(&doc, 0), ["chain.incomplete"], "{doc:#}");
    let incomplete = finding(&doc, 0, "chain.incomplete");
    assert_eq!(incomplete["severity"], "critical", "the server is still wrong");
    let text = incomplete["detail"].as_str().unwrap();
    assert!(
        text.contains("certscan fetched CN=certscan Test Intermediate from")
            && text.contains(&url)
            && text.contains("validates to CN=certscan Test Root CA"),
        "{text}"
    );
    assert!(
        incomplete["remediation"].as_str().unwrap().contains(&out),
        "{incomplete:#}"
    );
    let target = &doc["targets"][0];
    assert_eq!(target["fetched_issuers"][0]["url"], url);
    assert_eq!(
        target["fetched_issuers"][0]["certificates"][0],
        "CN=certscan Test Intermediate"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(target["corrected_chain"], written.as_str());
    assert_eq!(written.matches("BEGIN CERTIFICATE").count(), 2);

    // The written chain is what the server should send: it validates as a file.
    let mut file_args = vec!["--file".to_string(), out.clone(), "--name".into(), NAME.into()];
    file_args.extend(pki.trust_args());
    let doc = scan_json_with(&file_args, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
}

#[test]
fn ndjson_streams_while_the_corrected_chain_is_written() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let aia = HttpServer::start(&servers, HttpAnswer::Body(pki.intermediate.cert.der.to_vec()));
    let (_, args) = leaf_only(&servers, &pki, &format!("{}/int.crt", aia.url));
    let out = pki.path("fullchain.pem");
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend([
        "--fetch-issuer",
        "--write-chain",
        &out,
        "--format",
        "ndjson",
        "--at",
        AT,
    ]);
    let run = certscan(&all);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(lines[0]["record"], "target");
    assert_eq!(lines[0]["findings"][0]["id"], "chain.incomplete");
    assert_eq!(lines[1]["record"], "summary");
    assert_eq!(lines[1]["summary"]["critical"], 1);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(lines[0]["corrected_chain"], written.as_str());
    assert_eq!(written.matches("BEGIN CERTIFICATE").count(), 2);
}

#[test]
fn pem_and_pkcs7_answers_are_read() {
    let (pki, servers) = (Pki::new(), Servers::new());
    for body in [
        pki.intermediate.cert.pem.clone().into_bytes(),
        pkcs7(&pki.intermediate.cert.der),
    ] {
        let aia = HttpServer::start(&servers, HttpAnswer::Body(body));
        let (_, args) = leaf_only(&servers, &pki, &aia.url);
        let doc = scan_json_with(&args, &["--fetch-issuer"]);
        let text = detail(&doc, 0, "chain.incomplete");
        assert!(text.contains("validates to CN=certscan Test Root CA"), "{text}");
        assert!(
            finding(&doc, 0, "chain.incomplete")["remediation"]
                .as_str()
                .unwrap()
                .contains("--write-chain PATH")
        );
    }
}

#[test]
fn fetches_that_fail_or_bring_another_certificate_say_so() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let other = Pki::named("Elsewhere");
    let aia = HttpServer::start(&servers, HttpAnswer::Status(404));
    let (_, args) = leaf_only(&servers, &pki, &aia.url);
    let out = pki.path("never.pem");
    let cases = [
        (HttpAnswer::Status(404), "failed: ", "answered HTTP 404"),
        (
            HttpAnswer::Body(b"<html>moved</html>".to_vec()),
            "failed: ",
            "neither a DER or PEM",
        ),
        (
            HttpAnswer::Body(other.intermediate.cert.der.to_vec()),
            "do not complete a trusted path",
            "CN=Elsewhere Intermediate",
        ),
        (HttpAnswer::Huge(1024 * 1024), "failed: ", "more than the 65536"),
    ];
    for (answer, expected, also) in cases {
        aia.set(answer);
        let out_arg = out.clone();
        let run = certscan(&{
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            all.extend([
                "--fetch-issuer",
                "--write-chain",
                &out_arg,
                "--format",
                "json",
                "--at",
                AT,
            ]);
            all
        });
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let text = detail(&doc, 0, "chain.incomplete");
        assert!(text.contains(expected) && text.contains(also), "{text}");
        assert!(doc["targets"][0].get("corrected_chain").is_none());
        assert!(!std::path::Path::new(&out).exists());
        assert!(run.stderr.contains("was not written"), "{}", run.stderr);
        assert_eq!(run.code, 2);
    }

    // A leaf that names no CA Issuers URL.
    let bare = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = servers.tls(vec![bare.der.clone()], bare.key_der());
    let doc = scan_json_with(
        &pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port),
        &["--fetch-issuer"],
    );
    assert!(
        detail(&doc, 0, "chain.incomplete").contains("names no CA Issuers URL"),
        "{doc:#}"
    );
}

#[test]
fn two_missing_levels_are_climbed() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let upper_server = HttpServer::start(&servers, HttpAnswer::Status(404));
    let lower_server = HttpServer::start(&servers, HttpAnswer::Status(404));
    let root = common::Ca::root("Deep Root CA");
    let upper = root.intermediate_pointing_to("Deep Upper CA", 1, None);
    let lower = upper.intermediate_pointing_to("Deep Lower CA", 0, Some(&upper_server.url));
    upper_server.set(HttpAnswer::Body(upper.cert.der.to_vec()));
    lower_server.set(HttpAnswer::Body(lower.cert.der.to_vec()));
    let leaf = lower.issue(&LeafSpec::new(&[NAME]).ca_issuers_url(&lower_server.url));
    let port = servers.tls(vec![leaf.der.clone()], leaf.key_der());
    let root_file = pki.write("deep-root.pem", &root.cert.pem);
    let args = vec![
        format!("{NAME}:{port}"),
        "--resolve".into(),
        format!("{NAME}:{port}:127.0.0.1"),
        "--trust".into(),
        "none".into(),
        "--ca-file".into(),
        root_file,
    ];
    let doc = scan_json_with(&args, &["--fetch-issuer"]);
    let text = detail(&doc, 0, "chain.incomplete");
    assert!(
        text.contains("CN=Deep Lower CA and CN=Deep Upper CA") && text.contains("validates to CN=Deep Root CA"),
        "{text}"
    );
    assert_eq!(doc["targets"][0]["fetched_issuers"].as_array().unwrap().len(), 2);
    assert_eq!(
        doc["targets"][0]["corrected_chain"]
            .as_str()
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        3
    );
}
