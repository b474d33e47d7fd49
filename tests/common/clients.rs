//! Real clients run against the tests' own servers on loopback, so that certscan's verdicts are
//! compared with what the clients do: Python's `ssl` (OpenSSL as requests and urllib3 use it),
//! curl, `openssl s_client`, Java through `tests/clients/TlsClient.java` and Go through
//! `tests/clients/tls_client.go`.

/// How Python's `ssl` is set up beyond `ssl.create_default_context(cafile=...)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonSetup {
    /// Turn partial chains off (Python 3.13 turns them on; Debian 12 has Python 3.11).
    pub no_partial_chain: bool,
    /// Turn OpenSSL's strict checks and partial chains on, as Python 3.13's default context
    /// does (`VERIFY_X509_STRICT`, `VERIFY_X509_PARTIAL_CHAIN`, CPython issue 107361).
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
    context.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
if no_time_check:
    context.verify_flags |= 0x200000
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
    try:
        context.wrap_socket(raw, server_hostname=sys.argv[3]).close()
        print("works")
    except ssl.SSLCertVerificationError as error:
        print("fails:", error.verify_message)
    except (ssl.SSLError, OSError) as error:
        print("fails:", error)
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
    verdict("python3", &out)
}

/// What a client that prints `works` or `fails: WHY` said; anything else is the test's failure.
fn verdict(client: &str, out: &std::process::Output) -> Result<(), String> {
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match said.as_str() {
        "works" => Ok(()),
        _ if said.starts_with("fails:") => Err(said),
        _ => panic!("{client} said {said:?}: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// Whether curl (on Debian's OpenSSL) completes a verified request to `localhost:port`.
pub fn curl_connects(port: u16, cafile: &str) -> bool {
    std::process::Command::new("curl")
        .args([
            "--silent",
            "--output",
            "/dev/null",
            "--max-time",
            "10",
            "--cacert",
            cafile,
        ])
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .arg(format!("https://localhost:{port}/"))
        .status()
        .expect("curl (a client these tests compare with)")
        .success()
}

/// Whether `openssl s_client` completes a handshake that verifies, with the system's defaults.
pub fn s_client_connects(port: u16, cafile: &str) -> bool {
    let out = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
        ])
        .args([
            "-verify_hostname",
            "localhost",
            "-verify_return_error",
            "-CAfile",
            cafile,
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl s_client");
    let said = String::from_utf8_lossy(&out.stdout);
    // s_client prints a verify code even when the handshake failed: the cipher says it did not.
    out.status.success() && !said.contains("Cipher is (NONE)") && said.contains("Verify return code: 0 (ok)")
}

/// Whether Java (JSSE, with its `java.security` defaults), trusting `cafile` alone, completes a
/// handshake with host name verification to `localhost:port`.
pub fn java_connects(port: u16, cafile: &str) -> Result<(), String> {
    let client = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/TlsClient.java");
    let out = std::process::Command::new("java")
        .args([client, cafile, &port.to_string(), "localhost"])
        .output()
        .expect("java (a client these tests compare with)");
    verdict("java", &out)
}

/// The client family certscan predicts this machine's `python3` by: `python` when it was built
/// with its own cipher list (python.org sources, pyenv: it leaves out RSA key exchange and
/// SHA-1 MACs), `openssl` when with OpenSSL's (Debian's python3, CPython PR 3532).
pub fn python_family() -> &'static str {
    let out = std::process::Command::new("python3")
        .args(["-c", "import ssl; print(ssl._DEFAULT_CIPHERS)"])
        .output()
        .expect("python3");
    match String::from_utf8_lossy(&out.stdout).contains("!SHA1") {
        true => "python",
        false => "openssl",
    }
}

/// The Go client, built once into a temporary folder; `None` when Go is not installed.
pub fn go_client() -> Option<&'static std::path::Path> {
    static BUILT: std::sync::OnceLock<Option<(tempfile::TempDir, std::path::PathBuf)>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let binary = dir.path().join("tls_client");
            let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/tls_client.go");
            let built = std::process::Command::new("go")
                .args(["build", "-o"])
                .arg(&binary)
                .arg(source)
                .env("GOCACHE", dir.path().join("cache"))
                .env("GOPATH", dir.path().join("gopath"))
                .env("GO111MODULE", "off")
                .status()
                .ok()?;
            assert!(built.success(), "go build {source} failed");
            Some((dir, binary))
        })
        .as_ref()
        .map(|(_, binary)| binary.as_path())
}

/// The installed Go's minor version (19 for go1.19.8).
pub fn go_minor_version() -> u32 {
    let out = std::process::Command::new("go").arg("version").output().expect("go");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    said.split_whitespace()
        .find_map(|word| word.strip_prefix("go1."))
        .and_then(|rest| rest.split('.').next())
        .and_then(|minor| minor.parse().ok())
        .unwrap_or_else(|| panic!("go version said {said:?}"))
}

/// Whether the Go client, trusting `cafile` alone, completes a verified handshake for `localhost`.
pub fn go_connects(client: &std::path::Path, port: u16, cafile: &str) -> Result<(), String> {
    let out = std::process::Command::new(client)
        .args([cafile, &port.to_string(), "localhost"])
        .output()
        .expect("the Go client built from tests/clients/tls_client.go");
    verdict("go", &out)
}

/// Whether urllib3 2 (as requests uses it) is installed for `python3`.
pub fn urllib3_2_installed() -> bool {
    std::process::Command::new("python3")
        .args([
            "-c",
            "import urllib3, sys; sys.exit(0 if int(urllib3.__version__.split('.')[0]) >= 2 else 1)",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether urllib3, trusting `cafile` alone, gets an answer from `https://localhost:port/`.
pub fn urllib3_connects(port: u16, cafile: &str) -> Result<(), String> {
    const SCRIPT: &str = r#"
import sys, urllib3
http = urllib3.PoolManager(ca_certs=sys.argv[1], cert_reqs="CERT_REQUIRED", retries=False, timeout=10)
try:
    http.request("GET", "https://localhost:%s/" % sys.argv[2])
    print("works")
except urllib3.exceptions.HTTPError as error:
    print("fails:", error)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, cafile, &port.to_string()])
        .output()
        .expect("python3 with urllib3");
    verdict("urllib3", &out)
}
