//! certscan's verdicts compared with what real clients do against the tests' own servers:
//! Python's `ssl` (OpenSSL, as requests and urllib3 use it), curl, `openssl s_client` and Java.

mod common;

use common::clients::{PythonSetup, curl_connects, java_connects, python_connects, s_client_connects};
use common::openssl::OpensslServer;
use common::pki::fixture;
use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// certscan's report on the server at `localhost:port`, trusting `cafile` alone.
fn scan_localhost(port: u16, cafile: &str) -> serde_json::Value {
    let target = format!("localhost:{port}");
    let resolve = format!("localhost:{port}:127.0.0.1");
    scan_json(&[&target, "--resolve", &resolve, "--trust", "none", "--ca-file", cafile])
}

#[test]
fn a_root_without_critical_basic_constraints_is_refused_by_strict_openssl_only() {
    // The committed lax root (its basicConstraints not critical) and its leaf for localhost.
    let leaf = CertificateDer::from_pem_file(fixture("legacy/laxleaf.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("legacy/laxleaf.key")).unwrap();
    let root = fixture("legacy/laxroot.pem");
    let servers = Servers::new();
    let port = servers.tls(vec![leaf], key);
    let (default, strict) = (
        PythonSetup::default(),
        PythonSetup {
            strict: true,
            ..Default::default()
        },
    );
    // Python up to 3.12 (and curl): the chain works. Python 3.13's strict checks: refused.
    assert_eq!(python_connects(port, &root, "localhost", default), Ok(()));
    let refused = python_connects(port, &root, "localhost", strict).unwrap_err();
    assert!(
        refused.contains("Basic Constraints of CA cert not marked critical"),
        "{refused}"
    );
    // certscan says so, naming who refuses it, as a warning: a minority of clients fails.
    let root = root.display().to_string();
    let doc = scan_localhost(port, &root);
    assert_eq!(ids(&doc, 0), ["cert.nonconformant"], "{doc:#}");
    let said = detail(&doc, 0, "cert.nonconformant");
    assert!(
        said.contains("basicConstraints")
            && said.contains("Python 3.13")
            && said.contains("curl and earlier Python accept it"),
        "{said}"
    );
    assert_eq!(finding(&doc, 0, "cert.nonconformant")["severity"], "warning");
}

/// A leaf for localhost with the committed RSA-2048 key, issued by the committed RSA test CA
/// (`legacy/rsaca.pem`, valid for twenty years from when the fixtures were made) and valid from
/// yesterday for ten years: real clients check it against today's clock, certscan at `AT`.
fn rsa_leaf_valid_now(dir: &std::path::Path) -> String {
    use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, SubjectPublicKeyInfo};
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(fixture("legacy/rsaca.key")).unwrap()).unwrap();
    let ca = std::fs::read_to_string(fixture("legacy/rsaca.pem")).unwrap();
    let issuer = Issuer::from_ca_cert_pem(&ca, ca_key).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.use_authority_key_identifier_extension = true;
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let public = std::fs::read_to_string(fixture("legacy/rsa2048-pub.pem")).unwrap();
    let spki = SubjectPublicKeyInfo::from_pem(&public).unwrap();
    let leaf = params.signed_by(&spki, &issuer).unwrap();
    let path = dir.join("rsa-leaf.pem");
    std::fs::write(&path, leaf.pem()).unwrap();
    path.display().to_string()
}

/// A server of that leaf that offers only `cipher`, with TLS 1.2.
fn rsa_server_offering(leaf: &str, cipher: &str) -> OpensslServer {
    let key = fixture("legacy/rsa2048.key").display().to_string();
    OpensslServer::start(leaf, &key, &["-tls1_2", "-cipher", cipher])
}

#[test]
fn suites_rustls_refuses_are_critical_only_where_mainstream_clients_refuse_them_too() {
    // (the one suite offered, whether curl and s_client connect, certscan's severity, words)
    let cases = [
        (
            "ECDHE-RSA-AES128-SHA256",
            true,
            "warning",
            "curl and Python on OpenSSL, Java and Go connect",
        ),
        ("AES128-GCM-SHA256", true, "warning", "Go 1.22 and later"),
        ("DHE-RSA-AES128-GCM-SHA256", true, "critical", "Chrome since version 53"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let leaf = rsa_leaf_valid_now(dir.path());
    let root = fixture("legacy/rsaca.pem").display().to_string();
    for (cipher, clients_connect, severity, words) in cases {
        let server = rsa_server_offering(&leaf, cipher);
        let port = server.port;
        assert_eq!(curl_connects(port, &root), clients_connect, "curl, {cipher}");
        assert_eq!(s_client_connects(port, &root), clients_connect, "s_client, {cipher}");
        // Java 17 accepts all three (its jdk.tls.disabledAlgorithms keep CBC, RSA key
        // exchange and DHE from 1024 bits).
        assert_eq!(java_connects(port, &root), Ok(()), "java, {cipher}");
        let doc = scan_localhost(port, &root);
        assert_eq!(ids(&doc, 0), ["tls.obsolete_only"], "{cipher}: {doc:#}");
        let found = finding(&doc, 0, "tls.obsolete_only");
        assert_eq!(found["severity"], severity, "{cipher}");
        let said = found["detail"].as_str().unwrap();
        assert!(said.contains(words) && said.contains("rustls"), "{cipher}: {said}");
    }
}

#[test]
fn a_leaf_that_asserts_key_cert_sign_is_refused_by_strict_openssl_only() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let mut spec = LeafSpec::new(&["localhost"]);
    spec.key_cert_sign = true;
    let leaf = pki.leaf(&spec);
    let port = servers.tls(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
    );
    let root = pki.root_file();
    // The test PKI lives around AT: OpenSSL's time check is off, the chain is what is compared.
    let lax = PythonSetup {
        no_time_check: true,
        ..Default::default()
    };
    let strict = PythonSetup {
        strict: true,
        no_time_check: true,
        ..Default::default()
    };
    let root_path = std::path::PathBuf::from(&root);
    assert_eq!(python_connects(port, &root_path, "localhost", lax), Ok(()));
    let refused = python_connects(port, &root_path, "localhost", strict).unwrap_err();
    assert!(refused.contains("keyCertSign invalid for non-CA"), "{refused}");
    let doc = scan_localhost(port, &root);
    assert_eq!(ids(&doc, 0), ["cert.nonconformant"], "{doc:#}");
    let said = detail(&doc, 0, "cert.nonconformant");
    assert!(said.contains("keyCertSign") && said.contains("Python 3.13"), "{said}");
    assert_eq!(finding(&doc, 0, "cert.nonconformant")["severity"], "warning");
}
