//! certbot's configuration folder: each lineage under `live/`, its renewal configuration and the
//! hooks that run after a renewal (the reload or copy that makes services use the new files).

use std::path::{Path, PathBuf};

/// One certificate lineage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lineage {
    pub name: String,
    /// `live/NAME/fullchain.pem`.
    pub fullchain: PathBuf,
    /// `live/NAME/privkey.pem`.
    pub key: PathBuf,
    /// The hooks that run after a renewal: `renew_hook`, `deploy_hook` or `post_hook` in
    /// `renewal/NAME.conf`, and the files in `renewal-hooks/deploy` and `renewal-hooks/post`.
    pub hooks: Vec<String>,
}

/// The hooks a renewal configuration names.
pub fn hooks_in_renewal_conf(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, value)| {
            matches!(key.trim(), "renew_hook" | "deploy_hook" | "post_hook") && !value.trim().is_empty()
        })
        .map(|(key, value)| format!("{} = {}", key.trim(), value.trim()))
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| e.path().display().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every lineage of a certbot folder (such as /etc/letsencrypt).
pub fn lineages(dir: &Path) -> Result<Vec<Lineage>, String> {
    let live = dir.join("live");
    let entries = std::fs::read_dir(&live).map_err(|e| format!("cannot read {}: {e}", live.display()))?;
    let mut global = files_in(&dir.join("renewal-hooks/deploy"));
    global.extend(files_in(&dir.join("renewal-hooks/post")));
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let conf = dir.join("renewal").join(format!("{name}.conf"));
        let text = crate::probe::file::read_bounded(&conf)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let mut hooks = hooks_in_renewal_conf(&text);
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
}
