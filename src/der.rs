//! DER helpers shared by probing and analysis: distinguished names as text, and elements
//! written.

use x509_parser::prelude::FromDer;

/// A distinguished name as text (`CN=..., O=...`), from a whole DER Name or from its contents
/// without the SEQUENCE header (as trust anchors and some servers' CA hints carry it).
pub fn name_text(der: &[u8]) -> Option<String> {
    let parse = |bytes: &[u8]| {
        x509_parser::x509::X509Name::from_der(bytes)
            .ok()
            .filter(|(rest, _)| rest.is_empty())
            .map(|(_, name)| name.to_string())
    };
    parse(der).or_else(|| {
        let mut whole = vec![0x30u8];
        match der.len() {
            n if n < 0x80 => whole.push(n as u8),
            n if n < 0x100 => whole.extend([0x81, n as u8]),
            n if n < 0x10000 => whole.extend([0x82, (n >> 8) as u8, n as u8]),
            _ => return None,
        }
        whole.extend_from_slice(der);
        parse(&whole)
    })
}

/// A DER element: `tag`, the definite length of `contents` (short or long form), `contents`.
pub fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match contents.len() {
        n if n < 0x80 => out.push(n as u8),
        n => {
            let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
    }
    out.extend_from_slice(contents);
    out
}

/// A DER SEQUENCE around `contents`.
pub fn sequence(contents: &[u8]) -> Vec<u8> {
    element(0x30, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_their_header() {
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "a" } } }
        let contents = [0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, b'a'];
        let mut whole = vec![0x30, contents.len() as u8];
        whole.extend(contents);
        assert_eq!(name_text(&whole).as_deref(), Some("CN=a"));
        assert_eq!(name_text(&contents).as_deref(), Some("CN=a"));
    }
}
