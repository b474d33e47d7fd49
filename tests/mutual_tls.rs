//! Mutual TLS with a client certificate of the user's (`--client-cert`, `--client-key`, PKCS#12
//! with `--password-env`): a server that requires one is checked through, a certificate it does
//! not accept is `tls.client_cert_refused`, and the key never appears in any output.

mod common;

use common::servers::{App, client_auth_config};
use common::*;
use rustls::pki_types::CertificateDer;

const NAME: &str = "trunk.example.test";
const OK_ANSWER: &str = "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: 0\r\n\r\n";

/// The server checks client certificates against today's clock: the client CA is the
/// committed RSA test CA (valid for twenty years from when the fixtures were made).
fn client_ca() -> CertificateDer<'static> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_file(common::pki::fixture("legacy/rsaca.pem")).unwrap()
}

/// A server of `pki` for NAME that requires a client certificate issued by [`client_ca`].
fn requiring_server(pki: &Pki, servers: &Servers, tls12_only: bool) -> u16 {
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let config = client_auth_config(chain, leaf.key_der(), client_ca(), true, tls12_only);
    servers.tls_app(config, App::Reply(OK_ANSWER.into()))
}

/// A client certificate valid today with the clientAuth extended key usage, issued by the
/// committed RSA test CA or, with `stranger`, by a CA of its own; as PEM files: (chain, key).
fn client_files(pki: &Pki, file: &str, stranger: bool) -> (String, String) {
    use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, Issuer, KeyPair};
    let issuer = if stranger {
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "certscan Stranger CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        Issuer::new(params, KeyPair::generate().unwrap())
    } else {
        let key = std::fs::read_to_string(common::pki::fixture("legacy/rsaca.key")).unwrap();
        let ca = std::fs::read_to_string(common::pki::fixture("legacy/rsaca.pem")).unwrap();
        Issuer::from_ca_cert_pem(&ca, KeyPair::from_pem(&key).unwrap()).unwrap()
    };
    let mut params = CertificateParams::new(vec!["client.example.test".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "client.example.test");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (
        pki.write(&format!("{file}.pem"), &cert.pem()),
        pki.write(&format!("{file}.key"), &key.serialize_pem()),
    )
}

fn scan(pki: &Pki, port: u16, extra: &[&str]) -> (serde_json::Value, RunOutput) {
    let mut args = pinned_scan_args(pki, &format!("https://{NAME}:{port}/"), NAME, port);
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(["--format".into(), "json".into(), "--at".into(), AT.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = certscan(&args);
    let doc = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    (doc, out)
}

#[test]
fn a_server_requiring_a_client_certificate_is_checked_through_with_one() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (chain, key) = client_files(&pki, "client", false);
    let key_text = std::fs::read_to_string(&key).unwrap();
    let key_body: String = key_text.lines().nth(1).unwrap().chars().take(40).collect();
    for tls12_only in [false, true] {
        let port = requiring_server(&pki, &servers, tls12_only);
        let (without, _) = scan(&pki, port, &[]);
        assert_eq!(ids(&without, 0), ["tls.client_cert_required"], "{without:#}");
        // With the certificate the exchange goes through: the HTTP answer is read.
        let (with, out) = scan(&pki, port, &["--client-cert", &chain, "--client-key", &key]);
        // (A TLS 1.2-only server is also tls.no_tls13, information.)
        let found = ids(&with, 0);
        assert!(
            found.iter().all(|id| id == "tls.no_tls13"),
            "TLS 1.2 only: {tls12_only}: {with:#}"
        );
        assert_eq!(with["status"], "ok");
        assert_eq!(with["targets"][0]["exchange"]["status"], 200, "{with:#}");
        for said in [&out.stdout, &out.stderr] {
            assert!(
                !said.contains(&key_body) && !said.contains("PRIVATE KEY"),
                "the key leaked"
            );
        }
        // The key in the certificate file works as well.
        let combined = pki.write(
            "combined.pem",
            &format!("{}{key_text}", std::fs::read_to_string(&chain).unwrap()),
        );
        let (doc, _) = scan(&pki, port, &["--client-cert", &combined]);
        assert_eq!(doc["status"], "ok", "{doc:#}");
    }
}

#[test]
fn a_client_certificate_the_server_does_not_accept_is_critical() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (chain, key) = client_files(&pki, "stranger", true);
    for tls12_only in [false, true] {
        let port = requiring_server(&pki, &servers, tls12_only);
        let (doc, _) = scan(&pki, port, &["--client-cert", &chain, "--client-key", &key]);
        assert_eq!(
            ids(&doc, 0),
            ["tls.client_cert_refused"],
            "TLS 1.2 only: {tls12_only}: {doc:#}"
        );
        let found = finding(&doc, 0, "tls.client_cert_refused");
        assert_eq!(found["severity"], "critical");
        assert!(
            found["detail"]
                .as_str()
                .unwrap()
                .contains("CN=certscan Legacy RSA Test CA"),
            "{found}"
        );
    }
}

#[test]
fn a_pkcs12_client_certificate_opens_with_the_password_from_the_environment() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (chain, key) = client_files(&pki, "client", false);
    let p12 = pki.path("client.p12");
    let made = std::process::Command::new("openssl")
        .args(["pkcs12", "-export", "-in", &chain, "-inkey", &key, "-out", &p12])
        .args(["-passout", "pass:trunk-secret"])
        .status()
        .expect("openssl pkcs12");
    assert!(made.success());
    let port = requiring_server(&pki, &servers, false);
    let mut args = pinned_scan_args(&pki, &format!("https://{NAME}:{port}/"), NAME, port);
    args.extend(
        [
            "--client-cert",
            &p12,
            "--password-env",
            "TRUNK_P12",
            "--format",
            "json",
            "--at",
            AT,
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = certscan_with_env(&args, &[("TRUNK_P12", Some("trunk-secret"))]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    // A wrong password, a key of another certificate: usage errors that say so.
    let wrong = certscan_with_env(&args, &[("TRUNK_P12", Some("not-it"))]);
    assert_eq!(wrong.code, 3);
    assert!(
        wrong.stderr.contains("--client-cert") && wrong.stderr.contains("password"),
        "{}",
        wrong.stderr
    );
    let (_, other_key) = client_files(&pki, "other", false);
    let mismatch = certscan(&["example.test", "--client-cert", &chain, "--client-key", &other_key]);
    assert_eq!(mismatch.code, 3);
    assert!(
        mismatch.stderr.contains("does not belong to the client certificate"),
        "{}",
        mismatch.stderr
    );
}

#[test]
fn a_trunk_certificate_file_is_checked_for_client_authentication_with_mutual_tls() {
    let pki = Pki::new();
    let server_only = pki.leaf(&LeafSpec::new(&[NAME]));
    let file = pki.chain_file("trunk.pem", &[&server_only, &pki.intermediate.cert]);
    let mut args = vec!["--file".to_string(), file, "--name".into(), NAME.into()];
    args.extend(pki.trust_args());
    // As a server certificate it is fine; as the trunk's client certificate it is not.
    assert_eq!(ids(&scan_json_with(&args, &[]), 0), Vec::<String>::new());
    let doc = scan_json_with(&args, &["--mutual-tls"]);
    assert_eq!(ids(&doc, 0), ["cert.no_client_auth"], "{doc:#}");
    assert_eq!(finding(&doc, 0, "cert.no_client_auth")["severity"], "critical");
}

#[test]
fn a_sip_trunk_requiring_a_client_certificate_answers_options_with_one() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (chain, key) = client_files(&pki, "trunk", false);
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let served: Vec<CertificateDer<'static>> = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let config = client_auth_config(served, leaf.key_der(), client_ca(), true, false);
    let answer = "SIP/2.0 200 OK\r\nServer: Kamailio (5.8)\r\nContent-Length: 0\r\n\r\n";
    let port = servers.tls_app(config, App::Reply(answer.into()));
    let sips_scan = |extra: &[&str]| {
        let mut args = pinned_scan_args(&pki, &format!("sips:{NAME}:{port}"), NAME, port);
        args.extend(extra.iter().map(|a| a.to_string()));
        scan_json_with(&args, &[])
    };
    // Without our certificate: required, and the server's own leaf (serverAuth only) cannot
    // be presented when it calls out.
    let without = sips_scan(&[]);
    let found = ids(&without, 0);
    assert!(found.contains(&"tls.client_cert_required".to_string()), "{without:#}");
    assert!(found.contains(&"cert.no_client_auth".to_string()), "{without:#}");
    // With it: the handshake completes and OPTIONS is answered.
    let with = sips_scan(&["--client-cert", &chain, "--client-key", &key]);
    assert_eq!(with["targets"][0]["exchange"]["status"], 200, "{with:#}");
    assert_eq!(with["targets"][0]["exchange"]["headers"]["server"], "Kamailio (5.8)");
    assert!(
        !ids(&with, 0).contains(&"tls.client_cert_required".to_string()),
        "{with:#}"
    );
}
