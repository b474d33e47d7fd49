//! Name resolution end to end: hosts-file fixtures (`--hosts-file`), an in-process DNS server
//! (`--dns-server`), and local TLS servers.

mod common;

use common::dns::{Zone, start};
use common::*;
use serde_json::{Value, json};

fn hosts(name: &str) -> String {
    common::pki::fixture(&format!("hosts/{name}")).display().to_string()
}

/// Scans a local TLS server for `wazo.example.test` (pinned to 127.0.0.1) with a hosts file.
fn scan_local(hosts_file: &str, extra: &[&str]) -> Value {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
    let port = servers.tls(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
    );
    let mut args = pinned_scan_args(&pki, &format!("wazo.example.test:{port}"), "wazo.example.test", port);
    args.extend(["--hosts-file".to_string(), hosts_file.to_string()]);
    scan_json_with(&args, extra)
}

#[test]
fn debian_127_0_1_1_line_is_reported_on_a_local_scan() {
    // Outside Wazo a name mapped to another address of the machine is normal: no finding.
    let doc = scan_local(&hosts("debian-127.0.1.1"), &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    let doc = scan_local(&hosts("debian-127.0.1.1"), &["--profile", "wazo"]);
    assert_eq!(ids(&doc, 0), ["hosts.loopback_mismatch"]);
    let detail = detail(&doc, 0, "hosts.loopback_mismatch");
    assert!(
        detail.contains("wazo.example.test") && detail.contains("127.0.1.1"),
        "{detail}"
    );
    assert!(
        finding(&doc, 0, "hosts.loopback_mismatch")["remediation"]
            .as_str()
            .unwrap()
            .contains("getent ahosts wazo.example.test")
    );
    assert_eq!(doc["status"], "warning");
    let resolution = &doc["targets"][0]["resolution"][0];
    assert_eq!(resolution["name"], "wazo.example.test");
    assert_eq!(resolution["hosts_file"], json!(["127.0.1.1"]));
    assert_eq!(
        (&resolution["system"], &resolution["dns"]),
        (&Value::Null, &Value::Null)
    );
}

#[test]
fn correct_loopback_entry_is_fine() {
    let doc = scan_local(&hosts("loopback-ok"), &["--local"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(doc["targets"][0]["resolution"][0]["hosts_file"], json!(["127.0.0.1"]));
}

#[test]
fn a_missing_entry_matters_only_when_the_services_are_declared_local() {
    let doc = scan_local(&hosts("no-entry"), &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    let doc = scan_local(&hosts("no-entry"), &["--local"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "not a Wazo scan");
    let doc = scan_local(&hosts("no-entry"), &["--local", "--profile", "wazo"]);
    assert_eq!(ids(&doc, 0), ["hosts.loopback_mismatch"]);
    assert!(detail(&doc, 0, "hosts.loopback_mismatch").contains("does not list it"));
}

#[test]
fn stale_pin_that_dns_does_not_confirm() {
    let servers = Servers::new();
    let dns = start(&servers, Zone::default().address("api.example.test", "198.51.100.7"));
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["api.example.test"]));
    let file = pki.chain_file("api.pem", &[&leaf, &pki.intermediate.cert]);
    let root = pki.root_file();
    let server = dns.to_string();
    let base = [
        "--file",
        file.as_str(),
        "--trust",
        "none",
        "--ca-file",
        root.as_str(),
        "--dns-server",
        server.as_str(),
    ];
    let doc = scan_json(&[base.as_slice(), &["--hosts-file", &hosts("stale-pin")]].concat());
    assert_eq!(ids(&doc, 0), ["hosts.overrides_dns"]);
    assert_eq!(finding(&doc, 0, "hosts.overrides_dns")["severity"], "warning");
    let resolution = &doc["targets"][0]["resolution"][0];
    assert_eq!(resolution["hosts_file"], json!(["192.0.2.99"]));
    assert_eq!(resolution["dns"], json!(["198.51.100.7"]));
    // On the machine that serves it, the same pin is only worth knowing.
    let doc = scan_json(&[base.as_slice(), &["--hosts-file", &hosts("stale-pin"), "--local"]].concat());
    assert_eq!(finding(&doc, 0, "hosts.overrides_dns")["severity"], "info");
    // Without the pin, nothing to say.
    let doc = scan_json(&[base.as_slice(), &["--hosts-file", &hosts("no-entry")]].concat());
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}

#[test]
fn certificate_name_that_resolves_nowhere() {
    let servers = Servers::new();
    let dns = start(&servers, Zone::default().address("www.example.test", "198.51.100.8"));
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&[
        "www.example.test",
        "old.example.test",
        "*.example.test",
    ]));
    let file = pki.chain_file("multi.pem", &[&leaf, &pki.intermediate.cert]);
    let root = pki.root_file();
    let server = dns.to_string();
    let doc = scan_json_with(
        &[vec!["--file".into(), file.clone()], pki.trust_args()].concat(),
        &["--dns-server", &server],
    );
    assert_eq!(ids(&doc, 0), ["name.cert_name_unresolvable"]);
    assert!(detail(&doc, 0, "name.cert_name_unresolvable").contains("old.example.test"));
    let names: Vec<&str> = doc["targets"][0]["resolution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["www.example.test", "old.example.test"],
        "the CN first, wildcards skipped"
    );
    // With --no-dns only the hosts file is read, and nothing can be concluded.
    let doc = scan_json(&["--file", &file, "--trust", "none", "--ca-file", &root, "--no-dns"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(doc["targets"][0]["resolution"][1]["dns"], Value::Null);
}

#[test]
fn a_target_that_resolves_nowhere_is_critical_and_the_hosts_file_is_followed() {
    let doc = scan_json(&["ghost.example.test:443", "--hosts-file", &hosts("no-entry")]);
    assert_eq!(ids(&doc, 0), ["name.unresolvable"]);
    assert_eq!(doc["status"], "critical");
    assert_eq!(doc["targets"][0]["address"], Value::Null);
    // The hosts file given is where target names are looked up first, as the system would.
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
    let port = servers.tls(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
    );
    let target = format!("wazo.example.test:{port}");
    let root = pki.root_file();
    let doc = scan_json(&[
        &target,
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--hosts-file",
        &hosts("loopback-ok"),
    ]);
    assert_eq!(doc["targets"][0]["address"], "127.0.0.1");
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}

#[test]
fn a_refused_wazo_daemon_points_at_the_hosts_line_that_sends_its_name_elsewhere() {
    let servers = Servers::new();
    let port = servers.closed_port();
    let target = format!("wazo.example.test:{port}");
    let hosts_file = hosts("debian-127.0.1.1");
    let doc = scan_json(&[&target, "--hosts-file", &hosts_file, "--profile", "wazo"]);
    assert_eq!(doc["targets"][0]["address"], "127.0.1.1");
    let text = detail(&doc, 0, "connection.refused");
    assert!(
        text.contains("line 2 of the hosts file maps wazo.example.test to 127.0.1.1"),
        "{text}"
    );
    let fix = finding(&doc, 0, "connection.refused")["remediation"].as_str().unwrap();
    assert!(fix.contains("Change line 2 of /etc/hosts"), "{fix}");
    // Without the Wazo profile the refusal is only a refusal.
    let doc = scan_json(&[&target, "--hosts-file", &hosts_file]);
    assert!(!detail(&doc, 0, "connection.refused").contains("hosts file"));
}

#[test]
fn an_internationalised_name_is_scanned_and_matched_in_its_ascii_form() {
    let (pki, servers) = (Pki::new(), Servers::new());
    // Certificates carry the ASCII (IDNA) form of a name.
    let leaf = pki.leaf(&LeafSpec::new(&["xn--bcher-kva.example"]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let args = pinned_scan_args(&pki, &format!("bücher.example:{port}"), "bücher.example", port);
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    let target = &doc["targets"][0];
    assert_eq!(target["host"], "xn--bcher-kva.example");
    assert_eq!(target["input"], format!("bücher.example:{port}"));
    // --name takes the Unicode form too.
    let doc = scan_json_with(&args, &["--name", "bücher.example"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
}
