//! Wazo Platform's service configuration: the YAML files of the wazo-* and xivo-* services
//! (`/etc/<service>/config.yml`, `/etc/<service>/conf.d/*.yml`, `/etc/xivo/custom/*.yml`), read
//! for the `host` each service uses to reach the others and its `verify_certificate` setting.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// The sections of a Wazo service configuration that name another service reached over HTTPS.
const HTTPS_CLIENT_SECTIONS: &[&str] = &[
    "agentd",
    "amid",
    "auth",
    "calld",
    "call_logd",
    "chatd",
    "confd",
    "ctid_ng",
    "ctid-ng",
    "deployd",
    "dird",
    "phoned",
    "plugind",
    "provd",
    "setupd",
    "webhookd",
    "websocketd",
];

/// Where Wazo keeps its default self-signed certificate.
pub const DEFAULT_CERTIFICATE: &str = "usr/share/xivo-certs/server.crt";

/// One client setting: a service's connection to another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientSetting {
    /// The file that says it.
    pub file: PathBuf,
    /// The section (the service connected to), e.g. `auth`.
    pub section: String,
    pub host: Option<String>,
    /// `verify_certificate`: `true`, `false`, or a CA file path.
    pub verify: Option<String>,
    /// Where a `verify_certificate` path is found on this machine (under the configuration root).
    pub verify_file: Option<PathBuf>,
}

/// The client settings in one YAML text.
pub fn settings_in(text: &str, file: &Path) -> Result<Vec<ClientSetting>, String> {
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut found = Vec::new();
    for document in documents {
        let Yaml::Hash(top) = document else { continue };
        for (key, value) in top {
            let (Yaml::String(section), Yaml::Hash(settings)) = (key, value) else {
                continue;
            };
            if !HTTPS_CLIENT_SECTIONS.contains(&section.as_str()) {
                continue;
            }
            let scalar = |name: &str| match settings.get(&Yaml::String(name.into())) {
                Some(Yaml::String(s)) => Some(s.clone()),
                Some(Yaml::Boolean(b)) => Some(b.to_string()),
                Some(Yaml::Integer(i)) => Some(i.to_string()),
                _ => None,
            };
            let (host, verify) = (scalar("host"), scalar("verify_certificate"));
            if host.is_some() || verify.is_some() {
                found.push(ClientSetting {
                    file: file.to_path_buf(),
                    section,
                    host,
                    verify,
                    verify_file: None,
                });
            }
        }
    }
    Ok(found)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every client setting of the Wazo and xivo services under `root` (normally `/`).
pub fn settings(root: &Path) -> Result<Vec<ClientSetting>, String> {
    let etc = root.join("etc");
    let mut files = yaml_files(&etc.join("xivo/custom"));
    let mut services: Vec<PathBuf> = std::fs::read_dir(&etc)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    services.sort();
    for service in services {
        let name = service
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !(name.starts_with("wazo-") || name.starts_with("xivo-")) || !service.is_dir() {
            continue;
        }
        files.extend(
            yaml_files(&service)
                .into_iter()
                .filter(|f| f.file_name().is_some_and(|n| n == "config.yml")),
        );
        files.extend(yaml_files(&service.join("conf.d")));
    }
    let mut found = Vec::new();
    for file in files.into_iter().take(512) {
        let bytes = crate::probe::file::read_bounded(&file)?;
        found.extend(settings_in(&String::from_utf8_lossy(&bytes), &file)?);
    }
    for setting in &mut found {
        if let Some(path) = setting.verify.as_deref().filter(|v| v.starts_with('/')) {
            setting.verify_file = Some(root.join(path.trim_start_matches('/')));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_sections_are_read_and_others_ignored() {
        let text = "auth:\n  host: localhost\n  port: 9497\n  verify_certificate: /usr/share/xivo-certs/server.crt\nbus:\n  host: localhost\nconfd:\n  host: wazo.example.com\n  verify_certificate: false\nrest_api:\n  https:\n    certificate: /x\n";
        let found = settings_in(text, Path::new("/etc/wazo-calld/conf.d/50-custom.yml")).unwrap();
        let got: Vec<(&str, Option<&str>, Option<&str>)> = found
            .iter()
            .map(|s| (s.section.as_str(), s.host.as_deref(), s.verify.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("auth", Some("localhost"), Some("/usr/share/xivo-certs/server.crt")),
                ("confd", Some("wazo.example.com"), Some("false"))
            ]
        );
        assert!(
            settings_in("a: [unclosed", Path::new("x.yml"))
                .unwrap_err()
                .contains("x.yml")
        );
    }
}
