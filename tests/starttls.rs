//! STARTTLS end to end: SMTP, IMAP, XMPP, LDAP and PostgreSQL servers started in-process that
//! offer TLS (the chain served after the upgrade is judged as any other) or do not (its own
//! finding), chosen by scheme, by `--starttls`, by port, or by a profile.

mod common;

use common::starttls::{Dialect, Upgrade, starttls_server, starttls_server_with};
use common::*;

const NAME: &str = "mail.example.test";

fn config(pki: &Pki, leaf: &Issued) -> rustls::ServerConfig {
    common::servers::server_config(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
        vec![],
    )
}

#[test]
fn every_protocol_goes_over_to_tls_and_its_chain_is_judged() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let good = pki.leaf(&LeafSpec::new(&[NAME]));
    let expiring = pki.leaf(&LeafSpec::new(&[NAME]).validity(-80, 5));
    for (dialect, scheme) in [
        (Dialect::Smtp, "smtp"),
        (Dialect::Imap, "imap"),
        (Dialect::Xmpp, "xmpp"),
        (Dialect::Ldap, "ldap"),
        (Dialect::Postgres, "postgres"),
    ] {
        let port = starttls_server(&servers, dialect, true, config(&pki, &good));
        let args = pinned_scan_args(&pki, &format!("{scheme}://{NAME}:{port}"), NAME, port);
        let doc = scan_json_with(&args, &[]);
        assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{scheme}: {doc:#}");
        let target = &doc["targets"][0];
        assert_eq!(target["protocol"], scheme);
        assert_eq!(target["chain"].as_array().unwrap().len(), 2, "{scheme}");
        assert_eq!(target["verification"]["valid"], true, "{scheme}");
        assert_eq!(doc["exit_code"], 0);

        // The certificate behind the upgrade is checked like any other.
        let port = starttls_server(&servers, dialect, true, config(&pki, &expiring));
        let args = pinned_scan_args(&pki, &format!("{scheme}://{NAME}:{port}"), NAME, port);
        let doc = scan_json_with(&args, &[]);
        assert_eq!(ids(&doc, 0), ["cert.expires_soon"], "{scheme}: {doc:#}");
    }
}

#[test]
fn a_server_that_does_not_offer_starttls_is_its_own_finding() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    for (dialect, scheme, expected) in [
        (Dialect::Smtp, "smtp", "PIPELINING, 8BITMIME"),
        (Dialect::Imap, "imap", "AUTH=PLAIN"),
        (Dialect::Xmpp, "xmpp", "xmpp-sasl"),
        (Dialect::Ldap, "ldap", "result 2"),
        (Dialect::Postgres, "postgres", "ssl = off"),
    ] {
        let port = starttls_server(&servers, dialect, false, config(&pki, &leaf));
        let args = pinned_scan_args(&pki, &format!("{scheme}://{NAME}:{port}"), NAME, port);
        let doc = scan_json_with(&args, &[]);
        assert_eq!(ids(&doc, 0), ["starttls.not_offered"], "{scheme}: {doc:#}");
        let found = finding(&doc, 0, "starttls.not_offered");
        assert_eq!(found["severity"], "critical");
        assert!(
            found["detail"].as_str().unwrap().contains(expected),
            "{scheme}: {found:#}"
        );
        assert_eq!(doc["exit_code"], 2);
    }
}

#[test]
fn starttls_is_chosen_by_flag_and_implicit_tls_is_not_mistaken_for_it() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let port = starttls_server(&servers, Dialect::Smtp, true, config(&pki, &leaf));

    // --starttls on a bare host:port, as openssl s_client -starttls.
    let args = pinned_scan_args(&pki, &format!("{NAME}:{port}"), NAME, port);
    let doc = scan_json_with(&args, &["--starttls", "smtp"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["protocol"], "smtp");

    // The same port scanned as plain TLS meets the SMTP greeting: that is said, not hidden.
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), ["tls.plaintext"], "{doc:#}");
    assert!(detail(&doc, 0, "tls.plaintext").contains("smtp://"), "{doc:#}");

    // An implicit-TLS port scanned as STARTTLS sends no greeting: a timeout during STARTTLS.
    let tls_port = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let args = pinned_scan_args(&pki, &format!("smtp://{NAME}:{tls_port}"), NAME, tls_port);
    let doc = scan_json_with(&args, &["--timeout", "1"]);
    assert_eq!(ids(&doc, 0), ["connection.timeout"], "{doc:#}");
    assert!(detail(&doc, 0, "connection.timeout").contains("STARTTLS"), "{doc:#}");
    let doc = scan_json_with(
        &pinned_scan_args(&pki, &format!("smtps://{NAME}:{tls_port}"), NAME, tls_port),
        &[],
    );
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][0]["protocol"], "tls");
}

#[test]
fn a_server_that_speaks_something_else_fails_the_negotiation() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let sip = servers.raw(Raw::PlainSip);
    // LDAP speaks first from the client: the SIP server's answer is not LDAP.
    let args = pinned_scan_args(&pki, &format!("ldap://{NAME}:{sip}"), NAME, sip);
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), ["starttls.failed"], "{doc:#}");
    assert!(
        detail(&doc, 0, "starttls.failed").contains("does not speak LDAP"),
        "{doc:#}"
    );
    let closing = servers.raw(Raw::Close);
    let args = pinned_scan_args(&pki, &format!("postgres://{NAME}:{closing}"), NAME, closing);
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), ["starttls.failed"], "{doc:#}");
    assert!(
        detail(&doc, 0, "starttls.failed").contains("closed the connection"),
        "{doc:#}"
    );
}

#[test]
fn profile_ports_can_use_starttls() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let smtp = starttls_server(&servers, Dialect::Smtp, true, config(&pki, &leaf));
    let ldap = starttls_server(&servers, Dialect::Ldap, false, config(&pki, &leaf));
    let profile = pki.write(
        "mail.toml",
        &format!(
            "name = \"mail\"\ndescription = \"voicemail to e-mail and the directory\"\n\n[[port]]\nport = {smtp}\nprotocol = \"smtp\"\nservice = \"Postfix\"\n\n[[port]]\nport = {ldap}\nprotocol = \"ldap\"\nservice = \"OpenLDAP\"\n"
        ),
    );
    let mut args = vec![
        NAME.to_string(),
        "--profile".into(),
        profile,
        "--resolve".into(),
        format!("{NAME}:{smtp}:127.0.0.1"),
        "--resolve".into(),
        format!("{NAME}:{ldap}:127.0.0.1"),
    ];
    args.extend(pki.trust_args());
    let doc = scan_json_with(&args, &[]);
    let by_port = |port: u16| {
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .position(|t| t["port"] == port)
            .unwrap_or_else(|| panic!("no target on {port}: {doc:#}"))
    };
    assert_eq!(ids(&doc, by_port(smtp)), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["targets"][by_port(smtp)]["service"], "Postfix");
    assert_eq!(ids(&doc, by_port(ldap)), ["starttls.not_offered"], "{doc:#}");
}

#[test]
fn an_old_mail_server_behind_starttls_is_named_legacy_only_and_checked_against_a_policy() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&[NAME]));
    let chain = vec![leaf.der.clone(), pki.intermediate.cert.der.clone()];
    let old = Upgrade::HandMade {
        version: 0x0301,
        suite: 0x002f,
        chain,
    };
    let port = starttls_server_with(&servers, Dialect::Smtp, true, old);
    let args = pinned_scan_args(&pki, &format!("smtp://{NAME}:{port}"), NAME, port);
    let doc = scan_json_with(&args, &[]);
    assert_eq!(ids(&doc, 0), ["tls.legacy_only"], "{doc:#}");
    assert_eq!(
        doc["targets"][0]["chain"].as_array().unwrap().len(),
        2,
        "the chain read in clear text"
    );

    // A policy's minimum is checked below the negotiated version after STARTTLS too.
    let modern = starttls_server(&servers, Dialect::Smtp, true, config(&pki, &leaf));
    let policy = pki.write("tls13.toml", "name = \"tls13\"\n[tls]\nmin_version = \"1.3\"\n");
    let args = pinned_scan_args(&pki, &format!("smtp://{NAME}:{modern}"), NAME, modern);
    let doc = scan_json_with(&args, &["--policy", &policy]);
    assert_eq!(ids(&doc, 0), ["policy.tls_version"], "{doc:#}");
    assert!(
        detail(&doc, 0, "policy.tls_version").contains("also accepts TLS 1.2"),
        "{doc:#}"
    );
}
