//! What the deployment looks like on disk: private keys (plain or encrypted), owners and modes of
//! certificate and key files and of the folders above them, and the local accounts
//! (/etc/passwd, /etc/group) that services run as.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustls::pki_types::pem::{self, SectionKind};

use super::file::read_certificates;
use crate::evidence::{Evidence, FileFacts, KeyFound, Ownership};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

/// The first private key in a PEM text, if any.
pub fn key_from_pem(bytes: &[u8]) -> Option<KeyFound> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Some(KeyFound::Encrypted);
    }
    let mut reader = std::io::Cursor::new(bytes);
    while let Ok(Some((kind, der))) = pem::from_buf(&mut reader) {
        let key = match kind {
            SectionKind::PrivateKey => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
            SectionKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
            SectionKind::EcPrivateKey => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
            _ => continue,
        };
        return Some(KeyFound::Plain(key));
    }
    None
}

/// Reads a key file (bounded, like certificate files).
pub fn read_key_file(path: &Path) -> Result<Option<KeyFound>, String> {
    let bytes = super::file::read_bounded(path)?;
    Ok(key_from_pem(&bytes))
}

fn ownership(path: &Path) -> Option<Ownership> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Ownership {
        uid: meta.uid(),
        gid: meta.gid(),
        mode: meta.mode() & 0o7777,
    })
}

/// Ownership facts of a file; `None` when it cannot be examined.
pub fn file_facts(path: &Path, role: &'static str) -> Option<FileFacts> {
    let absolute = std::fs::canonicalize(path).ok()?;
    let file = ownership(&absolute)?;
    let parents = absolute
        .ancestors()
        .skip(1)
        .filter_map(|dir| ownership(dir).map(|o| (dir.to_path_buf(), o)))
        .collect();
    Some(FileFacts {
        path: path.to_path_buf(),
        role,
        file,
        parents,
    })
}

/// Local accounts: users with their primary group, groups with their members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    pub users: HashMap<String, (u32, u32)>,
    pub groups: HashMap<String, (u32, Vec<String>)>,
}

impl Accounts {
    /// Parses passwd and group texts (name:x:uid:gid:... and name:x:gid:member,member).
    pub fn parse(passwd: &str, group: &str) -> Accounts {
        let mut accounts = Accounts::default();
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if let [name, _, uid, gid, ..] = fields.as_slice()
                && let (Ok(uid), Ok(gid)) = (uid.parse(), gid.parse())
            {
                accounts.users.insert(name.to_string(), (uid, gid));
            }
        }
        for line in group.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if let [name, _, gid, members, ..] = fields.as_slice()
                && let Ok(gid) = gid.parse()
            {
                let members = members
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect();
                accounts.groups.insert(name.to_string(), (gid, members));
            }
        }
        accounts
    }

    /// Reads /etc/passwd and /etc/group (bounded); missing files give no accounts.
    pub fn from_system() -> Accounts {
        let read = |p: &str| {
            super::file::read_bounded(Path::new(p))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        Accounts::parse(&read("/etc/passwd"), &read("/etc/group"))
    }
}

/// Attaches the on-disk facts each source asks for: its key file with the file's ownership,
/// the leaf of the file an endpoint should be serving, copies of a lineage's certificate, and the
/// CA files Wazo's services verify with.
pub fn add_disk_evidence(evidence: &mut [Evidence], pkcs12_password: Option<&str>) {
    let first = |path: &Path| read_certificates(path, pkcs12_password).map(|mut certs| certs.swap_remove(0));
    for source in evidence.iter_mut() {
        if let Some(key_path) = source.extra.key.clone() {
            source.deploy.key = Some((key_path.clone(), read_key_file(&key_path)));
            source.deploy.files.extend(file_facts(&key_path, "private key"));
        }
        for setting in &source.extra.wazo {
            let Some(path) = &setting.verify_file else { continue };
            if !source.deploy.verify_files.iter().any(|(p, _)| p == path) {
                source
                    .deploy
                    .verify_files
                    .push((path.clone(), read_certificates(path, None)));
            }
        }
        for copy in &source.extra.copies {
            source.deploy.copies.push((copy.clone(), first(copy)));
        }
        if let Some(path) = &source.extra.compare {
            source.deploy.expected_leaf = Some((path.clone(), first(path)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse_users_groups_and_members() {
        let accounts = Accounts::parse(
            "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbroken line\n",
            "root:x:0:\nwww-data:x:33:\nssl-cert:x:110:www-data,postgres\n",
        );
        assert_eq!(accounts.users["www-data"], (33, 33));
        assert_eq!(
            accounts.groups["ssl-cert"],
            (110, vec!["www-data".to_string(), "postgres".to_string()])
        );
        assert_eq!(accounts.users.len(), 2);
    }

    #[test]
    fn keys_are_found_and_encrypted_ones_recognised() {
        let encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(key_from_pem(encrypted), Some(KeyFound::Encrypted)));
        let legacy = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(key_from_pem(legacy), Some(KeyFound::Encrypted)));
        assert!(key_from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_none());
    }
}
