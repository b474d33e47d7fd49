//! Revocation end to end: OCSP responses stapled by in-process TLS servers (good, revoked,
//! stale, for another certificate, badly signed, from a delegated responder, garbage), the
//! must-staple promise, and `--revocation ocsp|crl` against OCSP responders and CRL servers
//! started by the test, including ones that fail, stall or flood.

mod common;

use common::ocsp::{HttpAnswer, HttpServer, OcspSpec, Signer, Status, response, stapling_config};
use common::pki::fixture;
use common::*;
use rustls::pki_types::pem::PemObject;

const NAME: &str = "voip.example.test";

/// Serves `leaf` and the intermediate, stapling `staple` when given; the scan's arguments.
fn serve(servers: &Servers, pki: &Pki, leaf: &Issued, staple: Option<Vec<u8>>) -> Vec<String> {
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let port = match staple {
        Some(staple) => {
            let config = stapling_config(chain, leaf.key_der(), staple);
            servers.tls_with_config(config, "127.0.0.1:0").port()
        }
        None => servers.tls(chain, leaf.key_der()),
    };
    pinned_scan_args(pki, &format!("{NAME}:{port}"), NAME, port)
}

fn revocation_ids(doc: &serde_json::Value) -> Vec<String> {
    revocation_ids_at(doc, 0)
}

#[test]
fn a_good_staple_is_checked_and_gives_no_finding() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).must_staple());
    let staple = response(&pki.intermediate, &OcspSpec::good(&leaf));
    let args = serve(&servers, &pki, &leaf, Some(staple));
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    let revocation = &doc["targets"][0]["revocation"];
    assert_eq!(revocation["must_staple"], true);
    assert_eq!(revocation["stapled"]["status"], "good", "{revocation:#}");
    assert_eq!(revocation["stapled"]["next_update"], "2030-06-07T00:00:00Z");
    assert_eq!(doc["status"], "ok");

    // Monitoring sees when the staple must be replaced.
    let mut metrics_args: Vec<&str> = args.iter().map(String::as_str).collect();
    metrics_args.extend(["--format", "prometheus", "--at", AT]);
    let metrics = certscan(&metrics_args).stdout;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("certscan_ocsp_staple_next_update_timestamp_seconds{"))
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(line.ends_with(" 1907020800"), "{line}");
}

#[test]
fn must_staple_without_a_staple_is_critical_and_no_staple_is_fine_otherwise() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).must_staple());
    let args = serve(&servers, &pki, &leaf, None);
    let doc = scan_json_with(&args, &[]);
    assert_eq!(revocation_ids(&doc), ["ocsp.must_staple_missing"], "{doc:#}");
    assert_eq!(finding(&doc, 0, "ocsp.must_staple_missing")["severity"], "critical");
    assert_eq!(doc["exit_code"], 2);
    let mut table_args: Vec<&str> = args.iter().map(String::as_str).collect();
    table_args.extend(["--at", AT, "--color", "never"]);
    let table = certscan(&table_args).stdout;
    assert!(table.contains("OCSP staple: none (must-staple)"), "{table}");

    let ordinary = pki.leaf(&LeafSpec::new(&[NAME]));
    let doc = scan_json_with(&serve(&servers, &pki, &ordinary, None), &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["revocation"]["must_staple"], false);
    assert!(doc["targets"][0]["revocation"]["stapled"].is_null());
}

#[test]
fn a_stapled_revoked_response_is_critical() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let staple = response(
        &pki.intermediate,
        &OcspSpec {
            status: Status::Revoked,
            ..OcspSpec::good(&leaf)
        },
    );
    let doc = scan_json_with(&serve(&servers, &pki, &leaf, Some(staple)), &[]);
    assert_eq!(revocation_ids(&doc), ["cert.revoked"], "{doc:#}");
    let revoked = finding(&doc, 0, "cert.revoked");
    assert_eq!(revoked["severity"], "critical");
    let text = revoked["detail"].as_str().unwrap();
    assert!(
        text.contains("stapled OCSP response") && text.contains("keyCompromise"),
        "{text}"
    );
    assert_eq!(
        doc["targets"][0]["revocation"]["stapled"]["revoked_at"],
        "2030-05-30T00:00:00Z"
    );
}

#[test]
fn a_stale_staple_warns_and_is_critical_under_must_staple() {
    let (pki, servers) = (Pki::new(), Servers::new());
    for (spec, severity) in [
        (LeafSpec::new(&[NAME]), "warning"),
        (LeafSpec::new(&[NAME]).must_staple(), "critical"),
    ] {
        let leaf = pki.leaf(&spec);
        let staple = response(
            &pki.intermediate,
            &OcspSpec {
                this_update_days: -9,
                next_update_days: Some(-2),
                ..OcspSpec::good(&leaf)
            },
        );
        let doc = scan_json_with(&serve(&servers, &pki, &leaf, Some(staple)), &[]);
        assert_eq!(revocation_ids(&doc), ["ocsp.staple_expired"], "{doc:#}");
        let stale = finding(&doc, 0, "ocsp.staple_expired");
        assert_eq!(stale["severity"], severity);
        assert!(stale["detail"].as_str().unwrap().contains("2030-05-30"), "{stale:#}");
        assert_eq!(doc["targets"][0]["revocation"]["stapled"]["status"], "expired");
    }
    // Made for a later time than the evaluation time.
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let staple = response(
        &pki.intermediate,
        &OcspSpec {
            this_update_days: 2,
            next_update_days: Some(9),
            ..OcspSpec::good(&leaf)
        },
    );
    let doc = scan_json_with(&serve(&servers, &pki, &leaf, Some(staple)), &[]);
    assert_eq!(revocation_ids(&doc), ["ocsp.staple_expired"], "{doc:#}");
    assert_eq!(doc["targets"][0]["revocation"]["stapled"]["status"], "not_yet_valid");
}

#[test]
fn staples_that_cannot_be_relied_on_are_invalid() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let other_leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let (unauthorized, unauthorized_key) = pki.intermediate.delegated_responder(false);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "not this certificate",
            response(&pki.intermediate, &OcspSpec::good(&other_leaf)),
        ),
        (
            "does not verify",
            response(
                &pki.intermediate,
                &OcspSpec {
                    signer: Signer::Impostor,
                    ..OcspSpec::good(&leaf)
                },
            ),
        ),
        (
            "not authorized to sign OCSP responses",
            response(
                &pki.intermediate,
                &OcspSpec {
                    signer: Signer::Delegated(&unauthorized, &unauthorized_key),
                    ..OcspSpec::good(&leaf)
                },
            ),
        ),
        (
            "does not know the certificate",
            response(
                &pki.intermediate,
                &OcspSpec {
                    status: Status::Unknown,
                    ..OcspSpec::good(&leaf)
                },
            ),
        ),
        ("tryLater", vec![0x30, 0x03, 0x0a, 0x01, 0x03]),
        ("does not decode", b"not an OCSP response at all".to_vec()),
    ];
    for (expected, staple) in cases {
        let doc = scan_json_with(&serve(&servers, &pki, &leaf, Some(staple)), &[]);
        assert_eq!(revocation_ids(&doc), ["ocsp.staple_invalid"], "{expected}: {doc:#}");
        let invalid = finding(&doc, 0, "ocsp.staple_invalid");
        assert_eq!(invalid["severity"], "warning");
        let text = invalid["detail"].as_str().unwrap();
        assert!(text.contains(expected), "{expected}: {text}");
    }
}

#[test]
fn a_delegated_responder_with_ocsp_signing_is_accepted() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let (responder, key) = pki.intermediate.delegated_responder(true);
    let staple = response(
        &pki.intermediate,
        &OcspSpec {
            signer: Signer::Delegated(&responder, &key),
            ..OcspSpec::good(&leaf)
        },
    );
    let doc = scan_json_with(&serve(&servers, &pki, &leaf, Some(staple)), &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["revocation"]["stapled"]["status"], "good");
}

#[test]
fn live_ocsp_asks_the_responder_the_leaf_names() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let responder = HttpServer::start(&servers, HttpAnswer::Status(500));
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).ocsp_url(&format!("{}/ocsp", responder.url)));
    let args = serve(&servers, &pki, &leaf, None);

    // Without --revocation, nobody is asked.
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(responder.request_count(), 0);

    responder.set(HttpAnswer::Body(response(&pki.intermediate, &OcspSpec::good(&leaf))));
    let doc = scan_json_with(&args, &["--revocation", "ocsp"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    let live = &doc["targets"][0]["revocation"]["live"][0];
    assert_eq!(live["method"], "ocsp");
    assert_eq!(live["status"], "good", "{live:#}");
    assert_eq!(live["url"], format!("{}/ocsp", responder.url));
    let request = responder.requests.lock().unwrap().last().unwrap().clone();
    let head = String::from_utf8_lossy(&request);
    assert!(
        head.starts_with("POST /ocsp HTTP/1.0\r\n") && head.contains("Content-Type: application/ocsp-request"),
        "{head}"
    );

    responder.set(HttpAnswer::Body(response(
        &pki.intermediate,
        &OcspSpec {
            status: Status::Revoked,
            ..OcspSpec::good(&leaf)
        },
    )));
    let doc = scan_json_with(&args, &["--revocation", "ocsp"]);
    assert_eq!(revocation_ids(&doc), ["cert.revoked"], "{doc:#}");
    assert!(detail(&doc, 0, "cert.revoked").contains(&responder.url));
    assert_eq!(doc["exit_code"], 2);
}

#[test]
fn a_live_check_that_gets_no_usable_answer_is_unknown_never_ok() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let responder = HttpServer::start(&servers, HttpAnswer::Status(503));
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).ocsp_url(&responder.url));
    let args = serve(&servers, &pki, &leaf, None);
    let stale = response(
        &pki.intermediate,
        &OcspSpec {
            this_update_days: -9,
            next_update_days: Some(-1),
            ..OcspSpec::good(&leaf)
        },
    );
    let cases = [
        (HttpAnswer::Status(503), "answered HTTP 503"),
        (HttpAnswer::Body(b"<html>busy</html>".to_vec()), "does not decode"),
        (HttpAnswer::Body(stale), "expired"),
        (HttpAnswer::Huge(10 * 1024 * 1024), "more than the 65536"),
        (HttpAnswer::Silent, "did not answer in time"),
    ];
    for (answer, expected) in cases {
        responder.set(answer);
        let doc = scan_json_with(&args, &["--revocation", "ocsp", "--timeout", "2"]);
        assert_eq!(revocation_ids(&doc), ["revocation.unchecked"], "{expected}: {doc:#}");
        let unchecked = finding(&doc, 0, "revocation.unchecked");
        assert_eq!(unchecked["severity"], "unknown");
        assert!(
            unchecked["detail"].as_str().unwrap().contains(expected),
            "{expected}: {unchecked:#}"
        );
        assert_eq!(doc["exit_code"], 3, "{expected}");
    }

    // A certificate that names no responder, or no CRL.
    let plain = pki.leaf(&LeafSpec::new(&[NAME]));
    let doc = scan_json_with(&serve(&servers, &pki, &plain, None), &["--revocation", "ocsp,crl"]);
    assert_eq!(revocation_ids(&doc), ["revocation.unchecked"], "{doc:#}");
    let details: Vec<&str> = details(&doc, 0, "revocation.unchecked");
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details[0].contains("names no OCSP responder") || details[1].contains("names no OCSP responder"));
    assert!(details.iter().any(|d| d.contains("names no CRL")), "{details:?}");
}

#[test]
fn live_crl_finds_the_serial_and_checks_the_list() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let crl_server = HttpServer::start(&servers, HttpAnswer::Status(404));
    let url = format!("{}/intermediate.crl", crl_server.url);
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).crl_url(&url));
    let bystander = pki.leaf(&LeafSpec::new(&["other.example.test"]));
    let args = serve(&servers, &pki, &leaf, None);

    crl_server.set(HttpAnswer::Body(pki.intermediate.crl(&[&bystander], -1, 6)));
    let doc = scan_json_with(&args, &["--revocation", "crl"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["revocation"]["live"][0]["status"], "good");

    crl_server.set(HttpAnswer::Body(pki.intermediate.crl(&[&bystander, &leaf], -1, 6)));
    let doc = scan_json_with(&args, &["--revocation", "crl"]);
    assert_eq!(revocation_ids(&doc), ["cert.revoked"], "{doc:#}");
    assert!(detail(&doc, 0, "cert.revoked").contains("keyCompromise"));
    assert_eq!(doc["targets"][0]["revocation"]["live"][0]["reason"], "keyCompromise");

    // A CRL past its next update, or signed by another CA, proves nothing.
    let other = Pki::named("Elsewhere");
    for (crl, expected) in [
        (pki.intermediate.crl(&[], -9, -2), "expired"),
        (other.intermediate.crl(&[], -1, 6), "not by the leaf's issuer"),
    ] {
        crl_server.set(HttpAnswer::Body(crl));
        let doc = scan_json_with(&args, &["--revocation", "crl"]);
        assert_eq!(revocation_ids(&doc), ["revocation.unchecked"], "{expected}: {doc:#}");
        assert!(detail(&doc, 0, "revocation.unchecked").contains(expected), "{doc:#}");
    }
}

#[test]
fn a_crl_shared_by_many_endpoints_is_fetched_once() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let crl_server = HttpServer::start(&servers, HttpAnswer::Status(404));
    let url = format!("{}/shared.crl", crl_server.url);
    let first = pki.leaf(&LeafSpec::new(&[NAME]).crl_url(&url));
    let second = pki.leaf(&LeafSpec::new(&[NAME]).crl_url(&url));
    crl_server.set(HttpAnswer::Body(pki.intermediate.crl(&[&second], -1, 6)));
    let chain = |leaf: &Issued| vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let first_port = servers.tls(chain(&first), first.key_der());
    let second_port = servers.tls(chain(&second), second.key_der());
    let mut args: Vec<String> = vec![
        format!("127.0.0.1:{first_port},{second_port}"),
        "--name".into(),
        NAME.into(),
    ];
    args.extend(pki.trust_args());
    let doc = scan_json_with(&args, &["--revocation", "crl"]);
    assert_eq!(crl_server.request_count(), 1);
    let by_port = |port: u16| {
        let index = doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .position(|t| t["port"] == port)
            .unwrap();
        revocation_ids_at(&doc, index)
    };
    assert_eq!(by_port(first_port), Vec::<String>::new());
    assert_eq!(by_port(second_port), ["cert.revoked"]);
}

fn revocation_ids_at(doc: &serde_json::Value, index: usize) -> Vec<String> {
    ids(doc, index)
        .into_iter()
        .filter(|id| id.starts_with("ocsp.") || id.starts_with("revocation.") || id == "cert.revoked")
        .collect()
}

#[test]
fn files_on_disk_are_checked_live_too() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let crl_server = HttpServer::start(&servers, HttpAnswer::Status(404));
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).crl_url(&crl_server.url));
    crl_server.set(HttpAnswer::Body(pki.intermediate.crl(&[&leaf], -1, 6)));
    let file = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let mut args = vec!["--file".to_string(), file, "--name".to_string(), NAME.to_string()];
    args.extend(pki.trust_args());
    let doc = scan_json_with(&args, &[]);
    assert!(doc["targets"][0]["revocation"].is_null(), "{doc:#}");
    let doc = scan_json_with(&args, &["--revocation", "crl"]);
    assert_eq!(revocation_ids(&doc), ["cert.revoked"], "{doc:#}");
}

#[test]
fn staples_made_by_openssl_are_read() {
    let servers = Servers::new();
    let read = |name: &str| std::fs::read(fixture(&format!("ocsp/{name}"))).unwrap();
    let leaf = rustls::pki_types::CertificateDer::from_pem_slice(&read("leaf.pem")).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&read("leaf.key")).unwrap();
    let ca_file = fixture("ocsp/ca.pem").display().to_string();
    for (staple, expected) in [
        ("good.der", None),
        ("delegated.der", None),
        ("revoked.der", Some("cert.revoked")),
    ] {
        let config = stapling_config(vec![leaf.clone()], key.clone_key(), read(staple));
        let port = servers.tls_with_config(config, "127.0.0.1:0").port();
        let doc = scan_json(&[
            &format!("localhost:{port}"),
            "--resolve",
            &format!("localhost:{port}:127.0.0.1"),
            "--trust",
            "none",
            "--ca-file",
            &ca_file,
        ]);
        assert_eq!(doc["targets"][0]["revocation"]["must_staple"], true, "{staple}");
        match expected {
            None => {
                // The committed leaf lives twenty years: Safari's lifetime rule is all there is.
                assert_eq!(ids(&doc, 0), ["cert.lifetime_too_long"], "{staple}: {doc:#}");
                assert_eq!(doc["targets"][0]["revocation"]["stapled"]["status"], "good");
            }
            Some(id) => assert_eq!(revocation_ids(&doc), [id], "{staple}: {doc:#}"),
        }
    }
}

#[test]
fn one_trustworthy_answer_is_enough_when_several_methods_are_asked() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let crl_server = HttpServer::start(&servers, HttpAnswer::Status(404));
    // The CA runs no OCSP responder (as Let's Encrypt since 2025), only a CRL.
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).crl_url(&crl_server.url));
    crl_server.set(HttpAnswer::Body(pki.intermediate.crl(&[], -1, 6)));
    let args = serve(&servers, &pki, &leaf, None);
    let doc = scan_json_with(&args, &["--revocation", "ocsp,crl"]);
    let unchecked = finding(&doc, 0, "revocation.unchecked");
    assert_eq!(unchecked["severity"], "info", "{doc:#}");
    assert!(
        unchecked["detail"].as_str().unwrap().contains("answered instead"),
        "{unchecked:#}"
    );
    assert_eq!(doc["status"], "ok");
    // Asked alone, the missing responder leaves the status unknown.
    let doc = scan_json_with(&args, &["--revocation", "ocsp"]);
    assert_eq!(finding(&doc, 0, "revocation.unchecked")["severity"], "unknown");
    assert_eq!(doc["exit_code"], 3);
}

#[test]
fn a_certificate_served_on_several_ports_is_asked_about_once() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let responder = HttpServer::start(&servers, HttpAnswer::Status(500));
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).ocsp_url(&responder.url));
    responder.set(HttpAnswer::Body(response(&pki.intermediate, &OcspSpec::good(&leaf))));
    let ports: Vec<u16> = (0..3)
        .map(|_| serve_leaf_and_intermediate(&servers, &pki, &leaf))
        .collect();
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut args = vec![format!("127.0.0.1:{}", list.join(",")), "--name".into(), NAME.into()];
    args.extend(pki.trust_args());
    let doc = scan_json_with(&args, &["--revocation", "ocsp"]);
    assert_eq!(doc["targets"].as_array().unwrap().len(), 3);
    for index in 0..3 {
        assert_eq!(
            doc["targets"][index]["revocation"]["live"][0]["status"], "good",
            "{doc:#}"
        );
    }
    assert_eq!(responder.request_count(), 1);
}
