//! `--proxy`: every connection to an endpoint through an HTTP proxy's CONNECT, as DMZ pollers
//! reach their servers; a proxy that refuses or cannot be reached is UNKNOWN, naming the proxy,
//! never a verdict on the server. The proxy is the test's own, on loopback.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use common::*;

const NAME: &str = "pbx.example.test";

/// A CONNECT proxy on loopback: it records each request line, and answers with `refusal` when
/// given one, else tunnels to the address asked for.
fn connect_proxy(refusal: Option<&'static str>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                client.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).to_string();
                let line = text.lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(line.clone());
                if let Some(refusal) = refusal {
                    let _ = client.write_all(refusal.as_bytes());
                    return;
                }
                let target = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                let Ok(server) = TcpStream::connect(&target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (mut up_from, mut up_to) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut up_from, &mut up_to));
                let (mut down_from, mut down_to) = (server, client);
                let _ = std::io::copy(&mut down_from, &mut down_to);
            });
        }
    });
    (port, seen)
}

#[test]
fn endpoints_are_reached_through_the_proxy() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let (proxy, seen) = connect_proxy(None);
    let args = pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port);
    let doc = scan_json_with(&args, &["--proxy", &format!("http://127.0.0.1:{proxy}")]);
    assert_eq!(doc["status"], "ok", "{doc:#}");
    assert_eq!(doc["targets"][0]["chain"].as_array().unwrap().len(), 2);
    // The handshake and the questions of what it also accepts: all through the proxy.
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|line| *line == format!("CONNECT 127.0.0.1:{port} HTTP/1.1")),
        "{seen:?}"
    );
}

#[test]
fn a_proxy_that_refuses_or_cannot_be_reached_is_unknown_and_named() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let args = pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port);
    let (refusing, _) = connect_proxy(Some("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
    let doc = scan_json_with(&args, &["--proxy", &format!("127.0.0.1:{refusing}")]);
    assert_eq!(doc["status"], "unknown", "{doc:#}");
    let said = detail(&doc, 0, "connection.local_failure");
    assert!(
        said.contains("refused CONNECT") && said.contains("403 Forbidden"),
        "{said}"
    );
    // Nothing listens at the proxy's address: its refusal is not the server's.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let doc = scan_json_with(&args, &["--proxy", &format!("http://127.0.0.1:{closed}")]);
    assert_eq!(ids(&doc, 0), ["connection.local_failure"], "{doc:#}");
    assert!(detail(&doc, 0, "connection.local_failure").contains("cannot reach the proxy"));
    // A proxy given wrongly is a usage error.
    let out = certscan(&["--proxy", "https://proxy.example:3128", "example.test"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("only http://"), "{}", out.stderr);
}
