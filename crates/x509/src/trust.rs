//! Trust anchors and path validation: which anchors are trusted (Mozilla, the system bundle,
//! `--ca-file`), whether a served chain validates to one of them at the evaluation time, and
//! the path the validator built.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage, anchor_from_trusted_cert};

use super::certificate::CertInfo;
use super::signatures::VerifiedSignatures;

/// The base set of trust anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustBase {
    Mozilla,
    /// The operating system's bundle, as the caller read it.
    System(Vec<CertificateDer<'static>>),
    None,
}

/// The anchors a chain is validated against.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<TrustAnchor<'static>>,
    /// Certificates given with `--ca-file`, kept whole, with their index in `anchors`.
    explicit: Vec<(usize, CertificateDer<'static>)>,
    /// The signatures the run's validations verified, each verified once.
    verified: VerifiedSignatures,
}

impl TrustStore {
    /// The base set; a certificate of the system's bundle that is no usable anchor is left out,
    /// as OpenSSL leaves it out.
    pub fn new(base: TrustBase) -> TrustStore {
        let mut store = TrustStore::default();
        match base {
            TrustBase::None => {}
            TrustBase::Mozilla => store.anchors.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            TrustBase::System(certificates) => {
                for cert in certificates {
                    if let Ok(anchor) = anchor_from_trusted_cert(&cert) {
                        store.anchors.push(anchor.to_owned());
                    }
                }
            }
        }
        store
    }

    /// Adds every certificate of a PEM (or DER) file as an anchor; returns how many.
    pub fn add_certificates(&mut self, certificates: Vec<CertificateDer<'static>>) -> Result<usize, String> {
        let mut added = 0;
        for cert in certificates {
            let anchor = anchor_from_trusted_cert(&cert).map_err(|e| format!("not a usable certificate: {e}"))?;
            self.anchors.push(anchor.to_owned());
            self.explicit.push((self.anchors.len() - 1, cert));
            added += 1;
        }
        Ok(added)
    }

    /// Whether a certificate's subject names one of the anchors.
    pub fn has_subject(&self, subject_raw: &[u8]) -> bool {
        let contents = der_contents(subject_raw);
        self.anchors.iter().any(|a| a.subject.as_ref() == contents)
    }

    /// The certificates given with `--ca-file`.
    pub fn given_certificates(&self) -> impl Iterator<Item = &CertificateDer<'static>> {
        self.explicit.iter().map(|(_, given)| given)
    }

    /// Whether this exact certificate was given as an anchor with `--ca-file`.
    pub fn is_given_certificate(&self, der: &[u8]) -> bool {
        self.explicit.iter().any(|(_, given)| given.as_ref() == der)
    }

    /// Whether a name is the subject of an anchor of the base store (Mozilla or the system's),
    /// as opposed to one given with `--ca-file`.
    pub fn is_public_subject(&self, subject_raw: &[u8]) -> bool {
        let contents = der_contents(subject_raw);
        self.anchors
            .iter()
            .enumerate()
            .any(|(i, a)| a.subject.as_ref() == contents && !self.explicit.iter().any(|(index, _)| *index == i))
    }

    /// The certificate behind an anchor, when it was given with `--ca-file`.
    fn explicit_certificate(&self, anchor: &TrustAnchor<'_>) -> Option<Vec<u8>> {
        self.explicit
            .iter()
            .find(|(index, _)| self.anchors[*index] == *anchor)
            .map(|(_, der)| der.to_vec())
    }
}

/// The outcome of validating a served chain at one instant.
#[derive(Debug, Clone)]
pub enum PathCheck {
    /// Valid: the served indices the path used (leaf first), the anchor's subject, and the
    /// anchor's certificate when it came from `--ca-file`.
    Valid {
        path: Vec<usize>,
        anchor: String,
        anchor_certificate: Option<Vec<u8>>,
        /// The SHA-256 of the anchor's SubjectPublicKeyInfo (what key pins name).
        anchor_spki_sha256: Vec<u8>,
    },
    Invalid(webpki::Error),
}

/// Validates the served chain (leaf first) for TLS server use at `at_unix`.
pub fn validate(served: &[Arc<CertInfo>], store: &TrustStore, at_unix: i64) -> PathCheck {
    let ders: Vec<CertificateDer<'_>> = served.iter().map(|c| CertificateDer::from(c.der.as_slice())).collect();
    let Some(leaf_der) = ders.first() else {
        return PathCheck::Invalid(webpki::Error::BadDer);
    };
    let leaf = match EndEntityCert::try_from(leaf_der) {
        Ok(leaf) => leaf,
        Err(e) => return PathCheck::Invalid(e),
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(at_unix.max(0) as u64));
    let remembering = store.verified.algorithms();
    let algorithms: Vec<&dyn SignatureVerificationAlgorithm> = remembering
        .iter()
        .map(|a| a as &dyn SignatureVerificationAlgorithm)
        .collect();
    let result = leaf.verify_for_usage(
        &algorithms,
        &store.anchors,
        &ders[1..],
        time,
        KeyUsage::server_auth(),
        None,
        None,
    );
    match result {
        Ok(path) => {
            let mut indices = vec![0];
            for intermediate in path.intermediate_certificates() {
                let der = intermediate.der();
                if let Some(i) = served.iter().position(|c| c.der == der.as_ref()) {
                    indices.push(i);
                }
            }
            PathCheck::Valid {
                path: indices,
                anchor: anchor_name(path.anchor()),
                anchor_certificate: store.explicit_certificate(path.anchor()),
                anchor_spki_sha256: {
                    // Trust anchors keep the SubjectPublicKeyInfo without its SEQUENCE header.
                    let spki = crate::der::sequence(path.anchor().subject_public_key_info.as_ref());
                    ring::digest::digest(&ring::digest::SHA256, &spki).as_ref().to_vec()
                },
            }
        }
        Err(e) => PathCheck::Invalid(e),
    }
}

/// Whether the leaf is valid for a name (DNS name or IP address), as a TLS client decides it.
pub fn valid_for_name(leaf: &CertInfo, name: &rustls::pki_types::ServerName<'_>) -> Result<(), webpki::Error> {
    let der = CertificateDer::from(leaf.der.as_slice());
    EndEntityCert::try_from(&der)?.verify_is_valid_for_subject_name(name)
}

/// Whether the error is only about the evaluation time.
pub fn is_time_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } | webpki::Error::InvalidCertValidity
    )
}

/// A sentence for a validation error.
#[allow(deprecated)]
pub fn describe_error(e: &webpki::Error) -> String {
    use webpki::Error::*;
    let text = match e {
        UnknownIssuer => "no path to a trusted root: an issuer is neither sent nor trusted",
        BadDer | BadDerTime | TrailingData(_) => "a certificate is not valid DER",
        CaUsedAsEndEntity => {
            "the leaf is a CA certificate (basicConstraints CA:TRUE), which TLS clients refuse as a server certificate"
        }
        EndEntityUsedAsCa => "a certificate that is not a CA (no basicConstraints CA:TRUE) issued another certificate",
        InvalidSignatureForPublicKey => "a signature in the chain does not verify with its issuer's key",
        NameConstraintViolation => "a name in the leaf violates a CA's name constraints",
        PathLenConstraintViolated => "the chain is longer than a CA's pathLenConstraint allows",
        RequiredEkuNotFound | RequiredEkuNotFoundContext(_) => {
            "the leaf's extended key usage does not allow TLS server authentication (serverAuth)"
        }
        EmptyEkuExtension => "a certificate has an empty extended key usage extension",
        UnsupportedCriticalExtension => "a certificate has a critical extension that clients do not understand",
        ExtensionValueInvalid | MalformedExtensions => "a certificate has a malformed extension",
        InvalidSerialNumber => "a certificate has an invalid serial number",
        UnsupportedCertVersion => "a certificate is not X.509 version 3",
        SignatureAlgorithmMismatch => "a certificate's outer and inner signature algorithms differ",
        MaximumPathDepthExceeded | MaximumPathBuildCallsExceeded | MaximumSignatureChecksExceeded => {
            "the chain is too long or too tangled to build a path (a cycle or too many candidates)"
        }
        MalformedDnsIdentifier | MalformedNameConstraint | InvalidNetworkMaskConstraint => {
            "a name or a name constraint is malformed"
        }
        CertExpired { .. } => "a certificate in the path has expired",
        CertNotValidYet { .. } => "a certificate in the path is not valid yet",
        InvalidCertValidity => "a certificate's validity period is invalid (notAfter before notBefore)",
        _ => "",
    };
    let debug = format!("{e:?}");
    let variant = debug.split([' ', '(', '{']).next().unwrap_or(&debug).to_string();
    if text.is_empty() {
        if debug.starts_with("UnsupportedSignatureAlgorithm") {
            return format!("a certificate uses a signature algorithm that current clients do not accept ({variant})");
        }
        return format!("path validation failed ({variant})");
    }
    format!("{text} ({variant})")
}

/// The DER contents of a Name (without its SEQUENCE header), as trust anchors store subjects.
fn der_contents(name: &[u8]) -> &[u8] {
    if name.len() < 2 || name[0] != 0x30 {
        return name;
    }
    let (header, len) = match name[1] {
        n if n < 0x80 => (2, n as usize),
        0x81 if name.len() > 2 => (3, name[2] as usize),
        0x82 if name.len() > 3 => (4, (name[2] as usize) << 8 | name[3] as usize),
        _ => return name,
    };
    name.get(header..header + len).unwrap_or(name)
}

fn anchor_name(anchor: &TrustAnchor<'_>) -> String {
    crate::der::name_text(anchor.subject.as_ref()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_contents_strip_the_sequence_header() {
        assert_eq!(der_contents(&[0x30, 0x02, 0xAA, 0xBB]), &[0xAA, 0xBB]);
        assert_eq!(der_contents(&[0x31, 0x00]), &[0x31, 0x00]);
        assert_eq!(der_contents(&[0x30, 0x05, 0xAA]), &[0x30, 0x05, 0xAA]);
    }

    #[test]
    fn a_signature_verified_before_does_not_vouch_for_an_altered_one() {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
        let root_key = KeyPair::generate().unwrap();
        let mut root_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let root = root_params.self_signed(&root_key).unwrap();
        let issuer = Issuer::new(root_params, root_key);
        let leaf = CertificateParams::new(vec!["host.example".to_string()])
            .unwrap()
            .signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap();
        let mut store = TrustStore::default();
        store.add_certificates(vec![root.der().clone()]).unwrap();
        let at = 1_800_000_000;
        let served = |der: &[u8]| vec![Arc::new(CertInfo::from_der(der, at))];
        let valid = |check: PathCheck| matches!(check, PathCheck::Valid { .. });
        assert!(valid(validate(&served(leaf.der()), &store, at)));
        assert_eq!(store.verified.remembered(), 1);
        // Again from memory, also through a copy of the store.
        assert!(valid(validate(&served(leaf.der()), &store.clone(), at)));
        assert_eq!(store.verified.remembered(), 1);
        // The same certificate with the last byte of its signature changed is refused.
        let mut altered = leaf.der().to_vec();
        *altered.last_mut().unwrap() ^= 1;
        assert!(matches!(
            validate(&served(&altered), &store, at),
            PathCheck::Invalid(webpki::Error::InvalidSignatureForPublicKey)
        ));
        assert_eq!(store.verified.remembered(), 1);
    }

    #[test]
    fn mozilla_store_is_not_empty_and_none_is() {
        assert!(TrustStore::new(TrustBase::Mozilla).anchors.len() > 100);
        assert!(TrustStore::new(TrustBase::None).anchors.is_empty());
    }
}
