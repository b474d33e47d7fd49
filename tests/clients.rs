//! certscan's verdicts compared with what real clients do against the tests' own servers:
//! Python's `ssl` (OpenSSL, as requests and urllib3 use it) and `openssl verify`.

mod common;

use common::clients::{PythonSetup, python_connects};
use common::pki::fixture;
use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

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
    let target = format!("localhost:{port}");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let doc = scan_json(&[&target, "--resolve", &resolve, "--trust", "none", "--ca-file", &root]);
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
