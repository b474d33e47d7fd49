//! The server's handshake signature with keys certscan's crypto provider does not verify
//! (RSA under 2048 bits), served by `openssl s_server`: checked another way where ring can
//! (PKCS#1 v1.5 from 1024 bits), else unchecked with the reason; never a bad signature, since
//! OpenSSL clients complete these handshakes when their security level admits the key.

mod common;

use common::openssl::OpensslServer;
use common::pki::fixture;
use common::*;

/// Serves the committed RSA key `name` (`legacy/NAME.key`) under the test PKI, with these
/// s_server options, and scans it.
fn scan_odd_key(name: &str, options: &[&str]) -> serde_json::Value {
    let pki = Pki::new();
    let leaf = pki
        .intermediate
        .issue_for_committed_key(&format!("legacy/{name}-pub.pem"));
    let cert = pki.chain_file("leaf.pem", &[&leaf]);
    let chain = pki.chain_file("intermediate.pem", &[&pki.intermediate.cert]);
    let key = fixture(&format!("legacy/{name}.key")).display().to_string();
    // Security level 0: OpenSSL loads keys under 2048 bits only there.
    let mut all = vec!["-cert_chain", &chain, "-cipher", "DEFAULT:@SECLEVEL=0"];
    all.extend(options);
    let server = OpensslServer::start(&cert, &key, &all);
    let root = pki.root_file();
    let target = format!("localhost:{}", server.port);
    scan_json(&[
        &target,
        "--resolve",
        &format!("localhost:{}:127.0.0.1", server.port),
        "--trust",
        "none",
        "--ca-file",
        &root,
    ])
}

fn finding_ids(doc: &serde_json::Value) -> Vec<String> {
    ids(doc, 0)
}

#[test]
fn an_rsa_1024_pkcs1_signature_is_checked_with_the_legacy_verifier() {
    // TLS 1.2 with PKCS#1 v1.5 and SHA-256, the signature OpenSSL makes when told to.
    let doc = scan_odd_key("rsa1024", &["-tls1_2", "-sigalgs", "RSA+SHA256"]);
    let found = finding_ids(&doc);
    assert!(found.contains(&"key.weak".to_string()), "{found:?}");
    assert!(
        !found.iter().any(|id| id.starts_with("tls.signature")),
        "checked and valid: {found:?}"
    );
    assert_eq!(doc["targets"][0]["tls"]["version"], "TLSv1.2");
}

#[test]
fn an_rsa_1024_pss_signature_is_unchecked_not_invalid() {
    // TLS 1.3 signs with RSA-PSS, which ring verifies only from 2048 bits.
    let doc = scan_odd_key("rsa1024", &["-tls1_3"]);
    let found = finding_ids(&doc);
    assert!(found.contains(&"tls.signature_unchecked".to_string()), "{found:?}");
    assert!(!found.contains(&"tls.signature_invalid".to_string()), "{found:?}");
    assert!(detail(&doc, 0, "tls.signature_unchecked").contains("1024-bit"));
}

#[test]
fn an_rsa_512_signature_is_unchecked_not_invalid() {
    let doc = scan_odd_key("rsa512", &["-tls1_2", "-sigalgs", "RSA+SHA256"]);
    let found = finding_ids(&doc);
    assert!(found.contains(&"tls.signature_unchecked".to_string()), "{found:?}");
    assert!(!found.contains(&"tls.signature_invalid".to_string()), "{found:?}");
    assert!(found.contains(&"key.weak".to_string()), "{found:?}");
}
