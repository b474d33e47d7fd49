//! The commands that show a finding by hand, with this target's values filled in: the
//! catalog's command (`openssl s_client` pinned to the address certscan connected to, with the
//! SNI it sent, the STARTTLS option and the `--ca-file`), `curl -v --resolve` for HTTPS and WSS
//! endpoints where what clients do is the question, and a `python3 -c` line where Python's
//! families see the target otherwise than curl. `--explain` keeps the general form.

use std::net::IpAddr;

use certscan_model::catalog;
use certscan_model::target::Protocol;

use crate::TargetResult;
use crate::clients::{self, Outcome};

/// What the commands are run against.
struct Endpoint<'a> {
    host: &'a str,
    port: u16,
    /// Where the host is pinned: the address certscan connected to, else the host.
    address: String,
    sni: Option<&'a str>,
    protocol: Option<Protocol>,
}

impl Endpoint<'_> {
    fn host_port(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// Fills the commands of every finding that has none yet. Run before the client families
/// re-judge the findings (what each family does is read from the findings as the checks left
/// them), and again for the findings added after.
pub(crate) fn fill(ca_files: &[String], result: &mut TargetResult) {
    let snapshot = result.clone();
    for finding in result.findings.iter_mut().filter(|f| f.commands.is_empty()) {
        finding.commands = commands(finding.id, &snapshot, ca_files, |family| {
            clients::outcome_of(finding, &snapshot, family)
        });
    }
}

fn commands(
    id: certscan_model::finding::CheckId,
    result: &TargetResult,
    ca_files: &[String],
    outcome: impl Fn(&str) -> Option<Outcome>,
) -> Vec<String> {
    let manual = catalog::entry(id).manual.as_str();
    let ca_file = ca_files.first().map(|f| quoted(f));
    let mut commands = vec![];
    match endpoint(result) {
        Some(endpoint) => {
            if manual.contains("HOST") {
                commands.push(filled_for_endpoint(manual, &endpoint, ca_file.as_deref()));
            }
            let client_side = outcome("openssl").is_some();
            if client_side && matches!(endpoint.protocol, Some(Protocol::Https | Protocol::Wss)) {
                commands.push(curl(&endpoint, ca_file.as_deref()));
            }
            let python_differs = ["python", "python-strict"]
                .iter()
                .any(|family| outcome(family).is_some() && outcome(family) != outcome("openssl"));
            if python_differs && endpoint.protocol.is_none_or(|p| starttls(p).is_none()) {
                commands.push(python(&endpoint, ca_file.as_deref()));
            }
        }
        None => {
            if let Some(file) = &result.file
                && manual.contains("CERT.pem")
            {
                let key = result.files.iter().find(|f| f.role == "private key");
                let mut command = manual.replace("CERT.pem", &quoted(file));
                if let Some(key) = key {
                    command = command.replace("KEY.pem", &quoted(&key.path));
                }
                commands.push(command);
            } else if let Some(file) = &result.file
                && manual.starts_with("openssl s_client")
                && let Some((_, reading)) = manual.split_once("| openssl x509 ")
            {
                // What the endpoint form reads from the served leaf, read from the file.
                commands.push(format!("openssl x509 -in {} {reading}", quoted(file)));
            }
        }
    }
    commands
}

fn endpoint(result: &TargetResult) -> Option<Endpoint<'_>> {
    let (host, port) = (result.host.as_deref()?, result.port?);
    let address = match result.address.as_deref().map(str::parse::<IpAddr>) {
        Some(Ok(IpAddr::V6(ip))) => format!("[{ip}]"),
        Some(Ok(ip)) => ip.to_string(),
        _ => match host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
            _ => host.to_string(),
        },
    };
    Some(Endpoint {
        host,
        port,
        address,
        sni: result.sni.as_deref(),
        protocol: result.protocol,
    })
}

/// The catalog's command with the endpoint's values: `-connect` pinned to the address,
/// `-servername` the SNI sent (none for an IP target), STARTTLS and the CA file added to
/// `openssl s_client`.
fn filled_for_endpoint(manual: &str, endpoint: &Endpoint, ca_file: Option<&str>) -> String {
    let mut command = manual.replace(
        "-connect HOST:PORT",
        &format!("-connect {}:{}", endpoint.address, endpoint.port),
    );
    command = match endpoint.sni {
        Some(sni) => command.replace("-servername HOST", &format!("-servername {sni}")),
        None => command.replace(" -servername HOST", ""),
    };
    command = command
        .replace("HOST:PORT", &endpoint.host_port())
        .replace("HOST", endpoint.host)
        .replace("PORT", &endpoint.port.to_string());
    let mut extra = String::new();
    if let Some(starttls) = endpoint.protocol.and_then(starttls) {
        extra.push_str(&format!(" -starttls {starttls}"));
    }
    if let Some(ca_file) = ca_file {
        extra.push_str(&format!(" -CAfile {ca_file}"));
    }
    command.replacen("openssl s_client", &format!("openssl s_client{extra}"), 1)
}

fn curl(endpoint: &Endpoint, ca_file: Option<&str>) -> String {
    let cacert = ca_file.map(|f| format!(" --cacert {f}")).unwrap_or_default();
    let pinned = endpoint.address.trim_start_matches('[').trim_end_matches(']') != endpoint.host;
    let resolve = match pinned {
        true => format!(" --resolve {}:{}:{}", endpoint.host, endpoint.port, endpoint.address),
        false => String::new(),
    };
    format!(
        "curl -v{resolve}{cacert} https://{}/ -o /dev/null",
        endpoint.host_port()
    )
}

fn python(endpoint: &Endpoint, ca_file: Option<&str>) -> String {
    let cafile = ca_file
        .map(|f| format!("cafile='{}'", f.trim_matches('\'')))
        .unwrap_or_default();
    let address = endpoint.address.trim_start_matches('[').trim_end_matches(']');
    format!(
        "python3 -c \"import socket, ssl; ssl.create_default_context({cafile}).wrap_socket(socket.create_connection(('{address}', {})), server_hostname='{}'); print('works')\"",
        endpoint.port, endpoint.host
    )
}

/// The `openssl s_client -starttls` name of a STARTTLS protocol.
fn starttls(protocol: Protocol) -> Option<&'static str> {
    protocol.is_starttls().then(|| protocol.as_str())
}

/// A path as one shell word.
fn quoted(path: &str) -> String {
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@".contains(&b));
    match plain {
        true => path.to_string(),
        false => format!("'{}'", path.replace('\'', r"'\''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certscan_model::finding::{CheckId, Finding};

    fn endpoint_result(host: &str, address: &str, sni: Option<&str>, protocol: Protocol) -> TargetResult {
        let mut result = TargetResult::empty(format!("{host}:8443"));
        result.host = Some(host.into());
        result.port = Some(8443);
        result.address = Some(address.into());
        result.sni = sni.map(str::to_string);
        result.protocol = Some(protocol);
        result
    }

    #[test]
    fn the_catalog_command_is_pinned_to_the_address_with_the_sni_and_the_ca_file() {
        let result = endpoint_result(
            "pbx.example.test",
            "192.0.2.7",
            Some("pbx.example.test"),
            Protocol::Https,
        );
        let said = commands(
            CheckId::ChainIncomplete,
            &result,
            &["/etc/ssl/my ca.pem".into()],
            |_| Some(Outcome::Fails),
        );
        assert_eq!(
            said[0],
            "openssl s_client -CAfile '/etc/ssl/my ca.pem' -connect 192.0.2.7:8443 -servername pbx.example.test -showcerts </dev/null  # look for 'unable to get local issuer certificate' and a chain of depth 0"
        );
        assert_eq!(
            said[1],
            "curl -v --resolve pbx.example.test:8443:192.0.2.7 --cacert '/etc/ssl/my ca.pem' https://pbx.example.test:8443/ -o /dev/null"
        );
        assert_eq!(said.len(), 2, "Python sees it as curl does: no python line");
    }

    #[test]
    fn starttls_ip_targets_and_python_views_are_filled_in() {
        let smtp = endpoint_result("::1", "::1", None, Protocol::Smtp);
        let said = commands(CheckId::Expired, &smtp, &[], |_| Some(Outcome::Fails));
        assert_eq!(said.len(), 1, "no curl for SMTP: {said:?}");
        assert!(
            said[0].starts_with("openssl s_client -starttls smtp -connect [::1]:8443 -showcerts"),
            "{said:?}"
        );
        let https = endpoint_result(
            "api.example.test",
            "198.51.100.1",
            Some("api.example.test"),
            Protocol::Https,
        );
        let said = commands(CheckId::ObsoleteOnly, &https, &[], |family| {
            Some(if family == "python" {
                Outcome::Fails
            } else {
                Outcome::Works
            })
        });
        assert!(
            said.iter().any(|c| c.starts_with("python3 -c")
                && c.contains("('198.51.100.1', 8443)")
                && c.contains("server_hostname='api.example.test'")),
            "{said:?}"
        );
    }

    #[test]
    fn findings_clients_do_not_see_get_only_the_catalog_command() {
        let result = endpoint_result(
            "pbx.example.test",
            "192.0.2.7",
            Some("pbx.example.test"),
            Protocol::Https,
        );
        let said = commands(CheckId::HstsMissing, &result, &[], |_| None);
        assert!(said.iter().all(|c| !c.starts_with("curl -v --resolve")), "{said:?}");
    }

    #[test]
    fn file_commands_name_the_certificate_and_key_files() {
        let mut result = TargetResult::empty("/etc/ssl/cert.pem".into());
        result.file = Some("/etc/ssl/cert.pem".into());
        result.files = vec![crate::deploy::FileView {
            path: "/etc/ssl/private/key.pem".into(),
            role: "private key",
            uid: 0,
            gid: 0,
            mode: "0600".into(),
        }];
        result.findings = vec![Finding::new(CheckId::KeyMismatch, "seen")];
        let said = commands(CheckId::KeyMismatch, &result, &[], |_| None);
        assert_eq!(
            said,
            [
                "openssl x509 -in /etc/ssl/cert.pem -noout -pubkey | openssl sha256; openssl pkey -in /etc/ssl/private/key.pem -pubout | openssl sha256"
            ]
        );
    }
}
