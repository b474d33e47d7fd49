//! CAA end to end: certscan pointed (--dns-server) at an in-process DNS server on 127.0.0.1
//! serving a test zone; each case asserts where the relevant RRset was found and the verdict.

mod common;

use common::dns::{Zone, caa, start};
use common::*;
use serde_json::{Value, json};

/// The zone every case reads, apex `zone.test-caa.com`.
fn zone() -> Zone {
    let mut big: Vec<_> = (0..1000).map(|i| caa(0, &format!("t{i}"), "test")).collect();
    big.push(caa(0, "issue", "letsencrypt.org"));
    Zone::default()
        .caa(
            "zone.test-caa.com",
            vec![
                caa(0, "issue", "letsencrypt.org"),
                caa(0, "iodef", "mailto:sec@zone.test-caa.com"),
            ],
        )
        .caa("deny.zone.test-caa.com", vec![caa(0, "issue", "digicert.com")])
        .caa("nobody.zone.test-caa.com", vec![caa(0, "issue", ";")])
        .caa(
            "wild.zone.test-caa.com",
            vec![caa(0, "issue", "letsencrypt.org"), caa(0, "issuewild", "digicert.com")],
        )
        .caa(
            "critical.zone.test-caa.com",
            vec![caa(128, "futureproperty", "x"), caa(0, "issue", "letsencrypt.org")],
        )
        .caa(
            "longtag.zone.test-caa.com",
            vec![caa(130, "averyveryverylongpropertytag", "x")],
        )
        .caa("mixed.zone.test-caa.com", vec![caa(0, "IsSuE", "digicert.com")])
        .caa(
            "malformed.zone.test-caa.com",
            vec![caa(0, "issue", "<script>alert(1)</script>")],
        )
        .caa("big.zone.test-caa.com", big)
        .cname("alias.zone.test-caa.com", "deny.zone.test-caa.com")
        .cname("alias-sub.zone.test-caa.com", "sub.deny.zone.test-caa.com")
        .dname("dname.deny.zone.test-caa.com", "zone.test-caa.com")
        .caa("other.test-caa.com", vec![caa(0, "issue", ";")])
        .address("deny.zone.test-caa.com", "192.0.2.20")
        .address("www.zone.test-caa.com", "192.0.2.21")
        .servfail("broken.zone.test-caa.com")
        .silent("silent.zone.test-caa.com")
}

/// Scans a self-signed leaf whose only SAN is `san`, asking whether `issuer` may issue.
fn check(dns: std::net::SocketAddr, san: &str, issuer: &str, extra: &[&str]) -> Value {
    let pki = Pki::new();
    let leaf = common::pki::self_signed(&LeafSpec::new(&[san]));
    let file = pki.write("leaf.pem", &leaf.pem);
    let server = dns.to_string();
    let mut args = vec!["--file", &file, "--dns-server", &server, "--caa-issuer", issuer];
    args.extend(extra);
    let doc = scan_json(&args);
    assert_eq!(
        doc["targets"][0]["caa"].as_array().unwrap().len(),
        1,
        "{:#}",
        doc["targets"][0]["caa"]
    );
    doc
}

fn caa_entry(doc: &Value) -> &Value {
    &doc["targets"][0]["caa"][0]
}

fn caa_ids(doc: &Value) -> Vec<String> {
    ids(doc, 0).into_iter().filter(|id| id.starts_with("caa.")).collect()
}

/// One CAA case: the certificate name, the CA asked about, and what must come out.
struct Case {
    san: &'static str,
    issuer: &'static str,
    found_at: Option<&'static str>,
    permitted: Option<bool>,
    findings: &'static [&'static str],
}

const fn case(
    san: &'static str,
    issuer: &'static str,
    found_at: Option<&'static str>,
    permitted: Option<bool>,
    findings: &'static [&'static str],
) -> Case {
    Case {
        san,
        issuer,
        found_at,
        permitted,
        findings,
    }
}

const CASES: &[Case] = &[
    case(
        "www.zone.test-caa.com",
        "letsencrypt.org",
        Some("zone.test-caa.com"),
        Some(true),
        &[],
    ),
    case(
        "zone.test-caa.com",
        "digicert.com",
        Some("zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    case(
        "a.b.deny.zone.test-caa.com",
        "letsencrypt.org",
        Some("deny.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    case(
        "deny.zone.test-caa.com",
        "digicert.com",
        Some("deny.zone.test-caa.com"),
        Some(true),
        &[],
    ),
    case(
        "nobody.zone.test-caa.com",
        "letsencrypt.org",
        Some("nobody.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    case(
        "*.wild.zone.test-caa.com",
        "letsencrypt.org",
        Some("wild.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    case(
        "*.wild.zone.test-caa.com",
        "digicert.com",
        Some("wild.zone.test-caa.com"),
        Some(true),
        &[],
    ),
    case(
        "wild.zone.test-caa.com",
        "letsencrypt.org",
        Some("wild.zone.test-caa.com"),
        Some(true),
        &[],
    ),
    case(
        "critical.zone.test-caa.com",
        "letsencrypt.org",
        Some("critical.zone.test-caa.com"),
        Some(false),
        &["caa.critical_unknown"],
    ),
    case(
        "longtag.zone.test-caa.com",
        "letsencrypt.org",
        Some("longtag.zone.test-caa.com"),
        Some(false),
        &["caa.critical_unknown"],
    ),
    case(
        "mixed.zone.test-caa.com",
        "letsencrypt.org",
        Some("mixed.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    case(
        "mixed.zone.test-caa.com",
        "digicert.com",
        Some("mixed.zone.test-caa.com"),
        Some(true),
        &[],
    ),
    case(
        "malformed.zone.test-caa.com",
        "letsencrypt.org",
        Some("malformed.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer", "caa.malformed"],
    ),
    case(
        "big.zone.test-caa.com",
        "letsencrypt.org",
        Some("big.zone.test-caa.com"),
        Some(true),
        &[],
    ),
    case(
        "big.zone.test-caa.com",
        "digicert.com",
        Some("big.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    // A CNAME on the name is followed: the target's RRset applies.
    case(
        "alias.zone.test-caa.com",
        "letsencrypt.org",
        Some("alias.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    // The target (sub.deny) has no CAA: climb from the alias, never from the target's parent.
    case(
        "alias-sub.zone.test-caa.com",
        "letsencrypt.org",
        Some("zone.test-caa.com"),
        Some(true),
        &[],
    ),
    // A DNAME owner is not an alias of itself: climb to deny.
    case(
        "dname.deny.zone.test-caa.com",
        "letsencrypt.org",
        Some("deny.zone.test-caa.com"),
        Some(false),
        &["caa.forbids_issuer"],
    ),
    case(
        "nothing.test-caa-none.com",
        "letsencrypt.org",
        None,
        Some(true),
        &["caa.missing"],
    ),
    case(
        "broken.zone.test-caa.com",
        "letsencrypt.org",
        None,
        None,
        &["caa.lookup_failed"],
    ),
];

#[test]
fn rfc_8659_cases_against_a_loopback_dns_server() {
    let servers = Servers::new();
    let dns = start(&servers, zone());
    for &Case {
        san,
        issuer,
        found_at,
        permitted,
        findings: expected,
    } in CASES
    {
        let doc = check(dns, san, issuer, &[]);
        let entry = caa_entry(&doc);
        let context = format!("{san} / {issuer}: {entry:#}");
        assert_eq!(entry["name"], san, "{context}");
        assert_eq!(entry["found_at"], json!(found_at), "{context}");
        assert_eq!(entry["permitted"], json!(permitted), "{context}");
        assert_eq!(entry["issuer_domains"], json!([issuer]), "{context}");
        assert_eq!(
            caa_ids(&doc),
            expected.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{context}"
        );
    }
}

#[test]
fn records_are_reported_as_served() {
    let servers = Servers::new();
    let dns = start(&servers, zone());
    let doc = check(dns, "mixed.zone.test-caa.com", "digicert.com", &[]);
    assert_eq!(
        caa_entry(&doc)["records"],
        json!([{"flags": 0, "tag": "IsSuE", "value": "digicert.com"}])
    );
    let doc = check(dns, "big.zone.test-caa.com", "letsencrypt.org", &[]);
    assert_eq!(
        caa_entry(&doc)["records"].as_array().unwrap().len(),
        1001,
        "the 1,001-record RRset arrives over TCP"
    );
}

#[test]
fn an_unanswered_query_fails_within_the_timeout() {
    let servers = Servers::new();
    let dns = start(&servers, zone());
    let started = std::time::Instant::now();
    let doc = check(
        dns,
        "silent.zone.test-caa.com",
        "letsencrypt.org",
        &["--timeout", "0.5"],
    );
    assert_eq!(caa_entry(&doc)["permitted"], Value::Null);
    assert_eq!(caa_ids(&doc), ["caa.lookup_failed"]);
    assert_eq!(
        doc["targets"][0]["status"], "critical",
        "the self-signed leaf stays critical; CAA adds unknown"
    );
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn the_issuing_ca_is_recognised_from_the_chain() {
    let servers = Servers::new();
    let dns = start(&servers, zone());
    let pki = Pki::named("Let's Encrypt Test");
    let leaf = pki.leaf(&LeafSpec::new(&[
        "deny.zone.test-caa.com",
        "www.zone.test-caa.com",
        "localhost",
    ]));
    let file = pki.chain_file("chain.pem", &[&leaf, &pki.intermediate.cert]);
    let root = pki.root_file();
    let server = dns.to_string();
    let doc = scan_json_with(
        &[vec!["--file".into(), file.clone()], pki.trust_args()].concat(),
        &["--dns-server", &server],
    );
    let entries = doc["targets"][0]["caa"].as_array().unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["deny.zone.test-caa.com", "www.zone.test-caa.com"],
        "special-use names are not looked up"
    );
    assert_eq!(entries[0]["issuer_domains"], json!(["letsencrypt.org"]));
    assert_eq!(entries[0]["permitted"], false);
    assert_eq!(entries[1]["permitted"], true);
    assert_eq!(ids(&doc, 0), ["caa.forbids_issuer"]);
    assert_eq!(doc["status"], "warning");
    // --no-dns makes no query at all.
    let doc = scan_json(&["--file", &file, "--trust", "none", "--ca-file", &root, "--no-dns"]);
    assert_eq!(doc["targets"][0]["caa"], json!([]));
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}

#[test]
fn self_signed_leaves_are_not_looked_up_unless_a_ca_is_named() {
    let servers = Servers::new();
    let dns = start(&servers, zone());
    let pki = Pki::new();
    let leaf = common::pki::self_signed(&LeafSpec::new(&["deny.zone.test-caa.com"]));
    let file = pki.write("self.pem", &leaf.pem);
    let server = dns.to_string();
    let doc = scan_json(&["--file", &file, "--dns-server", &server]);
    assert_eq!(doc["targets"][0]["caa"], json!([]));
}

#[test]
fn names_under_one_parent_climb_to_it_once() {
    let servers = Servers::new();
    let zone = Zone::default().caa("example.org", vec![caa(0, "issue", "letsencrypt.org")]);
    let counter = zone.queries();
    let dns = start(&servers, zone).to_string();
    let pki = Pki::new();
    let leaf = common::pki::self_signed(&LeafSpec::new(&["a.example.org", "b.example.org", "c.example.org"]));
    let file = pki.write("leaf.pem", &leaf.pem);
    let doc = scan_json(&["--file", &file, "--dns-server", &dns, "--caa-issuer", "letsencrypt.org"]);
    let caa = doc["targets"][0]["caa"].as_array().unwrap();
    assert_eq!(caa.len(), 3, "{doc:#}");
    assert!(
        caa.iter()
            .all(|c| c["found_at"] == "example.org" && c["permitted"] == true),
        "{doc:#}"
    );
    // Each name is asked about itself, the parent once for all three (the CAA and the
    // address lookups of the names go to the same server; only CAA climbs to the parent).
    assert!(counter.of("a.example.org") > 0);
    assert!(
        counter.of("example.org") <= 1,
        "example.org was asked {} times",
        counter.of("example.org")
    );
}
