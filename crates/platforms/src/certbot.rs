//! certbot's configuration folder: each lineage under `live/`, its renewal configuration and the
//! hooks that run after a renewal (the reload or copy that makes services use the new files),
//! with the text of each hook as certbot would run it: the command of the renewal
//! configuration, and the scripts it names or that `renewal-hooks/` holds.

use std::path::{Path, PathBuf};

use certscan_checks::{Check, Enriched, PlatformRules, Policy, TargetResult};
use certscan_model::finding::CheckId;
use certscan_model::target::{Extra, FileTarget};

pub(crate) use certscan_model::configured::{Hook, Lineage};

/// certbot: its lineages are chain files to check, and a chain file holding the leaf alone is
/// worded as certbot's `cert.pem` when it is one.
#[derive(Debug)]
pub struct Certbot;

impl PlatformRules for Certbot {
    fn rewordings(&self) -> &'static [Check] {
        &[reword_leaf_only_file]
    }
}

impl super::Platform for Certbot {
    fn local_place(&self) -> Option<PathBuf> {
        Some(PathBuf::from("/etc/letsencrypt")).filter(|p| p.join("live").is_dir())
    }

    /// Each lineage's full chain, with its key and renewal configuration.
    fn discover(&self, place: &Path) -> Result<super::Discovered, String> {
        let files = lineages(place)?
            .into_iter()
            .map(|lineage| FileTarget {
                path: lineage.fullchain.clone(),
                extra: Extra {
                    key: Some(lineage.key.clone()),
                    source: Some(format!("certbot lineage {}", lineage.name)),
                    lineage: Some(lineage),
                    ..Extra::default()
                },
            })
            .collect();
        Ok(super::Discovered {
            files,
            ..Default::default()
        })
    }
}

/// A chain file that holds the leaf alone: the fix names the file, and certbot's `cert.pem`
/// (which belongs where only the certificate is wanted) is told apart.
fn reword_leaf_only_file(source: &Enriched, _: &Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    let certscan_model::evidence::Origin::File { path } = &evidence.origin else {
        return;
    };
    let file = path.display();
    let certbot_leaf = path.file_name().is_some_and(|n| n == "cert.pem")
        && path
            .parent()
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "live");
    for finding in result.findings.iter_mut().filter(|f| f.id == CheckId::ChainIncomplete) {
        finding.remediation = Some(if certbot_leaf {
            let full = path.with_file_name("fullchain.pem");
            format!(
                "{file} is certbot's leaf-only file; it belongs where only the certificate is wanted. Configure {} instead (nginx: ssl_certificate {};), then reload.",
                full.display(),
                full.display()
            )
        } else {
            format!(
                "{file} holds the certificate without its intermediate: configure the service with the full chain instead (with certbot, fullchain.pem beside cert.pem), or append the intermediate to {file} (cat {file} intermediate.pem > fullchain.pem)."
            )
        });
    }
}

/// The most of a hook script that is read.
const MAX_HOOK_BYTES: u64 = 64 * 1024;

fn read_script(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_HOOK_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The hooks a renewal configuration names.
pub(crate) fn hooks_in_renewal_conf(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, value)| {
            matches!(key.trim(), "renew_hook" | "deploy_hook" | "post_hook") && !value.trim().is_empty()
        })
        .map(|(key, value)| format!("{} = {}", key.trim(), value.trim()))
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A hook script in `renewal-hooks/`.
fn script_hook(path: &Path) -> Hook {
    Hook {
        origin: path.display().to_string(),
        text: read_script(path).unwrap_or_default(),
        script: Some(path.to_path_buf()),
    }
}

/// A hook configured in the renewal configuration; when its command is a script on this machine,
/// the script is what runs.
fn configured_hook(line: &str, conf: &Path, root: &Path) -> Hook {
    let (key, command) = line.split_once(" = ").unwrap_or((line, ""));
    let program = command.split_whitespace().next().unwrap_or("");
    if program.starts_with('/') {
        let on_disk = root.join(program.trim_start_matches('/'));
        if let Some(text) = read_script(&on_disk) {
            return Hook {
                origin: format!("{program} ({key} in {})", conf.display()),
                text,
                script: Some(PathBuf::from(program)),
            };
        }
    }
    Hook {
        origin: format!("{key} in {}", conf.display()),
        text: command.to_string(),
        script: None,
    }
}

/// Every lineage of a certbot folder (such as /etc/letsencrypt).
pub(crate) fn lineages(dir: &Path) -> Result<Vec<Lineage>, String> {
    let live = dir.join("live");
    let entries = std::fs::read_dir(&live).map_err(|e| format!("cannot read {}: {e}", live.display()))?;
    let mut global: Vec<Hook> = files_in(&dir.join("renewal-hooks/deploy"))
        .iter()
        .map(|p| script_hook(p))
        .collect();
    global.extend(files_in(&dir.join("renewal-hooks/post")).iter().map(|p| script_hook(p)));
    // Scripts a renewal configuration names are found under the same root as the folder
    // (`--config-root` trees keep /etc/letsencrypt at etc/letsencrypt).
    let root = dir.ancestors().nth(2).unwrap_or(Path::new("/"));
    let root = if dir.ends_with("etc/letsencrypt") {
        root
    } else {
        Path::new("/")
    };
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let conf = dir.join("renewal").join(format!("{name}.conf"));
        // A lineage without a renewal configuration has no configured hook; one that is there
        // but cannot be read would pass for one without hooks, so it is said.
        let text = match certscan_probe::file::read_bounded(&conf) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.is_not_found() => String::new(),
            Err(e) => return Err(e.to_string()),
        };
        let mut hooks: Vec<Hook> = hooks_in_renewal_conf(&text)
            .iter()
            .map(|line| configured_hook(line, &conf, root))
            .collect();
        hooks.extend(global.iter().cloned());
        found.push(Lineage {
            name,
            fullchain: path.join("fullchain.pem"),
            key: path.join("privkey.pem"),
            hooks,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_conf_hooks() {
        let text = "# renew_before_expiry = 30 days\nversion = 2.9.0\n[renewalparams]\nauthenticator = webroot\nrenew_hook = systemctl reload nginx\npost_hook =\n";
        assert_eq!(hooks_in_renewal_conf(text), ["renew_hook = systemctl reload nginx"]);
        assert!(hooks_in_renewal_conf("[renewalparams]\nauthenticator = standalone\n").is_empty());
    }

    #[test]
    fn a_renewal_configuration_that_cannot_be_read_is_said_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("live/example.org")).unwrap();
        std::fs::create_dir_all(dir.path().join("renewal")).unwrap();
        let found = lineages(dir.path()).unwrap();
        assert_eq!(found.len(), 1);
        assert!(found[0].hooks.is_empty());
        std::fs::create_dir_all(dir.path().join("renewal/example.org.conf")).unwrap();
        let error = lineages(dir.path()).unwrap_err();
        assert!(error.contains("example.org.conf is a directory"), "{error}");
    }
}
