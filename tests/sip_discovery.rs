//! SIP domains end to end: `sips:DOMAIN` and `--sip-domain` find the servers through NAPTR and
//! SRV records served by the in-process DNS server (RFC 3263), scan every server found with the
//! domain as the TLS server name, and check each certificate against the domain (RFC 5922).

mod common;

use common::dns::{Zone, start};
use common::servers::{App, server_config};
use common::*;
use serde_json::Value;

const DOMAIN: &str = "voip.example.test";
const OPTIONS_ANSWER: &str = "SIP/2.0 200 OK\r\nServer: Asterisk PBX 20.5.0\r\nContent-Length: 0\r\n\r\n";

/// A SIPS server whose leaf names `sans` (`sip:` ones are URIs).
fn sip_server(pki: &Pki, servers: &Servers, sans: &[&str]) -> u16 {
    let leaf = pki.leaf(&LeafSpec::new(sans));
    let config = server_config(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
        vec![],
    );
    servers.tls_app(config, App::Reply(OPTIONS_ANSWER.into()))
}

/// Scans `target` (and `extra`) with the test DNS server answering every lookup; the report is
/// checked against the schema (`scan_json`).
fn scan(pki: &Pki, dns: std::net::SocketAddr, target: &[&str], extra: &[&str]) -> Value {
    let dns = dns.to_string();
    let mut args: Vec<String> = target.iter().map(|t| t.to_string()).collect();
    args.extend(["--dns-server".into(), dns]);
    args.extend(pki.trust_args());
    scan_json_with(&args, extra)
}

fn targets(doc: &Value) -> &Vec<Value> {
    doc["targets"].as_array().unwrap()
}

fn index_of(doc: &Value, host: &str) -> usize {
    targets(doc)
        .iter()
        .position(|t| t["host"] == host)
        .unwrap_or_else(|| panic!("no target for {host}: {doc:#}"))
}

fn accepts(target: &Value, family: &str) -> Value {
    target["sip"]["identity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["family"] == family)
        .unwrap()["accepts"]
        .clone()
}

#[test]
fn naptr_then_srv_lead_to_every_server_each_checked_against_the_domain() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let good = sip_server(&pki, &servers, &[DOMAIN, "sbc1.example.test"]);
    let target_only = sip_server(&pki, &servers, &["sbc2.example.test"]);
    let uri_only = sip_server(&pki, &servers, &["sip:voip.example.test", "sbc3.example.test"]);
    let zone = Zone::default()
        .naptr(DOMAIN, 10, "s", "SIPS+D2T", "_sips._tcp.voip.example.test")
        .naptr(DOMAIN, 20, "s", "SIP+D2T", "_sip._tcp.voip.example.test")
        .srv("_sips._tcp.voip.example.test", 10, 60, good, "sbc1.example.test")
        .srv("_sips._tcp.voip.example.test", 10, 40, target_only, "sbc2.example.test")
        .srv("_sips._tcp.voip.example.test", 20, 0, uri_only, "sbc3.example.test")
        .address("sbc1.example.test", "127.0.0.1")
        .address("sbc2.example.test", "127.0.0.1")
        .address("sbc3.example.test", "127.0.0.1");
    let dns = start(&servers, zone);
    for target in [
        vec![format!("sips:{DOMAIN}")],
        vec!["--sip-domain".to_string(), DOMAIN.to_string()],
    ] {
        let target: Vec<&str> = target.iter().map(String::as_str).collect();
        let doc = scan(&pki, dns, &target, &[]);
        assert_eq!(targets(&doc).len(), 3, "{doc:#}");

        let first = index_of(&doc, "sbc1.example.test");
        let endpoint = &targets(&doc)[first];
        assert_eq!(endpoint["port"], good);
        assert_eq!(
            endpoint["sni"], DOMAIN,
            "SIP clients name the domain, not the SRV target"
        );
        assert_eq!(endpoint["names_checked"][0], DOMAIN);
        assert_eq!(ids(&doc, first), Vec::<String>::new(), "{endpoint:#}");
        let path: Vec<&str> = endpoint["sip"]["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(
            path[0].starts_with("NAPTR voip.example.test: 10 50 \"s\" \"SIPS+D2T\""),
            "{path:?}"
        );
        assert!(
            path.contains(
                &format!("SRV _sips._tcp.voip.example.test: 10 60 {good} sbc1.example.test (this endpoint)").as_str()
            ),
            "{path:?}"
        );
        assert_eq!(endpoint["exchange"]["status"], 200);

        // The certificate names only the SRV target: every SIP family refuses it.
        let second = index_of(&doc, "sbc2.example.test");
        let mismatch = finding(&doc, second, "sip.identity_mismatch");
        assert_eq!(mismatch["severity"], "critical");
        assert!(
            mismatch["detail"]
                .as_str()
                .unwrap()
                .contains("names the SRV target sbc2.example.test"),
            "{mismatch:#}"
        );

        // The domain as a sip: URI only: RFC 5922 peers and pjsip accept, Avaya phones do not.
        let third = index_of(&doc, "sbc3.example.test");
        let endpoint = &targets(&doc)[third];
        assert_eq!(accepts(endpoint, "rfc5922"), true);
        assert_eq!(accepts(endpoint, "pjsip"), true);
        assert_eq!(accepts(endpoint, "avaya-96xx"), false);
        assert_eq!(finding(&doc, third, "sip.identity_mismatch")["severity"], "warning");
    }
}

#[test]
fn the_table_shows_the_lookup_path_and_who_refuses_the_certificate() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let uri_only = sip_server(&pki, &servers, &["sip:voip.example.test", "sbc1.example.test"]);
    let zone = Zone::default()
        .srv("_sips._tcp.voip.example.test", 10, 0, uri_only, "sbc1.example.test")
        .address("sbc1.example.test", "127.0.0.1");
    let dns = start(&servers, zone).to_string();
    let mut args = vec![
        format!("sips:{DOMAIN}"),
        "--dns-server".into(),
        dns,
        "--at".into(),
        AT.into(),
    ];
    args.extend(pki.trust_args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = certscan(&args);
    let text = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&format!(
            "found: SRV _sips._tcp.voip.example.test: 10 0 {uri_only} sbc1.example.test (this endpoint)"
        )),
        "{}",
        out.stdout
    );
    assert!(
        text.contains(
            "SIP identity voip.example.test: refused by Avaya 96xx phones; accepted by RFC 5922 peers, pjsip, sofia-sip"
        ),
        "{}",
        out.stdout
    );
    // The web's name rules do not judge a SIPS port: the SIP identity finding is the only one.
    assert!(
        text.contains("clients (the name aside, see SIP identity): all families work"),
        "{}",
        out.stdout
    );
    assert!(!text.contains("name.mismatch"), "{}", out.stdout);
    assert_eq!(out.code, 1, "a warning: some SIP clients accept the certificate");
}

#[test]
fn records_that_lead_nowhere_are_findings() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = sip_server(&pki, &servers, &[DOMAIN]);
    let zone = Zone::default()
        // NAPTR offering plain SIP only; the SRV records are found without it.
        .naptr(DOMAIN, 10, "s", "SIP+D2T", "_sip._tcp.voip.example.test")
        .srv("_sips._tcp.voip.example.test", 10, 0, port, "sbc1.example.test")
        .srv("_sips._tcp.voip.example.test", 20, 0, 5061, "gone.example.test")
        .address("sbc1.example.test", "127.0.0.1")
        // A domain whose SRV record says "not available".
        .srv("_sips._tcp.closed.example.test", 0, 0, 0, ".")
        // A domain whose SRV lookup fails.
        .servfail("_sips._tcp.broken.example.test");
    let dns = start(&servers, zone);

    let doc = scan(&pki, dns, &[&format!("sips:{DOMAIN}")], &[]);
    let reached = index_of(&doc, "sbc1.example.test");
    assert_eq!(ids(&doc, reached), ["sip.naptr_mismatch"], "{doc:#}");
    assert!(detail(&doc, reached, "sip.naptr_mismatch").contains("no SIPS+D2T"));
    let gone = index_of(&doc, "gone.example.test");
    assert!(ids(&doc, gone).contains(&"sip.srv_unusable".to_string()), "{doc:#}");
    assert!(detail(&doc, gone, "sip.srv_unusable").contains("has no address"));

    let doc = scan(&pki, dns, &["sips:closed.example.test"], &[]);
    assert_eq!(targets(&doc).len(), 1);
    assert_eq!(ids(&doc, 0), ["sip.no_server"], "{doc:#}");
    assert_eq!(targets(&doc)[0]["status"], "critical");

    let doc = scan(&pki, dns, &["sips:broken.example.test"], &[]);
    assert!(ids(&doc, 0).contains(&"sip.lookup_failed".to_string()), "{doc:#}");
    assert_ne!(targets(&doc)[0]["status"], "ok", "a failed lookup is never a pass");
}

#[test]
fn without_naptr_or_srv_the_domain_itself_is_scanned_on_5061_and_a_port_skips_the_lookup() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let port = sip_server(&pki, &servers, &[DOMAIN]);
    // The domain's own address is on loopback; only a port given skips the lookups.
    let zone = Zone::default().address(DOMAIN, "127.0.0.1").srv(
        &format!("_sips._tcp.{DOMAIN}"),
        10,
        0,
        port,
        "never-asked.example.test",
    );
    let dns = start(&servers, zone);
    let doc = scan(&pki, dns, &[&format!("sips:{DOMAIN}:{port}")], &[]);
    assert_eq!(targets(&doc).len(), 1);
    assert_eq!(targets(&doc)[0]["host"], DOMAIN);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert!(targets(&doc)[0]["sip"]["path"].as_array().unwrap().is_empty());

    let other = start(&servers, Zone::default().address("plain.example.test", "127.0.0.1"));
    let doc = scan(&pki, other, &["sips:plain.example.test"], &["--timeout", "2"]);
    let endpoint = &targets(&doc)[0];
    assert_eq!(endpoint["port"], 5061, "{doc:#}");
    let path = endpoint["sip"]["path"].as_array().unwrap();
    assert!(
        path.iter()
            .any(|s| s == "A/AAAA plain.example.test on port 5061 (this endpoint)"),
        "{path:?}"
    );
}

#[test]
fn a_sip_domain_option_must_be_a_domain() {
    for bad in ["voip.example.test:5061", "https://voip.example.test", "127.0.0.1"] {
        let out = certscan(&["--sip-domain", bad]);
        assert_eq!(out.code, 3, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains("--sip-domain"), "{}", out.stderr);
    }
}
