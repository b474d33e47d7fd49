//! The deployed setup: keys that belong (or not) to their certificates, encrypted keys, file
//! modes and the accounts that must read them, and endpoints serving another certificate than
//! the one on disk.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use common::*;
use serde_json::Value;

fn legacy(name: &str) -> String {
    common::pki::fixture(&format!("legacy/{name}")).display().to_string()
}

/// Writes a private key readable by its owner only, as keys are deployed.
fn write_key(pki: &Pki, name: &str, pem: &str) -> String {
    let path = pki.write(name, pem);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A committed key, copied with owner-only permissions (a checkout does not keep modes).
fn legacy_key(pki: &Pki, name: &str) -> String {
    write_key(pki, name, &std::fs::read_to_string(legacy(name)).unwrap())
}

fn scan_with_key(pki: &Pki, chain: &str, key: &str, extra: &[&str]) -> Value {
    let root = pki.root_file();
    let mut args = vec!["--file", chain, "--key", key, "--trust", "none", "--ca-file", &root];
    args.extend(extra);
    scan_json(&args)
}

#[test]
fn ecdsa_and_ed25519_keys_match_their_certificates_and_not_others() {
    let pki = Pki::new();
    for algorithm in [
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &rcgen::PKCS_ED25519,
    ] {
        let (leaf, key) = common::pki::leaf_with_key(&pki.intermediate, &LeafSpec::new(&["a.example.test"]), algorithm);
        let other = pki.leaf(&LeafSpec::new(&["a.example.test"]));
        let chain = pki.chain_file("chain.pem", &[&leaf, &pki.intermediate.cert]);
        let right = write_key(&pki, "right.key", &key);
        let wrong = write_key(&pki, "wrong.key", other.key.as_ref().unwrap());
        assert_eq!(
            ids(&scan_with_key(&pki, &chain, &right, &[]), 0),
            Vec::<String>::new(),
            "{algorithm:?}"
        );
        let doc = scan_with_key(&pki, &chain, &wrong, &[]);
        assert_eq!(ids(&doc, 0), ["key.mismatch"], "{algorithm:?}");
        assert!(detail(&doc, 0, "key.mismatch").contains("wrong.key"));
        // The fix holds the commands it speaks of, with the key's path.
        let fix = finding(&doc, 0, "key.mismatch")["remediation"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            fix.contains("openssl pkey -in ") && fix.contains("wrong.key -pubout") && fix.contains("openssl x509 -in"),
            "{fix}"
        );
        assert_eq!(doc["exit_code"], 2);
    }
}

#[test]
fn rsa_keys_match_including_those_too_small_for_the_crypto_library() {
    let pki = Pki::new();
    let rsa = |name| std::fs::read_to_string(legacy(name)).unwrap();
    let sha1 = pki.write("sha1.pem", &rsa("sha1leaf.pem"));
    let ca = pki.write("rsaca.pem", &rsa("rsaca.pem"));
    let key_ids = |chain: &str, key: &str| {
        ids(&scan_with_key(&pki, chain, &legacy_key(&pki, key), &[]), 0)
            .into_iter()
            .filter(|id| id.starts_with("key."))
            .collect::<Vec<_>>()
    };
    assert_eq!(key_ids(&sha1, "sha1leaf.key"), Vec::<String>::new());
    assert_eq!(key_ids(&sha1, "rsaca.key"), ["key.mismatch"]);
    assert_eq!(key_ids(&ca, "rsaca.key"), Vec::<String>::new());
    let small = pki.chain_file(
        "rsa1024.pem",
        &[&pki.intermediate.issue_rsa1024(), &pki.intermediate.cert],
    );
    assert_eq!(key_ids(&small, "rsa1024.key"), ["key.weak"]);
    assert_eq!(key_ids(&small, "rsaca.key"), ["key.mismatch", "key.weak"]);
}

#[test]
fn combined_files_encrypted_keys_and_key_count() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let other = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let root = pki.root_file();
    let combined = pki.write(
        "cert+key.pem",
        &format!("{}{}{}", leaf.pem, pki.intermediate.cert.pem, leaf.key.clone().unwrap()),
    );
    std::fs::set_permissions(&combined, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        ids(
            &scan_json(&["--file", &combined, "--trust", "none", "--ca-file", &root]),
            0
        ),
        Vec::<String>::new()
    );
    let mixed = pki.write(
        "mixed.pem",
        &format!(
            "{}{}{}",
            leaf.pem,
            pki.intermediate.cert.pem,
            other.key.clone().unwrap()
        ),
    );
    std::fs::set_permissions(&mixed, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        ids(
            &scan_json(&["--file", &mixed, "--trust", "none", "--ca-file", &root]),
            0
        ),
        ["key.mismatch"]
    );
    let chain = pki.chain_file("chain.pem", &[&leaf, &pki.intermediate.cert]);
    let doc = scan_with_key(&pki, &chain, &legacy_key(&pki, "encrypted.key"), &[]);
    assert_eq!(ids(&doc, 0), ["key.encrypted"]);
    assert_eq!(doc["exit_code"], 0, "an encrypted key is worth knowing, not an error");
    let out = certscan(&[
        "--file",
        &chain,
        "--key",
        &legacy("encrypted.key"),
        "--key",
        &legacy("rsaca.key"),
    ]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("each --key goes with the --file"));
}

#[test]
fn modes_owners_and_the_accounts_that_must_read() {
    let pki = Pki::new();
    std::fs::set_permissions(pki.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let chain = pki.chain_file("chain.pem", &[&leaf, &pki.intermediate.cert]);
    let key = write_key(&pki, "server.key", leaf.key.as_ref().unwrap());
    let meta = std::fs::metadata(&key).unwrap();
    let (uid, gid) = (meta.uid(), meta.gid());
    // Accounts other than the files' owner; never root, which reads everything.
    let (other_uid, other_gid) = (uid.max(1) + 4242, gid.max(1) + 4242);
    let owner = format!("{uid}:{gid}");
    let group_member = format!("{other_uid}:{gid}");
    let stranger = format!("{other_uid}:{other_gid}");
    let run = |mode: u32, account: &str| {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let doc = scan_with_key(&pki, &chain, &key, &["--readable-by", account]);
        ids(&doc, 0)
    };
    assert_eq!(run(0o600, &owner), Vec::<String>::new());
    if uid != 0 {
        assert_eq!(run(0o600, &group_member), ["file.unreadable"]);
    }
    assert_eq!(run(0o640, &group_member), Vec::<String>::new());
    let doc = scan_with_key(&pki, &chain, &key, &[]);
    let files = doc["targets"][0]["files"].as_array().unwrap();
    let key_view = files.iter().find(|f| f["role"] == "private key").unwrap();
    assert_eq!(
        (key_view["mode"].as_str(), key_view["uid"].as_u64()),
        (Some("0640"), Some(uid as u64))
    );
    assert_eq!(run(0o640, &stranger), ["file.unreadable"]);
    assert_eq!(run(0o644, &stranger), ["key.world_readable"]);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let doc = scan_with_key(&pki, &chain, &key, &["--readable-by", &stranger]);
    let text = detail(&doc, 0, "file.unreadable").to_string();
    assert!(
        text.contains(&stranger) && text.contains("server.key") && text.contains("mode 0640"),
        "{text}"
    );
    // A folder the account cannot enter hides even a world-readable file.
    std::fs::set_permissions(pki.dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&chain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let doc = scan_json(&[
        "--file",
        &chain,
        "--readable-by",
        &stranger,
        "--trust",
        "none",
        "--ca-file",
        &pki.root_file(),
    ]);
    assert!(detail(&doc, 0, "file.unreadable").contains("cannot enter"));
    std::fs::set_permissions(pki.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = certscan(&["--file", &chain, "--readable-by", "no-such-account-here"]);
    assert_eq!(out.code, 3);
}

#[test]
fn an_endpoint_still_serving_the_old_certificate_is_stale() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let old = pki.leaf(&LeafSpec::new(&["www.example.test"]).validity(-80, 10));
    let new = pki.leaf(&LeafSpec::new(&["www.example.test"]).validity(-1, 89));
    let port = servers.tls(vec![old.der.clone(), pki.intermediate.cert.der.clone()], old.key_der());
    let on_disk = pki.chain_file("fullchain.pem", &[&new, &pki.intermediate.cert]);
    let base = pinned_scan_args(&pki, &format!("www.example.test:{port}"), "www.example.test", port);
    let doc = scan_json_with(&base, &["--compare", &on_disk, "--profile", "kazoo"]);
    assert_eq!(ids(&doc, 0), ["cert.expires_soon", "deploy.stale"]);
    let stale = finding(&doc, 0, "deploy.stale");
    assert!(
        stale["detail"]
            .as_str()
            .unwrap()
            .contains("file's certificate is the newer one"),
        "{stale:#}"
    );
    assert!(stale["remediation"].as_str().unwrap().contains("restart_app crossbar"));
    let current = pki.chain_file("current.pem", &[&old, &pki.intermediate.cert]);
    let doc = scan_json_with(&base, &["--compare", &current]);
    assert_eq!(ids(&doc, 0), ["cert.expires_soon"]);
}

#[test]
fn a_leaf_only_file_names_itself_in_the_remediation() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    let file = pki.chain_file("cert.pem", &[&leaf]);
    let doc = scan_json(&["--file", &file, "--trust", "none", "--ca-file", &pki.root_file()]);
    let remediation = finding(&doc, 0, "chain.incomplete")["remediation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        remediation.contains(&file) && remediation.contains("fullchain.pem"),
        "{remediation}"
    );
}

#[test]
fn nginx_server_blocks_are_checked_on_disk_and_against_what_their_ports_serve() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let name = "www.example.test";
    // A certbot-like lineage: cert.pem (leaf only) and fullchain.pem.
    let live = pki.dir.path().join("live/www");
    std::fs::create_dir_all(&live).unwrap();
    let current = pki.leaf(&LeafSpec::new(&[name]));
    let old = pki.leaf(&LeafSpec::new(&[name]).validity(-80, 40));
    std::fs::write(live.join("cert.pem"), &current.pem).unwrap();
    std::fs::write(
        live.join("fullchain.pem"),
        format!("{}{}", current.pem, pki.intermediate.cert.pem),
    )
    .unwrap();
    let key = write_key(&pki, "privkey.pem", current.key.as_ref().unwrap());
    let reply = common::servers::App::Reply(
        "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: 0\r\n\r\n".into(),
    );
    let config = |leaf: &Issued| {
        common::servers::server_config(
            vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
            leaf.key_der(),
            vec![b"http/1.1".to_vec()],
        )
    };
    let serving_current = servers.tls_app(config(&current), reply.clone());
    let serving_old = servers.tls_app(config(&old), reply);
    let sites = pki.dir.path().join("sites-enabled");
    std::fs::create_dir_all(&sites).unwrap();
    std::fs::write(
        sites.join("platform"),
        format!(
            "server {{\n  listen {serving_current} ssl;\n  server_name {name};\n  ssl_certificate {}/cert.pem;\n  ssl_certificate_key {key};\n}}\n\
             server {{\n  listen {serving_old} ssl;\n  server_name {name};\n  ssl_certificate {}/fullchain.pem;\n  ssl_certificate_key {key};\n}}\n",
            live.display(),
            live.display()
        ),
    )
    .unwrap();
    let root = pki.root_file();
    let doc = scan_json(&[
        "--nginx-conf",
        sites.to_str().unwrap(),
        "--trust",
        "none",
        "--ca-file",
        &root,
    ]);
    let targets = doc["targets"].as_array().unwrap();
    let summary: Vec<(String, Vec<String>)> = (0..targets.len())
        .map(|i| {
            let t = &targets[i];
            let what = t["file"]
                .as_str()
                .map(|f| f.rsplit('/').next().unwrap().to_string())
                .unwrap_or_else(|| t["port"].to_string());
            (what, ids(&doc, i))
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (serving_current.to_string(), vec![]),
            (serving_old.to_string(), vec!["deploy.stale".to_string()]),
            ("cert.pem".to_string(), vec!["chain.incomplete".to_string()]),
            ("fullchain.pem".to_string(), vec![]),
        ]
    );
    let file_target = targets
        .iter()
        .position(|t| t["file"].as_str().is_some_and(|f| f.ends_with("cert.pem")))
        .unwrap();
    let remediation = finding(&doc, file_target, "chain.incomplete")["remediation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        remediation.contains("certbot's leaf-only file") && remediation.contains("fullchain.pem"),
        "{remediation}"
    );
    assert!(targets[file_target]["source"].as_str().unwrap().starts_with("nginx "));
    assert_eq!(targets[file_target]["names_checked"], serde_json::json!([name]));
}

#[test]
fn certbot_lineages_hooks_and_stale_copies() {
    let pki = Pki::new();
    let le = pki.dir.path().join("letsencrypt");
    let make_lineage = |name: &str, host: &str, hook: Option<&str>| -> (Issued, Issued) {
        let current = pki.leaf(&LeafSpec::new(&[host]));
        let previous = pki.leaf(&LeafSpec::new(&[host]).validity(-100, 10));
        let live = le.join("live").join(name);
        std::fs::create_dir_all(&live).unwrap();
        std::fs::write(
            live.join("fullchain.pem"),
            format!("{}{}", current.pem, pki.intermediate.cert.pem),
        )
        .unwrap();
        let key = live.join("privkey.pem");
        std::fs::write(&key, current.key.as_ref().unwrap()).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::create_dir_all(le.join("renewal")).unwrap();
        let hook_line = hook.map(|h| format!("deploy_hook = {h}\n")).unwrap_or_default();
        std::fs::write(
            le.join("renewal").join(format!("{name}.conf")),
            format!("version = 2.9.0\n[renewalparams]\nauthenticator = webroot\n{hook_line}"),
        )
        .unwrap();
        (current, previous)
    };
    make_lineage("web", "web.example.test", Some("systemctl reload nginx"));
    let (api_current, api_previous) = make_lineage("api", "api.example.test", None);
    let stale_copy = pki.write("crossbar.crt", &api_previous.pem);
    let fresh_copy = pki.write("fresh.crt", &api_current.pem);
    let root = pki.root_file();
    let le_dir = le.display().to_string();
    let doc = scan_json(&[
        "--letsencrypt-dir",
        &le_dir,
        "--copy",
        &stale_copy,
        "--trust",
        "none",
        "--ca-file",
        &root,
    ]);
    let sources: Vec<&str> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["certbot lineage api", "certbot lineage web"]);
    assert_eq!(ids(&doc, 0), ["certbot.no_deploy_hook", "deploy.stale_copy"]);
    assert!(detail(&doc, 0, "deploy.stale_copy").contains("crossbar.crt"));
    assert_eq!(
        ids(&doc, 1),
        Vec::<String>::new(),
        "the web lineage has its hook, and the copy is not one of its names"
    );
    let doc = scan_json(&[
        "--letsencrypt-dir",
        &le_dir,
        "--copy",
        &fresh_copy,
        "--trust",
        "none",
        "--ca-file",
        &root,
    ]);
    assert_eq!(ids(&doc, 0), ["certbot.no_deploy_hook"]);
    // A global deploy hook covers every lineage.
    std::fs::create_dir_all(le.join("renewal-hooks/deploy")).unwrap();
    std::fs::write(
        le.join("renewal-hooks/deploy/reload.sh"),
        "#!/bin/sh\nsystemctl reload nginx\n",
    )
    .unwrap();
    let doc = scan_json(&["--letsencrypt-dir", &le_dir, "--trust", "none", "--ca-file", &root]);
    assert_eq!((ids(&doc, 0), ids(&doc, 1)), (vec![], vec![]));
    let out = certscan(&["--copy", &stale_copy]);
    assert_eq!(out.code, 3);
}

/// A PKCS#12 keystore holding `chain` with `key` (PKCS#8 PEM), written with `password`.
fn keystore(chain: &[&Issued], key_pem: &str, password: &str) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    use rustls::pki_types::pem::PemObject;
    let key_der = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let certs: Vec<Certificate> = chain
        .iter()
        .map(|c| Certificate::from_der(c.der.as_ref()).unwrap())
        .collect();
    let entry = PrivateKeyChain::new(
        vec![1u8; 20],
        PrivateKey::from_der(key_der.secret_pkcs8_der()).unwrap(),
        certs,
    );
    let mut store = KeyStore::new();
    store.add_entry("server", KeyStoreEntry::PrivateKeyChain(entry));
    store.writer(password).write().unwrap()
}

/// Runs certscan with P12_PASSWORD set in its environment.
fn scan_with_password(args: &[&str], password: &str) -> (i32, Value) {
    let all = [
        args,
        &["--password-env", "P12_PASSWORD", "--format", "json", "--at", AT],
    ]
    .concat();
    let out = certscan_with_env(&all, &[("P12_PASSWORD", Some(password))]);
    (out.code, serde_json::from_str(&out.stdout).unwrap_or(Value::Null))
}

#[test]
fn pkcs12_keystores_open_with_the_password_from_the_environment() {
    let pki = Pki::new();
    let leaf = pki.leaf(&LeafSpec::new(&["media.example.test"]));
    let other = pki.leaf(&LeafSpec::new(&["media.example.test"]));
    let root = pki.root_file();
    let good = pki.dir.path().join("kurento.p12");
    std::fs::write(
        &good,
        keystore(&[&leaf, &pki.intermediate.cert], leaf.key.as_ref().unwrap(), "s3cret"),
    )
    .unwrap();
    std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o600)).unwrap();
    let good = good.display().to_string();
    let (code, doc) = scan_with_password(&["--file", &good, "--trust", "none", "--ca-file", &root], "s3cret");
    assert_eq!((code, ids(&doc, 0)), (0, vec![]), "{doc:#}");
    assert_eq!(doc["targets"][0]["chain"].as_array().unwrap().len(), 2);
    let (code, doc) = scan_with_password(&["--file", &good, "--trust", "none", "--ca-file", &root], "wrong");
    assert_eq!((code, ids(&doc, 0)), (3, vec!["pkcs12.bad_password".to_string()]));
    let mismatched = pki.dir.path().join("mismatched.pfx");
    std::fs::write(
        &mismatched,
        keystore(&[&leaf, &pki.intermediate.cert], other.key.as_ref().unwrap(), "s3cret"),
    )
    .unwrap();
    std::fs::set_permissions(&mismatched, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (_, doc) = scan_with_password(
        &[
            "--file",
            mismatched.to_str().unwrap(),
            "--trust",
            "none",
            "--ca-file",
            &root,
        ],
        "s3cret",
    );
    assert_eq!(ids(&doc, 0), ["key.mismatch"]);
    let out = certscan(&["--file", &good, "--password-env", "CERTSCAN_TEST_UNSET_VARIABLE"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("CERTSCAN_TEST_UNSET_VARIABLE"));
}

/// Copies a committed fixture tree into a fresh folder.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A Wazo machine as its packages and documentation lay it out, under a temporary root: the
/// packaged configuration of three services with `custom-certificate.yml` linked into each
/// `conf.d/`, the certificate it names (issued by the test PKI) and its key, readable by
/// www-data and nobody else.
struct WazoBox {
    pki: Pki,
    leaf: Issued,
    root: std::path::PathBuf,
}

impl WazoBox {
    fn new() -> Option<WazoBox> {
        let pki = Pki::new();
        let root = pki.dir.path().join("root");
        copy_tree(&common::pki::fixture("wazo-root"), &root);
        let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
        let ssl = root.join("etc/ssl/wazo");
        std::fs::create_dir_all(&ssl).unwrap();
        std::fs::write(
            ssl.join("fullchain.pem"),
            format!("{}{}", leaf.pem, pki.intermediate.cert.pem),
        )
        .unwrap();
        std::fs::write(ssl.join("leaf-only.pem"), &leaf.pem).unwrap();
        std::fs::write(
            ssl.join("ca.pem"),
            format!("{}{}", pki.intermediate.cert.pem, pki.root.cert.pem),
        )
        .unwrap();
        let key = ssl.join("privkey.pem");
        std::fs::write(&key, leaf.key.as_ref().unwrap()).unwrap();
        let www_data = certscan_probe::disk::lookup_account("www-data");
        let Some((Some(_), gids)) = www_data else {
            eprintln!("no www-data account on this machine: the Wazo layout cannot be set up");
            return None;
        };
        if std::os::unix::fs::chown(&key, Some(0), Some(gids[0])).is_err() {
            eprintln!("not root: the key cannot be given to group www-data");
            return None;
        }
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
        Some(WazoBox { pki, leaf, root })
    }

    /// Adds a file to a service's conf.d/.
    fn conf_d(&self, service: &str, name: &str, yaml: &str) {
        std::fs::write(self.root.join(format!("etc/{service}/conf.d/{name}")), yaml).unwrap();
    }

    fn scan(&self) -> serde_json::Value {
        let root = self.root.display().to_string();
        let ca = self.pki.root_file();
        scan_json(&[
            "--profile",
            "wazo",
            "--config-root",
            &root,
            "--trust",
            "none",
            "--ca-file",
            &ca,
        ])
    }
}

#[test]
fn a_wazo_box_set_up_as_documented_gets_no_finding() {
    let Some(wazo) = WazoBox::new() else { return };
    let doc = wazo.scan();
    assert_eq!(doc["targets"].as_array().unwrap().len(), 1);
    assert!(
        doc["targets"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("etc/ssl/wazo/fullchain.pem")
    );
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    assert_eq!(doc["exit_code"], 0);
    let roles: Vec<&str> = doc["targets"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"private key"),
        "the key beside the certificate is checked: {roles:?}"
    );
}

#[test]
fn each_planted_wazo_fault_gives_exactly_its_finding() {
    // (service, conf.d file, YAML, the one finding, words of its detail)
    let faults: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            "wazo-calld",
            "020-auth-https.yml",
            "auth:\n  https: true\n  verify_certificate: /etc/ssl/wazo/ca.pem\n",
            "wazo.host_mismatch",
            &[
                "auth connection of wazo-calld",
                "host set in /etc/wazo-calld/config.yml",
                "localhost",
            ],
        ),
        (
            "wazo-dird",
            "020-confd.yml",
            "confd:\n  host: wazo.example.test\n  https: true\n",
            "wazo.verify_mismatch",
            &[
                "confd connection of wazo-dird",
                "verify_certificate not set",
                "the default when verify_certificate is absent",
            ],
        ),
        (
            "wazo-dird",
            "020-confd.yml",
            "confd:\n  host: wazo.example.test\n  https: true\n  verify_certificate: /etc/ssl/wazo/leaf-only.pem\n",
            "wazo.verify_mismatch",
            &[
                "verify_certificate set in /etc/wazo-dird/conf.d/020-confd.yml",
                "not the CA that issued it",
            ],
        ),
        (
            "wazo-webhookd",
            "020-auth.yml",
            "auth:\n  host: wazo.example.test\n  https: true\n  verify_certificate: false\n",
            "wazo.verify_disabled",
            &["auth connection of wazo-webhookd", "wazo.example.test"],
        ),
    ];
    for (service, file, yaml, id, words) in faults {
        let Some(wazo) = WazoBox::new() else { return };
        wazo.conf_d(service, file, yaml);
        let doc = wazo.scan();
        assert_eq!(ids(&doc, 0), [*id], "{service} {file}: {doc:#}");
        let text = detail(&doc, 0, id);
        assert!(words.iter().all(|w| text.contains(w)), "{text}");
        let fix = finding(&doc, 0, id)["remediation"].as_str().unwrap();
        assert!(
            fix.contains("/etc/xivo/custom/custom-certificate.yml") && fix.contains(&format!("/etc/{service}/conf.d/")),
            "{fix}"
        );
    }

    // A key that www-data cannot read: the documented `sudo -u www-data cat server.key` fails.
    let Some(wazo) = WazoBox::new() else { return };
    let key = wazo.root.join("etc/ssl/wazo/privkey.pem");
    std::os::unix::fs::chown(&key, Some(0), Some(0)).unwrap();
    let doc = wazo.scan();
    assert_eq!(ids(&doc, 0), ["file.unreadable"], "{doc:#}");
    assert!(detail(&doc, 0, "file.unreadable").contains("privkey.pem"));
}

#[test]
fn wazo_default_self_signed_certificate_and_its_verification() {
    let Some(wazo) = WazoBox::new() else { return };
    // No custom certificate: the services serve Wazo's default, self-signed one.
    for service in ["wazo-calld", "wazo-dird", "wazo-webhookd"] {
        std::fs::remove_file(
            wazo.root
                .join(format!("etc/{service}/conf.d/010-custom-certificate.yml")),
        )
        .unwrap();
    }
    let certificate = common::pki::self_signed(&LeafSpec::new(&["wazo.example.test"]));
    let certs = wazo.root.join("usr/share/xivo-certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("server.crt"), &certificate.pem).unwrap();
    let root = wazo.root.display().to_string();
    let anchor = certs.join("server.crt").display().to_string();
    let scan = || {
        scan_json(&[
            "--profile",
            "wazo",
            "--config-root",
            &root,
            "--trust",
            "none",
            "--ca-file",
            &anchor,
        ])
    };
    // Packaged settings only (plain HTTP on localhost): nothing Wazo-specific to say.
    let doc = scan();
    assert!(ids(&doc, 0).iter().all(|id| !id.starts_with("wazo.")), "{doc:#}");
    // HTTPS verified against the system's CAs cannot verify a self-signed certificate; against
    // the certificate itself it can.
    wazo.conf_d(
        "wazo-calld",
        "020-confd.yml",
        "confd:\n  host: wazo.example.test\n  https: true\n  verify_certificate: true\n",
    );
    let doc = scan();
    assert!(
        detail(&doc, 0, "wazo.verify_mismatch").contains("the self-signed certificate"),
        "{doc:#}"
    );
    assert!(
        finding(&doc, 0, "wazo.verify_mismatch")["remediation"]
            .as_str()
            .unwrap()
            .contains("/usr/share/xivo-certs/server.crt")
    );
    wazo.conf_d(
        "wazo-calld",
        "020-confd.yml",
        "confd:\n  host: wazo.example.test\n  https: true\n  verify_certificate: /usr/share/xivo-certs/server.crt\n",
    );
    let doc = scan();
    assert!(ids(&doc, 0).iter().all(|id| !id.starts_with("wazo.")), "{doc:#}");
}

#[test]
fn kazoo_ui_api_urls_must_be_https_and_are_scanned() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let root = pki.dir.path().join("root");
    copy_tree(&common::pki::fixture("kazoo-root"), &root);
    let root_arg = root.display().to_string();
    let doc = scan_json(&["--profile", "kazoo", "--config-root", &root_arg]);
    assert_eq!(ids(&doc, 0), ["kazoo.api_not_https"]);
    assert!(detail(&doc, 0, "kazoo.api_not_https").contains("http://kazoo.example.test:8000/v2/"));
    // An https API URL is scanned like any endpoint.
    let leaf = pki.leaf(&LeafSpec::new(&["kazoo.example.test"]));
    let reply = common::servers::App::Reply(
        "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: 0\r\n\r\n".into(),
    );
    let config = common::servers::server_config(
        vec![leaf.der.clone(), pki.intermediate.cert.der.clone()],
        leaf.key_der(),
        vec![],
    );
    let port = servers.tls_app(config, reply);
    std::fs::write(
        root.join("var/www/html/monster-ui/js/config.js"),
        format!("define({{ api: {{ default: 'https://kazoo.example.test:{port}/v2/' }} }});\n"),
    )
    .unwrap();
    let pin = format!("kazoo.example.test:{port}:127.0.0.1");
    let ca = pki.root_file();
    let doc = scan_json(&[
        "--profile",
        "kazoo",
        "--config-root",
        &root_arg,
        "--resolve",
        &pin,
        "--trust",
        "none",
        "--ca-file",
        &ca,
    ]);
    assert_eq!(doc["targets"].as_array().unwrap().len(), 1);
    assert_eq!(doc["targets"][0]["port"], port);
    assert_eq!(doc["targets"][0]["exchange"]["request"], "GET /v2/");
    assert_eq!(ids(&doc, 0), Vec::<String>::new());
}

#[test]
fn a_kazoo_ui_configuration_that_exists_but_cannot_be_read_is_said_not_skipped() {
    let pki = Pki::new();
    let root = pki.dir.path().join("root");
    let js = root.join("var/www/monster-ui/js");
    // Where Monster UI's config.js is not installed, it is looked for elsewhere, silently.
    std::fs::create_dir_all(&js).unwrap();
    let root_arg = root.display().to_string();
    let file = pki.write(
        "leaf.pem",
        &common::pki::self_signed(&LeafSpec::new(&["kazoo.example.test"])).pem,
    );
    let scan = || {
        certscan(&[
            "--profile",
            "kazoo",
            "--config-root",
            &root_arg,
            "--file",
            &file,
            "--at",
            AT,
        ])
    };
    let none = scan();
    assert_ne!(none.code, 3, "{}", none.stderr);
    // A config.js that is there but cannot be read is a usage error that names it.
    std::fs::create_dir_all(js.join("config.js")).unwrap();
    let unreadable = scan();
    assert_eq!(unreadable.code, 3, "{}", unreadable.stdout);
    assert!(
        unreadable.stderr.contains("--config-root:") && unreadable.stderr.contains("config.js is a directory"),
        "{}",
        unreadable.stderr
    );
}

#[test]
fn permissions_are_judged_along_certbots_symlinks_as_the_account_walks_them() {
    let pki = Pki::new();
    std::fs::set_permissions(pki.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]));
    // /etc/letsencrypt as certbot lays it out: live/NAME/* link to archive/NAME/*1.pem.
    let le = pki.dir.path().join("letsencrypt");
    for dir in ["archive/a.example.test", "live/a.example.test"] {
        std::fs::create_dir_all(le.join(dir)).unwrap();
    }
    let archive = le.join("archive/a.example.test");
    std::fs::write(
        archive.join("fullchain1.pem"),
        format!("{}{}", leaf.pem, pki.intermediate.cert.pem),
    )
    .unwrap();
    std::fs::write(archive.join("privkey1.pem"), leaf.key.as_ref().unwrap()).unwrap();
    for (link, target) in [("fullchain.pem", "fullchain1.pem"), ("privkey.pem", "privkey1.pem")] {
        std::os::unix::fs::symlink(
            format!("../../archive/a.example.test/{target}"),
            le.join("live/a.example.test").join(link),
        )
        .unwrap();
    }
    let mode = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let chain = le.join("live/a.example.test/fullchain.pem").display().to_string();
    let key = le.join("live/a.example.test/privkey.pem").display().to_string();
    let stranger = format!("{}:{}", 4242 + 1000, 4242 + 1000);

    // An old certbot's 0644 key behind certbot's 0700 archive/: not readable by everyone.
    mode(&archive.join("privkey1.pem"), 0o644);
    mode(&le.join("archive"), 0o700);
    let doc = scan_with_key(&pki, &chain, &key, &[]);
    assert_eq!(ids(&doc, 0), Vec::<String>::new(), "{doc:#}");
    // Opened to everyone, the same key is world-readable.
    mode(&le.join("archive"), 0o755);
    let doc = scan_with_key(&pki, &chain, &key, &[]);
    assert_eq!(ids(&doc, 0), ["key.world_readable"], "{doc:#}");

    // A 0700 live/ stops an account that may read archive/: the walk goes through the link.
    mode(&archive.join("privkey1.pem"), 0o640);
    mode(&le.join("live"), 0o700);
    let doc = scan_with_key(&pki, &chain, &key, &["--readable-by", &stranger]);
    let unreadable: Vec<&str> = details(&doc, 0, "file.unreadable");
    assert!(
        unreadable
            .iter()
            .any(|d| d.contains("cannot enter") && d.contains("/live")),
        "{unreadable:?}"
    );
    let fix = doc["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "file.unreadable")
        .unwrap()["remediation"]
        .as_str()
        .unwrap();
    assert!(
        fix.contains("chgrp 5242") && !fix.contains("www-data"),
        "the account asked for: {fix}"
    );
    assert!(
        unreadable.iter().all(|d| d.contains(&stranger)),
        "the account asked for is named: {unreadable:?}"
    );
}

#[test]
fn certbot_hook_scripts_are_read_as_certbot_runs_them() {
    let pki = Pki::new();
    let root = pki.dir.path().join("root");
    let le = root.join("etc/letsencrypt");
    let lineage = |name: &str, hook: &str, script: &str| {
        let leaf = pki.leaf(&LeafSpec::new(&[name]));
        let live = le.join("live").join(name);
        std::fs::create_dir_all(&live).unwrap();
        std::fs::write(
            live.join("fullchain.pem"),
            format!("{}{}", leaf.pem, pki.intermediate.cert.pem),
        )
        .unwrap();
        std::fs::write(live.join("cert.pem"), &leaf.pem).unwrap();
        let key = live.join("privkey.pem");
        std::fs::write(&key, leaf.key.as_ref().unwrap()).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::create_dir_all(le.join("renewal")).unwrap();
        // The renewal configuration as certbot writes it for --deploy-hook.
        std::fs::write(
            le.join("renewal").join(format!("{name}.conf")),
            format!(
                "# renew_before_expiry = 30 days\nversion = 2.9.0\narchive_dir = /etc/letsencrypt/archive/{name}\ncert = /etc/letsencrypt/live/{name}/cert.pem\nprivkey = /etc/letsencrypt/live/{name}/privkey.pem\nchain = /etc/letsencrypt/live/{name}/chain.pem\nfullchain = /etc/letsencrypt/live/{name}/fullchain.pem\n\n# Options used in the renewal process\n[renewalparams]\naccount = 0123456789abcdef0123456789abcdef\nauthenticator = webroot\nwebroot_path = /var/www/html,\nserver = https://acme-v02.api.letsencrypt.org/directory\nkey_type = ecdsa\nrenew_hook = {hook}\n[[webroot_map]]\n{name} = /var/www/html\n"
            ),
        )
        .unwrap();
        let on_disk = root.join(hook.split_whitespace().next().unwrap().trim_start_matches('/'));
        std::fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
        std::fs::write(&on_disk, script).unwrap();
    };
    lineage(
        "kazoo.example.test",
        "/usr/local/bin/kazoo-certificate.sh",
        "#!/bin/sh\nset -e\n# Kazoo reads its own copy\ncp \"$RENEWED_LINEAGE/cert.pem\" /etc/kazoo/certs/crossbar.crt\ncp \"$RENEWED_LINEAGE/privkey.pem\" /etc/kazoo/certs/crossbar.key\nchown kazoo /etc/kazoo/certs/crossbar.*\n",
    );
    lineage(
        "wazo.example.test",
        "/usr/local/bin/wazo-certificate.sh",
        "#!/bin/sh\nset -e\ncp \"$RENEWED_LINEAGE/fullchain.pem\" /etc/ssl/wazo/fullchain.pem\ncp \"$RENEWED_LINEAGE/privkey.pem\" /etc/ssl/wazo/privkey.pem\nwazo-service restart all\n",
    );
    let le_dir = le.display().to_string();
    let root_pem = pki.root_file();
    let doc = scan_json(&["--letsencrypt-dir", &le_dir, "--trust", "none", "--ca-file", &root_pem]);
    assert_eq!(doc["targets"][0]["source"], "certbot lineage kazoo.example.test");
    assert_eq!(
        ids(&doc, 0),
        ["certbot.hook_copies_leaf", "certbot.hook_no_reload"],
        "{doc:#}"
    );
    let text = detail(&doc, 0, "certbot.hook_copies_leaf");
    assert!(text.contains("line 4 of /usr/local/bin/kazoo-certificate.sh"), "{text}");
    assert!(detail(&doc, 0, "certbot.hook_no_reload").contains("line 4"));
    assert_eq!(
        ids(&doc, 1),
        Vec::<String>::new(),
        "the Wazo hook copies the full chain and restarts: {doc:#}"
    );
}

#[test]
fn nginx_relative_includes_listen_addresses_and_certificate_pairs() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let name = "media.example.test";
    let nginx = pki.dir.path().join("etc/nginx");
    for dir in ["sites-enabled", "snippets", "ssl"] {
        std::fs::create_dir_all(nginx.join(dir)).unwrap();
    }
    // Two certificate/key pairs side by side, as nginx serves RSA and ECDSA ones.
    let (first, first_key) = common::pki::leaf_with_key(
        &pki.intermediate,
        &LeafSpec::new(&[name]),
        &rcgen::PKCS_ECDSA_P256_SHA256,
    );
    let (second, second_key) = common::pki::leaf_with_key(
        &pki.intermediate,
        &LeafSpec::new(&[name]),
        &rcgen::PKCS_ECDSA_P384_SHA384,
    );
    let ssl = nginx.join("ssl");
    for (file, leaf, key) in [("first", &first, &first_key), ("second", &second, &second_key)] {
        std::fs::write(
            ssl.join(format!("{file}.pem")),
            format!("{}{}", leaf.pem, pki.intermediate.cert.pem),
        )
        .unwrap();
        let key_path = ssl.join(format!("{file}.key"));
        std::fs::write(&key_path, key).unwrap();
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // The endpoint listens on 127.0.0.2 only and serves the second pair.
    let config = common::servers::server_config(
        vec![second.der.clone(), pki.intermediate.cert.der.clone()],
        second.key_der(),
        vec![b"http/1.1".to_vec()],
    );
    let reply = common::servers::App::Reply(
        "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: 0\r\n\r\n".into(),
    );
    let address = servers.tls_app_on(config, reply, "127.0.0.2:0");
    std::fs::write(
        nginx.join("nginx.conf"),
        "events {}\nhttp {\n    include sites-enabled/*;\n}\n",
    )
    .unwrap();
    std::fs::write(
        nginx.join("snippets/pairs.conf"),
        format!(
            "ssl_certificate {ssl}/first.pem;\nssl_certificate_key {ssl}/first.key;\nssl_certificate {ssl}/second.pem;\nssl_certificate_key {ssl}/second.key;\n",
            ssl = ssl.display()
        ),
    )
    .unwrap();
    let site = nginx.join("sites-enabled/media");
    std::fs::write(
        &site,
        format!(
            "server {{\n    listen {address} ssl;\n    server_name {name};\n    # relative to nginx's prefix, not to sites-enabled/\n    include snippets/pairs.conf;\n}}\n"
        ),
    )
    .unwrap();
    let root = pki.root_file();
    let doc = scan_json(&[
        "--nginx-conf",
        site.to_str().unwrap(),
        "--trust",
        "none",
        "--ca-file",
        &root,
    ]);
    let targets = doc["targets"].as_array().unwrap();
    let files: Vec<&str> = targets.iter().filter_map(|t| t["file"].as_str()).collect();
    assert_eq!(files.len(), 2, "both pairs are checked: {doc:#}");
    assert!(
        files[0].ends_with("first.pem") && files[1].ends_with("second.pem"),
        "{files:?}"
    );
    let endpoint = targets.iter().position(|t| t["port"] == address.port()).unwrap();
    assert_eq!(targets[endpoint]["address"], "127.0.0.2", "scanned where it listens");
    for (i, target) in targets.iter().enumerate() {
        assert_eq!(ids(&doc, i), Vec::<String>::new(), "{target:#}");
    }
}

#[test]
fn proxied_backends_must_listen_on_loopback_only() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let root = pki.dir.path().join("machine");
    let nginx = root.join("etc/nginx");
    std::fs::create_dir_all(nginx.join("sites-enabled")).unwrap();
    std::fs::create_dir_all(root.join("proc/net")).unwrap();
    let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
    let chain = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    let key = write_key(&pki, "privkey.pem", leaf.key.as_ref().unwrap());
    let port = servers.closed_port();
    std::fs::write(
        nginx.join("nginx.conf"),
        "events {}\nhttp { include sites-enabled/*; }\n",
    )
    .unwrap();
    let site = nginx.join("sites-enabled/wazo");
    std::fs::write(
        &site,
        format!(
            "upstream calld {{ server 127.0.0.1:9500; }}\nserver {{\n  listen 127.0.0.1:{port} ssl;\n  server_name wazo.example.test;\n  ssl_certificate {chain};\n  ssl_certificate_key {key};\n  location /api/auth/ {{ proxy_pass http://127.0.0.1:9497/; }}\n  location /api/calld/ {{ proxy_pass http://calld/; }}\n}}\n"
        ),
    )
    .unwrap();
    // The kernel's table: wazo-auth (9497) on every address, wazo-calld (9500) on loopback.
    let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    let table = |auth_address: &str| {
        format!(
            "{header}   0: {auth_address}:2519 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   1: 0100007F:251C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n"
        )
    };
    std::fs::write(root.join("proc/net/tcp"), table("00000000")).unwrap();
    let ca = pki.root_file();
    let scan = || {
        scan_json(&[
            "--config-root",
            root.to_str().unwrap(),
            "--nginx-conf",
            site.to_str().unwrap(),
            "--trust",
            "none",
            "--ca-file",
            &ca,
        ])
    };
    let doc = scan();
    let file = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t["file"].is_string())
        .unwrap();
    assert_eq!(ids(&doc, file), ["proxy.backend_exposed"], "{doc:#}");
    let text = detail(&doc, file, "proxy.backend_exposed");
    assert!(
        text.contains("port 9497") && text.contains("0.0.0.0:9497 (every address)"),
        "{text}"
    );
    assert!(
        finding(&doc, file, "proxy.backend_exposed")["remediation"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9497:9497")
    );
    // Bound to loopback, as Wazo packages it: nothing to say.
    std::fs::write(root.join("proc/net/tcp"), table("0100007F")).unwrap();
    let doc = scan();
    assert_eq!(ids(&doc, file), Vec::<String>::new(), "{doc:#}");
}

#[test]
fn plain_http_on_a_proxied_backend_is_told_to_hide_not_to_speak_tls() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let backend = servers.raw(Raw::PlainHttp);
    let nginx = pki.dir.path().join("etc/nginx");
    std::fs::create_dir_all(nginx.join("sites-enabled")).unwrap();
    let leaf = pki.leaf(&LeafSpec::new(&["wazo.example.test"]));
    let chain = pki.chain_file("fullchain.pem", &[&leaf, &pki.intermediate.cert]);
    std::fs::write(nginx.join("nginx.conf"), "events {}\n").unwrap();
    let site = nginx.join("sites-enabled/wazo");
    std::fs::write(
        &site,
        format!("server {{\n  server_name wazo.example.test;\n  ssl_certificate {chain};\n  location / {{ proxy_pass http://localhost:{backend}; }}\n}}\n"),
    )
    .unwrap();
    let target = format!("127.0.0.1:{backend}");
    let ca = pki.root_file();
    let doc = scan_json(&[
        &target,
        "--nginx-conf",
        site.to_str().unwrap(),
        "--trust",
        "none",
        "--ca-file",
        &ca,
    ]);
    let endpoint = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t["port"] == backend)
        .unwrap();
    assert_eq!(ids(&doc, endpoint), ["tls.plaintext"], "{doc:#}");
    let fix = finding(&doc, endpoint, "tls.plaintext")["remediation"]
        .as_str()
        .unwrap();
    assert!(
        fix.contains("Do not enable TLS here") && fix.contains(&format!("127.0.0.1:{backend}:{backend}")),
        "{fix}"
    );
    // Without the proxy's configuration, plain HTTP on a TLS port is told to speak TLS.
    let doc = scan_json(&[&target, "--trust", "none", "--ca-file", &ca]);
    assert!(
        !finding(&doc, 0, "tls.plaintext")["remediation"]
            .as_str()
            .unwrap()
            .contains("Do not enable TLS")
    );
}

/// Python's `ssl` as Wazo's services have it: partial chains off, as in the Python 3.11 of the
/// Debian 12 that Wazo runs on; the test PKI lives around 2030 (`AT`), so the time check is off:
/// what is compared is how the chain is built, not the clock.
fn python_connects(port: u16, cafile: &std::path::Path, name: &str) -> Result<(), String> {
    let setup = common::clients::PythonSetup {
        no_partial_chain: true,
        no_time_check: true,
        ..Default::default()
    };
    common::clients::python_connects(port, cafile, name, setup)
}

#[test]
fn wazo_verify_certificate_files_are_judged_as_pythons_openssl_judges_them() {
    let Some(wazo) = WazoBox::new() else { return };
    let servers = Servers::new();
    let chain = vec![wazo.leaf.der.clone(), wazo.pki.intermediate.cert.der.clone()];
    let port = servers.tls(chain, wazo.leaf.key_der());
    let (leaf, intermediate, root) = (&wazo.leaf.pem, &wazo.pki.intermediate.cert.pem, &wazo.pki.root.cert.pem);
    let files: &[(&str, String)] = &[
        ("root-only.pem", root.clone()),
        ("intermediate-and-root.pem", format!("{intermediate}{root}")),
        ("intermediate-only.pem", intermediate.clone()),
        ("leaf-only-again.pem", leaf.clone()),
        ("leaf-and-intermediate.pem", format!("{leaf}{intermediate}")),
    ];
    for (name, pem) in files {
        let path = wazo.root.join("etc/ssl/wazo").join(name);
        std::fs::write(&path, pem).unwrap();
        let python = python_connects(port, &path, "wazo.example.test");
        wazo.conf_d(
            "wazo-dird",
            "020-confd.yml",
            &format!("confd:\n  host: wazo.example.test\n  https: true\n  verify_certificate: /etc/ssl/wazo/{name}\n"),
        );
        let doc = wazo.scan();
        let flagged = ids(&doc, 0).contains(&"wazo.verify_mismatch".to_string());
        assert_eq!(
            flagged,
            python.is_err(),
            "{name}: Python {python:?}, certscan {:?}",
            ids(&doc, 0)
        );
    }
    // What each does, so that a change of Python or OpenSSL that moves it shows here.
    let expected = ["works", "works", "fails", "fails", "fails"];
    for ((name, _), expected) in files.iter().zip(expected) {
        let path = wazo.root.join("etc/ssl/wazo").join(name);
        let python = python_connects(port, &path, "wazo.example.test");
        assert_eq!(python.is_ok(), expected == "works", "{name}: {python:?}");
    }
}
