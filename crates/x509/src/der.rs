//! DER helpers shared by probing and analysis: distinguished names as text, and elements
//! written.

use std::fmt::Write;

use x509_parser::der_parser::asn1_rs::{Any, BmpString, Tag};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

/// A distinguished name as text (`CN=..., O=...`), from a whole DER Name or from its contents
/// without the SEQUENCE header (as trust anchors and some servers' CA hints carry it).
pub fn name_text(der: &[u8]) -> Option<String> {
    let parse = |bytes: &[u8]| {
        x509_parser::x509::X509Name::from_der(bytes)
            .ok()
            .filter(|(rest, _)| rest.is_empty())
            .map(|(_, name)| name_string(&name))
    };
    // A whole Name is a SEQUENCE; its contents are SETs (or nothing).
    let whole_name = der.first() == Some(&0x30);
    whole_name.then(|| parse(der)).flatten().or_else(|| {
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

/// A parsed name as text, exactly as x509-parser's `Display` writes it (`CN=a, O=b`, `+`
/// between the attributes of one RDN, non-string values in upper-case hex), in one buffer
/// instead of a few allocations per attribute.
pub(crate) fn name_string(name: &X509Name<'_>) -> String {
    let mut out = String::with_capacity(name.as_raw().len());
    for (i, rdn) in name.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        for (j, attribute) in rdn.iter().enumerate() {
            if j > 0 {
                out.push_str(" + ");
            }
            let kind = attribute.attr_type();
            match x509_parser::objects::oid2abbrev(kind, x509_parser::objects::oid_registry()) {
                Ok(abbreviation) => out.push_str(abbreviation),
                Err(_) => {
                    let _ = write!(out, "{kind:?}");
                }
            }
            out.push('=');
            if !push_attribute_value(&mut out, attribute.attr_value()) {
                return "<X509Error: Invalid X.509 name>".to_string();
            }
        }
    }
    out
}

/// Appends an attribute value: strings as they are, others in hex; false when a string does
/// not decode.
fn push_attribute_value(out: &mut String, value: &Any<'_>) -> bool {
    match value.tag() {
        Tag::NumericString
        | Tag::VisibleString
        | Tag::PrintableString
        | Tag::GeneralString
        | Tag::ObjectDescriptor
        | Tag::GraphicString
        | Tag::T61String
        | Tag::VideotexString
        | Tag::Utf8String
        | Tag::Ia5String => match std::str::from_utf8(value.data) {
            Ok(text) => out.push_str(text),
            Err(_) => return false,
        },
        Tag::BmpString => match BmpString::try_from(value.clone()) {
            Ok(text) => out.push_str(&text.string()),
            Err(_) => return false,
        },
        _ => out.push_str(&hex(value.as_bytes(), "")),
    }
    true
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
pub(crate) fn sequence(contents: &[u8]) -> Vec<u8> {
    element(0x30, contents)
}

/// Uppercase hex pairs joined by `separator`, as fingerprints are printed.
pub(crate) fn hex(bytes: &[u8], separator: &str) -> String {
    hex_with_digits(bytes, separator, b"0123456789ABCDEF")
}

/// Lowercase hex pairs separated by colons, as OpenSSL and x509-parser print serial numbers.
pub(crate) fn serial_hex(bytes: &[u8]) -> String {
    hex_with_digits(bytes, ":", b"0123456789abcdef")
}

fn hex_with_digits(bytes: &[u8], separator: &str, digits: &[u8; 16]) -> String {
    let mut out = String::with_capacity(bytes.len() * (2 + separator.len()));
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push(digits[(byte >> 4) as usize] as char);
        out.push(digits[(byte & 0x0f) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attribute: its type's OID, its value's tag, its value.
    type Attribute<'a> = (&'a [u8], u8, &'a [u8]);

    /// `SET { SEQUENCE { OID, value } ... }` for each RDN, in a Name.
    fn name(rdns: &[&[Attribute<'_>]]) -> Vec<u8> {
        let set = |attributes: &[Attribute<'_>]| {
            let inner: Vec<u8> = attributes
                .iter()
                .flat_map(|(oid, tag, value)| sequence(&[element(0x06, oid), element(*tag, value)].concat()))
                .collect();
            element(0x31, &inner)
        };
        sequence(&rdns.iter().flat_map(|rdn| set(rdn)).collect::<Vec<u8>>())
    }

    #[test]
    fn names_read_as_x509_parser_writes_them() {
        const CN: &[u8] = &[0x55, 0x04, 0x03];
        const O: &[u8] = &[0x55, 0x04, 0x0a];
        const UNKNOWN: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x01];
        let bmp: Vec<u8> = "Zürich".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let cases: Vec<Vec<u8>> = vec![
            name(&[]),
            name(&[&[(CN, 0x0c, b"pbx.example.com")]]),
            name(&[&[(O, 0x13, b"Example")], &[(CN, 0x16, b"a")]]),
            // A multi-valued RDN, an unknown attribute type, a BMPString, an INTEGER value.
            name(&[&[(CN, 0x0c, b"a"), (O, 0x14, b"t61")], &[(UNKNOWN, 0x13, b"x")]]),
            name(&[&[(CN, 0x1e, &bmp)], &[(O, 0x02, &[0x01, 0xff])]]),
            // UTF8String that is not UTF-8, and a BMPString of odd length.
            name(&[&[(CN, 0x0c, &[0xff, 0xfe])]]),
            name(&[&[(CN, 0x1e, &[0x00, 0x41, 0x00])]]),
        ];
        for der in cases {
            let (_, parsed) = X509Name::from_der(&der).unwrap();
            assert_eq!(name_string(&parsed), parsed.to_string(), "{der:02x?}");
        }
    }

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
