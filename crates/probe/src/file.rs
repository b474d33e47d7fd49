//! Reading certificate chains from files on disk: PEM bundles (keys and other blocks ignored)
//! and DER certificates, with a size bound; the system's CA bundle; the certificates of a CA
//! Issuers answer (DER, PEM or a PKCS#7 bundle); and bounded reads of files and folders with
//! typed errors, so that a caller tells a missing file from one it cannot read.

use std::io::Read;
use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::{self, SectionKind};
use x509_parser::asn1_rs::{Any, FromDer};

use certscan_model::evidence::Observation;

/// Files larger than this are not certificate files.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The certificates of a file, for files that only serve as references (`--ca-file`,
/// `--compare`, `--copy`, CA files named in configurations).
pub fn read_certificates(path: &Path, pkcs12_password: Option<&str>) -> Result<Vec<CertificateDer<'static>>, String> {
    let observation = match read_bounded(path) {
        Err(error) => Observation::FileUnreadable {
            error: error.to_string(),
        },
        Ok(bytes) if is_pkcs12(path) => read_pkcs12(&bytes, pkcs12_password.unwrap_or("")).0,
        Ok(bytes) => chain_from_bytes(&bytes),
    };
    match observation {
        Observation::Chain { certificates, .. } if !certificates.is_empty() => Ok(certificates),
        Observation::FileUnreadable { error } | Observation::Pkcs12BadPassword { error } => Err(error),
        _ => Err(format!("{} holds no certificate", path.display())),
    }
}

/// The operating system's CA bundle (what `--trust system` means), as rustls-native-certs finds
/// it; an error says which files failed.
pub fn system_trust_anchors() -> Result<Vec<CertificateDer<'static>>, String> {
    let loaded = rustls_native_certs::load_native_certs();
    if loaded.certs.is_empty() {
        let why: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        return Err(format!("no system trust store found ({})", why.join("; ")));
    }
    Ok(loaded.certs)
}

/// `.p12` and `.pfx` files are PKCS#12 keystores.
pub(crate) fn is_pkcs12(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("p12") || e.eq_ignore_ascii_case("pfx"))
}

/// The chain (leaf first) and key of a PKCS#12 keystore.
pub fn read_pkcs12(bytes: &[u8], password: &str) -> (Observation, Option<certscan_model::evidence::KeyFound>) {
    use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
    let store = match KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Relaxed) {
        Ok(store) => store,
        Err(p12_keystore::error::Error::MacError(_)) => {
            return (
                Observation::Pkcs12BadPassword {
                    error: "the password does not open it (MAC check failed)".into(),
                },
                None,
            );
        }
        Err(e) => {
            return (
                Observation::NoCertificate {
                    note: format!("not a readable PKCS#12 file ({e})"),
                },
                None,
            );
        }
    };
    let mut certificates = Vec::new();
    let mut key = None;
    for (_, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) if key.is_none() => {
                let der = rustls::pki_types::PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec());
                key = Some(certscan_model::evidence::KeyFound::Plain(der.into()));
                let mut chain_certs: Vec<CertificateDer<'static>> = chain
                    .certs()
                    .iter()
                    .map(|c| CertificateDer::from(c.as_der().to_vec()))
                    .collect();
                chain_certs.append(&mut certificates);
                certificates = chain_certs;
            }
            KeyStoreEntry::Certificate(cert) => certificates.push(CertificateDer::from(cert.as_der().to_vec())),
            _ => {}
        }
    }
    if certificates.is_empty() {
        return (
            Observation::NoCertificate {
                note: "a PKCS#12 file without a certificate".into(),
            },
            key,
        );
    }
    (
        Observation::Chain {
            tls: None,
            certificates,
            exchange: None,
            handshake: None,
        },
        key,
    )
}

/// The whole of a file of at most [`MAX_FILE_BYTES`], which is not a folder.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    let at = || path.to_path_buf();
    let file = std::fs::File::open(path).map_err(|source| ReadError::Open { path: at(), source })?;
    let meta = file
        .metadata()
        .map_err(|source| ReadError::Read { path: at(), source })?;
    if meta.is_dir() {
        return Err(ReadError::Directory { path: at() });
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Read { path: at(), source })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge { path: at() });
    }
    Ok(bytes)
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open {}: {source}", path.display())]
    Open { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is a directory, not a certificate file", path.display())]
    Directory { path: PathBuf },
    #[error("{} is larger than {} MiB", path.display(), MAX_FILE_BYTES / 1024 / 1024)]
    TooLarge { path: PathBuf },
}

impl ReadError {
    /// Whether the file does not exist (as opposed to existing and not being readable).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Open { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Why a folder could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot list {}: {source}", path.display())]
pub struct ListError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl ListError {
    /// Whether the folder does not exist (as opposed to existing and not being listable).
    pub fn is_not_found(&self) -> bool {
        self.source.kind() == std::io::ErrorKind::NotFound
    }
}

/// The most entries of one folder that are listed.
const MAX_FOLDER_ENTRIES: usize = 4096;

/// The entries of a folder (at most a few thousand), sorted by path.
pub fn list_folder(path: &Path) -> Result<Vec<PathBuf>, ListError> {
    let failed = |source| ListError {
        path: path.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(path).map_err(failed)?.take(MAX_FOLDER_ENTRIES) {
        entries.push(entry.map_err(failed)?.path());
    }
    entries.sort();
    Ok(entries)
}

/// 1.2.840.113549.1.7.2, PKCS#7 signedData.
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/// The certificates in a CA Issuers answer: one DER certificate (RFC 5280 says
/// application/pkix-cert), a PKCS#7 certs-only bundle (application/pkcs7-mime), or PEM.
pub fn issuer_answer_certificates(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if let Some(certificates) = pkcs7_certificates(body) {
        return match certificates.is_empty() {
            true => Err("the PKCS#7 bundle holds no certificate".into()),
            false => Ok(certificates),
        };
    }
    match chain_from_bytes(body) {
        Observation::Chain { certificates, .. } => Ok(certificates.into_iter().map(|c| c.to_vec()).collect()),
        _ => Err("the answer is neither a DER or PEM certificate nor a PKCS#7 bundle".into()),
    }
}

/// The certificates of a PKCS#7 SignedData, or `None` when the bytes are not one.
fn pkcs7_certificates(der: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (_, content_info) = Any::from_der(der).ok()?;
    let (rest, content_type) = Any::from_der(content_info.data).ok()?;
    if content_type.tag().0 != 6 || content_type.data != OID_SIGNED_DATA {
        return None;
    }
    let (_, explicit) = Any::from_der(rest).ok()?;
    let (_, signed_data) = Any::from_der(explicit.data).ok()?;
    // version, digestAlgorithms, encapContentInfo, then [0] IMPLICIT certificates.
    let mut fields = signed_data.data;
    for _ in 0..3 {
        fields = Any::from_der(fields).ok()?.0;
    }
    let mut certificates = vec![];
    if let Ok((_, set)) = Any::from_der(fields)
        && set.tag().0 == 0
    {
        let mut rest = set.data;
        while let Ok((after, _)) = Any::from_der(rest) {
            certificates.push(rest[..rest.len() - after.len()].to_vec());
            rest = after;
            if certificates.len() >= 16 {
                break;
            }
        }
    }
    Some(certificates)
}

/// Extracts the certificates of a PEM bundle (in order) or a single DER certificate.
pub fn chain_from_bytes(bytes: &[u8]) -> Observation {
    let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if !looks_pem {
        // DER: a certificate is a SEQUENCE; the analysis reports it if it does not parse.
        return if bytes.first() == Some(&0x30) && bytes.len() > 16 {
            Observation::Chain {
                tls: None,
                certificates: vec![CertificateDer::from(bytes.to_vec())],
                exchange: None,
                handshake: None,
            }
        } else {
            Observation::NoCertificate {
                note: "neither PEM nor a DER certificate".into(),
            }
        };
    }
    let mut certificates = Vec::new();
    let mut other = Vec::new();
    let mut reader = std::io::Cursor::new(bytes);
    loop {
        match pem::from_buf(&mut reader) {
            Ok(Some((SectionKind::Certificate, der))) => certificates.push(CertificateDer::from(der)),
            Ok(Some((kind, _))) => other.push(section_name(kind)),
            Ok(None) => break,
            Err(e) => {
                if certificates.is_empty() {
                    return Observation::NoCertificate {
                        note: format!("a PEM block could not be read ({e})"),
                    };
                }
                break;
            }
        }
    }
    if certificates.is_empty() {
        let note = if other.is_empty() {
            "no CERTIFICATE block".to_string()
        } else {
            format!("only {}", other.join(", "))
        };
        return Observation::NoCertificate { note };
    }
    Observation::Chain {
        tls: None,
        certificates,
        exchange: None,
        handshake: None,
    }
}

fn section_name(kind: SectionKind) -> String {
    match kind {
        SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey => "a private key".into(),
        SectionKind::Crl => "a CRL".into(),
        SectionKind::Csr => "a certificate request (CSR)".into(),
        SectionKind::PublicKey => "a public key".into(),
        other => format!("{other:?}"),
    }
}

/// The largest client certificate or key file read (`--client-cert`, `--client-key`).
const MAX_IDENTITY_FILE_BYTES: u64 = 1024 * 1024;

fn read_identity_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{what}: cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_IDENTITY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{what}: cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_IDENTITY_FILE_BYTES {
        return Err(format!("{what}: {} is larger than 1 MiB", path.display()));
    }
    Ok(bytes)
}

/// The client certificate chain and key that a run presents when a server asks for one: a
/// PEM file of certificates with the key in it or in `key` (PEM), or a PKCS#12 keystore opened
/// with `pkcs12_password`. The key is never shown, not even in errors.
pub fn load_client_identity(
    cert: &Path,
    key: Option<&Path>,
    pkcs12_password: Option<&str>,
) -> Result<crate::tls::ClientIdentity, String> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let bytes = read_identity_file(cert, "--client-cert")?;
    if is_pkcs12(cert) {
        return match read_pkcs12(&bytes, pkcs12_password.unwrap_or("")) {
            (Observation::Chain { certificates, .. }, Some(certscan_model::evidence::KeyFound::Plain(key))) => {
                crate::tls::ClientIdentity::new(certificates, key)
            }
            (Observation::Pkcs12BadPassword { error }, _) => Err(format!(
                "--client-cert: {}: {error} (give the password in the variable --password-env names)",
                cert.display()
            )),
            _ => Err(format!(
                "--client-cert: {} holds no certificate with its key",
                cert.display()
            )),
        };
    }
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok).collect();
    let key_bytes = match key {
        Some(path) => read_identity_file(path, "--client-key")?,
        None => bytes.clone(),
    };
    let key_source = key.unwrap_or(cert).display().to_string();
    if String::from_utf8_lossy(&key_bytes).contains("ENCRYPTED") {
        return Err(format!(
            "--client-key: the key in {key_source} is encrypted; give it decrypted (openssl pkey -in KEY -out KEY.plain) or as PKCS#12"
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| {
        format!("--client-key: no private key in {key_source} (give it with --client-key, or in the certificate file)")
    })?;
    crate::tls::ClientIdentity::new(certificates, key).map_err(|e| format!("--client-cert: {}: {e}", cert.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs7_bundles_and_garbage() {
        // ContentInfo { signedData, [0] { SignedData { 1, {}, { data }, [0] { cert }, {} } } }
        let cert = [0x30, 0x03, 0x02, 0x01, 0x07];
        let mut signed = vec![0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x0b, 0x06, 0x09];
        signed.extend([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]);
        signed.extend([0xa0, cert.len() as u8]);
        signed.extend(cert);
        signed.extend([0x31, 0x00]);
        let mut signed_data = vec![0x30, signed.len() as u8];
        signed_data.extend(signed);
        let mut explicit = vec![0xa0, signed_data.len() as u8];
        explicit.extend(signed_data);
        let mut inner = vec![0x06, 0x09];
        inner.extend(OID_SIGNED_DATA);
        inner.extend(explicit);
        let mut bundle = vec![0x30, inner.len() as u8];
        bundle.extend(inner);
        assert_eq!(pkcs7_certificates(&bundle), Some(vec![cert.to_vec()]));
        assert_eq!(issuer_answer_certificates(&bundle), Ok(vec![cert.to_vec()]));
        assert!(issuer_answer_certificates(b"<html>not found</html>").is_err());
        assert!(pkcs7_certificates(&[0x30, 0x03, 0x02, 0x01, 0x07]).is_none());
    }

    #[test]
    fn garbage_and_key_only_files_hold_no_certificate() {
        assert!(matches!(chain_from_bytes(b"hello"), Observation::NoCertificate { .. }));
        let key_only = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n";
        match chain_from_bytes(key_only) {
            Observation::NoCertificate { note } => assert_eq!(note, "only a private key"),
            other => panic!("{other:?}"),
        }
    }
}
