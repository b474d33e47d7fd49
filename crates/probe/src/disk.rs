//! What the deployment looks like on disk: private keys (plain or encrypted), owners and modes of
//! certificate and key files and of every folder an account searches to reach them (through
//! symbolic links), and the accounts services run as, from the system's name service; and a
//! chain file read into evidence with those facts and any key it holds.

use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::{self, SectionKind};

use super::Budget;
use super::file::read_certificates;
use certscan_model::evidence::{DeployEvidence, Evidence, FileFacts, KeyFound, Observation, Origin, Ownership};
use certscan_model::target::Extra;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

/// Reads one chain file into evidence, with its ownership and any private key it holds (a
/// combined certificate+key file, or a PKCS#12 keystore opened with `pkcs12_password`); never
/// fails, failures are observations.
pub(crate) fn read_chain_file(path: &Path, pkcs12_password: Option<&str>) -> Evidence {
    let (observation, key) = match super::file::read_bounded(path) {
        Err(error) => (
            Observation::FileUnreadable {
                error: error.to_string(),
            },
            None,
        ),
        Ok(bytes) if super::file::is_pkcs12(path) => super::file::read_pkcs12(&bytes, pkcs12_password.unwrap_or("")),
        Ok(bytes) => (super::file::chain_from_bytes(&bytes), key_from_pem(&bytes)),
    };
    let deploy = DeployEvidence {
        files: file_facts(path, if key.is_some() { "private key" } else { "certificate" })
            .into_iter()
            .collect(),
        key: key.map(|k| (path.to_path_buf(), Ok(Some(k)))),
        expected_leaf: None,
        alternative_leaves: vec![],
        listening: None,
        copies: vec![],
        verify_files: vec![],
    };
    Evidence {
        input: path.display().to_string(),
        origin: Origin::File {
            path: path.to_path_buf(),
        },
        observation,
        deploy,
        extra: Default::default(),
    }
}

/// The first private key in a PEM text, if any.
pub(crate) fn key_from_pem(bytes: &[u8]) -> Option<KeyFound> {
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
pub(crate) fn read_key_file(path: &Path) -> Result<Option<KeyFound>, String> {
    let bytes = super::file::read_bounded(path).map_err(|e| e.to_string())?;
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

/// Symbolic links followed on one path, at most (as the kernel's limit).
const MAX_SYMLINKS: usize = 40;

/// Every directory an account must search to open `path`, in the order it searches them: each
/// folder from `/` down, and through every symbolic link (certbot's `live/NAME/privkey.pem` ->
/// `../../archive/NAME/privkey1.pem` needs `live/`, `live/NAME/` and `archive/NAME/` alike),
/// with the file the walk ends at. `None` when the path cannot be walked.
fn searched_directories(path: &Path) -> Option<(Vec<std::path::PathBuf>, std::path::PathBuf)> {
    let start = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let mut searched: Vec<std::path::PathBuf> = Vec::new();
    let mut pending: std::collections::VecDeque<std::ffi::OsString> = start
        .components()
        .skip(1)
        .map(|c| c.as_os_str().to_os_string())
        .collect();
    let mut current = std::path::PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if !searched.contains(&current) {
            searched.push(current.clone());
        }
        match part.to_str() {
            Some(".") => continue,
            Some("..") => {
                current.pop();
                continue;
            }
            _ => {}
        }
        let next = current.join(&part);
        let meta = std::fs::symlink_metadata(&next).ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_SYMLINKS {
                return None;
            }
            let target = std::fs::read_link(&next).ok()?;
            if target.is_absolute() {
                current = std::path::PathBuf::from("/");
            }
            let rest: Vec<std::ffi::OsString> = target
                .components()
                .filter(|c| !matches!(c, std::path::Component::RootDir))
                .map(|c| c.as_os_str().to_os_string())
                .collect();
            for component in rest.into_iter().rev() {
                pending.push_front(component);
            }
        } else {
            current = next;
        }
    }
    Some((searched, current))
}

/// Ownership facts of a file; `None` when it cannot be examined.
pub(crate) fn file_facts(path: &Path, role: &'static str) -> Option<FileFacts> {
    let (searched, file_path) = searched_directories(path)?;
    let file = ownership(&file_path)?;
    // Nearest first, as the report lists them.
    let parents = searched
        .iter()
        .rev()
        .filter_map(|dir| ownership(dir).map(|o| (dir.clone(), o)))
        .collect();
    Some(FileFacts {
        path: path.to_path_buf(),
        role,
        file,
        parents,
    })
}

/// An account as the system's name service knows it (files, LDAP, SSSD: what `getent` sees):
/// a user with its primary and supplementary groups, or a group. `None` when it is unknown.
pub fn lookup_account(name: &str) -> Option<(Option<u32>, Vec<u32>)> {
    use nix::unistd::{Group, User, getgrouplist};
    if let Ok(Some(user)) = User::from_name(name) {
        let mut gids = vec![user.gid.as_raw()];
        if let Ok(c_name) = std::ffi::CString::new(name)
            && let Ok(groups) = getgrouplist(&c_name, user.gid)
        {
            gids.extend(groups.iter().map(|g| g.as_raw()).filter(|g| *g != user.gid.as_raw()));
        }
        return Some((Some(user.uid.as_raw()), gids));
    }
    if let Ok(Some(group)) = Group::from_name(name) {
        return Some((None, vec![group.gid.as_raw()]));
    }
    None
}

/// What a source's configuration asks to be read from disk beside its chain: its key file with
/// the file's ownership, the leaf of the file an endpoint should be serving, copies of a
/// lineage's certificate, the CA files Wazo's services verify with, and this machine's
/// listening sockets when a proxy's backends are judged. `machine_root` is where this machine's
/// own tables are read (`/`, or a copied tree), when the scan is about this machine.
struct DiskRequest<'a> {
    extra: &'a Extra,
    machine_root: Option<&'a Path>,
}

impl DiskRequest<'_> {
    fn asks_for_anything(&self) -> bool {
        let extra = self.extra;
        extra.key.is_some()
            || extra.wazo.iter().any(|s| s.verify_file.is_some())
            || (!extra.proxy_backends.is_empty() && self.machine_root.is_some())
            || !extra.copies.is_empty()
            || extra.compare.is_some()
    }

    /// Reads what is asked; `listening` holds the sockets once read, for the next sources.
    fn read(
        &self,
        pkcs12_password: Option<&str>,
        listening: &mut Option<Result<Vec<SocketAddr>, String>>,
    ) -> DeployEvidence {
        let first = |path: &Path| read_certificates(path, pkcs12_password).map(|mut certs| certs.swap_remove(0));
        self.each(
            |path| (read_key_file(path), file_facts(path, "private key")),
            |path| read_certificates(path, None),
            |root| listening.get_or_insert_with(|| super::sockets::listening(root)).clone(),
            first,
        )
    }

    /// Every item asked for, as failed with `message`.
    fn failed(&self, message: &str) -> DeployEvidence {
        self.each(
            |_| (Err(message.to_string()), None),
            |_| Err(message.to_string()),
            |_| Err(message.to_string()),
            |_| Err(message.to_string()),
        )
    }

    /// The deployment facts, each item read with the reader of its kind (a key file's reader
    /// also gives the file's ownership).
    fn each(
        &self,
        key: impl Fn(&Path) -> (Result<Option<KeyFound>, String>, Option<FileFacts>),
        ca_file: impl Fn(&Path) -> Result<Vec<CertificateDer<'static>>, String>,
        mut sockets: impl FnMut(&Path) -> Result<Vec<SocketAddr>, String>,
        leaf: impl Fn(&Path) -> Result<CertificateDer<'static>, String>,
    ) -> DeployEvidence {
        let extra = self.extra;
        let mut deploy = DeployEvidence::default();
        if let Some(key_path) = &extra.key {
            let (found, facts) = key(key_path);
            deploy.key = Some((key_path.clone(), found));
            deploy.files.extend(facts);
        }
        for path in extra.wazo.iter().filter_map(|setting| setting.verify_file.as_ref()) {
            if !deploy.verify_files.iter().any(|(p, _)| p == path) {
                deploy.verify_files.push((path.clone(), ca_file(path)));
            }
        }
        if let (false, Some(root)) = (extra.proxy_backends.is_empty(), self.machine_root) {
            deploy.listening = Some(sockets(root));
        }
        deploy.copies = extra.copies.iter().map(|copy| (copy.clone(), leaf(copy))).collect();
        if let Some(path) = &extra.compare {
            deploy.expected_leaf = Some((path.clone(), leaf(path)));
            deploy.alternative_leaves = extra
                .compare_alternatives
                .iter()
                .map(|other| (other.clone(), leaf(other)))
                .collect();
        }
        deploy
    }
}

/// Adds what `found` read from disk to what a source's evidence already says of its deployment.
fn absorb(deploy: &mut DeployEvidence, found: DeployEvidence) {
    if found.key.is_some() {
        deploy.key = found.key;
    }
    deploy.files.extend(found.files);
    for (path, certificates) in found.verify_files {
        if !deploy.verify_files.iter().any(|(p, _)| *p == path) {
            deploy.verify_files.push((path, certificates));
        }
    }
    deploy.listening = found.listening.or(deploy.listening.take());
    deploy.copies.extend(found.copies);
    deploy.expected_leaf = found.expected_leaf.or(deploy.expected_leaf.take());
    deploy.alternative_leaves.extend(found.alternative_leaves);
}

/// Attaches the on-disk facts each source asks for (see `DiskRequest`), read on a blocking
/// thread within `budget`: a file that does not open in time (a FIFO that nothing writes to, a
/// stalled network file system) is said as unread, and the scan goes on.
pub async fn add_disk_evidence(
    mut evidence: Vec<Evidence>,
    pkcs12_password: Option<String>,
    machine_root: Option<PathBuf>,
    budget: Budget,
) -> Vec<Evidence> {
    let requested = |e: &Evidence| {
        DiskRequest {
            extra: &e.extra,
            machine_root: machine_root.as_deref(),
        }
        .asks_for_anything()
    };
    if !evidence.iter().any(requested) {
        return evidence;
    }
    let extras: Vec<Extra> = evidence.iter().map(|e| e.extra.clone()).collect();
    let root = machine_root.clone();
    let reading = tokio::task::spawn_blocking(move || {
        let mut listening = None;
        extras
            .iter()
            .map(|extra| {
                DiskRequest {
                    extra,
                    machine_root: root.as_deref(),
                }
                .read(pkcs12_password.as_deref(), &mut listening)
            })
            .collect::<Vec<DeployEvidence>>()
    });
    let found = match tokio::time::timeout_at(budget.ends, reading).await {
        Ok(Ok(found)) => found,
        failed => {
            let message = match failed {
                Err(_) => not_read_in_time(&budget),
                _ => READING_FAILED.to_string(),
            };
            evidence
                .iter()
                .map(|e| {
                    DiskRequest {
                        extra: &e.extra,
                        machine_root: machine_root.as_deref(),
                    }
                    .failed(&message)
                })
                .collect()
        }
    };
    for (source, found) in evidence.iter_mut().zip(found) {
        absorb(&mut source.deploy, found);
    }
    evidence
}

/// What a read that failed inside certscan (a panic, which is a bug) says.
const READING_FAILED: &str = "not read: reading it failed inside certscan (a bug worth reporting)";

/// What a read that did not finish within its budget says.
fn not_read_in_time(budget: &Budget) -> String {
    format!(
        "not read within {:.1} s (a FIFO that nothing writes to, or a stalled network file system?)",
        budget.given().as_secs_f64()
    )
}

/// [`read_chain_file`] on a blocking thread within `budget`: a file that does not open in time
/// is unreadable, and the scan goes on.
pub async fn read_chain_file_within(path: PathBuf, pkcs12_password: Option<String>, budget: Budget) -> Evidence {
    let reading = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || read_chain_file(&path, pkcs12_password.as_deref()))
    };
    let failed = match tokio::time::timeout_at(budget.ends, reading).await {
        Ok(Ok(evidence)) => return evidence,
        Err(_) => not_read_in_time(&budget),
        Ok(Err(_)) => READING_FAILED.to_string(),
    };
    Evidence {
        input: path.display().to_string(),
        origin: Origin::File { path: path.clone() },
        observation: Observation::FileUnreadable {
            error: format!("{}: {failed}", path.display()),
        },
        deploy: DeployEvidence::default(),
        extra: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_come_from_the_name_service() {
        assert_eq!(lookup_account("root"), Some((Some(0), vec![0])));
        assert_eq!(lookup_account("no-such-account-here"), None);
    }

    #[test]
    fn the_walk_follows_symbolic_links_through_every_folder() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("archive/site")).unwrap();
        std::fs::create_dir_all(base.join("live/site")).unwrap();
        std::fs::write(base.join("archive/site/privkey1.pem"), "key").unwrap();
        std::os::unix::fs::symlink("../../archive/site/privkey1.pem", base.join("live/site/privkey.pem")).unwrap();
        let (searched, file) = searched_directories(&base.join("live/site/privkey.pem")).unwrap();
        assert_eq!(file, base.join("archive/site/privkey1.pem"));
        for dir in ["live", "live/site", "archive", "archive/site"] {
            assert!(searched.contains(&base.join(dir)), "{dir} in {searched:?}");
        }
        assert_eq!(searched[0], std::path::PathBuf::from("/"));
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
