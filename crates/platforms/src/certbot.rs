//! certbot's configuration folder: each lineage under `live/`, its renewal configuration and the
//! hooks that run after a renewal (the reload or copy that makes services use the new files),
//! with the text of each hook as certbot would run it: the command of the renewal
//! configuration, and the scripts it names or that `renewal-hooks/` holds.

use std::path::{Path, PathBuf};

use super::ConfigError;
use certscan_checks::{Check, Enriched, PlatformRules, Policy, TargetResult};
use certscan_model::finding::CheckId;
use certscan_model::target::{Extra, FileTarget};
use certscan_probe::file::ReadError;

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
    fn discover(&self, place: &Path) -> Result<super::Discovered, super::ConfigError> {
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

/// A hook script's text (its first [`MAX_HOOK_BYTES`]); `None` when there is no such file or it
/// is not text (a program such as `/usr/bin/systemctl`, whose command line is what runs). A
/// script that is there and cannot be read is an error: its hook cannot be judged.
fn read_script(path: &Path) -> Result<Option<String>, ConfigError> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ReadError::Open {
                path: path.to_path_buf(),
                source,
            }
            .into());
        }
    };
    let mut bytes = Vec::new();
    if let Err(source) = (&mut file).take(MAX_HOOK_BYTES).read_to_end(&mut bytes) {
        return Err(ReadError::Read {
            path: path.to_path_buf(),
            source,
        }
        .into());
    }
    Ok(String::from_utf8(bytes).ok())
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

/// The files of a `renewal-hooks/` folder, which may be absent.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    Ok(super::optional_folder(dir)?
        .into_iter()
        .filter(|p| p.is_file())
        .collect())
}

/// A hook script in `renewal-hooks/`.
fn script_hook(path: &Path) -> Result<Hook, ConfigError> {
    Ok(Hook {
        origin: path.display().to_string(),
        text: read_script(path)?.unwrap_or_default(),
        script: Some(path.to_path_buf()),
    })
}

/// A hook configured in the renewal configuration; when its command is a script on this machine,
/// the script is what runs.
fn configured_hook(line: &str, conf: &Path, root: &Path) -> Result<Hook, ConfigError> {
    let (key, command) = line.split_once(" = ").unwrap_or((line, ""));
    let program = command.split_whitespace().next().unwrap_or("");
    if program.starts_with('/') {
        let on_disk = root.join(program.trim_start_matches('/'));
        if let Some(text) = read_script(&on_disk)? {
            return Ok(Hook {
                origin: format!("{program} ({key} in {})", conf.display()),
                text,
                script: Some(PathBuf::from(program)),
            });
        }
    }
    Ok(Hook {
        origin: format!("{key} in {}", conf.display()),
        text: command.to_string(),
        script: None,
    })
}

/// Every lineage of a certbot folder (such as /etc/letsencrypt).
pub(crate) fn lineages(dir: &Path) -> Result<Vec<Lineage>, ConfigError> {
    let entries = certscan_probe::file::list_folder(&dir.join("live"))?;
    let mut global = Vec::new();
    for folder in ["renewal-hooks/deploy", "renewal-hooks/post"] {
        for script in files_in(&dir.join(folder))? {
            global.push(script_hook(&script)?);
        }
    }
    // Scripts a renewal configuration names are found under the same root as the folder
    // (`--config-root` trees keep /etc/letsencrypt at etc/letsencrypt).
    let root = dir.ancestors().nth(2).unwrap_or(Path::new("/"));
    let root = if dir.ends_with("etc/letsencrypt") {
        root
    } else {
        Path::new("/")
    };
    let mut found = Vec::new();
    for path in entries {
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let conf = dir.join("renewal").join(format!("{name}.conf"));
        // A lineage without a renewal configuration has no configured hook; one that is there
        // but cannot be read would pass for one without hooks, so it is said.
        let text = match certscan_probe::file::read_bounded(&conf) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.is_not_found() => String::new(),
            Err(e) => return Err(e.into()),
        };
        let mut hooks = hooks_in_renewal_conf(&text)
            .iter()
            .map(|line| configured_hook(line, &conf, root))
            .collect::<Result<Vec<Hook>, _>>()?;
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
        assert!(error.to_string().contains("example.org.conf is a directory"), "{error}");
    }

    /// A lineage folder with a renewal configuration whose deploy hook is `hook`.
    fn certbot_folder(hook: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("live/example.com")).unwrap();
        std::fs::create_dir_all(dir.path().join("renewal")).unwrap();
        std::fs::write(
            dir.path().join("renewal/example.com.conf"),
            format!("[renewalparams]\ndeploy_hook = {hook}\n"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_hook_program_that_is_absent_or_binary_runs_as_its_command_line() {
        let dir = certbot_folder("/nonexistent/reload-it --now");
        let lineage = &lineages(dir.path()).unwrap()[0];
        assert_eq!(lineage.hooks[0].text, "/nonexistent/reload-it --now");
        let binary = dir.path().join("binary");
        std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).unwrap();
        let dir = certbot_folder(&format!("{} --now", binary.display()));
        let lineage = &lineages(dir.path()).unwrap()[0];
        assert!(lineage.hooks[0].text.ends_with("binary --now"));
        assert!(lineage.hooks[0].script.is_none());
    }

    #[test]
    fn hooks_that_are_there_and_cannot_be_read_are_errors_not_absent() {
        // A hook script that cannot be read (here a folder) would pass for a hook that reloads
        // nothing.
        let dir = certbot_folder("/placeholder");
        let unreadable = dir.path().join("hook-folder");
        std::fs::create_dir(&unreadable).unwrap();
        std::fs::write(
            dir.path().join("renewal/example.com.conf"),
            format!("deploy_hook = {}\n", unreadable.display()),
        )
        .unwrap();
        match lineages(dir.path()) {
            Err(ConfigError::Read(ReadError::Read { path, .. })) => assert_eq!(path, unreadable),
            other => panic!("expected a read error, got {other:?}"),
        }
        // renewal-hooks/deploy that is there but is no folder.
        let dir = certbot_folder("/nonexistent");
        std::fs::create_dir_all(dir.path().join("renewal-hooks")).unwrap();
        std::fs::write(dir.path().join("renewal-hooks/deploy"), "").unwrap();
        assert!(matches!(lineages(dir.path()), Err(ConfigError::List(_))));
    }
}
