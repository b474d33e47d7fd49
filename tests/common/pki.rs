//! The test PKI, generated with rcgen at test time with fixed dates around [`AT`], so that
//! tests pass `--at AT` and never depend on today's date. What rcgen cannot make (SHA-1,
//! RSA-1024) comes from `fixtures/legacy/`, made by `fixtures/make-legacy-fixtures.sh`.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SubjectPublicKeyInfo,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

/// The evaluation time of every test.
pub const AT: &str = "2030-06-01T00:00:00Z";

pub fn at() -> OffsetDateTime {
    OffsetDateTime::parse(AT, &time::format_description::well_known::Rfc3339).unwrap()
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// A certificate with its key, as a server would be configured with it.
#[derive(Clone)]
pub struct Issued {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub key: Option<String>,
}

impl Issued {
    fn from_cert(cert: &rcgen::Certificate, key: Option<&KeyPair>) -> Issued {
        Issued {
            der: cert.der().clone(),
            pem: cert.pem(),
            key: key.map(KeyPair::serialize_pem),
        }
    }

    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_slice(self.key.as_ref().expect("has a key").as_bytes()).unwrap()
    }
}

/// A CA that can issue.
pub struct Ca {
    pub cert: Issued,
    issuer: Issuer<'static, KeyPair>,
}

/// What a leaf should look like; `Leaf::new` gives a valid, ordinary server certificate.
#[derive(Clone)]
pub struct LeafSpec {
    pub sans: Vec<String>,
    pub cn: String,
    /// Days relative to [`AT`].
    pub valid_from_days: i64,
    pub valid_until_days: i64,
    pub is_ca: bool,
    pub server_auth: bool,
    /// Whether the leaf has an extendedKeyUsage extension at all.
    pub extended_key_usage: bool,
    /// Whether the leaf has a keyUsage extension (`openssl req -x509` adds none).
    pub key_usage: bool,
    /// keyUsage also asserts keyCertSign (wrong in a leaf that is not a CA).
    pub key_cert_sign: bool,
    /// Adds a critical extension with a private OID that no client understands.
    pub unknown_critical_extension: bool,
    /// The size of that extension's value, in bytes.
    pub extension_size: usize,
    /// Adds the TLS feature extension asking for a stapled OCSP response ("must-staple").
    pub must_staple: bool,
    /// The OCSP responder named in the authority information access extension.
    pub ocsp_url: Option<String>,
    /// The CRL distribution point.
    pub crl_url: Option<String>,
    /// Where the issuer's certificate can be fetched (authority information access, CA Issuers).
    pub ca_issuers_url: Option<String>,
}

impl LeafSpec {
    pub fn new(sans: &[&str]) -> LeafSpec {
        LeafSpec {
            sans: sans.iter().map(|s| s.to_string()).collect(),
            cn: sans.first().copied().unwrap_or("localhost").to_string(),
            valid_from_days: -30,
            valid_until_days: 60,
            is_ca: false,
            server_auth: true,
            extended_key_usage: true,
            unknown_critical_extension: false,
            extension_size: 0,
            key_usage: true,
            key_cert_sign: false,
            must_staple: false,
            ocsp_url: None,
            crl_url: None,
            ca_issuers_url: None,
        }
    }

    pub fn ca_issuers_url(mut self, url: &str) -> LeafSpec {
        self.ca_issuers_url = Some(url.to_string());
        self
    }

    pub fn must_staple(mut self) -> LeafSpec {
        self.must_staple = true;
        self
    }

    pub fn ocsp_url(mut self, url: &str) -> LeafSpec {
        self.ocsp_url = Some(url.to_string());
        self
    }

    pub fn crl_url(mut self, url: &str) -> LeafSpec {
        self.crl_url = Some(url.to_string());
        self
    }

    pub fn validity(mut self, from_days: i64, until_days: i64) -> LeafSpec {
        self.valid_from_days = from_days;
        self.valid_until_days = until_days;
        self
    }

    pub fn cn(mut self, cn: &str) -> LeafSpec {
        self.cn = cn.to_string();
        self
    }

    fn params(&self) -> CertificateParams {
        let mut params = CertificateParams::new(self.sans.clone()).unwrap();
        // `sip:` and `sips:` names are URIs (RFC 5922 SIP domain identities).
        for san in params.subject_alt_names.iter_mut() {
            if let rcgen::SanType::DnsName(name) = san
                && (name.as_str().starts_with("sip:") || name.as_str().starts_with("sips:"))
            {
                *san = rcgen::SanType::URI(name.clone());
            }
        }
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, self.cn.as_str());
        params.is_ca = if self.is_ca {
            IsCa::Ca(BasicConstraints::Unconstrained)
        } else {
            IsCa::ExplicitNoCa
        };
        params.key_usages = if self.key_usage {
            vec![KeyUsagePurpose::DigitalSignature]
        } else {
            vec![]
        };
        if self.key_cert_sign {
            params.key_usages.push(KeyUsagePurpose::KeyCertSign);
        }
        params.extended_key_usages = match (self.extended_key_usage, self.server_auth) {
            (false, _) => vec![],
            (true, true) => vec![ExtendedKeyUsagePurpose::ServerAuth],
            (true, false) => vec![ExtendedKeyUsagePurpose::ClientAuth],
        };
        params.use_authority_key_identifier_extension = true;
        if self.unknown_critical_extension {
            // An OCTET STRING of the asked size (a NULL when no size is asked).
            let content = match self.extension_size {
                0 => vec![0x05, 0x00],
                size => {
                    let mut der = vec![0x04, 0x83];
                    der.extend(&(size as u32).to_be_bytes()[1..]);
                    der.resize(5 + size, 0x5a);
                    der
                }
            };
            let mut extension = rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], content);
            extension.set_criticality(true);
            params.custom_extensions.push(extension);
        }
        if self.must_staple {
            // TLSFeature ::= SEQUENCE OF INTEGER { status_request (5) }
            let extension = rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                vec![0x30, 0x03, 0x02, 0x01, 0x05],
            );
            params.custom_extensions.push(extension);
        }
        if let Some(extension) = authority_information_access(self.ocsp_url.as_deref(), self.ca_issuers_url.as_deref())
        {
            params.custom_extensions.push(extension);
        }
        if let Some(url) = &self.crl_url {
            params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                uris: vec![url.clone()],
            }];
        }
        params.not_before = at() + Duration::days(self.valid_from_days);
        params.not_after = at() + Duration::days(self.valid_until_days);
        params
    }
}

/// AuthorityInfoAccess ::= SEQUENCE OF SEQUENCE { accessMethod (id-ad-ocsp, id-ad-caIssuers), [6] URI }
fn authority_information_access(ocsp: Option<&str>, ca_issuers: Option<&str>) -> Option<rcgen::CustomExtension> {
    use crate::common::ocsp::der;
    let mut descriptions = vec![];
    for (last_arc, url) in [(1u8, ocsp), (2u8, ca_issuers)] {
        if let Some(url) = url {
            let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, last_arc];
            descriptions.extend(der(0x30, &[&method[..], &der(0x86, url.as_bytes())].concat()));
        }
    }
    (!descriptions.is_empty())
        .then(|| rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der(0x30, &descriptions)))
}

fn ca_params(cn: &str, path_len: Option<u8>) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = path_len.is_some();
    params.not_before = at() - Duration::days(365);
    params.not_after = at() + Duration::days(3650);
    params
}

impl Ca {
    pub fn root(cn: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(cn, None);
        let cert = params.self_signed(&key).unwrap();
        Ca {
            cert: Issued::from_cert(&cert, None),
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate with a P-384 key, as Let's Encrypt's ECDSA intermediates have.
    pub fn intermediate(&self, cn: &str) -> Ca {
        self.intermediate_with(cn, &rcgen::PKCS_ECDSA_P384_SHA384)
    }

    /// An intermediate that may issue `path_len` more CA levels and names where its issuer's
    /// certificate can be fetched.
    pub fn intermediate_pointing_to(&self, cn: &str, path_len: u8, ca_issuers_url: Option<&str>) -> Ca {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = ca_params(cn, Some(path_len));
        params
            .custom_extensions
            .extend(authority_information_access(None, ca_issuers_url));
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Ca {
            cert: Issued::from_cert(&cert, None),
            issuer: Issuer::new(params, key),
        }
    }

    pub fn intermediate_with(&self, cn: &str, algorithm: &'static rcgen::SignatureAlgorithm) -> Ca {
        let key = KeyPair::generate_for(algorithm).unwrap();
        let params = ca_params(cn, Some(0));
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Ca {
            cert: Issued::from_cert(&cert, None),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA's signing key.
    pub fn key(&self) -> &KeyPair {
        self.issuer.key()
    }

    /// A certificate for an OCSP responder this CA delegates to, with or without the OCSP
    /// signing extended key usage, and its key.
    pub fn delegated_responder(&self, ocsp_signing: bool) -> (Issued, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "certscan Test OCSP Responder");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = match ocsp_signing {
            true => vec![ExtendedKeyUsagePurpose::OcspSigning],
            false => vec![ExtendedKeyUsagePurpose::ServerAuth],
        };
        params.use_authority_key_identifier_extension = true;
        params.not_before = at() - Duration::days(10);
        params.not_after = at() + Duration::days(30);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (Issued::from_cert(&cert, None), key)
    }

    /// A CRL signed by this CA, listing `revoked` (serials taken from those certificates), with
    /// this/next update in days relative to [`AT`].
    pub fn crl(&self, revoked: &[&Issued], this_update_days: i64, next_update_days: i64) -> Vec<u8> {
        use x509_parser::prelude::FromDer;
        let revoked_certs = revoked
            .iter()
            .map(|cert| {
                let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(&cert.der).unwrap();
                rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from_slice(parsed.raw_serial()),
                    revocation_time: at() - Duration::days(2),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                }
            })
            .collect();
        let params = rcgen::CertificateRevocationListParams {
            this_update: at() + Duration::days(this_update_days),
            next_update: at() + Duration::days(next_update_days),
            crl_number: rcgen::SerialNumber::from(7u64),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        params.signed_by(&self.issuer).unwrap().der().to_vec()
    }

    pub fn issue(&self, spec: &LeafSpec) -> Issued {
        let key = KeyPair::generate().unwrap();
        let cert = spec.params().signed_by(&key, &self.issuer).unwrap();
        Issued::from_cert(&cert, Some(&key))
    }

    /// A leaf for the committed RSA-1024 public key (`legacy/rsa1024.key` is its private key,
    /// which only `openssl s_server` can sign with).
    pub fn issue_rsa1024(&self) -> Issued {
        self.issue_for_committed_key("legacy/rsa1024-pub.pem")
    }

    /// A leaf for `localhost` with a committed public key (a fixture's path).
    pub fn issue_for_committed_key(&self, public_key: &str) -> Issued {
        self.issue_spec_for_committed_key(&LeafSpec::new(&["localhost"]), public_key)
    }

    /// A leaf as `spec` says with a committed public key (a fixture's path).
    pub fn issue_spec_for_committed_key(&self, spec: &LeafSpec, public_key: &str) -> Issued {
        let pem = std::fs::read_to_string(fixture(public_key)).unwrap();
        let spki = SubjectPublicKeyInfo::from_pem(&pem).unwrap();
        let cert = spec.params().signed_by(&spki, &self.issuer).unwrap();
        Issued::from_cert(&cert, None)
    }
}

/// Two CAs that issue each other (A issued by B, B issued by A) and a leaf issued by A, as
/// `[leaf, A, B]`: a chain that loops.
pub fn looping_chain(name: &str) -> Vec<Issued> {
    let (key_a, key_b) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
    let (mut params_a, mut params_b) = (ca_params("Loop CA A", Some(1)), ca_params("Loop CA B", Some(1)));
    params_a.use_authority_key_identifier_extension = true;
    params_b.use_authority_key_identifier_extension = true;
    let issuer_a = Issuer::new(params_a.clone(), &key_a);
    let issuer_b = Issuer::new(params_b.clone(), &key_b);
    let a = params_a.signed_by(&key_a, &issuer_b).unwrap();
    let b = params_b.signed_by(&key_b, &issuer_a).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = LeafSpec::new(&[name]).params().signed_by(&leaf_key, &issuer_a).unwrap();
    vec![
        Issued::from_cert(&leaf, Some(&leaf_key)),
        Issued::from_cert(&a, None),
        Issued::from_cert(&b, None),
    ]
}

/// A leaf with a key of the given algorithm, and that key as PEM.
pub fn leaf_with_key(ca: &Ca, spec: &LeafSpec, algorithm: &'static rcgen::SignatureAlgorithm) -> (Issued, String) {
    let key = KeyPair::generate_for(algorithm).unwrap();
    let cert = spec.params().signed_by(&key, &ca.issuer).unwrap();
    (Issued::from_cert(&cert, Some(&key)), key.serialize_pem())
}

pub fn self_signed(spec: &LeafSpec) -> Issued {
    let key = KeyPair::generate().unwrap();
    let cert = spec.params().self_signed(&key).unwrap();
    Issued::from_cert(&cert, Some(&key))
}

/// Root, intermediate, and files for them.
pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        Pki::named("certscan Test")
    }

    /// A PKI whose CAs are called "PREFIX Root CA" and "PREFIX Intermediate".
    pub fn named(prefix: &str) -> Pki {
        Pki::with_intermediate(prefix, &rcgen::PKCS_ECDSA_P384_SHA384)
    }

    /// A PKI whose intermediate has a key of this algorithm.
    pub fn with_intermediate(prefix: &str, algorithm: &'static rcgen::SignatureAlgorithm) -> Pki {
        let root = Ca::root(&format!("{prefix} Root CA"));
        let intermediate = root.intermediate_with(&format!("{prefix} Intermediate"), algorithm);
        let pki = Pki {
            root,
            intermediate,
            dir: tempfile::tempdir().unwrap(),
        };
        pki.write("root.pem", &pki.root.cert.pem);
        pki
    }

    pub fn root_file(&self) -> String {
        self.path("root.pem")
    }

    /// `--trust none --ca-file ROOT`: trust this PKI's root and nothing else.
    pub fn trust_args(&self) -> Vec<String> {
        vec!["--trust".into(), "none".into(), "--ca-file".into(), self.root_file()]
    }

    pub fn leaf(&self, spec: &LeafSpec) -> Issued {
        self.intermediate.issue(spec)
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.dir.path().join(name), text).unwrap();
        self.path(name)
    }

    /// Writes the concatenation of certificates as a PEM chain file.
    pub fn chain_file(&self, name: &str, chain: &[&Issued]) -> String {
        let text: String = chain.iter().map(|c| c.pem.clone()).collect();
        self.write(name, &text)
    }
}

/// The committed SHA-1 leaf (with its key) and its RSA CA.
pub fn legacy_sha1() -> (Issued, Issued) {
    let read = |name: &str| std::fs::read_to_string(fixture(&format!("legacy/{name}"))).unwrap();
    let leaf_pem = read("sha1leaf.pem");
    let leaf = Issued {
        der: CertificateDer::from_pem_slice(leaf_pem.as_bytes()).unwrap(),
        pem: leaf_pem,
        key: Some(read("sha1leaf.key")),
    };
    let ca_pem = read("rsaca.pem");
    let ca = Issued {
        der: CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap(),
        pem: ca_pem,
        key: None,
    };
    (leaf, ca)
}
