//! Certificate files on disk: the same checks as for served chains, without a network.

mod common;

use common::*;

fn scan_file(pki: &Pki, file: &str, extra: &[&str]) -> serde_json::Value {
    let root = pki.root_file();
    let mut args = vec!["--file", file, "--trust", "none", "--ca-file", &root];
    args.extend(extra);
    scan_json(&args)
}

#[test]
fn full_chain_file_checked_against_a_name() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
    let file = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let doc = scan_file(&pki, &file, &["--name", "wazo.example.test"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(doc["targets"][0]["file"], file);
    assert_eq!(doc["targets"][0]["verification"]["valid"], true);
    let doc = scan_file(
        &pki,
        &file,
        &["--name", "wazo.example.test", "--name", "other.example.test"],
    );
    assert_eq!(ids(&doc, 0), ["name.mismatch"]);
    // Without --name, only the chain is judged.
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(doc["targets"][0]["names_checked"], serde_json::json!([]));
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}

#[test]
fn cert_pem_instead_of_fullchain_names_the_missing_issuer() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
    let file = pki.chain_file("cert.pem", &[&leaf]);
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["chain.incomplete"]);
    assert!(detail(&doc, 0, "chain.incomplete").contains("certscan Test Intermediate"));
}

#[test]
fn rsa_1024_leaf_has_a_weak_key() {
    let pki = Pki::new();
    let leaf = pki.intermediate.issue_rsa1024();
    let file = pki.chain_file("rsa1024.pem", &[&leaf, &pki.intermediate.cert]);
    let doc = scan_file(&pki, &file, &["--name", "localhost"]);
    assert_eq!(ids(&doc, 0), ["key.weak"]);
    assert_eq!(
        doc["targets"][0]["chain"][0]["key"],
        serde_json::json!({"type": "RSA", "bits": 1024})
    );
    assert_eq!(doc["targets"][0]["verification"]["valid"], false);
}

#[test]
fn unknown_root_whether_sent_or_not() {
    let pki = Pki::new();
    let other = Pki::named("Other Private");
    let leaf = other.leaf(&LeafSpec::new(&["a.example.test"]));
    let with_root = pki.chain_file("with-root.pem", &[&leaf, &other.intermediate.cert, &other.root.cert]);
    let doc = scan_file(&pki, &with_root, &[]);
    assert_eq!(ids(&doc, 0), ["chain.root_included", "chain.unknown_root"]);
    let without_root = pki.chain_file("no-root.pem", &[&leaf, &other.intermediate.cert]);
    let doc = scan_file(&pki, &without_root, &[]);
    assert_eq!(ids(&doc, 0), ["chain.unknown_root"]);
}

#[test]
fn same_named_ca_with_another_key_is_a_bad_signature() {
    let pki = Pki::new();
    let impostor = Pki::new();
    let leaf = impostor.leaf(&LeafSpec::new(&["a.example.test"]));
    let file = pki.chain_file("impostor.pem", &[&leaf, &impostor.intermediate.cert]);
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["chain.untrusted"]);
    assert!(detail(&doc, 0, "chain.untrusted").contains("does not verify"));
}

#[test]
fn leaf_that_is_a_ca_or_lacks_server_auth_is_untrusted() {
    let pki = Pki::new();
    let mut spec = LeafSpec::new(&["a.example.test"]);
    spec.is_ca = true;
    let ca_leaf = pki.leaf(&spec);
    let file = pki.chain_file("ca-leaf.pem", &[&ca_leaf, &pki.intermediate.cert]);
    let doc = scan_file(&pki, &file, &[]);
    // Its keyUsage (no keyCertSign) matters to no client here: it signs nothing on the path.
    assert_eq!(ids(&doc, 0), ["chain.untrusted"]);
    assert!(detail(&doc, 0, "chain.untrusted").contains("CA certificate"));
    let mut spec = LeafSpec::new(&["a.example.test"]);
    spec.server_auth = false;
    let client_leaf = pki.leaf(&spec);
    let file = pki.chain_file("client-leaf.pem", &[&client_leaf, &pki.intermediate.cert]);
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["chain.untrusted"]);
    assert!(detail(&doc, 0, "chain.untrusted").contains("serverAuth"));
}

#[test]
fn extra_and_duplicate_certificates() {
    let pki = Pki::new();
    let other = Pki::named("Other Private");
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let file = pki.chain_file("extra.pem", &[&leaf, &pki.intermediate.cert, &other.intermediate.cert]);
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["chain.extra_cert"]);
    let file = pki.chain_file("dup.pem", &[&leaf, &pki.intermediate.cert, &pki.intermediate.cert]);
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["chain.extra_cert"]);
    assert!(detail(&doc, 0, "chain.extra_cert").contains("sent twice"));
}

#[test]
fn expired_intermediate_is_reported_even_when_the_leaf_is_fine() {
    let pki = Pki::new();
    // The intermediate ends 3650 days after AT; this leaf outlives it.
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]).validity(-30, 4000));
    let file = pki.chain_file("long.pem", &[&leaf, &pki.intermediate.cert]);
    let root = pki.root_file();
    let base = [
        "--file",
        file.as_str(),
        "--trust",
        "none",
        "--ca-file",
        root.as_str(),
        "--format",
        "json",
    ];
    let out = certscan(&[base.as_slice(), &["--at", "2040-06-01T00:00:00Z"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // The leaf lives 4030 days, more than Safari accepts.
    assert_eq!(ids(&doc, 0), ["cert.expired", "cert.lifetime_too_long"]);
    let detail = detail(&doc, 0, "cert.expired");
    assert!(detail.starts_with("intermediate #1"), "{detail}");
    // AT + 3650 days is 2040-05-29: three days before the evaluation time.
    assert_eq!(doc["targets"][0]["days_left"], -3);
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["cert.lifetime_too_long"]);
}

#[test]
fn der_files_and_combined_certificate_and_key_files_are_read() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let der_path = pki.path("leaf.der");
    std::fs::write(&der_path, leaf.der.as_ref()).unwrap();
    let doc = scan_file(&pki, &der_path, &[]);
    assert_eq!(ids(&doc, 0), ["chain.incomplete"]);
    let combined = format!("{}{}{}", leaf.key.clone().unwrap(), leaf.pem, pki.intermediate.cert.pem);
    let file = pki.write("cert+key.pem", &combined);
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let doc = scan_file(&pki, &file, &["--name", "a.example.test"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(doc["targets"][0]["chain"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_files_are_reported_and_do_not_hide_the_others() {
    let pki = Pki::new();
    let good = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let good_file = pki.chain_file("good.pem", &[&good, &pki.intermediate.cert]);
    let key_only = pki.write("key.pem", good.key.as_ref().unwrap());
    std::fs::set_permissions(&key_only, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let garbage = pki.write(
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nMIIBAAAAAAAA\n-----END CERTIFICATE-----\n",
    );
    let missing = pki.path("missing.pem");
    let root = pki.root_file();
    let doc = scan_json(&[
        "--file",
        &good_file,
        "--file",
        &key_only,
        "--file",
        &garbage,
        "--file",
        &missing,
        "--trust",
        "none",
        "--ca-file",
        &root,
    ]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
    assert_eq!(ids(&doc, 1), ["file.no_certificate"]);
    assert!(detail(&doc, 1, "file.no_certificate").contains("private key"));
    assert!(
        ids(&doc, 2).contains(&"cert.unparsable".to_string()),
        "{:?}",
        ids(&doc, 2)
    );
    assert_eq!(ids(&doc, 3), ["file.read_error"]);
    assert_eq!(doc["targets"][3]["status"], "unknown");
    assert_eq!(
        doc["status"], "critical",
        "the unparsable certificate is critical and outranks unknown"
    );
}

#[test]
fn a_leaf_without_extended_key_usage_fails_in_safari_alone_public_or_private() {
    let pki = Pki::new();
    let mut spec = LeafSpec::new(&["a.example.test"]);
    spec.extended_key_usage = false;
    let any_purpose = pki.leaf(&spec);
    let file = pki.chain_file("any-purpose.pem", &[&any_purpose, &pki.intermediate.cert]);
    // Apple's rule holds for private CAs too: Safari (deciding by default) fails, the others work.
    let doc = scan_file(&pki, &file, &[]);
    assert_eq!(ids(&doc, 0), ["cert.no_extended_key_usage"], "{doc:#}");
    let said = detail(&doc, 0, "cert.no_extended_key_usage");
    assert!(
        said.contains("Safari fail: requires serverAuth") && said.contains("Go, rustls work"),
        "{said}"
    );
    assert_eq!(doc["exit_code"], 2);
    // Under a root of the system store it is the same finding (the CA/Browser Forum's rule too).
    let run = certscan_with_env(
        &[
            "--file",
            &file,
            "--name",
            "a.example.test",
            "--trust",
            "system",
            "--format",
            "json",
            "--at",
            AT,
        ],
        &[
            ("SSL_CERT_FILE", Some(&pki.root_file())),
            ("SSL_CERT_DIR", Some("/nonexistent")),
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(ids(&doc, 0), ["cert.no_extended_key_usage"], "{doc:#}");
    assert_eq!(
        doc["targets"][0]["verification"]["valid"], true,
        "its path is valid; Safari's own rule refuses it"
    );
    // With an extendedKeyUsage, nothing to say.
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let file = pki.chain_file("server-auth.pem", &[&leaf, &pki.intermediate.cert]);
    assert_eq!(ids(&scan_file(&pki, &file, &[]), 0), Vec::<String>::new());
}

#[test]
fn system_trust_reads_the_os_bundle() {
    let pki = Pki::new();
    let other = Pki::named("Other Private");
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let file = pki.chain_file("chain.pem", &[&leaf, &pki.intermediate.cert]);
    // The system bundle is located as OpenSSL does, so SSL_CERT_FILE stands in for it here.
    let run = |bundle: &str| {
        let args = [
            "--file",
            file.as_str(),
            "--trust",
            "system",
            "--format",
            "json",
            "--at",
            AT,
        ];
        let out = certscan_with_env(&args, &[("SSL_CERT_FILE", Some(bundle)), ("SSL_CERT_DIR", None)]);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        (doc["targets"][0]["verification"]["valid"].clone(), ids(&doc, 0))
    };
    assert_eq!(run(&pki.root_file()), (serde_json::json!(true), vec![]));
    assert_eq!(
        run(&other.root_file()),
        (serde_json::json!(false), vec!["chain.unknown_root".to_string()])
    );
}

/// The status, the expiry finding's severity and detail, and the thresholds in force, for a
/// full-chain file whose leaf was issued `issued` days before AT and expires `left` days after.
fn expiry_verdict(pki: &Pki, issued: i64, left: i64, extra: &[&str]) -> (String, String, serde_json::Value) {
    let leaf = pki.leaf(&LeafSpec::new(&["short.example.test"]).validity(-issued, left));
    let file = pki.chain_file(&format!("leaf-{issued}-{left}.pem"), &[&leaf, &pki.intermediate.cert]);
    let doc = scan_file(pki, &file, extra);
    let target = &doc["targets"][0];
    let detail = target["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "cert.expires_soon")
        .map(|f| format!("{} {}", f["severity"].as_str().unwrap(), f["detail"].as_str().unwrap()))
        .unwrap_or_default();
    (
        target["status"].as_str().unwrap().to_string(),
        detail,
        target["expiry_thresholds"].clone(),
    )
}

#[test]
fn short_lived_certificates_are_judged_by_the_share_of_their_lifetime_left() {
    let pki = Pki::new();
    // A 47-day certificate with 20 days left has more than a third of its life: OK, where a
    // fixed 30 days would have warned for two thirds of its life.
    let (status, detail, limits) = expiry_verdict(&pki, 27, 20, &[]);
    assert_eq!((status.as_str(), detail.as_str()), ("ok", ""));
    assert_eq!(limits["basis"], "lifetime");
    assert!(
        (limits["warning_days"].as_f64().unwrap() - 47.0 / 3.0).abs() < 0.01,
        "{limits}"
    );
    // 12 days left: under a third (15.7 days), WARNING, and the finding says why.
    let (status, detail, _) = expiry_verdict(&pki, 35, 12, &[]);
    assert_eq!(status, "warning");
    assert!(
        detail.contains("12 days left; warning below 15.7 days, 33.3% of its 47-day lifetime"),
        "{detail}"
    );
    // 3 days left: under a tenth (4.7 days), CRITICAL.
    let (status, detail, _) = expiry_verdict(&pki, 44, 3, &[]);
    assert_eq!(status, "critical", "{detail}");
    // A 6-day certificate: OK with 3 days left, WARNING with 1 (under 2 days).
    assert_eq!(expiry_verdict(&pki, 3, 3, &[]).0, "ok");
    let (status, detail, _) = expiry_verdict(&pki, 5, 1, &[]);
    assert_eq!(status, "warning", "{detail}");
    // A 90-day certificate keeps the days: WARNING under 30, CRITICAL under 14.
    let (status, detail, limits) = expiry_verdict(&pki, 65, 25, &[]);
    assert_eq!(status, "warning");
    assert!(detail.contains("warning below 30 days"), "{detail}");
    assert_eq!(
        (limits["basis"].as_str(), limits["warning_days"].as_f64()),
        (Some("days"), Some(30.0))
    );
}

#[test]
fn given_thresholds_hold_for_every_certificate_in_days_or_shares() {
    let pki = Pki::new();
    // Days given: they hold for a 47-day certificate too.
    let (status, detail, _) = expiry_verdict(&pki, 27, 20, &["-w", "21", "-c", "7"]);
    assert_eq!(status, "warning");
    assert!(detail.contains("warning below 21 days"), "{detail}");
    // Shares given: a 398-day certificate with 100 days left (25%) is under 33%.
    let (status, detail, limits) = expiry_verdict(&pki, 298, 100, &["-w", "33%", "-c", "10%"]);
    assert_eq!(status, "warning");
    assert!(detail.contains("33% of its 398-day lifetime"), "{detail}");
    assert_eq!(limits["basis"], "lifetime");
    // One given, the other takes its default of the same kind.
    let (status, _, limits) = expiry_verdict(&pki, 298, 100, &["-w", "30%"]);
    assert_eq!(
        status, "warning",
        "25% left: under 30%, over the default critical share, 10%"
    );
    assert!(
        (limits["critical_days"].as_f64().unwrap() - 39.8).abs() < 0.01,
        "{limits}"
    );
    let out = certscan(&["--file", "x.pem", "-w", "10%", "-c", "20%"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("--warning (10%) must be at least --critical (20%)"),
        "{}",
        out.stderr
    );
}

#[test]
fn nagios_perfdata_carries_each_endpoints_own_thresholds() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["short.example.test"]).validity(-35, 12));
    let file = pki.chain_file("short.pem", &[&leaf, &pki.intermediate.cert]);
    let mut args = vec![
        "--file".to_string(),
        file,
        "--at".into(),
        AT.into(),
        "--format".into(),
        "nagios".into(),
    ];
    args.extend(pki.trust_args());
    let out = certscan(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 1, "{}", out.stdout);
    let perfdata = out.stdout.lines().next().unwrap().split(" | ").nth(1).unwrap();
    assert!(perfdata.ends_with("=12;15.7:;4.7:;;"), "{perfdata}");
}

#[test]
fn a_name_no_client_could_look_up_matches_no_certificate() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["*.hello.example.test"]));
    let file = pki.chain_file("wildcard.pem", &[&leaf, &pki.intermediate.cert]);
    let doc = scan_file(&pki, &file, &["--name", ".hello.example.test"]);
    assert_eq!(doc["targets"][0]["verification"]["valid"], false);
    assert_eq!(ids(&doc, 0), ["name.mismatch"]);
    assert!(
        detail(&doc, 0, "name.mismatch").contains("not a valid DNS name or IP address"),
        "{doc:#}"
    );
    // The same certificate is fine for a name under the wildcard.
    let doc = scan_file(&pki, &file, &["--name", "a.hello.example.test"]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}
