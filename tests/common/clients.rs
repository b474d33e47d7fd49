//! Real clients run against the tests' own servers, so that certscan's verdicts are compared with
//! what the clients do. Python's `ssl` is OpenSSL as Python's requests and urllib3 use it.

/// How Python's `ssl` is set up beyond `ssl.create_default_context(cafile=...)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonSetup {
    /// Turn partial chains off (Python 3.13 turns them on; Debian 12 has Python 3.11).
    pub no_partial_chain: bool,
    /// Turn OpenSSL's strict checks on, as Python 3.13's default context does
    /// (`VERIFY_X509_STRICT`, CPython issue 107361).
    pub strict: bool,
    /// Skip OpenSSL's time check (`X509_V_FLAG_NO_CHECK_TIME`, 0x200000), for a test PKI that
    /// lives around the tests' evaluation time rather than today.
    pub no_time_check: bool,
}

/// Whether Python's `ssl`, with `cafile` as its only trust store, completes a verified handshake
/// with the server on 127.0.0.1:`port` for `name`; the error OpenSSL gave when not.
pub fn python_connects(port: u16, cafile: &std::path::Path, name: &str, setup: PythonSetup) -> Result<(), String> {
    const SCRIPT: &str = r#"
import socket, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[1])
no_partial_chain, strict, no_time_check = (flag == "1" for flag in sys.argv[4:7])
if no_partial_chain and hasattr(ssl, "VERIFY_X509_PARTIAL_CHAIN"):
    context.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN
if strict:
    context.verify_flags |= ssl.VERIFY_X509_STRICT
if no_time_check:
    context.verify_flags |= 0x200000
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
    try:
        context.wrap_socket(raw, server_hostname=sys.argv[3]).close()
        print("works")
    except ssl.SSLCertVerificationError as error:
        print("fails:", error.verify_message)
"#;
    let flag = |on: bool| if on { "1" } else { "0" };
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, &cafile.display().to_string(), &port.to_string(), name])
        .args([
            flag(setup.no_partial_chain),
            flag(setup.strict),
            flag(setup.no_time_check),
        ])
        .output()
        .expect("python3 (Python's ssl is a client these tests compare with)");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match said.as_str() {
        "works" => Ok(()),
        _ if said.starts_with("fails:") => Err(said),
        _ => panic!("python3 said {said:?}: {}", String::from_utf8_lossy(&out.stderr)),
    }
}
