//! A minimal DNS exchange for CAA answers that the resolver library refuses to decode (it rejects
//! property tags longer than 15 octets, which RFC 8659 allows): one query over UDP, TCP when the
//! answer is truncated, and a bounded parse of the CAA records in the answer section.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use certscan_model::evidence::CaaRecord;

const TYPE_CAA: u16 = 257;
const CLASS_IN: u16 = 1;

/// What the server answered for (name, CAA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaaAnswer {
    Records(Vec<CaaRecord>),
    /// NXDOMAIN, or NOERROR without CAA records.
    NoRecords,
}

/// Encodes a recursive CAA query for `name` (a dotted name, trailing dot optional).
pub(crate) fn encode_query(id: u16, name: &str) -> Result<Vec<u8>, String> {
    let mut message = Vec::with_capacity(64);
    message.extend(id.to_be_bytes());
    message.extend([0x01, 0x00]); // RD
    message.extend([0, 1, 0, 0, 0, 0, 0, 0]); // one question
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 octets"));
        }
        message.push(label.len() as u8);
        message.extend(label.as_bytes());
    }
    message.push(0);
    message.extend(TYPE_CAA.to_be_bytes());
    message.extend(CLASS_IN.to_be_bytes());
    Ok(message)
}

/// A bounds-checked reader over a DNS message.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or("truncated DNS message")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Skips a possibly compressed name.
    fn skip_name(&mut self) -> Result<(), String> {
        for _ in 0..128 {
            let length = self.take(1)?[0];
            match length {
                0 => return Ok(()),
                l if l & 0xC0 == 0xC0 => {
                    self.take(1)?;
                    return Ok(());
                }
                l if l & 0xC0 == 0 => {
                    self.take(l as usize)?;
                }
                _ => return Err("unsupported label type in DNS message".into()),
            }
        }
        Err("DNS name too long".into())
    }
}

/// Parses a response: its truncation flag, and the CAA records of its answer section.
pub fn parse_response(id: u16, bytes: &[u8]) -> Result<(bool, CaaAnswer), String> {
    let mut r = Reader { bytes, at: 0 };
    if r.u16()? != id {
        return Err("DNS answer for another query".into());
    }
    let flags = r.u16()?;
    let truncated = flags & 0x0200 != 0;
    let (questions, answers) = (r.u16()?, r.u16()?);
    r.take(4)?;
    match flags & 0x000F {
        0 => {}
        3 => return Ok((truncated, CaaAnswer::NoRecords)),
        code => return Err(format!("the DNS server answered with response code {code}")),
    }
    if truncated {
        return Ok((true, CaaAnswer::NoRecords));
    }
    for _ in 0..questions {
        r.skip_name()?;
        r.take(4)?;
    }
    let mut records = Vec::new();
    for _ in 0..answers {
        r.skip_name()?;
        let (kind, _class) = (r.u16()?, r.u16()?);
        r.take(4)?;
        let length = r.u16()? as usize;
        let data = r.take(length)?;
        if kind != TYPE_CAA {
            continue;
        }
        let (&flags, rest) = data.split_first().ok_or("empty CAA record")?;
        let (&tag_length, rest) = rest.split_first().ok_or("CAA record without a tag")?;
        if tag_length == 0 || rest.len() < tag_length as usize {
            return Err("CAA record with a bad tag length".into());
        }
        let (tag, value) = rest.split_at(tag_length as usize);
        records.push(CaaRecord {
            flags,
            tag: String::from_utf8_lossy(tag).into_owned(),
            value: value.to_vec(),
        });
    }
    Ok((
        false,
        if records.is_empty() {
            CaaAnswer::NoRecords
        } else {
            CaaAnswer::Records(records)
        },
    ))
}

/// Asks `server` for the CAA records of `name`: UDP first, TCP when the answer is truncated.
pub(crate) async fn query_caa(server: SocketAddr, name: &str, limit: Duration) -> Result<CaaAnswer, String> {
    let id: u16 = rand_id();
    let query = encode_query(id, name)?;
    let udp = async {
        let bind = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
        let socket = UdpSocket::bind(bind).await.map_err(|e| e.to_string())?;
        socket.connect(server).await.map_err(|e| e.to_string())?;
        socket.send(&query).await.map_err(|e| e.to_string())?;
        let mut buffer = vec![0u8; 4096];
        let n = socket.recv(&mut buffer).await.map_err(|e| e.to_string())?;
        parse_response(id, &buffer[..n])
    };
    let (truncated, answer) = timeout(limit, udp)
        .await
        .map_err(|_| format!("no answer from {server}"))??;
    if !truncated {
        return Ok(answer);
    }
    let tcp = async {
        let mut stream = TcpStream::connect(server).await.map_err(|e| e.to_string())?;
        let mut framed = (query.len() as u16).to_be_bytes().to_vec();
        framed.extend(&query);
        stream.write_all(&framed).await.map_err(|e| e.to_string())?;
        let length = stream.read_u16().await.map_err(|e| e.to_string())? as usize;
        let mut buffer = vec![0u8; length];
        stream.read_exact(&mut buffer).await.map_err(|e| e.to_string())?;
        parse_response(id, &buffer)
    };
    let (_, answer) = timeout(limit, tcp)
        .await
        .map_err(|_| format!("no answer from {server} over TCP"))??;
    Ok(answer)
}

/// A query id that differs between queries; it only pairs answers with questions.
fn rand_id() -> u16 {
    let mut bytes = [0u8; 2];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        return 0x4353;
    }
    u16::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(id: u16, rcode: u8, truncated: bool, records: &[(u8, &str, &str)]) -> Vec<u8> {
        let mut m = id.to_be_bytes().to_vec();
        m.extend([0x81 | if truncated { 0x02 } else { 0 }, 0x80 | rcode]);
        m.extend([0, 1, 0, records.len() as u8, 0, 0, 0, 0]);
        m.extend(&encode_query(0, "a.example").unwrap()[12..]);
        for (flags, tag, value) in records {
            m.extend([0xC0, 12]);
            m.extend(TYPE_CAA.to_be_bytes());
            m.extend(CLASS_IN.to_be_bytes());
            m.extend([0, 0, 0, 60]);
            let mut data = vec![*flags, tag.len() as u8];
            data.extend(tag.as_bytes());
            data.extend(value.as_bytes());
            m.extend((data.len() as u16).to_be_bytes());
            m.extend(data);
        }
        m
    }

    #[test]
    fn long_tags_and_critical_flags_are_read() -> Result<(), String> {
        let bytes = response(
            7,
            0,
            false,
            &[(130, "caatestsuitedummyproperty", "test"), (0, "issue", ";")],
        );
        let (truncated, answer) = parse_response(7, &bytes)?;
        assert!(!truncated);
        let CaaAnswer::Records(records) = answer else {
            panic!("no records")
        };
        assert_eq!(
            records[0],
            CaaRecord {
                flags: 130,
                tag: "caatestsuitedummyproperty".into(),
                value: b"test".to_vec()
            }
        );
        assert_eq!(records[1].tag, "issue");
        Ok(())
    }

    #[test]
    fn nxdomain_truncation_errors_and_garbage() -> Result<(), String> {
        assert_eq!(
            parse_response(1, &response(1, 3, false, &[]))?,
            (false, CaaAnswer::NoRecords)
        );
        assert!(parse_response(1, &response(1, 0, true, &[]))?.0);
        assert!(
            parse_response(1, &response(1, 2, false, &[]))
                .unwrap_err()
                .contains("response code 2")
        );
        assert!(parse_response(2, &response(1, 0, false, &[])).is_err());
        let mut cut = response(1, 0, false, &[(0, "issue", "ca.example")]);
        cut.truncate(cut.len() - 3);
        assert!(parse_response(1, &cut).is_err());
        assert!(parse_response(1, &[0xff; 5]).is_err());
        Ok(())
    }
}
