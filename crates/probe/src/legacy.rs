//! certscan's own ClientHello, for servers the TLS library cannot complete a handshake with: it
//! offers TLS 1.0 to 1.2 with the older cipher suites (CBC, RSA key exchange, DHE, 3DES), groups
//! (P-521, finite-field) and signature schemes (SHA-1, P-521) that current clients dropped, and
//! reads the answer up to ServerHelloDone. Up to TLS 1.2 the Certificate message travels in
//! clear text, so the chain of such a server is recorded although no current client can
//! connect. The same hello, offering only old versions or only one kind of suite, asks a server
//! that completed a current handshake what else it accepts. Nothing is sent after the
//! ClientHello.

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use certscan_model::evidence::LegacyHello;

/// Modern suites first (so a server that has them picks them and the reason for the failure
/// lies elsewhere), then ECDHE and DHE with CBC, RSA key exchange, 3DES and RC4.
const SUITES: [u16; 33] = [
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE with AES-GCM, ChaCha20
    0x009e, 0x009f, 0xccaa, // DHE with AES-GCM, ChaCha20
    0xc023, 0xc027, 0xc024, 0xc028, 0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE with CBC
    0x0067, 0x006b, 0x0033, 0x0039, // DHE with CBC
    0x009c, 0x009d, 0x003c, 0x003d, 0x002f, 0x0035, // RSA key exchange
    0xc012, 0xc008, 0x0016, 0x000a, // 3DES
    0xc011, 0x0005, // RC4
];

/// x25519, P-256, P-384, P-521, ffdhe2048, ffdhe3072, ffdhe4096.
const GROUPS: [u16; 7] = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102];

/// ECDSA P-256/384/521, RSA-PSS, RSA PKCS#1 with SHA-2, then SHA-1.
const SIGNATURE_SCHEMES: [u16; 12] = [
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0202,
];

/// The most read from the server: ServerHello, a long chain, ServerKeyExchange.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

fn with_u16_length(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn extension(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut out = kind.to_be_bytes().to_vec();
    out.extend(with_u16_length(body));
    out
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// TLS 1.2 on the wire.
pub(crate) const TLS12: u16 = 0x0303;

/// Suites no current client offers, by kind: RC4, 3DES, single DES, NULL encryption, export
/// grade and anonymous (unauthenticated) key exchange.
pub(crate) const BROKEN_KINDS: [&[u16]; 6] = [
    &[0x0005, 0x0004, 0xc011, 0xc007],
    &[0x000a, 0x0016, 0xc012, 0xc008, 0x0013],
    &[0x0009, 0x0015, 0x0012],
    &[0x0001, 0x0002, 0x003b, 0xc006, 0xc010],
    &[0x0003, 0x0006, 0x0008, 0x000e, 0x0011, 0x0014],
    &[
        0x0018, 0x001b, 0x0034, 0x003a, 0x006c, 0x006d, 0x00a6, 0x00a7, 0xc016, 0xc017, 0xc018,
    ],
];

/// The broken suites of the kinds not in `left_out`, in [`BROKEN_KINDS`]' order.
pub(crate) fn broken_suites_but(left_out: &[usize]) -> Vec<u16> {
    BROKEN_KINDS
        .iter()
        .enumerate()
        .filter(|(kind, _)| !left_out.contains(kind))
        .flat_map(|(_, suites)| suites.iter().copied())
        .collect()
}

/// The kind (index in [`BROKEN_KINDS`]) of a broken suite.
pub(crate) fn broken_kind(suite: u16) -> Option<usize> {
    BROKEN_KINDS.iter().position(|suites| suites.contains(&suite))
}

/// Static RSA key exchange: no forward secrecy.
pub(crate) const RSA_KEY_EXCHANGE_SUITES: [u16; 6] = [0x009c, 0x009d, 0x003c, 0x003d, 0x002f, 0x0035];

/// Finite-field DHE with AES and ChaCha20.
pub(crate) const DHE_SUITES: [u16; 7] = [0x009e, 0x009f, 0xccaa, 0x0067, 0x006b, 0x0033, 0x0039];

/// The TLS 1.2 suites authenticated by an RSA certificate: ECDHE, DHE and RSA key exchange.
pub(crate) const RSA_CERTIFICATE_SUITES: [u16; 14] = [
    0xc02f, 0xc030, 0xcca8, 0xc027, 0xc028, 0xc013, 0xc014, 0x009e, 0x009f, 0x009c, 0x009d, 0x003c, 0x002f, 0x0035,
];

/// The TLS 1.2 suites authenticated by an ECDSA certificate.
pub(crate) const ECDSA_CERTIFICATE_SUITES: [u16; 7] = [0xc02b, 0xc02c, 0xcca9, 0xc023, 0xc024, 0xc009, 0xc00a];

/// RSA-PSS and RSA PKCS#1 with SHA-2, then SHA-1.
const RSA_SCHEMES: [u16; 7] = [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201];

/// ECDSA P-256/384/521, then with SHA-1.
const ECDSA_SCHEMES: [u16; 4] = [0x0403, 0x0503, 0x0603, 0x0203];

/// What one of certscan's own ClientHellos offers.
#[derive(Debug, Clone)]
pub(crate) enum Offer {
    /// TLS 1.0 up to this version, with every suite certscan knows, the current ones first.
    UpTo(u16),
    /// TLS 1.2 with only these suites.
    Only(Vec<u16>),
    /// TLS 1.2 with only the suites and signature schemes of RSA certificates.
    RsaCertificate,
    /// TLS 1.2 with only the suites and signature schemes of ECDSA certificates.
    EcdsaCertificate,
}

/// The ClientHello record offering TLS 1.0 up to `highest` (0x0301 TLS 1.0 ... 0x0303 TLS 1.2).
#[cfg(test)]
pub(crate) fn client_hello_up_to(sni: Option<&str>, random: [u8; 32], highest: u16) -> Vec<u8> {
    client_hello(sni, random, &Offer::UpTo(highest))
}

/// The ClientHello record making `offer`.
pub(crate) fn client_hello(sni: Option<&str>, random: [u8; 32], offer: &Offer) -> Vec<u8> {
    let (highest, suites, schemes): (u16, &[u16], &[u16]) = match offer {
        Offer::UpTo(highest) => (*highest, &SUITES, &SIGNATURE_SCHEMES),
        Offer::Only(suites) => (TLS12, suites, &SIGNATURE_SCHEMES),
        Offer::RsaCertificate => (TLS12, &RSA_CERTIFICATE_SUITES, &RSA_SCHEMES),
        Offer::EcdsaCertificate => (TLS12, &ECDSA_CERTIFICATE_SUITES, &ECDSA_SCHEMES),
    };
    let mut body = highest.clamp(0x0301, TLS12).to_be_bytes().to_vec();
    body.extend(random);
    body.push(0); // no session id
    body.extend(with_u16_length(&u16_list(suites)));
    body.extend([1, 0]); // null compression
    let mut extensions = Vec::new();
    if let Some(name) = sni {
        let mut entry = vec![0u8];
        entry.extend(with_u16_length(name.as_bytes()));
        extensions.extend(extension(0x0000, &with_u16_length(&entry)));
    }
    extensions.extend(extension(0x000a, &with_u16_length(&u16_list(&GROUPS))));
    extensions.extend(extension(0x000b, &[1, 0]));
    extensions.extend(extension(0x000d, &with_u16_length(&u16_list(schemes))));
    extensions.extend(extension(0xff01, &[0])); // renegotiation_info, empty
    body.extend(with_u16_length(&extensions));
    let mut handshake = vec![0x01];
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend(with_u16_length(&handshake));
    record
}

/// ECDHE suites, whose ServerKeyExchange names a group.
fn is_ecdhe(suite: u16) -> bool {
    (0xc001..=0xc03f).contains(&suite) || matches!(suite, 0xcca8 | 0xcca9) || (0xc048..=0xc0af).contains(&suite)
}

/// Finite-field DHE suites (signed or anonymous), whose ServerKeyExchange opens with the prime.
fn is_dhe(suite: u16) -> bool {
    matches!(
        suite,
        0x0011..=0x001b | 0x0032..=0x0034 | 0x0038..=0x003a | 0x0040 | 0x0044 | 0x0045 | 0x0067..=0x006d | 0x0087
            | 0x0088 | 0x009e..=0x00a7 | 0xccaa
    )
}

/// The size in bits of the DH prime that opens a DHE ServerKeyExchange (`dh_p<1..2^16-1>`).
fn dh_prime_bits(body: &[u8]) -> Option<u32> {
    let length = u16::from_be_bytes([*body.first()?, *body.get(1)?]) as usize;
    let prime = body.get(2..2 + length)?;
    let first = prime.iter().position(|b| *b != 0)?;
    Some(((prime.len() - first) * 8) as u32 - prime[first].leading_zeros())
}

fn u24(bytes: &[u8]) -> usize {
    (bytes[0] as usize) << 16 | (bytes[1] as usize) << 8 | bytes[2] as usize
}

/// What the records read so far say.
enum Progress {
    /// Not enough bytes yet.
    Incomplete,
    Done(LegacyHello),
}

/// Reads the server's records: handshake messages (reassembled across records) up to
/// ServerHelloDone, or an alert, or something that is not TLS.
fn read_answer(bytes: &[u8], at_end: bool) -> Progress {
    let mut heard = Heard::default();
    let mut handshake = Vec::new();
    let mut offset = 0;
    // Where the next unparsed handshake message starts.
    let mut position = 0;
    loop {
        let Some(header) = bytes.get(offset..offset + 5) else {
            let note = if bytes.is_empty() { "" } else { "the answer ended early" };
            return heard.so_far(note, at_end);
        };
        let (kind, length) = (header[0], u16::from_be_bytes([header[3], header[4]]) as usize);
        if header[1] != 3 || !(20..=24).contains(&kind) {
            return nothing("an answer that is not TLS");
        }
        let Some(fragment) = bytes.get(offset + 5..offset + 5 + length) else {
            return heard.so_far("the answer ended early", at_end);
        };
        offset += 5 + length;
        match kind {
            21 if heard.hello.is_none() && fragment.len() >= 2 => {
                return Progress::Done(LegacyHello::Alert {
                    description: fragment[1],
                });
            }
            22 => handshake.extend_from_slice(fragment),
            _ => {}
        }
        // Parse every whole handshake message received so far.
        while let Some(head) = handshake.get(position..position + 4) {
            let length = u24(&head[1..]);
            let Some(body) = handshake.get(position + 4..position + 4 + length) else {
                break;
            };
            if let Some(done) = heard.message(head[0], body) {
                return done;
            }
            position += 4 + length;
        }
        if heard.hello.is_none() && handshake.len() >= 4 && handshake[0] != 2 {
            return nothing("an answer that is not a ServerHello");
        }
    }
}

fn nothing(note: &str) -> Progress {
    Progress::Done(LegacyHello::Nothing { note: note.into() })
}

/// What the server's handshake messages said so far.
#[derive(Default)]
struct Heard {
    /// The ServerHello's version and cipher suite.
    hello: Option<(u16, u16)>,
    certificates: Vec<CertificateDer<'static>>,
    /// The ECDHE group of the ServerKeyExchange.
    group: Option<u16>,
    /// The DHE prime's size, from the ServerKeyExchange.
    dh_bits: Option<u32>,
}

impl Heard {
    /// Reads one handshake message; the answer once it is complete (ServerHelloDone) or cannot
    /// be read.
    fn message(&mut self, kind: u8, body: &[u8]) -> Option<Progress> {
        match kind {
            2 if body.len() >= 35 => {
                let version = u16::from_be_bytes([body[0], body[1]]);
                let session_id = body[34] as usize;
                let Some(suite) = body.get(35 + session_id..37 + session_id) else {
                    return Some(nothing("a malformed ServerHello"));
                };
                self.hello = Some((version, u16::from_be_bytes([suite[0], suite[1]])));
            }
            11 if body.len() >= 3 => {
                let list = &body[3..body.len().min(3 + u24(body))];
                let mut at = 0;
                while let Some(size) = list.get(at..at + 3).map(u24) {
                    let Some(der) = list.get(at + 3..at + 3 + size) else {
                        break;
                    };
                    self.certificates.push(CertificateDer::from(der.to_vec()));
                    at += 3 + size;
                }
            }
            12 if self.hello.is_some_and(|(_, suite)| is_ecdhe(suite)) && body.len() >= 3 && body[0] == 3 => {
                self.group = Some(u16::from_be_bytes([body[1], body[2]]));
            }
            12 if self.hello.is_some_and(|(_, suite)| is_dhe(suite)) => self.dh_bits = dh_prime_bits(body),
            14 => return Some(std::mem::take(self).so_far("", true)),
            _ => {}
        }
        None
    }

    /// What was heard, once the answer is at its end; until then, more is needed.
    fn so_far(self, note: &str, at_end: bool) -> Progress {
        if !at_end {
            return Progress::Incomplete;
        }
        Progress::Done(match self.hello {
            Some((version, cipher_suite)) => LegacyHello::Accepted {
                version,
                cipher_suite,
                group: self.group,
                dh_bits: self.dh_bits,
                certificates: self.certificates,
            },
            None if note.is_empty() => LegacyHello::Nothing {
                note: "no answer".into(),
            },
            None => LegacyHello::Nothing { note: note.into() },
        })
    }
}

/// Reads what a complete answer says (for tests and for answers read whole).
pub fn classify_answer(bytes: &[u8]) -> LegacyHello {
    match read_answer(bytes, true) {
        Progress::Done(hello) => hello,
        Progress::Incomplete => LegacyHello::Nothing {
            note: "the answer ended early".into(),
        },
    }
}

/// Sends the ClientHello making `offer` on a connection (made afresh, after a
/// STARTTLS opening when the port has one) and reads the answer up to ServerHelloDone (at most
/// [`MAX_ANSWER_BYTES`]). Nothing is sent after it. The caller bounds the time.
pub(crate) async fn hello_on(mut stream: TcpStream, sni: Option<&str>, offer: &Offer) -> LegacyHello {
    let mut random = [0u8; 32];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random);
    if let Err(e) = stream.write_all(&client_hello(sni, random, offer)).await {
        return LegacyHello::NotSent {
            why: format!("could not send: {e}"),
        };
    }
    let mut answer = Vec::new();
    // Small: six of these wait at once per endpoint, and most answers are an alert.
    let mut chunk = [0u8; 4 * 1024];
    loop {
        let at_end = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => true,
            Ok(n) => {
                answer.extend_from_slice(&chunk[..n]);
                answer.len() >= MAX_ANSWER_BYTES
            }
        };
        if let Progress::Done(hello) = read_answer(&answer, at_end) {
            return hello;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind, 3, 3];
        out.extend(with_u16_length(body));
        out
    }

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend(body);
        out
    }

    fn server_hello(version: u16, suite: u16) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend([0x42; 32]);
        body.push(0);
        body.extend(suite.to_be_bytes());
        body.push(0);
        message(2, &body)
    }

    fn certificate(ders: &[&[u8]]) -> Vec<u8> {
        let mut list: Vec<u8> = Vec::new();
        for der in ders {
            list.extend(&(der.len() as u32).to_be_bytes()[1..]);
            list.extend(*der);
        }
        let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        body.extend(list);
        message(11, &body)
    }

    #[test]
    fn client_hello_is_a_well_formed_tls_1_2_record() {
        let hello = client_hello_up_to(Some("example.com"), [7; 32], TLS12);
        assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(u16::from_be_bytes([hello[3], hello[4]]) as usize, hello.len() - 5);
        assert_eq!(hello[5], 0x01);
        assert_eq!(u24(&hello[6..9]), hello.len() - 9);
        assert_eq!(&hello[9..11], &[0x03, 0x03]);
        assert!(hello.windows(11).any(|w| w == b"example.com"));
        assert!(
            !client_hello_up_to(None, [7; 32], TLS12)
                .windows(11)
                .any(|w| w == b"example.com")
        );
    }

    #[test]
    fn the_chain_is_read_across_records_up_to_server_hello_done() {
        let mut flight = server_hello(0x0303, 0xc013);
        flight.extend(certificate(&[b"leaf-der", b"intermediate-der"]));
        flight.extend(message(12, &[3, 0x00, 0x19, 1, 4]));
        flight.extend(message(14, &[]));
        // Split the handshake messages over two records, mid-message.
        let (first, second) = flight.split_at(20);
        let mut bytes = record(22, first);
        bytes.extend(record(22, second));
        assert!(matches!(read_answer(&bytes[..30], false), Progress::Incomplete));
        match classify_answer(&bytes) {
            LegacyHello::Accepted {
                version,
                cipher_suite,
                group,
                certificates,
                ..
            } => {
                assert_eq!((version, cipher_suite, group), (0x0303, 0xc013, Some(0x0019)));
                assert_eq!(certificates.len(), 2);
                assert_eq!(certificates[1].as_ref(), b"intermediate-der");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alerts_old_versions_and_junk_are_classified() {
        let tls10 = record(22, &server_hello(0x0301, 0x002f));
        assert!(matches!(
            classify_answer(&tls10),
            LegacyHello::Accepted {
                version: 0x0301,
                cipher_suite: 0x002f,
                ..
            }
        ));
        assert_eq!(
            classify_answer(&[0x15, 3, 1, 0, 2, 2, 70]),
            LegacyHello::Alert { description: 70 }
        );
        assert!(matches!(classify_answer(&[]), LegacyHello::Nothing { .. }));
        assert!(matches!(classify_answer(b"HTTP/1.1 400"), LegacyHello::Nothing { .. }));
        // A certificate list whose lengths lie is cut, not read past.
        let mut lying = server_hello(0x0303, 0x002f);
        lying.extend(message(11, &[0, 0, 9, 0, 0, 200, 1, 2, 3]));
        assert!(matches!(
            classify_answer(&record(22, &lying)),
            LegacyHello::Accepted { ref certificates, .. } if certificates.is_empty()
        ));
    }

    #[test]
    fn the_dhe_prime_size_is_read_from_the_server_key_exchange() {
        // A 1024-bit prime whose first byte is 0x5f: 1023 bits.
        let mut key_exchange = 128u16.to_be_bytes().to_vec();
        key_exchange.push(0x5f);
        key_exchange.extend([0xffu8; 127]);
        key_exchange.extend([0, 1, 2, 0, 1, 5]); // g, Ys: not read
        let answer = [
            record(22, &server_hello(0x0303, 0x009e)),
            record(22, &message(12, &key_exchange)),
            record(22, &message(14, &[])),
        ]
        .concat();
        match classify_answer(&answer) {
            LegacyHello::Accepted { dh_bits, group, .. } => assert_eq!((dh_bits, group), (Some(1023), None)),
            other => panic!("{other:?}"),
        }
        // An ECDHE suite's key exchange is no DH prime.
        assert_eq!(dh_prime_bits(&[0, 2, 0, 0]), None);
        assert!(!is_dhe(0xc013) && is_dhe(0x0033) && is_dhe(0x0018));
    }

    #[test]
    fn a_hello_that_offers_only_some_suites_offers_tls_1_2_with_those() {
        let hello = client_hello(Some("a.test"), [0; 32], &Offer::Only(RSA_KEY_EXCHANGE_SUITES.to_vec()));
        // record header, handshake header, then the version.
        assert_eq!(&hello[9..11], &[3, 3]);
        let suites_at = 11 + 32 + 1;
        assert_eq!(u16::from_be_bytes([hello[suites_at], hello[suites_at + 1]]), 12);
        assert_eq!(&hello[suites_at + 2..suites_at + 4], &[0x00, 0x9c]);
    }

    #[test]
    fn broken_suites_are_asked_kind_by_kind() {
        assert_eq!(broken_suites_but(&[]).len(), 34);
        assert_eq!(broken_kind(0x000a), Some(1));
        assert!(!broken_suites_but(&[0, 1]).iter().any(|s| [0x0005, 0x000a].contains(s)));
        assert_eq!(broken_kind(0xc02f), None);
    }
}
