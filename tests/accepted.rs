//! What a server also accepts beside a current handshake, asked by default on connections of
//! its own: TLS 1.0 and 1.1 (`openssl s_server -min_protocol TLSv1`), static RSA key exchange
//! (s_server's default list with an RSA key), a 1024-bit DHE group (`-dhparam`), a broken suite
//! (a front that answers certscan's 3DES-only ClientHello itself, since Debian's OpenSSL builds
//! no 3DES), a server that takes no second connection (unchecked, never a pass), and a server
//! with an ECDSA and an RSA certificate (`-dcert`), whose RSA one is checked too.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use common::openssl::OpensslServer;
use common::*;

const NAME: &str = "localhost";

/// A leaf for localhost as s_server is configured with it: leaf, key, intermediate, CA file.
struct Files {
    leaf: String,
    key: String,
    intermediate: String,
    ca: String,
}

impl Files {
    /// An RSA leaf with the committed RSA-2048 key.
    fn rsa(pki: &Pki) -> Files {
        let leaf = pki.intermediate.issue_for_committed_key("legacy/rsa2048-pub.pem");
        Files {
            leaf: pki.write("rsa-leaf.pem", &leaf.pem),
            key: common::pki::fixture("legacy/rsa2048.key").display().to_string(),
            intermediate: pki.write("intermediate.pem", &pki.intermediate.cert.pem),
            ca: pki.root_file(),
        }
    }

    /// An ECDSA leaf.
    fn ecdsa(pki: &Pki) -> Files {
        let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
        Files {
            leaf: pki.write("ec-leaf.pem", &leaf.pem),
            key: pki.write("ec-leaf.key", leaf.key.as_ref().unwrap()),
            intermediate: pki.write("intermediate.pem", &pki.intermediate.cert.pem),
            ca: pki.root_file(),
        }
    }

    /// `openssl s_server` serving the leaf and the intermediate, with these options.
    fn serve(&self, options: &[&str]) -> OpensslServer {
        let mut all = vec!["-cert_chain", self.intermediate.as_str()];
        all.extend_from_slice(options);
        OpensslServer::start(&self.leaf, &self.key, &all)
    }
}

fn scan(port: u16, cafile: &str, extra: &[&str]) -> serde_json::Value {
    let (target, resolve) = (format!("{NAME}:{port}"), format!("{NAME}:{port}:127.0.0.1"));
    let mut args = vec![
        target.as_str(),
        "--resolve",
        &resolve,
        "--trust",
        "none",
        "--ca-file",
        cafile,
    ];
    args.extend_from_slice(extra);
    scan_json(&args)
}

#[test]
fn tls_1_0_and_1_1_beside_current_versions_are_named_and_quick_skips_the_question() {
    let pki = Pki::new();
    let files = Files::ecdsa(&pki);
    let ca = &files.ca;
    let old = files.serve(&["-min_protocol", "TLSv1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let doc = scan(old.port, ca, &[]);
    assert_eq!(doc["targets"][0]["tls"]["version"], "TLSv1.3", "{doc:#}");
    assert_eq!(ids(&doc, 0), ["tls.old_versions_accepted"], "{doc:#}");
    let said = detail(&doc, 0, "tls.old_versions_accepted");
    assert!(
        said.contains("TLS 1.1 and TLS 1.0") && said.contains("RFC 8996"),
        "{said}"
    );
    assert_eq!(doc["status"], "warning");
    // --quick does not ask.
    assert_eq!(ids(&scan(old.port, ca, &["--quick"]), 0), Vec::<String>::new());
    // A server with Debian's defaults (TLS 1.2 and later) is not named.
    let current = files.serve(&[]);
    let doc = scan(current.port, ca, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
}

#[test]
fn static_rsa_key_exchange_is_information_and_a_small_dhe_group_a_warning() {
    let pki = Pki::new();
    let files = Files::rsa(&pki);
    let ca = &files.ca;
    // Debian's default list has TLS_RSA_WITH_AES_*_GCM suites: with an RSA key they are taken.
    let rsa = files.serve(&[]);
    let doc = scan(rsa.port, ca, &[]);
    assert_eq!(ids(&doc, 0), ["tls.weak_suite_accepted"], "{doc:#}");
    let found = finding(&doc, 0, "tls.weak_suite_accepted");
    assert_eq!(found["severity"], "info");
    assert!(found["detail"].as_str().unwrap().contains("forward secrecy"), "{found}");
    assert_eq!(doc["status"], "ok");
    // An ECDSA key has no RSA key exchange: nothing to say.
    let ec_files = Files::ecdsa(&pki);
    let ec = ec_files.serve(&[]);
    assert_eq!(ids(&scan(ec.port, &ec_files.ca, &[]), 0), Vec::<String>::new());

    // DHE with a 1024-bit group (made now: `openssl dhparam` is fast at this size).
    let dhparam = pki.path("dh1024.pem");
    let made = std::process::Command::new("openssl")
        .args(["dhparam", "-out", &dhparam, "1024"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    // Level 0 lets the 1024-bit group in; it would also let TLS 1.0, NULL and anonymous
    // suites in, which certscan would name.
    let dhe = files.serve(&[
        "-dhparam",
        &dhparam,
        "-cipher",
        "ECDHE+AESGCM:DHE+AESGCM:@SECLEVEL=0",
        "-min_protocol",
        "TLSv1.2",
    ]);
    let doc = scan(dhe.port, ca, &[]);
    assert_eq!(ids(&doc, 0), ["tls.dhe_weak_group"], "{doc:#}");
    let found = finding(&doc, 0, "tls.dhe_weak_group");
    assert_eq!(found["severity"], "warning");
    assert!(found["detail"].as_str().unwrap().contains("1024-bit group"), "{found}");
    // OpenSSL 3 chooses a 2048-bit group by itself: no finding (s_server's default list has
    // DHE suites too, and the RSA key exchange one above).
    let dhe_auto = files.serve(&["-cipher", "ECDHE:DHE"]);
    assert_eq!(ids(&scan(dhe_auto.port, ca, &[]), 0), Vec::<String>::new());
}

/// The suites a ClientHello record offers.
fn offered_suites(hello: &[u8]) -> Vec<u16> {
    // record header 5, handshake header 4, version 2, random 32, session id.
    let Some(&session) = hello.get(43) else { return vec![] };
    let at = 44 + session as usize;
    let Some(length) = hello.get(at..at + 2).map(|l| u16::from_be_bytes([l[0], l[1]]) as usize) else {
        return vec![];
    };
    hello
        .get(at + 2..at + 2 + length)
        .map(|list| list.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect())
        .unwrap_or_default()
}

/// A front on loopback: a ClientHello offering one of `suites` gets a ServerHello choosing the
/// first it offers (and ServerHelloDone) from the front itself; every other connection is relayed
/// to `backend`. With `only_first`, the front stops accepting after the first connection.
fn front(backend: u16, suites: &'static [u16], only_first: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            std::thread::spawn(move || {
                client.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok();
                let mut hello = vec![0u8; 16 * 1024];
                let Ok(n) = client.read(&mut hello) else { return };
                hello.truncate(n);
                let offered = offered_suites(&hello);
                if let Some(&suite) = suites.iter().find(|s| offered.contains(s)) {
                    let mut body = vec![3, 3];
                    body.extend([0x42; 32]);
                    body.push(0);
                    body.extend(suite.to_be_bytes());
                    body.push(0);
                    let mut messages = vec![2, 0, 0, body.len() as u8];
                    messages.extend(body);
                    messages.extend([14, 0, 0, 0]);
                    let mut record = vec![22, 3, 3];
                    record.extend((messages.len() as u16).to_be_bytes());
                    record.extend(messages);
                    let _ = client.write_all(&record);
                    return;
                }
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", backend)) else {
                    return;
                };
                let _ = server.write_all(&hello);
                let (mut client_reader, mut server_writer) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut client_reader, &mut server_writer));
                let _ = std::io::copy(&mut server, &mut client);
            });
            if only_first {
                return;
            }
        }
    });
    port
}

#[test]
fn a_broken_suite_accepted_beside_current_ones_is_critical() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let backend = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let port = front(backend, &[0x000a], false);
    let doc = scan(port, &pki.root_file(), &[]);
    assert_eq!(ids(&doc, 0), ["tls.weak_suite_accepted"], "{doc:#}");
    let found = finding(&doc, 0, "tls.weak_suite_accepted");
    assert_eq!(found["severity"], "critical");
    let said = found["detail"].as_str().unwrap();
    assert!(
        said.contains("TLS_RSA_WITH_3DES_EDE_CBC_SHA") && said.contains("SWEET32"),
        "{said}"
    );
    // A server that takes RC4 and NULL too: each kind is named.
    let port = front(backend, &[0x0005, 0x000a, 0x0002], false);
    let doc = scan(port, &pki.root_file(), &[]);
    let named: Vec<&str> = details(&doc, 0, "tls.weak_suite_accepted");
    assert_eq!(named.len(), 3, "{doc:#}");
    for suite in [
        "TLS_RSA_WITH_RC4_128_SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_NULL_SHA",
    ] {
        assert!(named.iter().any(|d| d.contains(suite)), "{suite}: {named:?}");
    }
    // Without the front, rustls' server refuses every old question itself.
    assert_eq!(ids(&scan(backend, &pki.root_file(), &[]), 0), Vec::<String>::new());
}

#[test]
fn questions_a_server_does_not_let_certscan_ask_are_unchecked_never_passed() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let backend = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    // The front relays the first connection, then takes no other.
    let port = front(backend, &[0x000a], true);
    let doc = scan(port, &pki.root_file(), &[]);
    assert_eq!(ids(&doc, 0), ["tls.accepted_unchecked"], "{doc:#}");
    let said = detail(&doc, 0, "tls.accepted_unchecked");
    assert!(
        said.contains("TLS 1.0 and 1.1")
            && said.contains("RC4, 3DES")
            && said.contains("could not reconnect")
            && said.contains("RSA-only clients"),
        "{said}"
    );
    assert_eq!(finding(&doc, 0, "tls.accepted_unchecked")["severity"], "info");
}

#[test]
fn the_rsa_certificate_of_a_dual_certificate_server_is_checked_too() {
    let pki = Pki::new();
    let ecdsa = Files::ecdsa(&pki);
    // An RSA certificate that expired ten days before the evaluation time.
    let expired = pki
        .intermediate
        .issue_spec_for_committed_key(&LeafSpec::new(&[NAME]).validity(-400, -10), "legacy/rsa2048-pub.pem");
    let rsa_leaf = pki.write("expired-rsa.pem", &expired.pem);
    let rsa_key = common::pki::fixture("legacy/rsa2048.key").display().to_string();
    let dual = ecdsa.serve(&[
        "-dcert",
        &rsa_leaf,
        "-dkey",
        &rsa_key,
        "-dcert_chain",
        &ecdsa.intermediate,
    ]);
    let doc = scan(dual.port, &ecdsa.ca, &[]);
    // The report shows the ECDSA chain, which rustls is given; the RSA one is said apart.
    let shown = doc["targets"][0]["chain"][0]["key"]["type"]
        .as_str()
        .unwrap_or_default();
    assert!(shown.starts_with("EC"), "{doc:#}");
    let found = finding(&doc, 0, "cert.expired");
    let said = found["detail"].as_str().unwrap();
    assert!(
        said.starts_with("the RSA certificate CN=localhost") && said.contains("offer only RSA signatures"),
        "{said}"
    );
    assert_eq!(found["severity"], "critical");
    // With only the ECDSA certificate, or the same RSA one everywhere, nothing more is said.
    let single = ecdsa.serve(&[]);
    assert!(!ids(&scan(single.port, &ecdsa.ca, &[]), 0).contains(&"cert.expired".to_string()));
}
