//! certscan's verdicts compared with what real clients do against the tests' own servers:
//! Python's `ssl` (OpenSSL, as requests and urllib3 use it), curl, `openssl s_client`, Java and
//! Go. The differential tests serve each case the client-family model distinguishes and assert
//! that certscan's prediction for every installed client's family is what that client did.

mod common;

use common::clients::{
    PythonSetup, curl_connects, go_client, go_connects, go_minor_version, java_connects, python_connects,
    python_family, s_client_connects, urllib3_2_installed, urllib3_connects,
};
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
    // The committed fixture is valid for twenty years, which Safari refuses on its own.
    assert_eq!(
        ids(&doc, 0),
        ["cert.lifetime_too_long", "cert.nonconformant"],
        "{doc:#}"
    );
    let said = detail(&doc, 0, "cert.nonconformant");
    assert!(
        said.contains("basicConstraints")
            && said.contains("Python 3.13")
            && said.contains("curl and earlier Python accept it"),
        "{said}"
    );
    assert_eq!(finding(&doc, 0, "cert.nonconformant")["severity"], "warning");
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

#[test]
fn an_intermediate_without_a_subject_key_identifier_is_refused_by_strict_openssl_only() {
    // Made with the openssl command, which can leave the extension out (valid from today).
    use common::openssl_pki::{INTERMEDIATE, LEAF, OpensslPki, ROOT};
    let pki = OpensslPki::new();
    let root_made = pki.root("root", "/CN=certscan SKI Root", ROOT);
    let no_ski = [
        INTERMEDIATE[0],
        INTERMEDIATE[1],
        "subjectKeyIdentifier=none",
        INTERMEDIATE[3],
    ];
    let intermediate = pki.issue("int", &root_made, "/CN=certscan No-SKI Intermediate", &no_ski);
    // Without an issuer key id to name, the leaf has no authority key identifier either.
    let leaf_made = pki.issue("leaf", &intermediate, "/CN=localhost", &LEAF[..5]);
    let leaf = CertificateDer::from_pem_file(&leaf_made.cert).unwrap();
    let intermediate = CertificateDer::from_pem_file(&intermediate.cert).unwrap();
    let key = PrivateKeyDer::from_pem_file(&leaf_made.key).unwrap();
    let servers = Servers::new();
    let port = servers.tls(vec![leaf, intermediate], key);
    let root = std::path::PathBuf::from(&root_made.cert);
    let strict = PythonSetup {
        strict: true,
        ..Default::default()
    };
    // curl and Python up to 3.12 connect; Python 3.13's strict checks refuse the chain.
    assert_eq!(
        python_connects(port, &root, "localhost", PythonSetup::default()),
        Ok(())
    );
    assert!(python_connects(port, &root, "localhost", strict).is_err());
    let doc = scan_today(port, &root.display().to_string());
    assert_eq!(doc["targets"][0]["verification"]["valid"], true, "{doc:#}");
    let said: Vec<&str> = details(&doc, 0, "cert.nonconformant");
    assert!(
        said.iter()
            .any(|d| d.contains("without a subject key identifier") && d.contains("Python 3.13")),
        "{said:?}"
    );
    // A minority family fails: a warning, as every finding about it says.
    assert_eq!(finding(&doc, 0, "cert.nonconformant")["severity"], "warning");
    assert_eq!(doc["targets"][0]["status"], "warning", "{doc:#}");
}

/// A CA certificate's parameters (keyCertSign and cRLSign, an authority key identifier), valid
/// from `from` to `until` days from now.
fn ca_params(cn: &str, constraint: rcgen::BasicConstraints, from: i64, until: i64) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    params.is_ca = rcgen::IsCa::Ca(constraint);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(from);
    params.not_after = now + time::Duration::days(until);
    params
}

/// A PKI valid today, since real clients check certificates against the clock: the committed
/// RSA test CA as the root, an intermediate made now, and leaves issued by it.
struct TodaysPki {
    dir: tempfile::TempDir,
    root: String,
    intermediate: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl TodaysPki {
    fn new() -> TodaysPki {
        use rcgen::{BasicConstraints, Issuer, KeyPair};
        let dir = tempfile::tempdir().unwrap();
        let root_key = KeyPair::from_pem(&std::fs::read_to_string(fixture("legacy/rsaca.key")).unwrap()).unwrap();
        let root_pem = std::fs::read_to_string(fixture("legacy/rsaca.pem")).unwrap();
        let root = Issuer::from_ca_cert_pem(&root_pem, root_key).unwrap();
        let params = ca_params(
            "certscan Today's Intermediate",
            BasicConstraints::Constrained(0),
            -1,
            3650,
        );
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &root).unwrap();
        let intermediate = dir.path().join("intermediate.pem");
        std::fs::write(&intermediate, cert.pem()).unwrap();
        TodaysPki {
            root: fixture("legacy/rsaca.pem").display().to_string(),
            intermediate: intermediate.display().to_string(),
            issuer: Issuer::new(params, key),
            dir,
        }
    }

    /// A leaf with these subjectAltNames (none: the name only in the CN), valid from `from` to
    /// `until` days from now, written as PEM files: (certificate, key).
    fn leaf(&self, file: &str, sans: &[&str], from: i64, until: i64) -> (String, String) {
        let mut params = rcgen::CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(from);
        params.not_after = now + time::Duration::days(until);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        self.write(file, &cert.pem(), &key.serialize_pem())
    }

    /// A leaf for localhost under two intermediates (the root issues the upper one, the upper
    /// one the lower one), and the chain file that sends them in the wrong order (upper first):
    /// (leaf, key, chain file).
    fn under_two_intermediates(&self) -> (String, String, String) {
        use rcgen::{BasicConstraints, Issuer, KeyPair};
        let root_key = KeyPair::from_pem(&std::fs::read_to_string(fixture("legacy/rsaca.key")).unwrap()).unwrap();
        let root = Issuer::from_ca_cert_pem(&std::fs::read_to_string(&self.root).unwrap(), root_key).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let ca = |cn: &str, path_len: u8| ca_params(cn, BasicConstraints::Constrained(path_len), -1, 3650);
        let (upper_params, upper_key) = (ca("certscan Upper Intermediate", 1), KeyPair::generate().unwrap());
        let upper = upper_params.signed_by(&upper_key, &root).unwrap();
        let upper_issuer = Issuer::new(upper_params, upper_key);
        let (lower_params, lower_key) = (ca("certscan Lower Intermediate", 0), KeyPair::generate().unwrap());
        let lower = lower_params.signed_by(&lower_key, &upper_issuer).unwrap();
        let lower_issuer = Issuer::new(lower_params, lower_key);
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(90);
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = params.signed_by(&key, &lower_issuer).unwrap();
        let (leaf, key) = self.write("two-levels", &leaf.pem(), &key.serialize_pem());
        let chain = self.dir.path().join("upper-then-lower.pem");
        std::fs::write(&chain, format!("{}{}", upper.pem(), lower.pem())).unwrap();
        (leaf, key, chain.display().to_string())
    }

    /// The intermediate, then a self-signed certificate that issues nothing in the chain.
    fn chain_with_a_stray(&self) -> String {
        let mut params = rcgen::CertificateParams::new(vec!["stray.example".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "certscan Stray");
        let stray = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        let chain = self.dir.path().join("with-stray.pem");
        let intermediate = std::fs::read_to_string(&self.intermediate).unwrap();
        std::fs::write(&chain, format!("{intermediate}{}", stray.pem())).unwrap();
        chain.display().to_string()
    }

    /// A self-signed leaf for localhost.
    fn self_signed(&self) -> (String, String) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        self.write("self-signed", &cert.pem(), &key.serialize_pem())
    }

    fn write(&self, file: &str, cert: &str, key: &str) -> (String, String) {
        let (cert_path, key_path) = (
            self.dir.path().join(format!("{file}.pem")),
            self.dir.path().join(format!("{file}.key")),
        );
        std::fs::write(&cert_path, cert).unwrap();
        std::fs::write(&key_path, key).unwrap();
        (cert_path.display().to_string(), key_path.display().to_string())
    }
}

/// Whether a client connects to 127.0.0.1:port for localhost, trusting the CA file alone.
type Connects = Box<dyn Fn(u16, &str) -> bool>;

/// A real client installed here, and the family certscan predicts it by.
struct RealClient {
    label: &'static str,
    family: &'static str,
    connects: Connects,
}

/// The real clients on this machine. Python's family depends on how it was built; the strict
/// Python client is this Python with the verification flags 3.13's default context sets.
fn real_clients(suites_too: bool) -> Vec<RealClient> {
    let python = |setup: PythonSetup| {
        Box::new(move |port: u16, cafile: &str| {
            python_connects(port, std::path::Path::new(cafile), "localhost", setup).is_ok()
        }) as Connects
    };
    let mut clients = vec![
        RealClient {
            label: "curl",
            family: "curl",
            connects: Box::new(curl_connects),
        },
        RealClient {
            label: "openssl s_client",
            family: "openssl",
            connects: Box::new(s_client_connects),
        },
        RealClient {
            label: "python3 ssl",
            family: python_family(),
            connects: python(PythonSetup::default()),
        },
        RealClient {
            label: "java",
            family: "java",
            connects: Box::new(|port, cafile| java_connects(port, cafile).is_ok()),
        },
    ];
    // The strict client has this Python's cipher list: it stands for python.org's 3.13 only
    // when this Python is built the same way.
    if !suites_too || python_family() == "python" {
        clients.push(RealClient {
            label: "python3 ssl with 3.13's flags",
            family: "python-strict",
            connects: python(PythonSetup {
                strict: true,
                ..Default::default()
            }),
        });
    }
    // urllib3's cipher list is its Python's: compared on certificates only.
    if !suites_too && urllib3_2_installed() {
        clients.push(RealClient {
            label: "python3 urllib3 2",
            family: "urllib3",
            connects: Box::new(|port, cafile| urllib3_connects(port, cafile).is_ok()),
        });
    }
    match go_client() {
        Some(go) => clients.push(RealClient {
            label: "go",
            family: "go",
            connects: Box::new(move |port, cafile| go_connects(go, port, cafile).is_ok()),
        }),
        None => eprintln!("go is not installed: the Go family is not compared"),
    }
    clients
}

/// certscan's report on the server at `localhost:port` trusting `cafile` alone, evaluated now,
/// as the real clients evaluate it.
fn scan_today(port: u16, cafile: &str) -> serde_json::Value {
    let (target, resolve) = (format!("localhost:{port}"), format!("localhost:{port}:127.0.0.1"));
    let out = certscan(&[
        &target,
        "--resolve",
        &resolve,
        "--trust",
        "none",
        "--ca-file",
        cafile,
        "--format",
        "json",
    ]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr))
}

/// certscan's outcome for one family in a report.
fn predicted(doc: &serde_json::Value, family: &str) -> String {
    doc["targets"][0]["clients"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["family"] == family))
        .and_then(|c| c["outcome"].as_str())
        .unwrap_or("absent")
        .to_string()
}

/// Each case's real outcome per client against certscan's prediction for its family: the
/// disagreements, and what each client did (to check the cases do what they are meant to).
fn differences(
    cases: &[(&str, u16, String)],
    clients: &[RealClient],
    expected_differently: impl Fn(&str, &str) -> bool,
) -> (Vec<String>, Vec<(String, String, bool)>) {
    let (mut disagreements, mut seen) = (vec![], vec![]);
    for (case, port, cafile) in cases {
        let doc = scan_today(*port, cafile);
        for client in clients {
            let connected = (client.connects)(*port, cafile);
            seen.push((case.to_string(), client.label.to_string(), connected));
            let said = predicted(&doc, client.family);
            let agrees = match said.as_str() {
                "works" => connected,
                // Degraded: connects only with help the test client does not give.
                "fails" | "degraded" => !connected,
                _ => false,
            };
            if agrees == expected_differently(case, client.family) {
                disagreements.push(format!(
                    "{case}: {} {} but certscan says {} {said} ({:?})",
                    client.label,
                    if connected { "connected" } else { "failed" },
                    client.family,
                    doc["targets"][0]["findings"]
                        .as_array()
                        .map(|f| f.iter().map(|f| f["id"].clone()).collect::<Vec<_>>())
                ));
            }
        }
    }
    (disagreements, seen)
}

fn did(seen: &[(String, String, bool)], case: &str) -> Vec<bool> {
    seen.iter()
        .filter(|(c, _, _)| c == case)
        .map(|(_, _, ok)| *ok)
        .collect()
}

/// Serves `cert` and `key` with `options`, at security level 0 so that s_server itself loads
/// weak keys and signatures.
fn serve(cert: &str, key: &str, options: &[&str]) -> OpensslServer {
    let mut all = vec!["-cipher", "DEFAULT:@SECLEVEL=0"];
    all.extend_from_slice(options);
    OpensslServer::start(cert, key, &all)
}

#[test]
fn certscan_predicts_what_real_clients_do_with_each_kind_of_certificate() {
    let pki = TodaysPki::new();
    let chain = ["-cert_chain", pki.intermediate.as_str()];
    let good = pki.leaf("good", &["localhost"], -1, 90);
    let cn_only = pki.leaf("cn-only", &[], -1, 90);
    let other = pki.leaf("other", &["other.example"], -1, 90);
    let expired = pki.leaf("expired", &["localhost"], -60, -1);
    let self_signed = pki.self_signed();
    let rsa1024 = {
        let dir = pki.dir.path();
        let leaf = rsa_leaf_valid_now_with(dir, "legacy/rsa1024-pub.pem", "rsa1024-leaf.pem");
        (leaf, fixture("legacy/rsa1024.key").display().to_string())
    };
    let sha1 = (
        fixture("legacy/sha1leaf.pem").display().to_string(),
        fixture("legacy/sha1leaf.key").display().to_string(),
    );
    let lax = (
        fixture("legacy/laxleaf.pem").display().to_string(),
        fixture("legacy/laxleaf.key").display().to_string(),
    );
    let (two_levels, two_levels_key, upper_first) = pki.under_two_intermediates();
    let with_stray = pki.chain_with_a_stray();
    let servers = [
        ("full chain", serve(&good.0, &good.1, &chain), pki.root.clone()),
        (
            "intermediates out of order",
            serve(&two_levels, &two_levels_key, &["-cert_chain", &upper_first]),
            pki.root.clone(),
        ),
        (
            "a stray certificate after the intermediate",
            serve(&good.0, &good.1, &["-cert_chain", &with_stray]),
            pki.root.clone(),
        ),
        ("intermediate not sent", serve(&good.0, &good.1, &[]), pki.root.clone()),
        (
            "self-signed leaf",
            serve(&self_signed.0, &self_signed.1, &[]),
            pki.root.clone(),
        ),
        (
            "name only in the CN",
            serve(&cn_only.0, &cn_only.1, &chain),
            pki.root.clone(),
        ),
        ("another name", serve(&other.0, &other.1, &chain), pki.root.clone()),
        ("expired leaf", serve(&expired.0, &expired.1, &chain), pki.root.clone()),
        ("RSA-1024 leaf", serve(&rsa1024.0, &rsa1024.1, &[]), pki.root.clone()),
        ("SHA-1 signed leaf", serve(&sha1.0, &sha1.1, &[]), pki.root.clone()),
        (
            "root without critical basicConstraints",
            serve(&lax.0, &lax.1, &[]),
            fixture("legacy/laxroot.pem").display().to_string(),
        ),
    ];
    let cases: Vec<(&str, u16, String)> = servers.iter().map(|(c, s, ca)| (*c, s.port, ca.clone())).collect();
    let clients = real_clients(false);
    let (disagreements, seen) = differences(&cases, &clients, |_, _| false);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    // The cases are what they are meant to be: every client connects to the full chain and
    // refuses another name; the others split the clients as the model says.
    assert!(did(&seen, "full chain").iter().all(|ok| *ok), "{seen:?}");
    assert!(did(&seen, "another name").iter().all(|ok| !ok), "{seen:?}");
    assert!(
        did(&seen, "RSA-1024 leaf").iter().any(|ok| *ok),
        "java or go connects: {seen:?}"
    );
}

/// Trust anchors and CA profiles that certscan's own verifier (rustls-webpki) accepts and
/// other clients do not, each made with the openssl command.
#[test]
fn certscan_predicts_what_real_clients_do_with_each_anchor_and_ca_profile() {
    use common::openssl_pki::{INTERMEDIATE, LEAF, OpensslPki, ROOT};
    let pki = OpensslPki::new();
    let root = pki.root("root", "/CN=certscan Profile Root", ROOT);
    let intermediate = pki.issue("int", &root, "/CN=certscan Profile Intermediate", INTERMEDIATE);
    let leaf = pki.issue("leaf", &intermediate, "/CN=localhost", LEAF);
    // A root whose authority key identifier names a key other than its own.
    let other_key_root = pki.root(
        "other-key-root",
        "/CN=certscan Other-Key Root",
        &[ROOT, &["authorityKeyIdentifier=DER:30:06:80:04:01:02:03:04"]].concat(),
    );
    let under_other_key = pki.issue("int-b", &other_key_root, "/CN=certscan Intermediate B", INTERMEDIATE);
    let leaf_b = pki.issue("leaf-b", &under_other_key, "/CN=localhost", LEAF);
    // A CA under the good root, and a root, whose keyUsage leaves out keyCertSign.
    let no_cert_sign = pki.issue(
        "int-no-cert-sign",
        &root,
        "/CN=certscan No-CertSign Intermediate",
        &[
            &INTERMEDIATE[..1],
            &["keyUsage=critical,digitalSignature,cRLSign"],
            &INTERMEDIATE[2..],
        ]
        .concat(),
    );
    let leaf_c = pki.issue("leaf-c", &no_cert_sign, "/CN=localhost", LEAF);
    let root_no_cert_sign = pki.root(
        "root-no-cert-sign",
        "/CN=certscan No-CertSign Root",
        &[ROOT[0], "keyUsage=critical,digitalSignature,cRLSign", ROOT[2]],
    );
    let under_no_cert_sign = pki.issue("int-d", &root_no_cert_sign, "/CN=certscan Intermediate D", INTERMEDIATE);
    let leaf_d = pki.issue("leaf-d", &under_no_cert_sign, "/CN=localhost", LEAF);
    // Roots with an extendedKeyUsage: for client certificates only, and with serverAuth.
    let root_with = |name: &str, usage: &str| {
        let root = pki.root(name, &format!("/CN=certscan {name}"), &[ROOT, &[usage]].concat());
        let intermediate = pki.issue(
            &format!("{name}-int"),
            &root,
            &format!("/CN=certscan {name} int"),
            INTERMEDIATE,
        );
        let leaf = pki.issue(&format!("{name}-leaf"), &intermediate, "/CN=localhost", LEAF);
        (root, intermediate, leaf)
    };
    let (client_root, client_int, client_leaf) = root_with("client-auth-root", "extendedKeyUsage=clientAuth");
    let client_ca = pki.issue(
        "client-auth-int",
        &root,
        "/CN=certscan Client-Auth Intermediate",
        &[INTERMEDIATE, &["extendedKeyUsage=clientAuth"]].concat(),
    );
    let under_client_ca = pki.issue("under-client-ca", &client_ca, "/CN=localhost", LEAF);
    let sha1_ca = pki.issue_with(
        "sha1-int",
        &root,
        "/CN=certscan SHA-1 Intermediate",
        INTERMEDIATE,
        &["-sha1"],
    );
    let under_sha1_ca = pki.issue("under-sha1", &sha1_ca, "/CN=localhost", LEAF);
    let nameless_ca = pki.issue("nameless-int", &root, "/", INTERMEDIATE);
    let under_nameless_ca = pki.issue("under-nameless", &nameless_ca, "/CN=localhost", LEAF);
    let (server_root, server_int, server_leaf) = root_with("server-auth-root", "extendedKeyUsage=serverAuth");
    // Profile breaches of the leaf and of an intermediate that Go's parser, or nobody, refuses.
    let with_serial =
        |name: &str, serial: &str| pki.issue_with(name, &intermediate, "/CN=localhost", LEAF, &["-set_serial", serial]);
    let negative_serial = with_serial("negative-serial", "-5");
    let long_serial = with_serial("long-serial", "0x7f0102030405060708090a0b0c0d0e0f1011121314");
    let constrained = |name: &str, constraints: &str| {
        let ca = pki.issue(
            name,
            &root,
            &format!("/CN=certscan {name}"),
            &[INTERMEDIATE, &[constraints]].concat(),
        );
        let leaf = pki.issue(&format!("{name}-leaf"), &ca, "/CN=localhost", LEAF);
        (ca, leaf)
    };
    let (empty_nc, empty_nc_leaf) = constrained("empty-constraints", "2.5.29.30=critical,DER:30:00");
    let (lax_nc, lax_nc_leaf) = constrained("lax-constraints", "nameConstraints=permitted;DNS:localhost");
    let leaf_nc = pki.issue(
        "leaf-constraints",
        &intermediate,
        "/CN=localhost",
        &[LEAF, &["nameConstraints=critical,permitted;DNS:localhost"]].concat(),
    );
    // A root that expired two days ago, over an intermediate and a leaf valid today.
    let (_expired_dir, expired_root, expired_int, expired_leaf) = under_an_expired_root();
    // What Safari refuses and the clients here accept: no extendedKeyUsage, 900 days of validity.
    let no_eku = pki.issue(
        "no-eku",
        &intermediate,
        "/CN=localhost",
        &[&LEAF[..2], &LEAF[3..]].concat(),
    );
    let long_lived = pki.issue_with("long-lived", &intermediate, "/CN=localhost", LEAF, &["-days", "900"]);
    let chain = |made: &common::openssl_pki::Made| vec!["-cert_chain".to_string(), made.cert.clone()];
    let cases: Vec<(&str, &common::openssl_pki::Made, Vec<String>, &str)> = vec![
        ("good chain", &leaf, chain(&intermediate), &root.cert),
        (
            "CA file holding only the intermediate",
            &leaf,
            chain(&intermediate),
            &intermediate.cert,
        ),
        (
            "root whose key identifiers differ",
            &leaf_b,
            chain(&under_other_key),
            &other_key_root.cert,
        ),
        (
            "intermediate without keyCertSign",
            &leaf_c,
            chain(&no_cert_sign),
            &root.cert,
        ),
        (
            "root without keyCertSign",
            &leaf_d,
            chain(&under_no_cert_sign),
            &root_no_cert_sign.cert,
        ),
        (
            "root for client certificates only",
            &client_leaf,
            chain(&client_int),
            &client_root.cert,
        ),
        (
            "root with serverAuth in its extendedKeyUsage",
            &server_leaf,
            chain(&server_int),
            &server_root.cert,
        ),
        ("negative serial", &negative_serial, chain(&intermediate), &root.cert),
        ("21-octet serial", &long_serial, chain(&intermediate), &root.cert),
        ("empty name constraints", &empty_nc_leaf, chain(&empty_nc), &root.cert),
        (
            "name constraints not critical",
            &lax_nc_leaf,
            chain(&lax_nc),
            &root.cert,
        ),
        (
            "name constraints in the leaf",
            &leaf_nc,
            chain(&intermediate),
            &root.cert,
        ),
        (
            "leaf without extendedKeyUsage",
            &no_eku,
            chain(&intermediate),
            &root.cert,
        ),
        ("leaf valid for 900 days", &long_lived, chain(&intermediate), &root.cert),
        (
            "root that has expired",
            &expired_leaf,
            chain(&expired_int),
            &expired_root.cert,
        ),
        (
            "intermediate for client certificates only",
            &under_client_ca,
            chain(&client_ca),
            &root.cert,
        ),
        (
            "intermediate with an empty subject",
            &under_nameless_ca,
            chain(&nameless_ca),
            &root.cert,
        ),
        ("SHA-1 signed intermediate", &under_sha1_ca, chain(&sha1_ca), &root.cert),
    ];
    let servers: Vec<(&str, OpensslServer, String)> = cases
        .iter()
        .map(|(case, leaf, options, ca)| {
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            (*case, serve(&leaf.cert, &leaf.key, &options), ca.to_string())
        })
        .collect();
    let cases: Vec<(&str, u16, String)> = servers.iter().map(|(c, s, ca)| (*c, s.port, ca.clone())).collect();
    let clients = real_clients(false);
    // Go refuses negative serials from 1.23 (the family's data holds for 1.24 and later).
    let older_go = go_client().is_some() && go_minor_version() < 23;
    let (disagreements, seen) = differences(&cases, &clients, |case, family| {
        older_go && family == "go" && case == "negative serial"
    });
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(did(&seen, "good chain").iter().all(|ok| *ok), "{seen:?}");
    for accepted in [
        "21-octet serial",
        "name constraints not critical",
        "name constraints in the leaf",
        "leaf without extendedKeyUsage",
        "leaf valid for 900 days",
    ] {
        assert!(did(&seen, accepted).iter().all(|ok| *ok), "{accepted}: {seen:?}");
    }
    // Java takes SHA-1 under a root it was given; OpenSSL at security level 2 does not.
    let sha1 = did(&seen, "SHA-1 signed intermediate");
    assert!(sha1.iter().any(|ok| *ok) && sha1.iter().any(|ok| !ok), "{seen:?}");
    // curl ends the chain at the intermediate it trusts, openssl s_client does not.
    let ends_at_intermediate = did(&seen, "CA file holding only the intermediate");
    assert!(ends_at_intermediate[0] && !ends_at_intermediate[1], "{seen:?}");
    assert!(
        did(&seen, "root with serverAuth in its extendedKeyUsage")
            .iter()
            .all(|ok| *ok),
        "{seen:?}"
    );
    assert!(
        did(&seen, "intermediate without keyCertSign").iter().all(|ok| !ok),
        "{seen:?}"
    );
    // Each case is named by its own check, and the good chain by none of them.
    let own_check = [
        ("good chain", None),
        ("CA file holding only the intermediate", Some("chain.anchor_not_root")),
        ("root whose key identifiers differ", Some("chain.anchor_not_root")),
        ("intermediate without keyCertSign", Some("chain.ca_cannot_sign")),
        ("root without keyCertSign", Some("chain.ca_cannot_sign")),
        ("root for client certificates only", Some("chain.anchor_purpose")),
        ("root with serverAuth in its extendedKeyUsage", None),
        ("21-octet serial", None),
        ("leaf without extendedKeyUsage", Some("cert.no_extended_key_usage")),
        ("leaf valid for 900 days", Some("cert.lifetime_too_long")),
        ("root that has expired", Some("chain.anchor_out_of_date")),
    ];
    for (case, check) in own_check {
        let (_, port, ca) = cases.iter().find(|(c, _, _)| *c == case).unwrap();
        let doc = scan_today(*port, ca);
        let found = ids(&doc, 0);
        let profile_checks = [
            "chain.anchor_not_root",
            "chain.ca_cannot_sign",
            "chain.anchor_purpose",
            "cert.no_extended_key_usage",
            "cert.lifetime_too_long",
            "chain.anchor_out_of_date",
        ];
        let named: Vec<&String> = found
            .iter()
            .filter(|id| profile_checks.contains(&id.as_str()))
            .collect();
        assert_eq!(named, check.into_iter().collect::<Vec<_>>(), "{case}: {found:?}");
    }
    // What every client compared accepts is information; what only Go refuses, a warning
    // that says so.
    let nonconformant = |case: &str| {
        let (_, port, ca) = cases.iter().find(|(c, _, _)| *c == case).unwrap();
        let doc = scan_today(*port, ca);
        let found = finding(&doc, 0, "cert.nonconformant");
        (
            found["severity"].as_str().unwrap().to_string(),
            found["detail"].as_str().unwrap().to_string(),
        )
    };
    for accepted in [
        "21-octet serial",
        "name constraints not critical",
        "name constraints in the leaf",
    ] {
        let (severity, detail) = nonconformant(accepted);
        assert_eq!(severity, "info", "{accepted}: {detail}");
    }
    // Safari refuses what the clients here accept: critical, since Safari decides by default.
    let (_, port, ca) = cases.iter().find(|(c, _, _)| *c == "leaf valid for 900 days").unwrap();
    let doc = scan_today(*port, ca);
    let long = finding(&doc, 0, "cert.lifetime_too_long");
    assert_eq!(long["severity"], "critical", "{long:#}");
    assert!(
        long["detail"]
            .as_str()
            .unwrap()
            .contains("Safari fail: refuses leaves valid for more than 825 days"),
        "{long:#}"
    );
    let (severity, detail) = nonconformant("empty name constraints");
    assert_eq!(severity, "warning", "{detail}");
    assert!(detail.contains("Go fail: its parser refuses"), "{detail}");
}

/// A root that expired two days ago, an intermediate it issued and a leaf for localhost, both
/// valid today, made with rcgen (the openssl command of Debian 12 cannot backdate).
fn under_an_expired_root() -> (
    tempfile::TempDir,
    common::openssl_pki::Made,
    common::openssl_pki::Made,
    common::openssl_pki::Made,
) {
    use common::openssl_pki::Made;
    use rcgen::{BasicConstraints, CertificateParams, Issuer, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc();
    let ca = |cn: &str, from: i64, until: i64| ca_params(cn, BasicConstraints::Unconstrained, from, until);
    let write = |name: &str, pem: String, key: &KeyPair| {
        let (cert, key_path) = (
            dir.path().join(format!("{name}.pem")),
            dir.path().join(format!("{name}.key")),
        );
        std::fs::write(&cert, pem).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        Made {
            cert: cert.display().to_string(),
            key: key_path.display().to_string(),
        }
    };
    let (root_params, root_key) = (ca("certscan Expired Root", -400, -2), KeyPair::generate().unwrap());
    let root = write(
        "expired-root",
        root_params.self_signed(&root_key).unwrap().pem(),
        &root_key,
    );
    let root_issuer = Issuer::new(root_params, root_key);
    let (int_params, int_key) = (ca("certscan Under Expired Root", -10, 30), KeyPair::generate().unwrap());
    let intermediate = write(
        "int",
        int_params.signed_by(&int_key, &root_issuer).unwrap().pem(),
        &int_key,
    );
    let int_issuer = Issuer::new(int_params, int_key);
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(20);
    let key = KeyPair::generate().unwrap();
    let leaf = write("leaf", params.signed_by(&key, &int_issuer).unwrap().pem(), &key);
    (dir, root, intermediate, leaf)
}

/// A leaf for localhost issued by the committed RSA test CA for the committed public key
/// `public`, valid from yesterday for ten years.
fn rsa_leaf_valid_now_with(dir: &std::path::Path, public: &str, file: &str) -> String {
    use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, Issuer, KeyPair, SubjectPublicKeyInfo};
    let ca_key = KeyPair::from_pem(&std::fs::read_to_string(fixture("legacy/rsaca.key")).unwrap()).unwrap();
    let ca = std::fs::read_to_string(fixture("legacy/rsaca.pem")).unwrap();
    let issuer = Issuer::from_ca_cert_pem(&ca, ca_key).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let spki = SubjectPublicKeyInfo::from_pem(&std::fs::read_to_string(fixture(public)).unwrap()).unwrap();
    let leaf = params.signed_by(&spki, &issuer).unwrap();
    let path = dir.join(file);
    std::fs::write(&path, leaf.pem()).unwrap();
    path.display().to_string()
}

#[test]
fn certscan_predicts_what_real_clients_do_with_each_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let leaf = rsa_leaf_valid_now_with(dir.path(), "legacy/rsa2048-pub.pem", "rsa-leaf.pem");
    let key = fixture("legacy/rsa2048.key").display().to_string();
    let root = fixture("legacy/rsaca.pem").display().to_string();
    let tls12 = |cipher: &'static str| vec!["-tls1_2", "-cipher", cipher];
    let dh1024 = dir.path().join("dh1024.pem").display().to_string();
    let made = std::process::Command::new("openssl")
        .args(["dhparam", "-out", &dh1024, "1024"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl dhparam");
    let servers = [
        ("ECDHE with CBC and SHA-256 only", tls12("ECDHE-RSA-AES128-SHA256")),
        ("ECDHE with CBC and SHA-1 only", tls12("ECDHE-RSA-AES128-SHA")),
        ("RSA key exchange only", tls12("AES128-GCM-SHA256")),
        // OpenSSL 3 picks a 2048-bit group itself; the other is made above.
        ("DHE only, 2048-bit group", tls12("DHE-RSA-AES128-GCM-SHA256")),
        (
            "DHE only, 1024-bit group",
            vec![
                "-tls1_2",
                "-cipher",
                "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
                "-dhparam",
                dh1024.as_str(),
            ],
        ),
        (
            "TLS 1.0 only",
            vec!["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
        ),
        (
            "client certificate required",
            vec!["-tls1_2", "-Verify", "1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        ),
    ]
    .map(|(case, options)| (case, OpensslServer::start(&leaf, &key, &options)));
    let cases: Vec<(&str, u16, String)> = servers.iter().map(|(c, s)| (*c, s.port, root.clone())).collect();
    let clients = real_clients(true);
    // Go before 1.22 still offered RSA key exchange: the family's data holds for Go 1.24 and
    // later (its `versions`), so an older Go must connect there, and only there.
    let older_go = go_client().is_some() && go_minor_version() < 22;
    let (disagreements, seen) = differences(&cases, &clients, |case, family| {
        older_go && family == "go" && case == "RSA key exchange only"
    });
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(
        did(&seen, "ECDHE with CBC and SHA-256 only").iter().any(|ok| *ok),
        "{seen:?}"
    );
    assert!(did(&seen, "TLS 1.0 only").iter().all(|ok| !ok), "{seen:?}");
    // Java takes a 1024-bit group, OpenSSL at security level 2 does not.
    assert_ne!(
        did(&seen, "DHE only, 1024-bit group"),
        did(&seen, "DHE only, 2048-bit group")
    );
}

#[test]
fn a_family_of_the_users_own_is_judged_and_can_decide() {
    let dir = tempfile::tempdir().unwrap();
    let families = dir.path().join("clients.toml");
    std::fs::write(
        &families,
        r#"
[[family]]
id = "deskphones"
name = "our desk phones"
versions = "firmware 84"
sha1 = "accepted"
min_tls = "1.0"
cn_fallback = true
max_validity_days = 0
"#,
    )
    .unwrap();
    let families = families.display().to_string();
    let leaf = fixture("legacy/sha1leaf.pem").display().to_string();
    let root = fixture("legacy/rsaca.pem").display().to_string();
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "--file",
            &leaf,
            "--trust",
            "none",
            "--ca-file",
            &root,
            "--name",
            "localhost",
        ];
        args.extend_from_slice(extra);
        scan_json(&args)
    };
    // Described but not deciding: the phones accept SHA-1, OpenSSL clients do not.
    let doc = scan(&["--clients-file", &families]);
    let phones = doc["targets"][0]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["family"] == "deskphones")
        .cloned()
        .unwrap();
    assert_eq!(
        (phones["outcome"].clone(), phones["deciding"].clone()),
        ("works".into(), false.into())
    );
    assert_eq!(finding(&doc, 0, "signature.weak")["severity"], "critical");
    // When only the phones decide, the weak hash is a warning (its security axis): they connect.
    let doc = scan(&["--clients-file", &families, "--clients", "deskphones"]);
    assert_eq!(finding(&doc, 0, "signature.weak")["severity"], "warning");
    assert_eq!(doc["status"], "warning");
    // --list-clients shows it with the built-in families.
    let listed = certscan(&["--list-clients", "--clients-file", &families]);
    assert!(
        listed.stdout.contains("deskphones (deskphones): our desk phones"),
        "{}",
        listed.stdout
    );
    // An id already taken is refused, naming the file.
    std::fs::write(
        dir.path().join("taken.toml"),
        "[[family]]\nid = \"go\"\nname = \"my Go\"\n",
    )
    .unwrap();
    let taken = dir.path().join("taken.toml").display().to_string();
    let refused = certscan(&["--file", &leaf, "--clients-file", &taken]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("\"go\" is empty or already taken"),
        "{}",
        refused.stderr
    );
}
