//! Compliance policies end to end: each rule of `--policy` broken and kept, against servers started
//! by the test (TLS 1.2-only and TLS 1.0 ones, stapling ones) and chain files; the shipped
//! policies; and a policy file with mistakes, refused with the line of each.

mod common;

use std::sync::Arc;

use common::ocsp::{OcspSpec, response, stapling_config};
use common::*;

const NAME: &str = "pbx.example.test";

fn policy_ids(doc: &serde_json::Value, index: usize) -> Vec<String> {
    ids(doc, index)
        .into_iter()
        .filter(|id| id.starts_with("policy."))
        .collect()
}

/// Scans `port` (pinned to `NAME`) with the policy text written to a file.
fn scan_with_policy(pki: &Pki, port: u16, policy: &str, extra: &[&str]) -> serde_json::Value {
    let file = pki.write("policy.toml", policy);
    let args = pinned_scan_args(pki, &format!("{NAME}:{port}"), NAME, port);
    let mut all: Vec<&str> = vec!["--policy", &file];
    all.extend(extra);
    scan_json_with(&args, &all)
}

/// A server configuration for `leaf` and the intermediate that speaks only `versions`, stapling
/// `staple` when given.
fn only(
    versions: &[&'static rustls::SupportedProtocolVersion],
    pki: &Pki,
    leaf: &Issued,
    staple: Option<Vec<u8>>,
) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth();
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    match staple {
        Some(staple) => builder.with_single_cert_with_ocsp(chain, leaf.key_der(), staple),
        None => builder.with_single_cert(chain, leaf.key_der()),
    }
    .unwrap()
}

const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

#[test]
fn the_minimum_tls_version_is_checked_above_and_below() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let both = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let only12 = servers
        .tls_with_config(only(TLS12, &pki, &leaf, None), "127.0.0.1:0")
        .port();
    let only13 = servers
        .tls_with_config(only(TLS13, &pki, &leaf, None), "127.0.0.1:0")
        .port();
    let min13 = "name = \"tls13\"\n[tls]\nmin_version = \"1.3\"\ntext = \"TLS 1.3 only (SEC-12)\"\n";
    let min12 = "name = \"tls12\"\n[tls]\nmin_version = \"1.2\"\nseverity = \"critical\"\n";

    let doc = scan_with_policy(&pki, only12, min13, &[]);
    assert_eq!(policy_ids(&doc, 0), ["policy.tls_version"], "{doc:#}");
    let broken = finding(&doc, 0, "policy.tls_version");
    let text = broken["detail"].as_str().unwrap();
    assert!(
        text.contains("negotiated TLS 1.2") && text.contains("policy \"tls13\": TLS 1.3 only (SEC-12)"),
        "{text}"
    );
    assert_eq!(broken["severity"], "warning");

    // Negotiating TLS 1.3 is not enough when TLS 1.2 is still accepted.
    let doc = scan_with_policy(&pki, both, min13, &[]);
    assert_eq!(policy_ids(&doc, 0), ["policy.tls_version"], "{doc:#}");
    assert!(
        detail(&doc, 0, "policy.tls_version").contains("also accepts TLS 1.2"),
        "{doc:#}"
    );

    let doc = scan_with_policy(&pki, only13, min13, &[]);
    assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    let doc = scan_with_policy(&pki, both, min12, &[]);
    assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{doc:#}");

    // A TLS 1.0 server breaks a TLS 1.2 minimum, at the rule's severity.
    let legacy = servers.hand_made_tls(
        0x0301,
        0x002f,
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
    );
    let doc = scan_with_policy(&pki, legacy, min12, &[]);
    assert_eq!(policy_ids(&doc, 0), ["policy.tls_version"], "{doc:#}");
    let broken = finding(&doc, 0, "policy.tls_version");
    assert_eq!(broken["severity"], "critical");
    assert!(broken["detail"].as_str().unwrap().contains("TLS 1.0"), "{broken:#}");
}

#[test]
fn keys_issuers_lifetime_and_names_are_judged_both_ways() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME, "sip.example.test"]));
    let port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let pin = |der: &[u8]| {
        use base64::Engine;
        use x509_parser::prelude::FromDer;
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).unwrap();
        let hash = ring::digest::digest(&ring::digest::SHA256, cert.public_key().raw);
        base64::engine::general_purpose::STANDARD.encode(hash.as_ref())
    };
    let (spki, root_spki) = (pin(&pki.intermediate.cert.der), pin(&pki.root.cert.der));
    let stranger_spki = pin(&Pki::named("Stranger").root.cert.der);
    let cases = [
        ("[keys]\nallowed = [{ type = \"EC\", curve = \"P-256\" }]\n", None),
        (
            "[keys]\nallowed = [{ type = \"EC\", curve = \"P-384\" }, { type = \"RSA\", min_bits = 3072 }]\ntext = \"P-384 or RSA-3072\"\n",
            Some(("policy.key", "the leaf's key is EC prime256v1 of 256 bits")),
        ),
        ("[issuers]\nallowed = [\"CN=certscan Test Intermediate\"]\n", None),
        (&*format!("[issuers]\nallowed = [\"sha256//{spki}\"]\n"), None),
        (&*format!("[issuers]\nallowed = [\"sha256//{root_spki}\"]\n"), None),
        (
            &*format!("[issuers]\nallowed = [\"sha256//{stranger_spki}\"]\n"),
            Some(("policy.issuer", "issued by CN=certscan Test Intermediate")),
        ),
        (
            "[issuers]\nallowed = [\"CN=R11, O=Let's Encrypt, C=US\"]\n",
            Some(("policy.issuer", "issued by CN=certscan Test Intermediate")),
        ),
        ("[lifetime]\nmax_days = 90\n", None),
        (
            "[lifetime]\nmax_days = 47\n",
            Some(("policy.lifetime", "valid for 90 days")),
        ),
        (
            &*format!("[[sans]]\ntarget = \"{NAME}\"\nrequired = [\"{NAME}\", \"sip.example.test\"]\n"),
            None,
        ),
        (
            &*format!("[[sans]]\ntarget = \"{NAME}\"\nrequired = [\"{NAME}\", \"wss.example.test\"]\n"),
            Some(("policy.san", "not valid for wss.example.test")),
        ),
        (
            "[[sans]]\ntarget = \"other.example.test\"\nrequired = [\"wss.example.test\"]\n",
            None,
        ),
        ("[findings]\nforbidden = [\"tls.no_tls13\"]\n", None),
    ];
    for (rules, expected) in cases {
        let policy = format!("name = \"house rules\"\n{rules}");
        let doc = scan_with_policy(&pki, port, &policy, &[]);
        match expected {
            None => assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{rules}: {doc:#}"),
            Some((id, seen)) => {
                assert_eq!(policy_ids(&doc, 0), [id], "{rules}: {doc:#}");
                let text = detail(&doc, 0, id);
                assert!(
                    text.contains(seen) && text.contains("policy \"house rules\""),
                    "{rules}: {text}"
                );
            }
        }
    }
}

#[test]
fn stapling_and_forbidden_findings() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let plain = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let staple = response(&pki.intermediate, &OcspSpec::good(&leaf));
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let stapling = servers
        .tls_with_config(stapling_config(chain, leaf.key_der(), staple), "127.0.0.1:0")
        .port();
    let policy = "name = \"stapled\"\n[stapling]\nrequired = true\ntext = \"phones cannot reach the responder\"\n";
    let doc = scan_with_policy(&pki, plain, policy, &[]);
    assert_eq!(policy_ids(&doc, 0), ["policy.stapling"], "{doc:#}");
    assert!(
        detail(&doc, 0, "policy.stapling")
            .contains("staples no OCSP response; policy \"stapled\": phones cannot reach the responder")
    );
    let doc = scan_with_policy(&pki, stapling, policy, &[]);
    assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{doc:#}");

    // An informational finding made a violation.
    let only12 = servers
        .tls_with_config(only(TLS12, &pki, &leaf, None), "127.0.0.1:0")
        .port();
    let policy = "name = \"modern\"\n[findings]\nforbidden = [\"tls.no_tls13\", \"chain.incomplete\"]\nseverity = \"critical\"\n";
    let doc = scan_with_policy(&pki, only12, policy, &[]);
    assert_eq!(policy_ids(&doc, 0), ["policy.forbidden_finding"], "{doc:#}");
    let broken = finding(&doc, 0, "policy.forbidden_finding");
    assert_eq!(broken["severity"], "critical");
    assert!(broken["detail"].as_str().unwrap().contains("tls.no_tls13 was found"));
    assert_eq!(doc["exit_code"], 2);
    // Ignoring the violation for this host accepts it.
    let doc = scan_with_policy(
        &pki,
        only12,
        policy,
        &["--ignore", &format!("policy.forbidden_finding@{NAME}")],
    );
    assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
}

#[test]
fn the_shipped_policies_pass_a_deployment_that_follows_them() {
    let (servers, pki) = (Servers::new(), Pki::named("Example Internal"));
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let both = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let args = pinned_scan_args(&pki, &format!("{NAME}:{both}"), NAME, both);
    let doc = scan_json_with(&args, &["--policy", "mozilla-intermediate"]);
    assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{doc:#}");

    // strict-internal: TLS 1.3 only and stapling are not met by a plain TLS 1.2+1.3 server.
    let doc = scan_json_with(&args, &["--policy", "strict-internal"]);
    assert_eq!(
        policy_ids(&doc, 0),
        ["policy.stapling", "policy.tls_version"],
        "{doc:#}"
    );
    let tls = finding(&doc, 0, "policy.tls_version");
    assert_eq!(tls["severity"], "critical");

    let staple = response(&pki.intermediate, &OcspSpec::good(&leaf));
    let config = only(TLS13, &pki, &leaf, Some(staple));
    let compliant = servers.tls_with_config(config, "127.0.0.1:0").port();
    let args = pinned_scan_args(&pki, &format!("{NAME}:{compliant}"), NAME, compliant);
    let doc = scan_json_with(&args, &["--policy", "strict-internal"]);
    assert_eq!(policy_ids(&doc, 0), Vec::<String>::new(), "{doc:#}");

    let listed = certscan(&["--list-policies"]);
    assert_eq!(listed.code, 0);
    assert!(listed.stdout.contains("mozilla-intermediate:") && listed.stdout.contains("strict-internal:"));
}

#[test]
fn files_are_judged_on_their_certificates() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]).validity(-10, 400));
    let file = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let policy = pki.write(
        "policy.toml",
        "name = \"files\"\n[tls]\nmin_version = \"1.3\"\n[lifetime]\nmax_days = 200\ntext = \"CA/Browser Forum, March 2026\"\n",
    );
    let mut args = vec![
        "--file".to_string(),
        file,
        "--name".into(),
        NAME.into(),
        "--policy".into(),
        policy,
    ];
    args.extend(pki.trust_args());
    let doc = scan_json_with(&args, &[]);
    assert_eq!(policy_ids(&doc, 0), ["policy.lifetime"], "{doc:#}");
    assert!(
        detail(&doc, 0, "policy.lifetime").contains("valid for 410 days"),
        "{doc:#}"
    );
}

#[test]
fn a_policy_with_mistakes_is_refused_with_the_line() {
    let pki = Pki::new();
    let bad = pki.write(
        "bad.toml",
        "name = \"bad\"\n\n[keys]\nallowed = [\n  { type = \"RSA\", min_bits = 2048 },\n  { type = \"DSA\" },\n]\n",
    );
    let out = certscan(&["example.test", "--policy", &bad]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("line 6") && out.stderr.contains("\"DSA\""),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    let out = certscan(&["example.test", "--policy", "no-such-policy", "--format", "json"]);
    assert_eq!(out.code, 3);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        value["error"].as_str().unwrap().contains("neither a built-in policy"),
        "{value:#}"
    );
}
