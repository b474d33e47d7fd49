//! Entry points for fuzzing the parsers that read untrusted input: each takes arbitrary bytes and
//! must return without panicking, in time proportional to the input. The cargo-fuzz targets in
//! `fuzz/` call these, and the test suite runs them over seeds and mutations of the fixtures.

use certscan_x509::certificate::CertInfo;

/// Target lists: command-line targets, targets files and `--resolve` pins.
pub fn targets(data: &[u8]) {
    let _ = crate::target_source::read_text(data, "fuzz");
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        let _ = certscan_model::target::parse_target(line);
        let _ = certscan_model::target::ResolvePin::parse(line);
    }
}

/// Certificate files (PEM bundles, DER) and every certificate they hold, parsed as the analysis
/// reads them.
pub fn certificates(data: &[u8]) {
    if let certscan_model::evidence::Observation::Chain { certificates, .. } =
        certscan_probe::file::chain_from_bytes(data)
    {
        for certificate in certificates.iter().take(16) {
            let info = CertInfo::from_der(certificate.as_ref(), 0);
            let _ = certscan_checks::caa::names_to_look_up(&info, true);
        }
    }
    let _ = CertInfo::from_der(data, 0);
}

/// PKCS#12 keystores, with an empty password and a wrong one.
pub fn pkcs12(data: &[u8]) {
    let _ = certscan_probe::file::read_pkcs12(data, "");
    let _ = certscan_probe::file::read_pkcs12(data, "certscan");
}

/// HTTP, WebSocket and SIP answer heads, certscan's own TLS ClientHello answer reader, and the
/// servers' side of STARTTLS openings.
pub fn answers(data: &[u8]) {
    let head = String::from_utf8_lossy(data);
    let answer = certscan_probe::exchange::parse_head(&head);
    let _ = answer.header("content-length");
    let _ = answer.is_sip();
    let _ = certscan_probe::legacy::classify_answer(data);
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    if let Ok(runtime) = runtime {
        let mut reader = tokio::io::BufReader::new(data);
        let _ = runtime.block_on(certscan_probe::exchange::read_head(&mut reader));
        // The server's side of every STARTTLS opening.
        use certscan_model::target::Protocol;
        for protocol in [
            Protocol::Smtp,
            Protocol::Imap,
            Protocol::Xmpp,
            Protocol::Ldap,
            Protocol::Postgres,
        ] {
            let mut stream = tokio::io::join(data, tokio::io::sink());
            let _ = runtime.block_on(certscan_probe::starttls::negotiate(
                &mut stream,
                protocol,
                "fuzz",
                "[127.0.0.1]",
            ));
        }
    }
}

/// Hosts files.
pub fn hosts(data: &[u8]) {
    let hosts = certscan_probe::hosts::HostsFile::parse(&String::from_utf8_lossy(data));
    let _ = hosts.lookup("localhost");
}

/// CAA property values and DNS answers to a CAA query.
pub fn caa(data: &[u8]) {
    let _ = certscan_checks::caa::parse_issue_value(data);
    let _ = certscan_probe::dns_wire::parse_response(u16::from_be_bytes([data.first().copied().unwrap_or(0), 0]), data);
}

/// OCSP responses and CRLs (stapled, or fetched with `--revocation`), checked against the first
/// certificate the bytes hold as both leaf and issuer, CA Issuers answers (`--fetch-issuer`), and
/// the HTTP answers they come in.
pub fn revocation(data: &[u8]) {
    let _ = certscan_x509::ocsp::parse_response(data);
    let info = CertInfo::from_der(data, 0);
    let _ = certscan_checks::revocation::check_ocsp(data, &info, Some(&info), 0);
    let _ = certscan_checks::revocation::check_crl(data, &info, Some(&info), 0);
    let _ = certscan_probe::fetch::parse_answer("fuzz", data, 4096);
    let _ = certscan_probe::file::issuer_answer_certificates(data);
}

/// nginx configuration text and the sites read from it.
pub fn nginx(data: &[u8]) {
    if let Ok(directives) = certscan_platforms::nginx::parse(&String::from_utf8_lossy(data), "fuzz.conf") {
        let _ = certscan_platforms::nginx::sites(&directives);
    }
}

/// A fuzzing entry point: takes any bytes, never panics.
pub(crate) type EntryPoint = fn(&[u8]);

/// Every entry point, by name (the cargo-fuzz target names).
pub const ENTRY_POINTS: &[(&str, EntryPoint)] = &[
    ("targets", targets),
    ("certificates", certificates),
    ("pkcs12", pkcs12),
    ("answers", answers),
    ("hosts", hosts),
    ("caa", caa),
    ("nginx", nginx),
    ("revocation", revocation),
];
