//! The deployment around a certificate: whether the private key belongs to it, whether it is
//! encrypted or readable by everyone, whether the service accounts can read the files, and
//! whether an endpoint serves the certificate it should.

use rustls::pki_types::PrivateKeyDer;

use certscan_model::configured::Lineage;
use certscan_model::evidence::DeployEvidence;
use certscan_model::evidence::{FileFacts, KeyFound, Ownership};
use certscan_model::finding::{CheckId, Finding};
use certscan_x509::certificate::{CertInfo, strip_zeros};

/// An account that must be able to read the files (`--readable-by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// As the user wrote it.
    pub label: String,
    /// The user id, or `None` for a group.
    pub uid: Option<u32>,
    /// Its primary group and every group it is a member of.
    pub gids: Vec<u32>,
}

/// A file's ownership as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    pub path: String,
    /// `certificate` or `private key`.
    pub role: &'static str,
    pub uid: u32,
    pub gid: u32,
    /// Permission bits in octal, e.g. `0640`.
    pub mode: String,
}

pub(crate) fn file_views(deploy: &DeployEvidence) -> Vec<FileView> {
    deploy
        .files
        .iter()
        .map(|f| FileView {
            path: f.path.display().to_string(),
            role: f.role,
            uid: f.file.uid,
            gid: f.file.gid,
            mode: format!("{:04o}", f.file.mode),
        })
        .collect()
}

/// Whether the key belongs to the certificate: `None` when it cannot be told.
pub(crate) fn key_matches(leaf: &CertInfo, key: &PrivateKeyDer<'_>) -> Option<bool> {
    if let Ok(signing) = rustls::crypto::ring::sign::any_supported_type(key)
        && let Some(spki) = signing.public_key()
    {
        return Some(spki.as_ref() == leaf.spki_der.as_slice());
    }
    // RSA keys the crypto library refuses (under 2048 bits): compare the modulus.
    let modulus = rsa_private_modulus(key)?;
    Some(leaf.rsa_modulus.as_deref() == Some(strip_zeros(&modulus)))
}

/// A DER element: (tag, contents, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = match first {
        n if n < 0x80 => (n as usize, rest),
        0x81 => (*rest.first()? as usize, &rest[1..]),
        0x82 => (
            u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize,
            rest.get(2..)?,
        ),
        _ => return None,
    };
    Some((tag, rest.get(..length)?, rest.get(length..)?))
}

/// The modulus of an RSA private key (PKCS#1, or PKCS#8 wrapping PKCS#1).
fn rsa_private_modulus(key: &PrivateKeyDer<'_>) -> Option<Vec<u8>> {
    let pkcs1 = match key {
        PrivateKeyDer::Pkcs1(k) => k.secret_pkcs1_der().to_vec(),
        PrivateKeyDer::Pkcs8(k) => {
            let (_, info, _) = der_element(k.secret_pkcs8_der())?;
            let (_, _version, rest) = der_element(info)?;
            let (_, _algorithm, rest) = der_element(rest)?;
            let (tag, inner, _) = der_element(rest)?;
            (tag == 0x04).then(|| inner.to_vec())?
        }
        _ => return None,
    };
    let (_, sequence, _) = der_element(&pkcs1)?;
    let (_, _version, rest) = der_element(sequence)?;
    let (tag, modulus, _) = der_element(rest)?;
    (tag == 0x02).then(|| modulus.to_vec())
}

fn describe(o: &Ownership) -> String {
    format!("mode {:04o}, owner {}, group {}", o.mode, o.uid, o.gid)
}

/// Whether `account` has permission `bit` (4 read, 1 search) on a path, as POSIX decides it.
fn allowed(account: &Account, o: &Ownership, bit: u32) -> bool {
    if account.uid == Some(0) {
        return true;
    }
    if account.uid == Some(o.uid) {
        return o.mode & (bit << 6) != 0;
    }
    if account.gids.contains(&o.gid) {
        return o.mode & (bit << 3) != 0;
    }
    o.mode & bit != 0
}

/// Why `account` cannot read the file, if it cannot.
pub(crate) fn unreadable_reason(account: &Account, facts: &FileFacts) -> Option<String> {
    for (dir, o) in facts.parents.iter().rev() {
        if !allowed(account, o, 1) {
            return Some(format!("it cannot enter {} ({})", dir.display(), describe(o)));
        }
    }
    (!allowed(account, &facts.file, 4)).then(|| format!("the file does not allow it ({})", describe(&facts.file)))
}

/// Words of a hook line that put certificate files somewhere.
const COPY_COMMANDS: &[&str] = &["cp", "install", "cat", "rsync", "scp", "dd", "tee", "ln", "openssl"];

/// A command word as its program's name: `/usr/bin/cp` is `cp`.
fn program(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Whether a hook line makes a service load new files.
fn reloads(line: &str) -> bool {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
        .filter(|w| !w.is_empty())
        .map(program)
        .collect();
    let has = |w: &str| words.contains(&w);
    (has("systemctl")
        && words.iter().any(|w| {
            matches!(
                *w,
                "reload" | "restart" | "try-restart" | "reload-or-restart" | "try-reload-or-restart" | "kill"
            )
        }))
        || (has("service") && (has("reload") || has("restart")))
        || (has("nginx") && has("-s") && has("reload"))
        || has("-HUP")
        || has("-SIGHUP")
        || (has("kill") && has("HUP"))
        || (has("docker") && (has("restart") || has("kill")))
        || (has("sup") && words.iter().any(|w| w.starts_with("restart")))
        || ((has("wazo-service") || has("xivo-service")) && has("restart"))
        || (has("supervisorctl") && has("restart"))
        || has("apachectl")
        || has("apache2ctl")
        || (has("kamcmd") && words.iter().any(|w| w.contains("tls.reload")))
        || (has("asterisk") && has("-rx"))
}

/// The lineage file a hook line copies, if any: `cert.pem` (the leaf alone) is told apart.
fn copied_file(line: &str) -> Option<&'static str> {
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == ';'))
        .collect();
    if !words
        .iter()
        .any(|w| COPY_COMMANDS.contains(&program(w)) || *w == ">" || w.starts_with('>'))
    {
        return None;
    }
    let names = |suffix: &str| {
        words
            .iter()
            .any(|w| w.ends_with(suffix) || w.contains(&format!("{suffix}>")))
    };
    if words
        .iter()
        .any(|w| w.ends_with("/cert.pem") || *w == "cert.pem" || w.ends_with("}/cert.pem"))
    {
        return Some("cert.pem");
    }
    ["fullchain.pem", "privkey.pem", "chain.pem"]
        .into_iter()
        .find(|file| names(file))
}

/// What certbot's hooks for a lineage do with the renewed files: a hook that copies `cert.pem`
/// where the full chain belongs, or copies files without any hook reloading a service.
pub(crate) fn hook_findings(lineage: &Lineage) -> Vec<Finding> {
    let mut findings = Vec::new();
    let reloaded = lineage.hooks.iter().any(|hook| hook.text.lines().any(reloads));
    let mut first_copy: Option<String> = None;
    for hook in &lineage.hooks {
        for (number, line) in hook.text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some(file) = copied_file(line) else { continue };
            let at = match &hook.script {
                Some(script) => format!("line {} of {}", number + 1, script.display()),
                None => hook.origin.clone(),
            };
            first_copy.get_or_insert_with(|| format!("{at} ({line})"));
            if file == "cert.pem" {
                findings.push(
                    Finding::new(
                        CheckId::CertbotHookCopiesLeaf,
                        format!(
                            "{at} copies cert.pem of the certbot lineage {}, the certificate without its intermediate: \"{line}\"; the service that reads the copy sends an incomplete chain after every renewal",
                            lineage.name
                        ),
                    )
                    .with_remediation(format!(
                        "Copy fullchain.pem instead of cert.pem in {at} (the service's certificate file must hold the leaf and its intermediate), then run the hook once: certbot renew --cert-name {} --force-renewal, or the script by hand with RENEWED_LINEAGE=/etc/letsencrypt/live/{}.",
                        lineage.name, lineage.name
                    )),
                );
            }
        }
    }
    if let (Some(copy), false) = (first_copy, reloaded) {
        findings.push(
            Finding::new(
                CheckId::CertbotHookNoReload,
                format!(
                    "the hooks of the certbot lineage {} copy the renewed files ({copy}) but none reloads or restarts a service: it keeps serving the old certificate until something restarts it",
                    lineage.name
                ),
            )
            .with_remediation("Add the service's reload after the copy in the same hook (systemctl reload nginx; for Kazoo: sup kapps_controller restart_app crossbar; for Wazo: wazo-service restart all)."),
        );
    }
    findings
}

/// Backends behind a reverse proxy that also listen beyond loopback: reachable without TLS,
/// around the proxy.
pub(crate) fn proxy_findings(backends: &[(String, u16)], listening: &[std::net::SocketAddr]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = Vec::new();
    for (upstream, port) in backends {
        if seen.contains(port) {
            continue;
        }
        seen.push(*port);
        let exposed: Vec<String> = listening
            .iter()
            .filter(|socket| socket.port() == *port && !socket.ip().is_loopback())
            .map(|socket| {
                if socket.ip().is_unspecified() {
                    format!("{socket} (every address)")
                } else {
                    socket.to_string()
                }
            })
            .collect();
        if exposed.is_empty() {
            continue;
        }
        findings.push(
            Finding::new(
                CheckId::ProxyBackendExposed,
                format!(
                    "the proxy sends {upstream} to port {port} of this machine, which also listens on {}: clients can reach that backend without TLS, around the proxy",
                    exposed.join(", ")
                ),
            )
            .with_remediation(format!(
                "Bind the backend to 127.0.0.1 only (its listen address setting; for a Docker container publish it as -p 127.0.0.1:{port}:{port}), restart it, and check with: ss -ltn 'sport = :{port}'"
            )),
        );
    }
    findings
}

/// Findings for the deployment evidence of one target. `reload` is the command that makes the
/// service pick up a new certificate, for `deploy.stale`.
pub(crate) fn findings(
    deploy: &DeployEvidence,
    lineage: Option<&Lineage>,
    leaf: Option<&CertInfo>,
    accounts: &[Account],
    reload: &str,
    at_unix: i64,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let (Some((path, found)), Some(leaf)) = (&deploy.key, leaf) {
        findings.extend(key_finding(path, found, leaf));
    }
    for facts in &deploy.files {
        findings.extend(file_findings(facts, accounts));
    }
    if let (Some(lineage), Some(leaf)) = (lineage, leaf) {
        findings.extend(lineage_findings(lineage, leaf, deploy, at_unix));
    }
    if let (Some((path, expected)), Some(served)) = (&deploy.expected_leaf, leaf) {
        match expected {
            Err(error) => findings.push(Finding::new(CheckId::FileReadError, format!("--compare: {error}"))),
            Ok(der) => findings.extend(stale_finding(path, der, served, deploy, reload, at_unix)),
        }
    }
    findings
}

/// The key beside the certificate: one that belongs to another certificate, or one that could
/// not be matched.
fn key_finding(path: &std::path::Path, found: &Result<Option<KeyFound>, String>, leaf: &CertInfo) -> Option<Finding> {
    match found {
        Ok(Some(KeyFound::Plain(key))) => (key_matches(leaf, key) == Some(false)).then(|| {
            Finding::new(
                CheckId::KeyMismatch,
                format!(
                    "the private key in {} does not belong to the certificate {} (their public keys differ)",
                    path.display(),
                    leaf.label()
                ),
            )
            .with_remediation(format!(
                "Configure the key that was used for this certificate's request: openssl pkey -in {} -pubout | openssl sha256 prints the digest of this key's public half, and openssl x509 -in CERT.pem -noout -pubkey | openssl sha256 must print the same for the certificate. If that key is lost, request a new certificate for the key you have.",
                path.display()
            ))
        }),
        Ok(Some(KeyFound::Encrypted)) => Some(Finding::new(
            CheckId::KeyEncrypted,
            format!(
                "the private key in {} is encrypted with a passphrase; it could not be matched to the certificate",
                path.display()
            ),
        )),
        Ok(None) => None,
        Err(error) => Some(Finding::new(CheckId::FileReadError, format!("the key file: {error}"))),
    }
}

/// A key every local user can read, and a file an account that must read it cannot.
fn file_findings(facts: &FileFacts, accounts: &[Account]) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Readable by everyone only if everyone can also reach it: a 0700 folder on the way
    // (certbot's archive/) protects a 0644 key.
    let everyone_reaches = facts.parents.iter().all(|(_, folder)| folder.mode & 0o001 != 0);
    if facts.role == "private key" && facts.file.mode & 0o004 != 0 && everyone_reaches {
        findings.push(Finding::new(
            CheckId::KeyWorldReadable,
            format!(
                "the private key {} can be read by every local user ({})",
                facts.path.display(),
                describe(&facts.file)
            ),
        ));
    }
    for account in accounts {
        let Some(why) = unreadable_reason(account, facts) else {
            continue;
        };
        // The group to give access to: the one named, or the account's own.
        let group = match account.label.split_once(' ') {
            Some((_, name)) => name.to_string(),
            None => account
                .gids
                .first()
                .map_or_else(|| account.label.clone(), |g| g.to_string()),
        };
        let file = facts.path.display();
        findings.push(
            Finding::new(
                CheckId::FileUnreadable,
                format!("{} cannot read the {} {file}: {why}", account.label, facts.role),
            )
            .with_remediation(format!(
                "Give {group} read access and keep others out: chgrp {group} {file}; chmod 640 {file}; and let it enter every folder on the way (chmod g+x or o+x; certbot's live/ and archive/ are 0700). Check with: sudo -u {} cat {file} > /dev/null",
                account.label.split_once(' ').map_or(account.label.as_str(), |(_, name)| name)
            )),
        );
    }
    findings
}

/// A certbot lineage: its hooks, and the copies services keep of its files.
fn lineage_findings(lineage: &Lineage, leaf: &CertInfo, deploy: &DeployEvidence, at_unix: i64) -> Vec<Finding> {
    let mut findings = hook_findings(lineage);
    if lineage.hooks.is_empty() {
        findings.push(Finding::new(
            CheckId::CertbotNoDeployHook,
            format!("the certbot lineage {} has no deploy, renew or post hook: renewals replace the files but nothing reloads or copies them", lineage.name),
        ).with_remediation(format!(
            "Add a deploy hook that reloads the service (and copies the files where a service keeps its own copy): certbot reconfigure --cert-name {} --deploy-hook 'systemctl reload nginx', or an executable script in /etc/letsencrypt/renewal-hooks/deploy/.",
            lineage.name
        )));
    }
    for (copy, held) in &deploy.copies {
        let Ok(held) = held else { continue };
        let held = CertInfo::from_der(held.as_ref(), at_unix);
        let shares_a_name = held.san_entries.iter().any(|n| leaf.san_entries.contains(n));
        if shares_a_name && held.sha256 != leaf.sha256 {
            findings.push(Finding::new(
                CheckId::DeployStaleCopy,
                format!(
                    "{} is a copy of the certbot lineage {} but holds another certificate (issued {}, the lineage's is from {}): the renewal happened, the copy and the restart did not",
                    copy.display(), lineage.name, held.not_before, leaf.not_before
                ),
            ).with_remediation(format!(
                "Copy the lineage's files again and restart the service (Kazoo: cp {} {}; then sup kapps_controller restart_app crossbar on Kazoo 4, sup whapps_controller restart_app crossbar on 3.x), and do both in a certbot deploy hook so the next renewal does it.",
                lineage.fullchain.display(), copy.display()
            )));
        }
    }
    findings
}

/// `--compare`: the endpoint serves another certificate than the file holds (nor any other
/// certificate the configuration names for it).
fn stale_finding(
    path: &std::path::Path,
    der: &rustls::pki_types::CertificateDer<'static>,
    served: &CertInfo,
    deploy: &DeployEvidence,
    reload: &str,
    at_unix: i64,
) -> Option<Finding> {
    let expected = CertInfo::from_der(der.as_ref(), at_unix);
    let alternative_served = deploy
        .alternative_leaves
        .iter()
        .filter_map(|(_, leaf)| leaf.as_ref().ok())
        .any(|leaf| CertInfo::from_der(leaf.as_ref(), at_unix).sha256 == served.sha256);
    if expected.sha256 == served.sha256 || alternative_served {
        return None;
    }
    let newer = if expected.not_before_unix > served.not_before_unix {
        format!(
            "the file's certificate is the newer one (issued {} against {}): the service was not reloaded after the renewal",
            expected.not_before, served.not_before
        )
    } else {
        format!(
            "the served certificate is the newer one (issued {} against {}): the file is out of date",
            served.not_before, expected.not_before
        )
    };
    Some(
        Finding::new(
            CheckId::DeployStale,
            format!(
                "the endpoint serves {} (SHA-256 {}…) but {} holds {} (SHA-256 {}…); {newer}",
                served.label(),
                &served.sha256[..11],
                path.display(),
                expected.label(),
                &expected.sha256[..11]
            ),
        )
        .with_remediation(format!(
            "Make the service load the current files: {reload}. Then rescan."
        )),
    )
}

/// The deployment's findings: a backend reachable around its proxy, files and keys, certbot's
/// hooks and copies, the served certificate against the one on disk.
pub(crate) fn check(source: &crate::Enriched, policy: &crate::Policy, result: &mut crate::TargetResult) {
    let evidence = &source.parsed.evidence;
    if let Some(Ok(listening)) = &evidence.deploy.listening {
        result
            .findings
            .extend(proxy_findings(&evidence.extra.proxy_backends, listening));
    }
    result.files = file_views(&evidence.deploy);
    result.findings.extend(findings(
        &evidence.deploy,
        evidence.extra.lineage.as_ref(),
        result.chain.first().map(|c| &**c),
        &policy.readable_by,
        &policy.reload_command,
        policy.at_unix,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_lines_that_copy_and_reload_are_recognised() {
        assert_eq!(
            copied_file("cp $RENEWED_LINEAGE/cert.pem /opt/app/server.crt"),
            Some("cert.pem")
        );
        assert_eq!(
            copied_file("cat \"${RENEWED_LINEAGE}/cert.pem\" > /etc/x.pem"),
            Some("cert.pem")
        );
        assert_eq!(
            copied_file("install -m 0640 $RENEWED_LINEAGE/fullchain.pem /etc/x"),
            Some("fullchain.pem")
        );
        assert_eq!(copied_file("echo cert.pem renewed"), None);
        // Every usual spelling of the copy: a path to the program, options before the files.
        for line in [
            "/bin/cp $RENEWED_LINEAGE/cert.pem /opt/app/server.crt",
            "/usr/bin/cp -f ${RENEWED_LINEAGE}/cert.pem /opt/app/server.crt",
            "cp -f \"$RENEWED_LINEAGE/cert.pem\" /opt/app/",
            "/usr/bin/install -m 0644 $RENEWED_LINEAGE/cert.pem /etc/app/",
            "cat $RENEWED_LINEAGE/cert.pem > /etc/app/server.pem",
            "/bin/cat $RENEWED_LINEAGE/cert.pem >/etc/app/server.pem",
        ] {
            assert_eq!(copied_file(line), Some("cert.pem"), "{line}");
        }
        for line in [
            "systemctl reload nginx",
            "nginx -s reload",
            "sup kapps_controller restart_app crossbar",
            "wazo-service restart all",
            "docker restart kazoo",
            "kill -HUP $(cat /run/nginx.pid)",
            "/bin/systemctl reload nginx",
            "/usr/sbin/service nginx restart",
            "/usr/sbin/nginx -s reload",
        ] {
            assert!(reloads(line), "{line}");
        }
        assert!(!reloads("chown kazoo /etc/kazoo/certs/crossbar.crt"));
    }
    use std::path::PathBuf;

    fn facts(file_mode: u32, dir_mode: u32) -> FileFacts {
        FileFacts {
            path: PathBuf::from("/etc/ssl/private/server.key"),
            role: "private key",
            file: Ownership {
                uid: 0,
                gid: 33,
                mode: file_mode,
            },
            parents: vec![
                (
                    PathBuf::from("/etc/ssl/private"),
                    Ownership {
                        uid: 0,
                        gid: 33,
                        mode: dir_mode,
                    },
                ),
                (
                    PathBuf::from("/etc/ssl"),
                    Ownership {
                        uid: 0,
                        gid: 0,
                        mode: 0o755,
                    },
                ),
            ],
        }
    }

    fn account(uid: Option<u32>, gids: &[u32]) -> Account {
        Account {
            label: "svc".into(),
            uid,
            gids: gids.to_vec(),
        }
    }

    #[test]
    fn read_permission_follows_posix_classes() {
        let www_data = account(Some(33), &[33]);
        let other = account(Some(1000), &[1000]);
        assert_eq!(unreadable_reason(&www_data, &facts(0o640, 0o750)), None);
        assert!(
            unreadable_reason(&other, &facts(0o640, 0o755))
                .unwrap()
                .contains("does not allow")
        );
        assert!(
            unreadable_reason(&other, &facts(0o644, 0o750))
                .unwrap()
                .contains("cannot enter /etc/ssl/private")
        );
        assert_eq!(unreadable_reason(&other, &facts(0o644, 0o755)), None);
        assert!(unreadable_reason(&www_data, &facts(0o600, 0o755)).is_some());
        assert_eq!(
            unreadable_reason(&account(Some(0), &[0]), &facts(0o000, 0o700)),
            None,
            "root reads everything"
        );
        assert_eq!(
            unreadable_reason(&account(None, &[33]), &facts(0o640, 0o750)),
            None,
            "a group alone"
        );
        let owner_without_read = Account {
            label: "x".into(),
            uid: Some(0),
            gids: vec![],
        };
        assert_eq!(
            unreadable_reason(&owner_without_read, &facts(0o040, 0o755)),
            None,
            "root again"
        );
        let owner = account(Some(5), &[33]);
        let mut f = facts(0o040, 0o755);
        f.file.uid = 5;
        assert!(
            unreadable_reason(&owner, &f).is_some(),
            "the owner class decides, even when the group could read"
        );
    }

    #[test]
    fn der_walk_reads_an_rsa_modulus() {
        // SEQUENCE { INTEGER 0, INTEGER 0x00C5, INTEGER 3 }
        let pkcs1 = vec![0x30, 0x0a, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03];
        let key = PrivateKeyDer::Pkcs1(pkcs1.into());
        assert_eq!(rsa_private_modulus(&key), Some(vec![0x00, 0xc5]));
        assert_eq!(
            rsa_private_modulus(&PrivateKeyDer::Pkcs1(vec![0x30, 0x05].into())),
            None
        );
    }
}
