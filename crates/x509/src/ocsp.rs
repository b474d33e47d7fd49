//! OCSP (RFC 6960) as certscan speaks it: the request that asks about one certificate, and the
//! parts of a response that say a certificate's status, which certificate it is about, when it
//! was made and who signed it. Decoding walks the DER structure field by field; anything that
//! does not decode is an error message, never a panic.

use x509_parser::asn1_rs::{Any, Class, FromDer};

use crate::der::element as der;

/// 1.3.14.3.2.26
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
/// 2.16.840.1.101.3.4.2.1
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
const OID_OCSP_BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];

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

    fn oid(self) -> &'static [u8] {
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

/// One DER element: its class, tag number, whether it is constructed, its contents and its
/// whole encoding.
struct Element<'a> {
    class: Class,
    tag: u32,
    constructed: bool,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads the elements of a sequence one after the other.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Reader<'a> {
        Reader { rest: input }
    }

    fn peek(&self) -> Option<Element<'a>> {
        let (rest, any) = Any::from_der(self.rest).ok()?;
        Some(Element {
            class: any.class(),
            tag: any.tag().0,
            constructed: any.header.is_constructed(),
            content: any.data,
            whole: &self.rest[..self.rest.len() - rest.len()],
        })
    }

    fn next(&mut self, what: &str) -> Result<Element<'a>, String> {
        if self.rest.is_empty() {
            return Err(format!("{what} is missing"));
        }
        let element = self.peek().ok_or_else(|| format!("{what} is not valid DER"))?;
        self.rest = &self.rest[element.whole.len()..];
        Ok(element)
    }

    /// The next element, which must be universal with tag `tag`.
    fn universal(&mut self, tag: u32, what: &str) -> Result<&'a [u8], String> {
        let element = self.next(what)?;
        if element.class != Class::Universal || element.tag != tag {
            return Err(format!("{what} has the wrong type"));
        }
        Ok(element.content)
    }

    fn sequence(&mut self, what: &str) -> Result<Element<'a>, String> {
        let element = self.next(what)?;
        if element.class != Class::Universal || element.tag != 16 || !element.constructed {
            return Err(format!("{what} is not a SEQUENCE"));
        }
        Ok(element)
    }

    /// The next element when it has context tag `tag`.
    fn context(&mut self, tag: u32) -> Option<Element<'a>> {
        let element = self
            .peek()
            .filter(|e| e.class == Class::ContextSpecific && e.tag == tag)?;
        self.rest = &self.rest[element.whole.len()..];
        Some(element)
    }

    fn time(&mut self, what: &str) -> Result<i64, String> {
        generalized_time(self.universal(24, what)?).ok_or_else(|| format!("{what} is not a valid time"))
    }

    fn end(&self, what: &str) -> Result<(), String> {
        match self.rest.is_empty() {
            true => Ok(()),
            false => Err(format!("{what} has trailing data")),
        }
    }
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
    let mut outer = Reader::new(der);
    let response = outer.sequence("the response")?;
    outer.end("the response")?;
    let mut fields = Reader::new(response.content);
    let status = fields.universal(10, "the response status")?;
    let status = match status {
        [value] => *value as u32,
        _ => return Err("the response status is not a small number".into()),
    };
    if status != 0 {
        return Ok(Response::NotAnswered(status));
    }
    let bytes = fields
        .context(0)
        .ok_or("a successful response carries no response bytes")?;
    let mut bytes = Reader::new(bytes.content);
    let mut typed = Reader::new(bytes.sequence("the response bytes")?.content);
    if typed.universal(6, "the response type")? != OID_OCSP_BASIC {
        return Err("the response is not of the basic type".into());
    }
    let basic = typed.universal(4, "the basic response")?;
    parse_basic(basic).map(Response::Basic)
}

fn parse_basic(der: &[u8]) -> Result<BasicResponse, String> {
    let mut outer = Reader::new(der);
    let basic = outer.sequence("the basic response")?;
    outer.end("the basic response")?;
    let mut fields = Reader::new(basic.content);
    let tbs = fields.sequence("the response data")?;
    let algorithm = fields.sequence("the signature algorithm")?;
    let signature = match fields.universal(3, "the signature")? {
        [0, bits @ ..] => bits.to_vec(),
        _ => return Err("the signature is not a whole number of bytes".into()),
    };
    let mut certificates = vec![];
    if let Some(certs) = fields.context(0) {
        let mut list = Reader::new(Reader::new(certs.content).sequence("the certificates")?.content);
        while !list.rest.is_empty() {
            certificates.push(list.sequence("a certificate")?.whole.to_vec());
        }
    }
    let mut data = Reader::new(tbs.content);
    data.context(0); // version: v1 is the only one
    let responder = match data.next("the responder id")? {
        Element {
            class: Class::ContextSpecific,
            tag: 1,
            content,
            ..
        } => ResponderId::ByName(Reader::new(content).sequence("the responder name")?.whole.to_vec()),
        Element {
            class: Class::ContextSpecific,
            tag: 2,
            content,
            ..
        } => ResponderId::ByKey(Reader::new(content).universal(4, "the responder key hash")?.to_vec()),
        _ => return Err("the responder id is neither a name nor a key hash".into()),
    };
    let produced_at = data.time("producedAt")?;
    let mut list = Reader::new(data.sequence("the responses")?.content);
    let mut responses = vec![];
    while !list.rest.is_empty() {
        responses.push(parse_single(list.sequence("a single response")?.content)?);
    }
    Ok(BasicResponse {
        signed: tbs.whole.to_vec(),
        responder,
        produced_at,
        responses,
        signature_algorithm: algorithm.whole.to_vec(),
        signature,
        certificates,
    })
}

fn parse_single(der: &[u8]) -> Result<SingleResponse, String> {
    let mut fields = Reader::new(der);
    let mut id = Reader::new(fields.sequence("the certificate id")?.content);
    let mut algorithm = Reader::new(id.sequence("the certificate id's hash algorithm")?.content);
    let digest = match algorithm.universal(6, "the hash algorithm")? {
        oid if oid == OID_SHA1 => Digest::Sha1,
        oid if oid == OID_SHA256 => Digest::Sha256,
        _ => return Err("the certificate id uses a hash other than SHA-1 or SHA-256".into()),
    };
    let cert_id = CertId {
        digest,
        issuer_name_hash: id.universal(4, "issuerNameHash")?.to_vec(),
        issuer_key_hash: id.universal(4, "issuerKeyHash")?.to_vec(),
        serial: id.universal(2, "the serial number")?.to_vec(),
    };
    id.end("the certificate id")?;
    let status = match fields.next("the certificate status")? {
        Element {
            class: Class::ContextSpecific,
            tag: 0,
            ..
        } => CertStatus::Good,
        Element {
            class: Class::ContextSpecific,
            tag: 1,
            content,
            ..
        } => {
            let mut info = Reader::new(content);
            let at = info.time("the revocation time")?;
            let reason = match info.context(0) {
                Some(reason) => match Reader::new(reason.content).universal(10, "the revocation reason")? {
                    [code] => Some(*code as u32),
                    _ => None,
                },
                None => None,
            };
            CertStatus::Revoked { at, reason }
        }
        Element {
            class: Class::ContextSpecific,
            tag: 2,
            ..
        } => CertStatus::Unknown,
        _ => return Err("the certificate status is not good, revoked or unknown".into()),
    };
    let this_update = fields.time("thisUpdate")?;
    let next_update = match fields.context(0) {
        Some(next) => Some(Reader::new(next.content).time("nextUpdate")?),
        None => None,
    };
    Ok(SingleResponse {
        cert_id,
        status,
        this_update,
        next_update,
    })
}

/// The DER of an OCSPRequest asking about one certificate, without a nonce (responders that
/// pre-sign answers ignore or refuse nonces).
pub fn request(id: &CertId) -> Vec<u8> {
    let algorithm = der(0x30, &[der(0x06, id.digest.oid()), vec![0x05, 0x00]].concat());
    let cert_id = der(
        0x30,
        &[
            algorithm,
            der(0x04, &id.issuer_name_hash),
            der(0x04, &id.issuer_key_hash),
            der(0x02, &id.serial),
        ]
        .concat(),
    );
    let one_request = der(0x30, &cert_id);
    let request_list = der(0x30, &one_request);
    let tbs_request = der(0x30, &request_list);
    der(0x30, &tbs_request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(generalized_time(b"19700101000000Z"), Some(0));
        assert_eq!(generalized_time(b"20300601000000.123Z"), Some(1_906_502_400));
        assert_eq!(generalized_time(b"20300601000000"), None);
        assert_eq!(generalized_time(b"2030060100000Z"), None);
        assert_eq!(generalized_time(b"20301301000000Z"), None);
    }

    #[test]
    fn requests_have_long_lengths_when_needed() {
        assert_eq!(der(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = der(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn unanswered_and_garbage_responses() {
        // SEQUENCE { ENUMERATED 3 (tryLater) }
        assert_eq!(
            parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x03]),
            Ok(Response::NotAnswered(3))
        );
        assert!(parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x00]).is_err());
        assert!(parse_response(b"<html>").is_err());
        assert!(parse_response(&[]).is_err());
        assert!(parse_response(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn a_request_decodes_as_the_identifier_it_was_made_from() {
        let id = CertId::new(Digest::Sha1, b"name", b"key", &[0x01, 0x02]);
        let request = request(&id);
        // OCSPRequest > TBSRequest > requestList > Request > CertID
        let mut reader = Reader::new(&request);
        let mut level = reader.sequence("request").unwrap();
        for _ in 0..4 {
            level = Reader::new(level.content).sequence("level").unwrap();
        }
        let mut fields = Reader::new(level.content);
        fields.sequence("algorithm").unwrap();
        assert_eq!(fields.universal(4, "name").unwrap(), id.issuer_name_hash.as_slice());
        assert_eq!(fields.universal(4, "key").unwrap(), id.issuer_key_hash.as_slice());
        assert_eq!(fields.universal(2, "serial").unwrap(), &[0x01, 0x02]);
        assert_eq!(id.issuer_name_hash.len(), 20);
    }
}
