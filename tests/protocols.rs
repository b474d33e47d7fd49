//! Each port's protocol end to end: HTTPS (HTTP/1.1 and HTTP/2), WebSocket upgrades and SIP
//! OPTIONS against in-process TLS servers on 127.0.0.1, and legacy-TLS detection.

mod common;

use common::servers::{App, server_config};
use common::*;
use serde_json::Value;

const NAME: &str = "pbx.example.test";

/// A TLS server for NAME running `app`, offering these ALPN protocols.
fn serve(pki: &Pki, servers: &Servers, app: App, alpn: &[&[u8]]) -> u16 {
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let config = server_config(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
        alpn.iter().map(|p| p.to_vec()).collect(),
    );
    servers.tls_app(config, app)
}

/// Scans `scheme://NAME:port/path` (or `NAME:port` with an empty scheme).
fn scan(pki: &Pki, scheme: &str, port: u16, path: &str, extra: &[&str]) -> Value {
    let target = if scheme.is_empty() {
        format!("{NAME}:{port}")
    } else {
        format!("{scheme}{NAME}:{port}{path}")
    };
    scan_json_with(&pinned_scan_args(pki, &target, NAME, port), extra)
}

fn reply(head: &str) -> App {
    App::Reply(format!("{head}\r\nContent-Length: 0\r\n\r\n"))
}

const HSTS: &str = "Strict-Transport-Security: max-age=31536000";

#[test]
fn https_answers_and_hsts() {
    let (pki, servers) = (Pki::new(), Servers::new());
    for (head, expected, status) in [
        (format!("HTTP/1.1 200 OK\r\n{HSTS}\r\nServer: nginx"), vec![], 200),
        (
            format!("HTTP/1.1 301 Moved Permanently\r\nLocation: https://{NAME}/\r\n{HSTS}"),
            vec![],
            301,
        ),
        (format!("HTTP/1.1 404 Not Found\r\n{HSTS}"), vec![], 404),
        ("HTTP/1.1 200 OK".to_string(), vec!["http.hsts_missing"], 200),
        (
            "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=86400".to_string(),
            vec!["http.hsts_short"],
            200,
        ),
    ] {
        let port = serve(&pki, &servers, reply(&head), &[b"http/1.1"]);
        let doc = scan(&pki, "https://", port, "/status", &[]);
        assert_eq!(ids(&doc, 0), expected, "{head}");
        let target = &doc["targets"][0];
        assert_eq!(target["protocol"], "https");
        assert_eq!(target["exchange"]["kind"], "http");
        assert_eq!(target["exchange"]["request"], "GET /status");
        assert_eq!(target["exchange"]["status"], status);
        assert_eq!(target["tls"]["alpn"], "http/1.1");
        assert_eq!(doc["exit_code"], 0, "HSTS findings are informational");
    }
    let port = serve(
        &pki,
        &servers,
        reply(&format!("HTTP/1.1 200 OK\r\n{HSTS}\r\nServer: nginx/1.24")),
        &[b"http/1.1"],
    );
    let doc = scan(&pki, "https://", port, "/", &[]);
    assert_eq!(doc["targets"][0]["exchange"]["headers"]["server"], "nginx/1.24");
}

#[test]
fn https_over_http2_chosen_through_alpn() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let app = App::Http2 {
        status: 200,
        headers: vec![("strict-transport-security".into(), "max-age=63072000".into())],
    };
    let port = serve(&pki, &servers, app, &[b"h2", b"http/1.1"]);
    let doc = scan(&pki, "https://", port, "/", &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    let target = &doc["targets"][0];
    assert_eq!(target["tls"]["alpn"], "h2");
    assert_eq!(target["exchange"]["version"], "HTTP/2");
    assert_eq!(target["exchange"]["status"], 200);
}

#[test]
fn https_port_that_never_answers_http() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = serve(&pki, &servers, App::Silent, &[b"http/1.1"]);
    let doc = scan(&pki, "https://", port, "/", &["--timeout", "1.5"]);
    assert_eq!(ids(&doc, 0), ["http.no_answer"]);
    assert_eq!(
        doc["targets"][0]["chain"].as_array().unwrap().len(),
        2,
        "the chain is still reported"
    );
    assert_eq!(doc["exit_code"], 2);
}

#[test]
fn an_unknown_port_whose_server_picks_http_through_alpn_is_spoken_to_as_https() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = serve(
        &pki,
        &servers,
        reply(&format!("HTTP/1.1 204 No Content\r\n{HSTS}")),
        &[b"http/1.1"],
    );
    let doc = scan(&pki, "", port, "", &[]);
    assert_eq!(doc["targets"][0]["protocol"], "https");
    assert_eq!(doc["targets"][0]["exchange"]["status"], 204);
    let plain = serve(&pki, &servers, App::Silent, &[]);
    let doc = scan(&pki, "", plain, "", &[]);
    assert_eq!(doc["targets"][0]["protocol"], "tls");
    assert_eq!(doc["targets"][0]["exchange"], Value::Null);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}

#[test]
fn websocket_upgrades() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = serve(&pki, &servers, App::WebSocket { correct_accept: true }, &[b"http/1.1"]);
    let doc = scan(&pki, "wss://", port, "/kurento", &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    let target = &doc["targets"][0];
    assert_eq!(
        (
            &target["protocol"],
            &target["exchange"]["kind"],
            &target["exchange"]["status"]
        ),
        (&"wss".into(), &"websocket".into(), &101.into())
    );
    assert_eq!(target["exchange"]["request"], "GET /kurento (Upgrade: websocket)");

    let port = serve(&pki, &servers, App::WebSocket { correct_accept: false }, &[b"http/1.1"]);
    assert_eq!(ids(&scan(&pki, "wss://", port, "/kurento", &[]), 0), ["wss.bad_accept"]);

    for (status, hint) in [(400, "Upgrade and Connection"), (404, "/kurento")] {
        let port = serve(
            &pki,
            &servers,
            reply(&format!("HTTP/1.1 {status} Nope")),
            &[b"http/1.1"],
        );
        let doc = scan(&pki, "wss://", port, "/kurento", &[]);
        assert_eq!(ids(&doc, 0), ["wss.upgrade_refused"]);
        let detail = detail(&doc, 0, "wss.upgrade_refused").to_string();
        assert!(
            detail.contains(&status.to_string()) && detail.contains(hint),
            "{detail}"
        );
        assert_eq!(doc["exit_code"], 2);
    }
    let port = serve(&pki, &servers, reply("HTTP/1.1 200 OK"), &[b"http/1.1"]);
    assert_eq!(ids(&scan(&pki, "wss://", port, "/", &[]), 0), ["wss.not_websocket"]);
    let port = serve(&pki, &servers, App::Silent, &[b"http/1.1"]);
    let doc = scan(&pki, "wss://", port, "/kurento", &["--timeout", "1.5"]);
    assert_eq!(ids(&doc, 0), ["wss.no_answer"]);
    assert_eq!(doc["targets"][0]["exchange"]["error"], "no answer within 1.5 s");
}

#[test]
fn sips_options() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = serve(
        &pki,
        &servers,
        reply("SIP/2.0 200 OK\r\nServer: Asterisk PBX 20.5.0\r\nAllow: INVITE, ACK, OPTIONS"),
        &[],
    );
    let doc = scan(&pki, "sips:", port, "", &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    let target = &doc["targets"][0];
    assert_eq!(target["protocol"], "sips");
    assert_eq!(target["exchange"]["status"], 200);
    assert_eq!(target["exchange"]["headers"]["server"], "Asterisk PBX 20.5.0");

    let port = serve(&pki, &servers, App::Reply("SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\nSIP/2.0 401 Unauthorized\r\nUser-Agent: Kamailio\r\nContent-Length: 0\r\n\r\n".into()), &[]);
    let doc = scan(&pki, "sips:", port, "", &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "any final SIP answer proves SIP");
    assert_eq!(doc["targets"][0]["exchange"]["status"], 401);
    assert_eq!(doc["targets"][0]["exchange"]["headers"]["user-agent"], "Kamailio");

    let port = serve(&pki, &servers, App::Reply("HELLO garbage\r\n\r\n".into()), &[]);
    assert_eq!(ids(&scan(&pki, "sips:", port, "", &[]), 0), ["sip.not_sip"]);

    let port = serve(&pki, &servers, App::Silent, &[]);
    let doc = scan(&pki, "sips:", port, "", &["--timeout", "1.5"]);
    assert_eq!(ids(&doc, 0), ["sip.no_answer"]);
}

#[test]
fn port_5061_is_sips_without_a_scheme() {
    let parsed = certscan_model::target::parse_target("pbx.example.test:443,5061,8433").unwrap();
    let protocols: Vec<&str> = parsed.iter().map(|t| t.protocol.as_str()).collect();
    assert_eq!(protocols, ["https", "sips", "wss"]);
}

#[test]
fn tls_1_2_only_server_lacks_tls_1_3() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
            leaf.key_der(),
        )
        .unwrap();
    let port = servers.tls_app(config, App::Silent);
    let doc = scan(&pki, "", port, "", &[]);
    assert_eq!(ids(&doc, 0), ["tls.no_tls13"]);
    assert_eq!(doc["targets"][0]["tls"]["version"], "TLSv1.2");
    assert_eq!(doc["exit_code"], 0);
}

#[test]
fn a_tls_1_0_only_server_is_confirmed_with_a_legacy_client_hello() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = servers.raw(Raw::Tls10ServerHello);
    let doc = scan(&pki, "", port, "", &[]);
    assert_eq!(ids(&doc, 0), ["tls.legacy_only"]);
    assert!(detail(&doc, 0, "tls.legacy_only").contains("TLS 1.0 ServerHello"));
}

#[test]
fn a_profile_expands_a_bare_host_into_every_port_with_its_protocol() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let https = serve(
        &pki,
        &servers,
        reply(&format!("HTTP/1.1 200 OK\r\n{HSTS}")),
        &[b"http/1.1"],
    );
    let sips = serve(&pki, &servers, reply("SIP/2.0 200 OK"), &[]);
    let wss = serve(&pki, &servers, App::WebSocket { correct_accept: true }, &[b"http/1.1"]);
    let closed = servers.closed_port();
    let profile = format!(
        "name = \"test\"\ndescription = \"ports remapped to local test servers\"\n\
         [[port]]\nport = {https}\nprotocol = \"https\"\npath = \"/status\"\nservice = \"web\"\n\
         [[port]]\nport = {sips}\nprotocol = \"sips\"\nservice = \"sip\"\n\
         [[port]]\nport = {wss}\nprotocol = \"wss\"\npath = \"/ws\"\nservice = \"events\"\nif_refused = \"warning\"\n\
         [[port]]\nport = {closed}\nprotocol = \"https\"\nservice = \"optional-api\"\nif_refused = \"warning\"\n"
    );
    let profile_file = pki.write("profile.toml", &profile);
    let hosts_file = pki.write("hosts", &format!("127.0.0.1 {NAME}\n"));
    let root = pki.root_file();
    let doc = scan_json(&[
        NAME,
        "--profile",
        &profile_file,
        "--hosts-file",
        &hosts_file,
        "--trust",
        "none",
        "--ca-file",
        &root,
    ]);
    let seen: Vec<(u64, &str, &str)> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["port"].as_u64().unwrap(),
                t["protocol"].as_str().unwrap(),
                t["service"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (https as u64, "https", "web"),
            (sips as u64, "sips", "sip"),
            (wss as u64, "wss", "events"),
            (closed as u64, "https", "optional-api")
        ]
    );
    assert_eq!(doc["targets"][0]["exchange"]["request"], "GET /status");
    for index in 0..3 {
        assert_eq!(ids(&doc, index), Vec::<String>::new(), "{:#}", doc["targets"][index]);
    }
    assert_eq!(ids(&doc, 3), ["connection.refused"]);
    let refused = finding(&doc, 3, "connection.refused");
    assert_eq!(
        refused["severity"], "warning",
        "an optional service that is off is not critical"
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("optional-api is not listening")
    );
    assert_eq!(doc["status"], "warning");
}

#[test]
fn built_in_profiles_are_listed() {
    let out = common::certscan(&["--list-profiles"]);
    assert_eq!(out.code, 0);
    for expected in ["wazo:", "kazoo:", "kurento:", "9497", "/kurento", "crossbar"] {
        assert!(out.stdout.contains(expected), "{expected}: {}", out.stdout);
    }
    let out = common::certscan(&["host.example.test", "--profile", "nope"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("neither a built-in profile"));
}

#[test]
fn protocol_flag_overrides_the_port_choice_but_not_a_scheme() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = serve(&pki, &servers, reply("SIP/2.0 200 OK"), &[]);
    let doc = scan(&pki, "", port, "", &["--protocol", "sips"]);
    assert_eq!(doc["targets"][0]["protocol"], "sips");
    assert_eq!(doc["targets"][0]["exchange"]["status"], 200);
    let doc = scan(&pki, "https://", port, "/", &["--protocol", "sips"]);
    assert_eq!(doc["targets"][0]["protocol"], "https");
    assert_eq!(ids(&doc, 0), ["http.no_answer"], "a SIP answer to GET is not HTTP");
}

#[test]
fn a_plain_tls_port_with_strict_alpn_is_retried_without_it() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = serve(&pki, &servers, App::Silent, &[b"xmpp-client"]);
    let doc = scan(&pki, "", port, "", &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(doc["targets"][0]["protocol"], "tls");
    assert_eq!(doc["targets"][0]["tls"]["alpn"], Value::Null);
}

#[test]
fn answers_not_read_whole_are_findings_never_success() {
    let (pki, servers) = (Pki::new(), Servers::new());
    // A status line that looks fine, then a head that never ends within the read bound.
    let endless = format!(
        "HTTP/1.1 200 OK\r\n{HSTS}\r\n{}",
        "X-Padding: aaaaaaaaaaaaaaaa\r\n".repeat(2_000)
    );
    let port = serve(&pki, &servers, App::Reply(endless), &[]);
    let doc = scan(&pki, "https://", port, "/", &[]);
    assert_eq!(ids(&doc, 0), ["http.no_answer"], "{doc:#}");
    assert!(detail(&doc, 0, "http.no_answer").contains("not read whole"));
    assert_eq!(doc["status"], "critical");

    // A SIP status line without CRLF, then the connection closes.
    let port = serve(&pki, &servers, App::Reply("SIP/2.0 200 OK".into()), &[]);
    let doc = scan(&pki, "sips:", port, "", &[]);
    assert_eq!(ids(&doc, 0), ["sip.no_answer"], "{doc:#}");
    assert!(detail(&doc, 0, "sip.no_answer").contains("not a well-formed message"));

    // An HTTP head cut off before its blank line.
    let port = serve(
        &pki,
        &servers,
        App::Reply(format!("HTTP/1.1 200 OK\r\n{HSTS}\r\n")),
        &[],
    );
    let doc = scan(&pki, "https://", port, "/", &[]);
    assert_eq!(ids(&doc, 0), ["http.no_answer"], "{doc:#}");
}

#[test]
fn sip_versions_and_header_names_are_case_insensitive() {
    let (pki, servers) = (Pki::new(), Servers::new());
    // A provisional answer with a compact Content-Length and a body, then a lower-case final one.
    let answer =
        "sip/2.0 100 trying\r\nl: 4\r\n\r\nbodysip/2.0 200 ok\r\nSERVER: FreeSWITCH\r\nContent-Length: 0\r\n\r\n";
    let port = serve(&pki, &servers, App::Reply(answer.into()), &[]);
    let doc = scan(&pki, "sips:", port, "", &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["exchange"]["status"], 200);
    assert_eq!(doc["targets"][0]["exchange"]["headers"]["server"], "FreeSWITCH");
}

#[test]
fn fixes_speak_of_the_platform_in_play() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = common::pki::self_signed(&LeafSpec::new(&[NAME]));
    let port = servers.tls_app(
        server_config(vec![leaf.der.clone()], leaf.key_der(), vec![b"http/1.1".to_vec()]),
        App::WebSocket { correct_accept: true },
    );
    let kurento = scan(&pki, "wss://", port, "/kurento", &["--profile", "kurento"]);
    let fix = finding(&kurento, 0, "cert.self_signed")["remediation"]
        .as_str()
        .unwrap();
    assert!(fix.contains("kurento.conf.json") && fix.contains("8433"), "{fix}");
    let plain = scan(&pki, "wss://", port, "/kurento", &[]);
    let fix = finding(&plain, 0, "cert.self_signed")["remediation"].as_str().unwrap();
    assert!(!fix.contains("Kurento"), "{fix}");
}
