//! One certificate as the reports show it and the checks read it, parsed from DER.

use std::net::IpAddr;

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

use crate::der::{hex, serial_hex};

/// Public key type and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kind: String,
    pub bits: Option<u32>,
}

/// A subjectAltName entry that takes part in name matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanEntry {
    Dns(String),
    Ip(IpAddr),
    /// A uniformResourceIdentifier, e.g. `sip:example.com` (RFC 5922).
    Uri(String),
    Other(String),
}

impl SanEntry {
    /// As openssl shows it: `DNS:name`, `IP:address`, `URI:sip:example.com`.
    pub fn display(&self) -> String {
        match self {
            SanEntry::Dns(name) => format!("DNS:{name}"),
            SanEntry::Ip(ip) => format!("IP:{ip}"),
            SanEntry::Uri(uri) => format!("URI:{uri}"),
            SanEntry::Other(text) => text.clone(),
        }
    }
}

/// What certscan knows about one served certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Whole days from the evaluation time to notAfter (negative once expired).
    pub days_left: i64,
    pub sans: Vec<String>,
    pub key: KeyInfo,
    pub signature_algorithm: String,
    pub sha256: String,
    pub self_signed: bool,
    pub is_ca: bool,
    /// Why the certificate could not be parsed; the other fields are then empty.
    pub parse_error: Option<String>,

    pub der: Vec<u8>,
    pub subject_raw: Vec<u8>,
    pub issuer_raw: Vec<u8>,
    pub authority_key_id: Option<Vec<u8>>,
    pub subject_key_id: Option<Vec<u8>>,
    pub san_entries: Vec<SanEntry>,
    pub has_san_extension: bool,
    pub common_names: Vec<String>,
    pub ca_issuers_urls: Vec<String>,
    /// The OCSP responders the authority information access extension names.
    pub ocsp_urls: Vec<String>,
    /// The URIs of the CRL distribution points.
    pub crl_urls: Vec<String>,
    /// The TLS feature extension asks for a stapled OCSP response (status_request, "must-staple").
    pub must_staple: bool,
    /// The extended key usage allows signing OCSP responses.
    pub ocsp_signing: bool,
    /// The subjectPublicKey bits (what OCSP hashes to name an issuer's key).
    pub key_bits: Vec<u8>,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    pub signature_oid: String,
    /// The SubjectPublicKeyInfo, DER.
    pub spki_der: Vec<u8>,
    /// The RSA modulus without leading zeros, for RSA keys.
    pub rsa_modulus: Option<Vec<u8>>,
    /// The serial number's DER content octets.
    pub serial_raw: Vec<u8>,
    pub has_extended_key_usage: bool,
    /// extendedKeyUsage allows TLS client authentication (clientAuth or anyExtendedKeyUsage);
    /// `false` without the extension (then every use is allowed).
    pub client_auth: bool,
    /// extendedKeyUsage allows TLS server authentication (serverAuth or anyExtendedKeyUsage);
    /// `false` without the extension (then every use is allowed).
    pub server_auth: bool,
    /// Whether basicConstraints is marked critical, when present.
    pub basic_constraints_critical: Option<bool>,
    /// Whether keyUsage allows keyCertSign, when keyUsage is present.
    pub key_cert_sign: Option<bool>,
    /// Critical extensions that are not understood (their OIDs).
    pub unknown_critical_extensions: Vec<String>,
    /// Extensions that do not parse (their OIDs).
    pub malformed_extensions: Vec<String>,
    pub extended_key_usage_critical: bool,
    /// The authority key identifier names the issuer's issuer or serial, not only a key id.
    pub authority_key_id_has_issuer_fields: bool,
    /// Name constraints: (marked critical, holds no subtree at all), when present.
    pub name_constraints: Option<(bool, bool)>,
}

impl CertInfo {
    /// Parses a certificate; a certificate that does not parse gives an entry with `parse_error`.
    pub fn from_der(der: &[u8], at_unix: i64) -> CertInfo {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        CertInfo::from_der_with_digest(der, digest.as_ref(), at_unix)
    }

    /// [`CertInfo::from_der`] for a certificate whose SHA-256 digest is known already.
    pub(super) fn from_der_with_digest(der: &[u8], sha256: &[u8], at_unix: i64) -> CertInfo {
        let sha256 = hex(sha256, ":");
        match X509Certificate::from_der(der) {
            Ok((_, cert)) => describe(&cert, der, sha256, at_unix),
            Err(e) => CertInfo::unparsable(der, sha256, e.to_string()),
        }
    }

    fn unparsable(der: &[u8], sha256: String, error: String) -> CertInfo {
        CertInfo {
            subject: String::new(),
            issuer: String::new(),
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            days_left: 0,
            sans: vec![],
            key: KeyInfo {
                kind: "unknown".into(),
                bits: None,
            },
            signature_algorithm: String::new(),
            sha256,
            self_signed: false,
            is_ca: false,
            parse_error: Some(error),
            der: der.to_vec(),
            subject_raw: vec![],
            issuer_raw: vec![],
            authority_key_id: None,
            subject_key_id: None,
            san_entries: vec![],
            has_san_extension: false,
            common_names: vec![],
            ca_issuers_urls: vec![],
            ocsp_urls: vec![],
            crl_urls: vec![],
            must_staple: false,
            ocsp_signing: false,
            key_bits: vec![],
            not_before_unix: 0,
            not_after_unix: 0,
            signature_oid: String::new(),
            spki_der: vec![],
            rsa_modulus: None,
            serial_raw: vec![],
            has_extended_key_usage: false,
            client_auth: false,
            server_auth: false,
            basic_constraints_critical: None,
            key_cert_sign: None,
            unknown_critical_extensions: vec![],
            malformed_extensions: vec![],
            extended_key_usage_critical: false,
            authority_key_id_has_issuer_fields: false,
            name_constraints: None,
        }
    }

    pub fn parsed(&self) -> bool {
        self.parse_error.is_none()
    }

    /// A short name for messages: the subject, or the fingerprint when it has none.
    pub fn label(&self) -> String {
        if !self.subject.is_empty() {
            self.subject.clone()
        } else {
            format!("SHA-256 {}", &self.sha256[..self.sha256.len().min(23)])
        }
    }

    /// Issued by `parent` as far as names and key identifiers tell (signatures are the
    /// validator's business).
    pub fn named_issuer_is(&self, parent: &CertInfo) -> bool {
        self.parsed()
            && parent.parsed()
            && self.issuer_raw == parent.subject_raw
            && match (&self.authority_key_id, &parent.subject_key_id) {
                (Some(aki), Some(ski)) => aki == ski,
                _ => true,
            }
    }
}

fn describe(cert: &X509Certificate<'_>, der: &[u8], sha256: String, at_unix: i64) -> CertInfo {
    let mut info = CertInfo::unparsable(der, sha256, String::new());
    info.parse_error = None;
    info.subject = crate::der::name_string(cert.subject());
    info.issuer = crate::der::name_string(cert.issuer());
    info.subject_raw = cert.subject().as_raw().to_vec();
    info.issuer_raw = cert.issuer().as_raw().to_vec();
    info.serial = serial_hex(cert.raw_serial());
    info.serial_raw = cert.raw_serial().to_vec();
    let validity = cert.validity();
    info.not_before_unix = validity.not_before.timestamp();
    info.not_after_unix = validity.not_after.timestamp();
    info.not_before = rfc3339(info.not_before_unix);
    info.not_after = rfc3339(info.not_after_unix);
    info.days_left = whole_days(info.not_after_unix - at_unix);
    info.common_names = common_names(cert);
    let sig_oid = &cert.signature_algorithm.algorithm;
    info.signature_oid = dotted(sig_oid);
    info.signature_algorithm = oid2sn(sig_oid, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| info.signature_oid.clone());
    info.key = key_info(cert);
    info.spki_der = cert.public_key().raw.to_vec();
    info.key_bits = cert.public_key().subject_public_key.data.to_vec();
    if let Ok(PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        info.rsa_modulus = Some(strip_zeros(rsa.modulus).to_vec());
    }

    for ext in cert.extensions() {
        read_extension(&mut info, ext);
    }
    info.sans = info.san_entries.iter().map(SanEntry::display).collect();
    info.self_signed = is_self_signed(&info);
    info
}

/// What one extension says, into `info`.
fn read_extension(info: &mut CertInfo, ext: &X509Extension<'_>) {
    if ext.oid.as_bytes() == OID_TLS_FEATURE {
        info.must_staple = asks_for_status_request(ext.value);
        return;
    }
    match ext.parsed_extension() {
        ParsedExtension::SubjectAlternativeName(san) => {
            info.has_san_extension = true;
            info.san_entries.extend(san.general_names.iter().map(san_entry));
        }
        ParsedExtension::BasicConstraints(bc) => {
            info.is_ca = bc.ca;
            info.basic_constraints_critical = Some(ext.critical);
        }
        ParsedExtension::ExtendedKeyUsage(usage) => {
            info.ocsp_signing = usage.ocsp_signing;
            info.has_extended_key_usage = true;
            info.client_auth = usage.client_auth || usage.any;
            info.server_auth = usage.server_auth || usage.any;
            info.extended_key_usage_critical = ext.critical;
        }
        ParsedExtension::NameConstraints(nc) => {
            let empty = nc.permitted_subtrees.as_ref().is_none_or(Vec::is_empty)
                && nc.excluded_subtrees.as_ref().is_none_or(Vec::is_empty);
            info.name_constraints = Some((ext.critical, empty));
        }
        ParsedExtension::ParseError { .. } => info.malformed_extensions.push(dotted(&ext.oid)),
        ParsedExtension::KeyUsage(usage) => info.key_cert_sign = Some(usage.key_cert_sign()),
        ParsedExtension::UnsupportedExtension { .. } if ext.critical => {
            info.unknown_critical_extensions.push(dotted(&ext.oid))
        }
        ParsedExtension::AuthorityKeyIdentifier(aki) => {
            info.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
            info.authority_key_id_has_issuer_fields =
                aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some();
        }
        ParsedExtension::SubjectKeyIdentifier(ski) => info.subject_key_id = Some(ski.0.to_vec()),
        ParsedExtension::AuthorityInfoAccess(aia) => {
            for access in &aia.accessdescs {
                let GeneralName::URI(uri) = &access.access_location else {
                    continue;
                };
                if access.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                    info.ca_issuers_urls.push(uri.to_string());
                }
                if access.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP {
                    info.ocsp_urls.push(uri.to_string());
                }
            }
        }
        ParsedExtension::CRLDistributionPoints(points) => {
            for point in points.iter() {
                if let Some(DistributionPointName::FullName(names)) = &point.distribution_point {
                    info.crl_urls.extend(names.iter().filter_map(|name| match name {
                        GeneralName::URI(uri) => Some(uri.to_string()),
                        _ => None,
                    }));
                }
            }
        }
        _ => {}
    }
}

fn common_names(cert: &X509Certificate<'_>) -> Vec<String> {
    cert.subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .map(str::to_string)
        .collect()
}

fn san_entry(name: &GeneralName<'_>) -> SanEntry {
    match name {
        GeneralName::DNSName(d) => SanEntry::Dns(d.to_string()),
        GeneralName::IPAddress(bytes) => match ip_from_bytes(bytes) {
            Some(ip) => SanEntry::Ip(ip),
            None => SanEntry::Other(format!("IP:{bytes:02x?}")),
        },
        GeneralName::URI(uri) => SanEntry::Uri(uri.to_string()),
        other => SanEntry::Other(other.to_string()),
    }
}

/// Issued by itself, as far as names and key identifiers tell.
fn is_self_signed(info: &CertInfo) -> bool {
    info.issuer_raw == info.subject_raw
        && match (&info.authority_key_id, &info.subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
}

/// The TLS feature extension (RFC 7633), 1.3.6.1.5.5.7.1.24.
const OID_TLS_FEATURE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x18];

/// Whether a TLS feature extension's value (a SEQUENCE OF INTEGER) lists status_request (5).
fn asks_for_status_request(value: &[u8]) -> bool {
    use x509_parser::asn1_rs::{Any, FromDer};
    let Ok((_, list)) = Any::from_der(value) else {
        return false;
    };
    let mut rest = list.data;
    while let Ok((after, feature)) = Any::from_der(rest) {
        if feature.tag().0 == 2 && feature.data == [5] {
            return true;
        }
        rest = after;
    }
    false
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let (kind, bits) = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), Some(rsa_bits(rsa.modulus))),
        Ok(PublicKey::EC(ec)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| {
                    oid2sn(&oid, oid_registry())
                        .map(str::to_string)
                        .unwrap_or_else(|_| dotted(&oid))
                });
            (
                format!("EC {}", curve.unwrap_or_default()).trim().to_string(),
                Some(ec.key_size() as u32),
            )
        }
        Ok(PublicKey::DSA(y)) => ("DSA".to_string(), Some(rsa_bits(y))),
        Ok(PublicKey::Unknown(_)) | Ok(_) | Err(_) => {
            let oid = &spki.algorithm.algorithm;
            let name = oid2sn(oid, oid_registry())
                .map(str::to_string)
                .unwrap_or_else(|_| dotted(oid));
            let bits = match name.as_str() {
                "ed25519" => Some(256),
                "ed448" => Some(456),
                _ => None,
            };
            (name, bits)
        }
    };
    KeyInfo { kind, bits }
}

/// A big-endian unsigned integer without its leading zero bytes.
pub fn strip_zeros(bytes: &[u8]) -> &[u8] {
    &bytes[bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len())..]
}

/// Bit length of a big-endian unsigned integer, ignoring leading zero bytes.
fn rsa_bits(modulus: &[u8]) -> u32 {
    let start = modulus.iter().position(|&b| b != 0).unwrap_or(modulus.len());
    let m = &modulus[start..];
    m.first().map_or(0, |b| (m.len() * 8) as u32 - b.leading_zeros())
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// An OID in dotted decimal ("1.2.840.10045.4.3.2"), as `Oid::to_id_string` writes it but
/// without an allocation per arc.
pub(crate) fn dotted(oid: &x509_parser::oid_registry::Oid<'_>) -> String {
    use std::fmt::Write;
    let Some(arcs) = oid.iter() else {
        return oid.to_id_string();
    };
    let mut out = String::with_capacity(24);
    for (i, arc) in arcs.enumerate() {
        if i > 0 {
            out.push('.');
        }
        let _ = write!(out, "{arc}");
    }
    out
}

/// Formats seconds since the epoch as RFC 3339 UTC.
pub fn rfc3339(unix: i64) -> String {
    use std::fmt::Write;
    match ::time::OffsetDateTime::from_unix_timestamp(unix) {
        // RFC 3339 has four-digit years; the seconds are written as they are beyond them.
        Ok(t) if (0..=9999).contains(&t.year()) => {
            let mut out = String::with_capacity(20);
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            out
        }
        _ => unix.to_string(),
    }
}

/// Whole days in a span of seconds, rounded toward zero: the one rule behind every day count
/// certscan shows (the Days column, perfdata, "N days left" and "N days ago").
pub fn whole_days(seconds: i64) -> i64 {
    seconds / 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_upper_case_hex_pairs() {
        assert_eq!(hex(&[0x00, 0xab, 0x1f], ":"), "00:AB:1F");
        assert_eq!(hex(&[0x7e], ":"), "7E");
        assert_eq!(hex(&[], ":"), "");
        assert_eq!(hex(&[1, 2], ""), "0102");
    }

    #[test]
    fn dates_are_written_as_the_time_crate_writes_rfc3339() {
        for unix in [0, 1, 59, 951_782_400, 1_900_000_000, 253_402_300_799, -62_167_219_200] {
            let expected = ::time::OffsetDateTime::from_unix_timestamp(unix)
                .unwrap()
                .format(&::time::format_description::well_known::Rfc3339)
                .unwrap();
            assert_eq!(rfc3339(unix), expected, "{unix}");
        }
        // Years past 9999 cannot be written in RFC 3339: the seconds are.
        assert_eq!(rfc3339(253_402_300_800), "253402300800");
        assert_eq!(rfc3339(-62_167_219_201), "-62167219201");
    }

    #[test]
    fn serials_and_oids_read_as_x509_parser_writes_them() {
        for serial in [&[][..], &[0x00], &[0x01, 0xab, 0xff], &[0x7f; 20]] {
            assert_eq!(serial_hex(serial), x509_parser::utils::format_serial(serial));
        }
        for der in [
            &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02][..],
            &[0x55, 0x1d, 0x11],
            // An arc too large for 64 bits.
            &[0x2a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        ] {
            let oid = x509_parser::oid_registry::Oid::new(der.into());
            assert_eq!(dotted(&oid), oid.to_id_string());
        }
        assert_eq!(
            dotted(&x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA256),
            "1.2.840.10045.4.3.2"
        );
    }

    #[test]
    fn rsa_bit_count_ignores_leading_zero_bytes() {
        assert_eq!(rsa_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(rsa_bits(&[0x00, 0x00, 0x01]), 1);
        assert_eq!(rsa_bits(&[]), 0);
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        let info = CertInfo::from_der(b"\x30\x03\x02\x01\x05", 0);
        assert!(info.parse_error.is_some());
        assert!(info.label().starts_with("SHA-256 "));
    }
}
