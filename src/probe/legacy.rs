//! A hand-made ClientHello offering only TLS 1.0 and 1.1 (which the TLS library cannot speak),
//! to learn whether a server that refused TLS 1.2 and 1.3 accepts an older version.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::evidence::LegacyHello;

/// CBC suites that TLS 1.0/1.1 servers commonly have: ECDHE and plain RSA with AES, and 3DES.
const SUITES: [u16; 9] = [0xc014, 0xc013, 0xc00a, 0xc009, 0x0039, 0x0033, 0x0035, 0x002f, 0x000a];

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

/// The ClientHello record; `sni` is sent as server_name when given.
pub fn client_hello(sni: Option<&str>, random: [u8; 32]) -> Vec<u8> {
    let mut body = vec![0x03, 0x02]; // highest version offered: TLS 1.1
    body.extend(random);
    body.push(0); // no session id
    body.extend(with_u16_length(
        &SUITES.iter().flat_map(|s| s.to_be_bytes()).collect::<Vec<_>>(),
    ));
    body.extend([1, 0]); // null compression
    let mut extensions = Vec::new();
    if let Some(name) = sni {
        let mut entry = vec![0u8];
        entry.extend(with_u16_length(name.as_bytes()));
        extensions.extend(extension(0x0000, &with_u16_length(&entry)));
    }
    extensions.extend(extension(
        0x000a,
        &with_u16_length(&[0x00, 0x1d, 0x00, 0x17, 0x00, 0x18]),
    ));
    extensions.extend(extension(0x000b, &[1, 0]));
    body.extend(with_u16_length(&extensions));
    let mut handshake = vec![0x01];
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend(with_u16_length(&handshake));
    record
}

/// Reads what the first record of an answer says.
pub fn classify_answer(bytes: &[u8]) -> LegacyHello {
    match bytes {
        [0x16, 3, _, _, _, 0x02, _, _, _, major, minor, ..] => LegacyHello::Accepted {
            version: u16::from_be_bytes([*major, *minor]),
        },
        [0x15, 3, _, _, _, _level, description, ..] => LegacyHello::Alert {
            description: *description,
        },
        [] => LegacyHello::Nothing {
            note: "no answer".into(),
        },
        _ => LegacyHello::Nothing {
            note: "an answer that is not a ServerHello".into(),
        },
    }
}

/// Sends the ClientHello on a new connection and reads the start of the answer. The caller
/// bounds the time.
pub async fn probe(address: SocketAddr, sni: Option<&str>) -> LegacyHello {
    let mut stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(e) => {
            return LegacyHello::Nothing {
                note: format!("could not reconnect: {e}"),
            };
        }
    };
    let mut random = [0u8; 32];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random);
    if let Err(e) = stream.write_all(&client_hello(sni, random)).await {
        return LegacyHello::Nothing {
            note: format!("could not send: {e}"),
        };
    }
    let mut answer = Vec::new();
    let mut chunk = [0u8; 64];
    while answer.len() < 11 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
    classify_answer(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_is_a_well_formed_tls_1_1_record() {
        let hello = client_hello(Some("example.com"), [7; 32]);
        assert_eq!(&hello[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(u16::from_be_bytes([hello[3], hello[4]]) as usize, hello.len() - 5);
        assert_eq!(hello[5], 0x01);
        assert_eq!(&hello[9..11], &[0x03, 0x02]);
        assert!(hello.windows(11).any(|w| w == b"example.com"));
        assert!(!client_hello(None, [7; 32]).windows(11).any(|w| w == b"example.com"));
    }

    #[test]
    fn answers_are_classified() {
        let server_hello = [0x16, 3, 1, 0, 0x2a, 0x02, 0, 0, 0x26, 3, 1, 0];
        assert_eq!(
            classify_answer(&server_hello),
            LegacyHello::Accepted { version: 0x0301 }
        );
        assert_eq!(
            classify_answer(&[0x15, 3, 1, 0, 2, 2, 70]),
            LegacyHello::Alert { description: 70 }
        );
        assert!(matches!(classify_answer(&[]), LegacyHello::Nothing { .. }));
        assert!(matches!(classify_answer(b"HTTP/1.1 400"), LegacyHello::Nothing { .. }));
    }
}
