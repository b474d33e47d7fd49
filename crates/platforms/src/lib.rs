//! The platforms certscan knows (certbot, nginx, Wazo, Kazoo, Kurento), each behind one trait,
//! [`Platform`]: what it discovers from its configuration (the certificate files it names and
//! the ports that should serve them, so every check applies), its own checks and wording of
//! findings ([`PlatformRules`], which the checks call), and its reload command. Also the
//! platform profiles that expand a host into its ports.

pub mod certbot;
pub(crate) mod kazoo;
pub(crate) mod kurento;
pub mod nginx;
pub mod profile;
pub(crate) mod wazo;
mod wazo_checks;

use std::path::{Path, PathBuf};

pub use certscan_checks::platform::PlatformRules;
use certscan_model::configured::ClientSetting;
use certscan_model::finding::{CheckId, Finding};
use certscan_model::platform::Platform as Profile;
use certscan_model::target::{FileTarget, ResolvePin, Target};
use certscan_probe::file::{ListError, ReadError};

/// What a configuration asks to check: certificate files, endpoints, and the addresses those
/// endpoints' names must be pinned to (this machine).
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    pub files: Vec<FileTarget>,
    pub targets: Vec<Target>,
    pub pins: Vec<ResolvePin>,
    /// URLs the configuration names that are not TLS targets (plain HTTP), each with its file.
    pub insecure_urls: Vec<(PathBuf, String)>,
    /// How the platform's services connect to each other: checked against the first file the
    /// user gives when there is one, else against the discovered files.
    pub clients: Vec<ClientSetting>,
}

/// Why a platform's configuration could not be read. A file or folder that is absent where
/// absence is normal (an optional `conf.d/`, an include pattern that matches nothing) is not an
/// error; one that is there and cannot be read is, so that a configuration is never judged on
/// part of what it says.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    List(#[from] ListError),
    /// A symbolic link in the configuration that leads nowhere: what it names would be missed.
    #[error("{} is a symbolic link to {}, which does not exist", link.display(), target.display())]
    DanglingLink { link: PathBuf, target: PathBuf },
    /// What a file says does not follow its syntax, or goes past a bound.
    #[error("{0}")]
    Invalid(String),
}

impl From<String> for ConfigError {
    fn from(message: String) -> ConfigError {
        ConfigError::Invalid(message)
    }
}

/// Symbolic links followed on one path, at most (as the kernel's limit).
const MAX_LINKS: usize = 40;

/// The file `path` leads to on a machine whose `/` is `root`: symbolic links are followed as
/// that machine follows them, an absolute target under `root` (Wazo's documentation links
/// `/etc/xivo/custom/custom-certificate.yml` into each `conf.d/` by its absolute path). `None`
/// when there is nothing at `path` or it is not a file; an error for a link to nothing, shown
/// with the paths as on the machine.
pub(crate) fn file_under_root(root: &Path, path: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let on_machine = |p: &Path| Path::new("/").join(p.strip_prefix(root).unwrap_or(p));
    let mut current = path.to_path_buf();
    let mut followed: Option<PathBuf> = None;
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return match followed {
                    None => Ok(None),
                    Some(target) => Err(ConfigError::DanglingLink {
                        link: on_machine(path),
                        target,
                    }),
                };
            }
            Err(source) => {
                return Err(ReadError::Open { path: current, source }.into());
            }
        };
        if !meta.file_type().is_symlink() {
            return Ok(meta.is_file().then_some(current));
        }
        let target = std::fs::read_link(&current).map_err(|source| ReadError::Read {
            path: current.clone(),
            source,
        })?;
        followed = Some(target.clone());
        current = match target.strip_prefix("/") {
            Ok(absolute) => root.join(absolute),
            Err(_) => current.parent().unwrap_or(root).join(&target),
        };
    }
    Err(ConfigError::Invalid(format!(
        "{}: more than {MAX_LINKS} symbolic links in a row",
        on_machine(path).display()
    )))
}

/// The entries of a folder that may be absent: none when it is.
pub(crate) fn optional_folder(path: &Path) -> Result<Vec<PathBuf>, ListError> {
    match certscan_probe::file::list_folder(path) {
        Err(e) if e.is_not_found() => Ok(vec![]),
        listed => listed,
    }
}

/// A platform certscan knows.
pub trait Platform: PlatformRules {
    /// Where its configuration is on this machine, for `--local`, when it is there.
    fn local_place(&self) -> Option<PathBuf> {
        None
    }

    /// What its configuration at `place` (a file or folder, as its flag names it) asks to check.
    fn discover(&self, _place: &Path) -> Result<Discovered, ConfigError> {
        Ok(Discovered::default())
    }

    /// The command that makes its services load a renewed certificate, as fixes say it.
    fn reload_command(&self) -> Option<&'static str> {
        None
    }
}

/// The platforms in play for a run with this profile, in the order their wording applies:
/// certbot's (its files may be given with `--file` alone), the profile's, then nginx's.
pub fn in_play(profile: Option<Profile>) -> Vec<&'static dyn Platform> {
    let mut platforms: Vec<&'static dyn Platform> = vec![&certbot::Certbot];
    platforms.extend(profile.map(of_profile));
    platforms.push(&nginx::Nginx);
    platforms
}

/// The platform a profile names.
pub fn of_profile(profile: Profile) -> &'static dyn Platform {
    match profile {
        Profile::Wazo => &wazo::Wazo,
        Profile::Kazoo => &kazoo::Kazoo,
        Profile::Kurento => &kurento::Kurento,
    }
}

/// The command that makes the services in play take a new certificate, as the fixes of
/// `deploy.stale` say it: the first platform's that has one, else nginx's or the service's.
pub fn reload_command(platforms: &[&'static dyn Platform]) -> &'static str {
    platforms
        .iter()
        .find_map(|p| p.reload_command())
        .unwrap_or("systemctl reload nginx (or restart the service that serves this port)")
}

/// Puts the platform's fix on certificate findings that have no fix of their own: where its
/// certificate lives and how it is reloaded.
pub(crate) fn fix_certificate_findings(fix: &str, findings: &mut [Finding]) {
    let certificate_fault = |id: CheckId| {
        matches!(
            id,
            CheckId::SelfSigned
                | CheckId::UnknownRoot
                | CheckId::ChainIncomplete
                | CheckId::Expired
                | CheckId::ExpiresSoon
        )
    };
    for finding in findings
        .iter_mut()
        .filter(|f| f.remediation.is_none() && certificate_fault(f.id))
    {
        finding.remediation = Some(fix.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_platform_words_between_certbot_and_nginx() {
        let names = |p: Option<Profile>| in_play(p).iter().map(|p| format!("{p:?}")).collect::<Vec<_>>();
        assert_eq!(names(None), ["Certbot", "Nginx"]);
        assert_eq!(names(Some(Profile::Wazo)), ["Certbot", "Wazo", "Nginx"]);
        assert_eq!(names(Some(Profile::Kurento)), ["Certbot", "Kurento", "Nginx"]);
    }

    #[test]
    fn only_wazo_pins_its_names_to_loopback() {
        for profile in [None, Some(Profile::Wazo), Some(Profile::Kazoo), Some(Profile::Kurento)] {
            let pins = in_play(profile).iter().any(|p| p.names_resolve_to_loopback());
            assert_eq!(pins, profile == Some(Profile::Wazo), "{profile:?}");
        }
    }

    #[test]
    fn each_platform_reloads_its_own_services() {
        assert!(reload_command(&in_play(None)).starts_with("systemctl reload nginx"));
        assert!(reload_command(&in_play(Some(Profile::Wazo))).starts_with("wazo-service restart all"));
        assert!(reload_command(&in_play(Some(Profile::Kazoo))).starts_with("sup kapps_controller"));
        assert_eq!(
            reload_command(&in_play(Some(Profile::Kurento))),
            "systemctl restart kurento-media-server"
        );
    }

    #[test]
    fn a_platform_fix_fills_only_certificate_findings_without_one() {
        let mut findings = vec![
            Finding::new(CheckId::SelfSigned, "self-signed"),
            Finding::new(CheckId::Expired, "expired").with_remediation("renew it"),
            Finding::new(CheckId::Plaintext, "plain"),
        ];
        fix_certificate_findings("the platform's fix", &mut findings);
        let fixes: Vec<_> = findings.iter().map(|f| f.remediation.as_deref()).collect();
        assert_eq!(fixes, [Some("the platform's fix"), Some("renew it"), None]);
    }
}
