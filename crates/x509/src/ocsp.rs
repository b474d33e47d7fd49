//! OCSP (RFC 6960) as certscan speaks it: the request that asks about one certificate, and the
//! parts of a response that say a certificate's status, which certificate it is about, when it
//! was made and who signed it. The ASN.1 structures are declared on the RustCrypto `der` crate
//! (its derive macros, borrowing from the input); what does not decode is an error message,
//! never a panic. Times, statuses and serial numbers are read as leniently as OpenSSL reads
//! them (fractional seconds, serials as written).

use der::asn1::{AnyRef, BitStringRef, Null, ObjectIdentifier, OctetStringRef};
use der::{Choice, Decode, Encode, Sequence, Tag, Tagged};

/// 1.3.14.3.2.26
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// 2.16.840.1.101.3.4.2.1
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");

/// The digest a certificate identifier is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha256,
}

impl Digest {
    fn of(self, data: &[u8]) -> Vec<u8> {
        let algorithm = match self {
            Digest::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Digest::Sha256 => &ring::digest::SHA256,
        };
        ring::digest::digest(algorithm, data).as_ref().to_vec()
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Digest::Sha1 => OID_SHA1,
            Digest::Sha256 => OID_SHA256,
        }
    }
}

/// Which certificate a response speaks of: its issuer's name and key, hashed, and its serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertId {
    pub digest: Digest,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// The serial number's DER content octets.
    pub serial: Vec<u8>,
}

impl CertId {
    /// The identifier of the certificate with `serial` issued by the certificate whose subject
    /// (whole DER Name) and subjectPublicKey bits are given.
    pub fn new(digest: Digest, issuer_subject: &[u8], issuer_key_bits: &[u8], serial: &[u8]) -> CertId {
        CertId {
            digest,
            issuer_name_hash: digest.of(issuer_subject),
            issuer_key_hash: digest.of(issuer_key_bits),
            serial: serial.to_vec(),
        }
    }
}

/// What a responder says of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked {
        /// Seconds since the epoch.
        at: i64,
        /// The CRLReason code, when given.
        reason: Option<u32>,
    },
    /// The responder does not know the certificate.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleResponse {
    pub cert_id: CertId,
    pub status: CertStatus,
    pub this_update: i64,
    pub next_update: Option<i64>,
}

/// Who signed a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponderId {
    /// The signer's subject, a whole DER Name.
    ByName(Vec<u8>),
    /// The SHA-1 hash of the signer's subjectPublicKey bits.
    ByKey(Vec<u8>),
}

/// A successful response of the basic type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicResponse {
    /// The DER of tbsResponseData: what the signature is over.
    pub signed: Vec<u8>,
    pub responder: ResponderId,
    pub produced_at: i64,
    pub responses: Vec<SingleResponse>,
    /// The DER of the signature's AlgorithmIdentifier.
    pub signature_algorithm: Vec<u8>,
    /// The signature's bits.
    pub signature: Vec<u8>,
    /// Certificates sent along to help verify the signature (a delegated responder's).
    pub certificates: Vec<Vec<u8>>,
}

/// A decoded OCSP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Basic(BasicResponse),
    /// The responder did not answer the question: the OCSPResponseStatus it gave instead.
    NotAnswered(u32),
}

/// The name RFC 6960 gives an OCSPResponseStatus.
pub fn response_status_name(status: u32) -> &'static str {
    match status {
        0 => "successful",
        1 => "malformedRequest",
        2 => "internalError",
        3 => "tryLater",
        5 => "sigRequired",
        6 => "unauthorized",
        _ => "an undefined status",
    }
}

/// The name RFC 5280 gives a CRLReason code.
pub fn reason_name(code: u32) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "an undefined reason",
    }
}

/// The ASN.1 of RFC 6960 section 4, as `der` decodes and encodes it. Parts certscan keeps as
/// written (names, algorithms, times, certificates) are `AnyRef`s, read below.
mod asn1 {
    use super::*;

    /// OCSPResponse.
    #[derive(Sequence)]
    pub(super) struct OcspResponse<'a> {
        /// OCSPResponseStatus, an ENUMERATED.
        pub response_status: AnyRef<'a>,
        #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
        pub response_bytes: Option<ResponseBytes<'a>>,
    }

    #[derive(Sequence)]
    pub(super) struct ResponseBytes<'a> {
        pub response_type: ObjectIdentifier,
        pub response: &'a OctetStringRef,
    }

    /// BasicOCSPResponse.
    #[derive(Sequence)]
    pub(super) struct BasicOcspResponse<'a> {
        /// ResponseData, kept whole: the signature is over its encoding.
        pub tbs_response_data: AnyRef<'a>,
        pub signature_algorithm: AnyRef<'a>,
        pub signature: BitStringRef<'a>,
        #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
        pub certs: Option<Vec<AnyRef<'a>>>,
    }

    #[derive(Sequence)]
    pub(super) struct ResponseData<'a> {
        /// v1, the only version.
        #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
        pub version: Option<AnyRef<'a>>,
        pub responder_id: ResponderId<'a>,
        pub produced_at: AnyRef<'a>,
        pub responses: Vec<SingleResponse<'a>>,
        #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
        pub response_extensions: Option<AnyRef<'a>>,
    }

    #[derive(Choice)]
    pub(super) enum ResponderId<'a> {
        /// A whole Name.
        #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
        ByName(AnyRef<'a>),
        #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
        ByKey(&'a OctetStringRef),
    }

    #[derive(Sequence)]
    pub(super) struct SingleResponse<'a> {
        pub cert_id: CertId<'a>,
        pub cert_status: CertStatus<'a>,
        pub this_update: AnyRef<'a>,
        #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
        pub next_update: Option<AnyRef<'a>>,
        #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
        pub single_extensions: Option<AnyRef<'a>>,
    }

    #[derive(Choice)]
    pub(super) enum CertStatus<'a> {
        #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
        Good(Null),
        #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
        Revoked(RevokedInfo<'a>),
        #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
        Unknown(Null),
    }

    #[derive(Sequence)]
    pub(super) struct RevokedInfo<'a> {
        pub revocation_time: AnyRef<'a>,
        /// CRLReason, an ENUMERATED.
        #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
        pub revocation_reason: Option<AnyRef<'a>>,
    }

    /// CertID.
    #[derive(Sequence)]
    pub(super) struct CertId<'a> {
        pub hash_algorithm: AlgorithmIdentifier<'a>,
        pub issuer_name_hash: &'a OctetStringRef,
        pub issuer_key_hash: &'a OctetStringRef,
        /// An INTEGER, its content octets as the CA wrote them.
        pub serial_number: AnyRef<'a>,
    }

    #[derive(Sequence)]
    pub(super) struct AlgorithmIdentifier<'a> {
        pub algorithm: ObjectIdentifier,
        #[asn1(optional = "true")]
        pub parameters: Option<AnyRef<'a>>,
    }

    /// OCSPRequest, unsigned.
    #[derive(Sequence)]
    pub(super) struct OcspRequest<'a> {
        pub tbs_request: TbsRequest<'a>,
    }

    /// TBSRequest: v1 (the default, not encoded), no requestor name, no extensions.
    #[derive(Sequence)]
    pub(super) struct TbsRequest<'a> {
        pub request_list: Vec<Request<'a>>,
    }

    #[derive(Sequence)]
    pub(super) struct Request<'a> {
        pub req_cert: CertId<'a>,
    }
}

/// What `der` says is wrong, after what was being read.
fn undecodable(what: &str) -> impl Fn(der::Error) -> String + '_ {
    move |e| format!("{what} is not valid DER ({e})")
}

/// `value` when it has the universal `tag`.
fn tagged<'a>(value: AnyRef<'a>, tag: Tag, what: &str) -> Result<&'a [u8], String> {
    match value.tag() == tag {
        true => Ok(value.value()),
        false => Err(format!("{what} has the wrong type")),
    }
}

/// A GeneralizedTime as seconds since the epoch.
fn time(value: AnyRef<'_>, what: &str) -> Result<i64, String> {
    generalized_time(tagged(value, Tag::GeneralizedTime, what)?).ok_or_else(|| format!("{what} is not a valid time"))
}

/// A GeneralizedTime (`YYYYMMDDHHMMSS[.fff]Z`) as seconds since the epoch.
fn generalized_time(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    if whole.len() != 14 || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| whole[range].parse::<u16>().ok();
    let date = time::Date::from_calendar_date(
        number(0..4)? as i32,
        time::Month::try_from(number(4..6)? as u8).ok()?,
        number(6..8)? as u8,
    )
    .ok()?;
    let time = time::Time::from_hms(number(8..10)? as u8, number(10..12)? as u8, number(12..14)? as u8).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp())
}

/// Decodes an OCSPResponse.
pub fn parse_response(der: &[u8]) -> Result<Response, String> {
    let response = asn1::OcspResponse::from_der(der).map_err(undecodable("the response"))?;
    let status = match tagged(response.response_status, Tag::Enumerated, "the response status")? {
        [value] => *value as u32,
        _ => return Err("the response status is not a small number".into()),
    };
    if status != 0 {
        return Ok(Response::NotAnswered(status));
    }
    let bytes = response
        .response_bytes
        .ok_or("a successful response carries no response bytes")?;
    if bytes.response_type != OID_OCSP_BASIC {
        return Err("the response is not of the basic type".into());
    }
    parse_basic(bytes.response.as_bytes()).map(Response::Basic)
}

fn parse_basic(der: &[u8]) -> Result<BasicResponse, String> {
    let basic = asn1::BasicOcspResponse::from_der(der).map_err(undecodable("the basic response"))?;
    let signed = basic
        .tbs_response_data
        .to_der()
        .map_err(undecodable("the response data"))?;
    let data = asn1::ResponseData::from_der(&signed).map_err(undecodable("the response data"))?;
    let responder = match data.responder_id {
        asn1::ResponderId::ByName(name) if name.tag() == Tag::Sequence => {
            ResponderId::ByName(name.to_der().map_err(undecodable("the responder name"))?)
        }
        asn1::ResponderId::ByName(_) => return Err("the responder name is not a SEQUENCE".into()),
        asn1::ResponderId::ByKey(hash) => ResponderId::ByKey(hash.as_bytes().to_vec()),
    };
    let signature = basic
        .signature
        .as_bytes()
        .ok_or("the signature is not a whole number of bytes")?
        .to_vec();
    let certificates = basic
        .certs
        .unwrap_or_default()
        .iter()
        .map(|c| c.to_der().map_err(undecodable("a certificate")))
        .collect::<Result<_, _>>()?;
    Ok(BasicResponse {
        produced_at: time(data.produced_at, "producedAt")?,
        responses: data.responses.iter().map(single).collect::<Result<_, _>>()?,
        signed,
        responder,
        signature_algorithm: basic
            .signature_algorithm
            .to_der()
            .map_err(undecodable("the signature algorithm"))?,
        signature,
        certificates,
    })
}

fn single(response: &asn1::SingleResponse<'_>) -> Result<SingleResponse, String> {
    let id = &response.cert_id;
    let digest = match id.hash_algorithm.algorithm {
        OID_SHA1 => Digest::Sha1,
        OID_SHA256 => Digest::Sha256,
        _ => return Err("the certificate id uses a hash other than SHA-1 or SHA-256".into()),
    };
    let cert_id = CertId {
        digest,
        issuer_name_hash: id.issuer_name_hash.as_bytes().to_vec(),
        issuer_key_hash: id.issuer_key_hash.as_bytes().to_vec(),
        serial: tagged(id.serial_number, Tag::Integer, "the serial number")?.to_vec(),
    };
    let status = match &response.cert_status {
        asn1::CertStatus::Good(_) => CertStatus::Good,
        asn1::CertStatus::Revoked(info) => CertStatus::Revoked {
            at: time(info.revocation_time, "the revocation time")?,
            reason: match info.revocation_reason {
                Some(reason) => match tagged(reason, Tag::Enumerated, "the revocation reason")? {
                    [code] => Some(*code as u32),
                    _ => None,
                },
                None => None,
            },
        },
        asn1::CertStatus::Unknown(_) => CertStatus::Unknown,
    };
    Ok(SingleResponse {
        cert_id,
        status,
        this_update: time(response.this_update, "thisUpdate")?,
        next_update: response.next_update.map(|t| time(t, "nextUpdate")).transpose()?,
    })
}

/// The DER of an OCSPRequest asking about one certificate, without a nonce (responders that
/// pre-sign answers ignore or refuse nonces).
pub fn request(id: &CertId) -> Vec<u8> {
    let encoded = (|| -> Result<Vec<u8>, der::Error> {
        let cert_id = asn1::CertId {
            hash_algorithm: asn1::AlgorithmIdentifier {
                algorithm: id.digest.oid(),
                parameters: Some(AnyRef::NULL),
            },
            issuer_name_hash: OctetStringRef::new(&id.issuer_name_hash)?,
            issuer_key_hash: OctetStringRef::new(&id.issuer_key_hash)?,
            serial_number: AnyRef::new(Tag::Integer, &id.serial)?,
        };
        asn1::OcspRequest {
            tbs_request: asn1::TbsRequest {
                request_list: vec![asn1::Request { req_cert: cert_id }],
            },
        }
        .to_der()
    })();
    // Digests and serials are far below DER's length limit: encoding cannot fail.
    encoded.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::element;

    #[test]
    fn times() {
        assert_eq!(generalized_time(b"19700101000000Z"), Some(0));
        assert_eq!(generalized_time(b"20300601000000.123Z"), Some(1_906_502_400));
        assert_eq!(generalized_time(b"20300601000000"), None);
        assert_eq!(generalized_time(b"2030060100000Z"), None);
        assert_eq!(generalized_time(b"20301301000000Z"), None);
    }

    #[test]
    fn unanswered_and_garbage_responses() {
        // SEQUENCE { ENUMERATED 3 (tryLater) }
        assert_eq!(
            parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x03]),
            Ok(Response::NotAnswered(3))
        );
        assert!(parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x00]).is_err());
        // The status must be an ENUMERATED, not an INTEGER.
        assert!(parse_response(&[0x30, 0x03, 0x02, 0x01, 0x03]).is_err());
        assert!(parse_response(b"<html>").is_err());
        assert!(parse_response(&[]).is_err());
        assert!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    /// The request, built by hand as RFC 6960 4.1.1 lays it out: OCSPRequest > TBSRequest >
    /// requestList > Request > CertID { SHA-1 with NULL parameters, the hashes, the serial }.
    #[test]
    fn a_request_is_the_rfc_6960_structure_byte_for_byte() {
        let id = CertId::new(Digest::Sha1, b"name", b"key", &[0x01, 0x02]);
        let algorithm = element(
            0x30,
            &[element(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), vec![0x05, 0x00]].concat(),
        );
        let cert_id = element(
            0x30,
            &[
                algorithm,
                element(0x04, &id.issuer_name_hash),
                element(0x04, &id.issuer_key_hash),
                element(0x02, &[0x01, 0x02]),
            ]
            .concat(),
        );
        let by_hand = element(0x30, &element(0x30, &element(0x30, &element(0x30, &cert_id))));
        assert_eq!(request(&id), by_hand);
        assert_eq!(id.issuer_name_hash.len(), 20);
        let sha256 = CertId::new(Digest::Sha256, b"name", b"key", &[0x7f; 20]);
        assert!(
            request(&sha256)
                .windows(9)
                .any(|w| w == [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01])
        );
    }
}
