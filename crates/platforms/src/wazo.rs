//! Wazo Platform's service configuration, read the way the services read it: each service
//! (`/etc/wazo-*`, `/etc/xivo-*`) loads its packaged `config.yml`, then the files of its
//! `conf.d/` in name order, later keys overriding earlier ones (mappings merged deeply). Files of
//! `/etc/xivo/custom/` take effect only where they are linked into a `conf.d/`, as Wazo's
//! documentation has `custom-certificate.yml` linked. For every connection a service makes to
//! another (its `auth:`, `confd:` ... sections), the effective `host`, `https` and
//! `verify_certificate`, each with the file that set it; and the certificate the services serve.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use certscan_model::target::{Extra, FileTarget};

pub use certscan_model::configured::{ClientSetting, Sourced};

/// Wazo Platform: its services' configuration names the certificate they serve and how they
/// connect to each other (its checks and wording are in `wazo_checks`).
#[derive(Debug)]
pub(crate) struct Wazo;

impl super::Platform for Wazo {
    /// The services' configuration under the root `place`: the connections they make, checked
    /// against the certificate they serve (the one the merged configuration names, else Wazo's
    /// default, with the key beside it), or against the first file the user gives.
    fn discover(&self, place: &Path) -> Result<super::Discovered, super::ConfigError> {
        let config = settings(place)?;
        let (certificate, key) = match (&config.certificate, &config.private_key) {
            (Some(certificate), key) => (certificate.value.clone(), key.as_ref().map(|k| k.value.clone())),
            (None, _) => (place.join(DEFAULT_CERTIFICATE), Some(place.join(DEFAULT_KEY))),
        };
        let key = key.filter(|k| k.exists());
        let files = certificate
            .exists()
            .then(|| FileTarget {
                path: certificate,
                extra: Extra {
                    wazo: config.clients.clone(),
                    key,
                    source: Some("wazo".into()),
                    ..Extra::default()
                },
            })
            .into_iter()
            .collect();
        Ok(super::Discovered {
            files,
            clients: config.clients,
            ..Default::default()
        })
    }

    fn reload_command(&self) -> Option<&'static str> {
        Some("wazo-service restart all (xivo-service restart all on older releases)")
    }
}

/// The sections of a Wazo service configuration that name another service it connects to.
const CLIENT_SECTIONS: &[&str] = &[
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

/// Where Wazo keeps its default self-signed certificate and its key.
pub(crate) const DEFAULT_CERTIFICATE: &str = "usr/share/xivo-certs/server.crt";
pub(crate) const DEFAULT_KEY: &str = "usr/share/xivo-certs/server.key";

/// What the merged configurations of every service say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WazoConfig {
    pub clients: Vec<ClientSetting>,
    /// `rest_api: https: certificate` / `private_key`, when a service sets them (the first found),
    /// as paths under the configuration root.
    pub certificate: Option<Sourced<PathBuf>>,
    pub private_key: Option<Sourced<PathBuf>>,
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        _ => None,
    }
}

fn boolean(value: &Yaml) -> Option<bool> {
    match value {
        Yaml::Boolean(b) => Some(*b),
        Yaml::String(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("yes") => Some(true),
        Yaml::String(s) if s.eq_ignore_ascii_case("false") || s.eq_ignore_ascii_case("no") => Some(false),
        _ => None,
    }
}

fn get<'a>(hash: &'a yaml_rust2::yaml::Hash, key: &str) -> Option<&'a Yaml> {
    hash.get(&Yaml::String(key.into()))
}

/// One service's configuration, merged from its files in order.
#[derive(Debug, Default)]
struct Merged {
    clients: Vec<ClientSetting>,
    certificate: Option<Sourced<PathBuf>>,
    private_key: Option<Sourced<PathBuf>>,
}

/// A value with the file it came from.
fn sourced<T>(value: T, file: &Path) -> Sourced<T> {
    Sourced {
        value,
        file: file.to_path_buf(),
    }
}

impl Merged {
    /// Applies one file on top of what earlier files set: the keys it has win.
    fn apply(&mut self, service: &str, text: &str, file: &Path) -> Result<(), String> {
        let documents = YamlLoader::load_from_str(text).map_err(|e| format!("{}: {e}", file.display()))?;
        for document in documents {
            let Yaml::Hash(top) = document else { continue };
            for (key, value) in &top {
                let (Yaml::String(section), Yaml::Hash(settings)) = (key, value) else {
                    continue;
                };
                if section == "rest_api" {
                    if let Some(Yaml::Hash(https)) = get(settings, "https") {
                        if let Some(path) = get(https, "certificate").and_then(scalar) {
                            self.certificate = Some(sourced(PathBuf::from(path), file));
                        }
                        if let Some(path) = get(https, "private_key").and_then(scalar) {
                            self.private_key = Some(sourced(PathBuf::from(path), file));
                        }
                    }
                    continue;
                }
                if !CLIENT_SECTIONS.contains(&section.as_str()) {
                    continue;
                }
                let index = match self.clients.iter().position(|c| c.section == *section) {
                    Some(index) => index,
                    None => {
                        self.clients.push(ClientSetting {
                            service: service.to_string(),
                            section: section.clone(),
                            host: None,
                            https: None,
                            verify: None,
                            verify_file: None,
                        });
                        self.clients.len() - 1
                    }
                };
                let client = &mut self.clients[index];
                if let Some(host) = get(settings, "host").and_then(scalar) {
                    client.host = Some(sourced(host, file));
                }
                if let Some(https) = get(settings, "https").and_then(boolean) {
                    client.https = Some(sourced(https, file));
                }
                if let Some(verify) = get(settings, "verify_certificate").and_then(scalar) {
                    client.verify = Some(sourced(verify, file));
                }
            }
        }
        Ok(())
    }
}

/// The YAML files of a `conf.d/` folder, in name order as the services load them; none when
/// the folder is absent.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, super::ConfigError> {
    let mut files: Vec<PathBuf> = super::optional_folder(dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Files read per service, at most.
const MAX_FILES_PER_SERVICE: usize = 128;

/// The merged configuration of one service directory (`<root>/etc/<service>`): `config.yml`,
/// then `conf.d/*.yml` in name order. Reported paths are as on the machine (without the root).
fn merge_service(root: &Path, service_dir: &Path, service: &str) -> Result<Merged, super::ConfigError> {
    let mut merged = Merged::default();
    let mut files = vec![service_dir.join("config.yml")];
    files.extend(yaml_files(&service_dir.join("conf.d"))?);
    for file in files.into_iter().take(MAX_FILES_PER_SERVICE) {
        let Some(resolved) = super::file_under_root(root, &file)? else {
            continue;
        };
        let bytes = certscan_probe::file::read_bounded(&resolved)?;
        let shown = Path::new("/").join(file.strip_prefix(root).unwrap_or(&file));
        merged.apply(service, &String::from_utf8_lossy(&bytes), &shown)?;
    }
    Ok(merged)
}

/// The merged configuration of every Wazo and xivo service under `root` (normally `/`).
pub(crate) fn settings(root: &Path) -> Result<WazoConfig, super::ConfigError> {
    let services = super::optional_folder(&root.join("etc"))?;
    let mut config = WazoConfig::default();
    for service_dir in services {
        let name = service_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !(name.starts_with("wazo-") || name.starts_with("xivo-")) || !service_dir.is_dir() {
            continue;
        }
        let merged = merge_service(root, &service_dir, &name)?;
        config.clients.extend(merged.clients);
        config.certificate = config.certificate.or(merged.certificate);
        config.private_key = config.private_key.or(merged.private_key);
    }
    for client in &mut config.clients {
        if let Some(path) = client.verify.as_ref().map(|v| &v.value).filter(|v| v.starts_with('/')) {
            client.verify_file = Some(root.join(path.trim_start_matches('/')));
        }
    }
    let under_root = |sourced: Sourced<PathBuf>| Sourced {
        value: root.join(sourced.value.strip_prefix("/").unwrap_or(&sourced.value)),
        file: sourced.file,
    };
    config.certificate = config.certificate.map(under_root);
    config.private_key = config.private_key.map(under_root);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_files_override_earlier_keys_and_keep_the_others() {
        let mut merged = Merged::default();
        let packaged = "auth:\n  host: localhost\n  port: 9497\n  https: false\nconfd:\n  host: localhost\n  https: false\nbus:\n  host: localhost\n";
        merged
            .apply("wazo-calld", packaged, Path::new("/etc/wazo-calld/config.yml"))
            .unwrap();
        let custom = "auth:\n  host: wazo.example.com\n  https: true\n  verify_certificate: /etc/ssl/ca.pem\nrest_api:\n  https:\n    certificate: /etc/ssl/wazo.pem\n";
        merged
            .apply("wazo-calld", custom, Path::new("/etc/wazo-calld/conf.d/010-custom.yml"))
            .unwrap();
        let auth = merged.clients.iter().find(|c| c.section == "auth").unwrap();
        assert_eq!(auth.host.as_ref().unwrap().value, "wazo.example.com");
        assert_eq!(
            auth.host.as_ref().unwrap().file,
            Path::new("/etc/wazo-calld/conf.d/010-custom.yml")
        );
        assert!(auth.uses_https());
        let confd = merged.clients.iter().find(|c| c.section == "confd").unwrap();
        assert!(!confd.uses_https());
        assert_eq!(
            confd.https.as_ref().unwrap().file,
            Path::new("/etc/wazo-calld/config.yml")
        );
        assert_eq!(merged.clients.len(), 2, "bus is not an HTTPS client section");
        assert_eq!(
            merged.certificate.as_ref().unwrap().value,
            PathBuf::from("/etc/ssl/wazo.pem")
        );
        assert!(
            merged
                .apply("x", "a: [unclosed", Path::new("x.yml"))
                .unwrap_err()
                .contains("x.yml")
        );
    }

    #[test]
    fn an_absent_conf_d_is_normal_and_one_that_cannot_be_listed_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let service = root.path().join("etc/wazo-calld");
        std::fs::create_dir_all(&service).unwrap();
        std::fs::write(service.join("config.yml"), "auth:\n  host: localhost\n  https: true\n").unwrap();
        let config = settings(root.path()).unwrap();
        assert_eq!(config.clients.len(), 1, "no conf.d: config.yml alone");
        // A conf.d that is there but is no folder: its settings would be missed.
        std::fs::write(service.join("conf.d"), "").unwrap();
        match settings(root.path()) {
            Err(crate::ConfigError::List(e)) => assert!(e.path.ends_with("conf.d") && !e.is_not_found()),
            other => panic!("expected a listing error, got {other:?}"),
        }
    }

    #[test]
    fn absolute_links_resolve_under_the_root_and_a_dangling_one_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let service = root.path().join("etc/wazo-calld");
        std::fs::create_dir_all(service.join("conf.d")).unwrap();
        std::fs::create_dir_all(root.path().join("etc/xivo/custom")).unwrap();
        std::fs::write(service.join("config.yml"), "auth:\n  host: localhost\n  https: true\n").unwrap();
        std::fs::write(
            root.path().join("etc/xivo/custom/custom-certificate.yml"),
            "auth:\n  host: wazo.example.com\n",
        )
        .unwrap();
        // As Wazo's documentation makes it: the absolute path of the custom file.
        let link = service.join("conf.d/010-custom-certificate.yml");
        std::os::unix::fs::symlink("/etc/xivo/custom/custom-certificate.yml", &link).unwrap();
        let config = settings(root.path()).unwrap();
        let auth = &config.clients[0];
        assert_eq!(auth.host.as_ref().unwrap().value, "wazo.example.com");
        assert_eq!(
            auth.host.as_ref().unwrap().file,
            Path::new("/etc/wazo-calld/conf.d/010-custom-certificate.yml")
        );
        // A link to nothing is said, not skipped (which would fall back to config.yml).
        std::fs::remove_file(root.path().join("etc/xivo/custom/custom-certificate.yml")).unwrap();
        let error = settings(root.path()).unwrap_err().to_string();
        assert!(
            error.contains("/etc/wazo-calld/conf.d/010-custom-certificate.yml")
                && error.contains("/etc/xivo/custom/custom-certificate.yml")
                && error.contains("does not exist"),
            "{error}"
        );
    }
}
