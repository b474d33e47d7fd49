//! Platform settings that must fit the certificate: the host names Wazo's services use to reach
//! each other, and how they verify the certificate.

use super::certificate::CertInfo;
use super::names::sans_cover;
use crate::configs::wazo::ClientSetting;
use crate::evidence::DeployEvidence;
use crate::finding::{CheckId, Finding};

/// Findings for Wazo's client settings against the certificate they connect to.
pub fn wazo_findings(
    settings: &[ClientSetting],
    leaf: &CertInfo,
    deploy: &DeployEvidence,
    at_unix: i64,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let suggested = leaf
        .common_names
        .first()
        .cloned()
        .unwrap_or_else(|| "the certificate's name".into());
    for setting in settings {
        let place = format!("the {} section of {}", setting.section, setting.file.display());
        if let Some(host) = &setting.host {
            let covered = sans_cover(&leaf.san_entries, host)
                || (!leaf.has_san_extension && leaf.common_names.iter().any(|cn| cn.eq_ignore_ascii_case(host)));
            if !covered {
                findings.push(
                    Finding::new(
                        CheckId::WazoHostMismatch,
                        format!("{place} connects to host {host}, which the certificate ({}) does not cover", crate::finding::summarise_list(&leaf.sans, 10)),
                    )
                    .with_remediation(format!(
                        "Set the service's host to the certificate's name in {}:\n  {}:\n    host: {suggested}\nand make that name resolve to 127.0.0.1 in /etc/hosts; then wazo-service restart all.",
                        setting.file.display(),
                        setting.section
                    )),
                );
            }
        }
        match setting.verify.as_deref() {
            Some("false") => {
                let local = setting.host.as_deref().is_none_or(|h| h == "localhost" || h == "127.0.0.1" || h == "::1");
                if !local {
                    findings.push(
                        Finding::new(
                            CheckId::WazoVerifyDisabled,
                            format!("{place} turns certificate verification off for {}, across the network", setting.host.as_deref().unwrap_or("?")),
                        )
                        .with_remediation(format!(
                            "In {}:\n  {}:\n    verify_certificate: {}",
                            setting.file.display(),
                            setting.section,
                            if leaf.self_signed { "/usr/share/xivo-certs/server.crt" } else { "true" }
                        )),
                    );
                }
            }
            Some("true") if leaf.self_signed => findings.push(
                Finding::new(
                    CheckId::WazoVerifyMismatch,
                    format!("{place} verifies against the system's CAs, which do not include the self-signed certificate {}", leaf.label()),
                )
                .with_remediation(format!(
                    "Point verification at the certificate itself, in {}:\n  {}:\n    verify_certificate: /usr/share/xivo-certs/server.crt",
                    setting.file.display(),
                    setting.section
                )),
            ),
            Some(path) if path.starts_with('/') => {
                let held = setting
                    .verify_file
                    .as_ref()
                    .and_then(|file| deploy.verify_files.iter().find(|(p, _)| p == file))
                    .map(|(_, certs)| certs);
                let fits = match held {
                    Some(Ok(certs)) => certs.iter().map(|c| CertInfo::from_der(c.as_ref(), at_unix)).any(|ca| {
                        ca.sha256 == leaf.sha256 || (ca.subject_raw == leaf.issuer_raw && ca.is_ca)
                    }),
                    _ => false,
                };
                if !fits {
                    let what = match held {
                        Some(Err(error)) => format!("cannot be read ({error})"),
                        _ => "holds neither the certificate nor the CA that issued it".to_string(),
                    };
                    findings.push(
                        Finding::new(
                            CheckId::WazoVerifyMismatch,
                            format!("{place} verifies against {path}, which {what}: connections to {} will fail", leaf.label()),
                        )
                        .with_remediation(format!(
                            "In {}:\n  {}:\n    verify_certificate: {}",
                            setting.file.display(),
                            setting.section,
                            if leaf.self_signed { "/usr/share/xivo-certs/server.crt".to_string() } else { "true   # a public CA; or the path of your CA's certificate".to_string() }
                        )),
                    );
                }
            }
            _ => {}
        }
    }
    findings
}
